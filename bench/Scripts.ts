/**
 * FleetFlow against the scripts a user would write instead, over the same simulators:
 *
 * - `fleetflow up` of 10 R2 buckets (the built CLI, a process) against a shell loop of
 *   `wrangler r2 bucket create NAME`, both on the Cloudflare API simulator served by this process;
 * - `fleetflow up` of 10 servers, each with its disk, against a serial shell loop of
 *   `usacloud server create` with the disk flags (one command per server), both running the
 *   usacloud simulator executable on a fresh store.
 *
 * Each round runs both sides, in alternating order; every round uses new names (buckets) or a new
 * store (servers), and checks that each side made all ten.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import * as CloudflareSimulator from "../src/Cloudflare/Simulator.js"
import * as Wrangler from "../src/Cloudflare/Wrangler.js"
import * as UsacloudSimulator from "../src/Sakura/Simulator.js"
import { serverWithNewDisk } from "../test/support/UsacloudArgs.js"
import * as Processes from "./Processes.js"

export const count = 10

export interface Comparison {
  /** Milliseconds of each round. */
  readonly fleetflow: ReadonlyArray<number>
  readonly script: ReadonlyArray<number>
}

export interface ServerComparison extends Comparison {
  /** usacloud runs (processes) of each side, in the last round. */
  readonly fleetflowRuns: number
  readonly scriptRuns: number
}

const stage = ["-f", "fleet.kdl", "--stage", "dev"]

const names = (prefix: string) => Array.from({ length: count }, (_, index) => `${prefix}-${index}`)

/** `sh -c SCRIPT` with `names` as its arguments: `for name in "$@"; do …; done`. */
const shellLoop = (
  body: string,
  loopNames: ReadonlyArray<string>,
  cwd: string,
  env: Record<string, string | undefined>
) => Processes.run("/bin/sh", ["-c", `for name in "$@"; do ${body} || exit 1; done`, "sh", ...loopNames], { cwd, env })

const inTurn = async (rounds: number, first: () => Promise<number>, second: () => Promise<number>) => {
  const result = { fleetflow: [] as Array<number>, script: [] as Array<number> }
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      result.fleetflow.push(await first())
      result.script.push(await second())
    } else {
      result.script.push(await second())
      result.fleetflow.push(await first())
    }
  }
  return result satisfies Comparison
}

export const buckets = (rounds: number): Promise<Comparison> =>
  Processes.withCloudflareSimulator([], async (baseUrl, store) => {
    const root = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "fleetflow-bench-r2-"))
    try {
      const bucketNames = async () =>
        new Set((await Effect.runPromise(Effect.orDie(CloudflareSimulator.inspect(store)))).buckets.map((b) => b.name))
      const check = async (wanted: ReadonlyArray<string>, who: string) => {
        const held = await bucketNames()
        const missing = wanted.filter((name) => !held.has(name))
        if (missing.length > 0) throw new Error(`${who} did not create ${missing.join(", ")}`)
      }
      let round = 0
      const fleetflow = async () => {
        const dir = Fs.mkdtempSync(NodePath.join(root, "fleetflow-"))
        const wanted = names(`ff-${round}`)
        const blocks = wanted.map((name) => `    r2-bucket "${name}" { location "apac"; }`)
        Fs.writeFileSync(
          NodePath.join(dir, "fleet.kdl"),
          `project "r2"\nproviders { cloudflare { account-id "${Processes.account}"; } }\nstage "dev" {\n${blocks.join("\n")}\n}\n`
        )
        const env = { CLOUDFLARE_API_BASE_URL: baseUrl, CF_API_TOKEN: Processes.token }
        const up = Processes.expectExit(await Processes.fleetflow(["up", ...stage, "--yes"], dir, env), "fleetflow up")
        await check(wanted, "fleetflow up")
        return up.millis
      }
      const script = async () => {
        const home = Fs.mkdtempSync(NodePath.join(root, "home-"))
        const wanted = names(`sh-${round++}`)
        // What wrangler sees when FleetFlow runs it: the token, account and API root, a HOME of its own.
        const env = Wrangler.environment(process.env, {
          token: Redacted.make(Processes.token),
          accountId: Processes.account,
          baseUrl,
          home,
          logDirectory: NodePath.join(home, "logs"),
          outputFile: NodePath.join(home, "output.json")
        })
        const loop = Processes.expectExit(
          await shellLoop(`"${Processes.wrangler}" r2 bucket create "$name" > /dev/null`, wanted, home, env),
          "the wrangler loop"
        )
        await check(wanted, "the wrangler loop")
        return loop.millis
      }
      return await inTurn(rounds, fleetflow, script)
    } finally {
      Fs.rmSync(root, { recursive: true, force: true })
    }
  })

/** What `usacloud server create` needs to make a server with a new disk from an OS image, and boot it. */
export const serverCreateFlags = serverWithNewDisk("tk1a", '"$name"', { cpu: 1, memory: 1, disk: 20 })

export interface ServerOptions {
  /** The simulator's latency per usacloud run (`FLEETFLOW_USACLOUD_SIMULATOR_LATENCY`), e.g. `1s`; none by default. */
  readonly latency?: string | undefined
  /** How long a server takes to boot (`FLEETFLOW_USACLOUD_SIMULATOR_BOOT_TIME`), e.g. `2s`; none by default. */
  readonly bootTime?: string | undefined
}

export const servers = async (rounds: number, options: ServerOptions = {}): Promise<ServerComparison> => {
  const root = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "fleetflow-bench-servers-"))
  try {
    const usacloud = Processes.writeUsacloud(root)
    const latency = {
      ...(options.latency === undefined ? {} : { [UsacloudSimulator.environment.latency]: options.latency }),
      ...(options.bootTime === undefined ? {} : { [UsacloudSimulator.environment.bootTime]: options.bootTime })
    }
    const runs = { fleetflow: 0, script: 0 }
    /** Checks that the store holds ten servers and ten disks; returns how many usacloud runs made them. */
    const check = async (store: string, who: string) => {
      const simulator = Effect.runSync(Effect.provide(UsacloudSimulator.fileStore(store), NodeFileSystem.layer))
      const cloud = await Effect.runPromise(Effect.orDie(UsacloudSimulator.inspect(simulator)))
      if (cloud.servers.length !== count || cloud.disks.length !== count) {
        throw new Error(
          `${who} left ${cloud.servers.length} servers and ${cloud.disks.length} disks, not ${count} each`
        )
      }
      return (await Effect.runPromise(Effect.orDie(UsacloudSimulator.invocations(simulator)))).length
    }
    const fleetflow = async () => {
      const dir = Fs.mkdtempSync(NodePath.join(root, "fleetflow-"))
      const blocks = names("web").map(
        (name) => `    server "${name}" {\n        plan core=1 memory=1\n        disk size=20 os="ubuntu-24.04"\n    }`
      )
      Fs.writeFileSync(
        NodePath.join(dir, "fleet.kdl"),
        `project "servers"\nproviders { sakura-cloud { zone "tk1a"; } }\nstage "dev" {\n${blocks.join("\n")}\n}\n`
      )
      const store = NodePath.join(dir, "usacloud.json")
      const env = {
        FLEETFLOW_USACLOUD: usacloud,
        [UsacloudSimulator.environment.store]: store,
        [UsacloudSimulator.environment.log]: "1",
        ...latency
      }
      const up = Processes.expectExit(await Processes.fleetflow(["up", ...stage, "--yes"], dir, env), "fleetflow up")
      runs.fleetflow = await check(store, "fleetflow up")
      return up.millis
    }
    const script = async () => {
      const dir = Fs.mkdtempSync(NodePath.join(root, "script-"))
      const store = NodePath.join(dir, "usacloud.json")
      const env = {
        ...process.env,
        [UsacloudSimulator.environment.store]: store,
        [UsacloudSimulator.environment.log]: "1",
        ...latency
      }
      const loop = Processes.expectExit(
        await shellLoop(`"${usacloud}" ${serverCreateFlags.join(" ")} > /dev/null`, names("web"), dir, env),
        "the usacloud loop"
      )
      runs.script = await check(store, "the usacloud loop")
      return loop.millis
    }
    const times = await inTurn(rounds, fleetflow, script)
    return { ...times, fleetflowRuns: runs.fleetflow, scriptRuns: runs.script }
  } finally {
    Fs.rmSync(root, { recursive: true, force: true })
  }
}
