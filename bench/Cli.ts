/**
 * The path users run: the built CLI (`node bin/fleetflow.mjs`) on the sandbox, over the fleet of
 * `Fleet.desired` written as KDL, and the same CLI on the real providers over simulators in other
 * processes (the Cloudflare API simulator served by this process, usacloud runs as processes of
 * their own), where the CLI's own CPU time is FleetFlow's cost alone.
 *
 * Each run of the CLI loads `Rusage.cjs` (`--require`), which writes the process's own CPU time
 * and peak RSS as it exits: neither the simulators' work nor its children's counts.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import * as CloudflareSimulator from "../src/Cloudflare/Simulator.js"
import * as Config from "../src/Config.js"
import * as SakuraSimulator from "../src/Sakura/Simulator.js"
import * as Sandbox from "../src/Sandbox.js"
import * as Fleet from "./Fleet.js"
import { writeState } from "./PlanScaling.js"
import * as Processes from "./Processes.js"

/** `Fleet.desired(size)` as a user writes it: a server with its disk, four A records on its address, four buckets. */
export const fleetKdl = (size: number, providers = `cloudflare {\n        zone "${Fleet.zone}"\n    }`): string => {
  const groups = Array.from({ length: size / Fleet.groupSize }, (_, index) => {
    const name = `node-${String(index).padStart(4, "0")}`
    return [
      `    server "${name}" {`,
      "        plan core=1 memory=2",
      `        disk size=20 os="ubuntu-24.04"`,
      `        tags "bench" "group-${index}"`,
      "    }",
      ...["assets", "logs", "media", "backup"].map((kind) => `    r2-bucket "${kind}-${index}" { location "APAC"; }`)
    ].join("\n")
  })
  const records = Array.from({ length: size / Fleet.groupSize }, (_, index) =>
    ["www", "api", "app", "cdn"]
      .map(
        (host) => `        record "${host}-${index}" type="A" value=server.node-${String(index).padStart(4, "0")}.ip`
      )
      .join("\n")
  )
  return `project "${Fleet.project}"
providers {
    sakura-cloud {
        zone "tk1a"
    }
    ${providers}
}
stage "${Fleet.stage}" {
${groups.join("\n")}
    dns "${Fleet.zone}" {
${records.join("\n")}
    }
}
`
}

/** The file and stage of every run; on the sandbox, `sandboxArgs`. */
export const plainArgs = ["-f", "fleet.kdl", "--stage", Fleet.stage]
export const sandboxArgs = ["--sandbox", ...plainArgs]

/** A folder holding `fleet.kdl` of `size` resources. */
export const folderOf = (size: number, kdl = fleetKdl(size)): string => {
  const dir = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), `fleetflow-bench-cli-${size}-`))
  Fs.writeFileSync(NodePath.join(dir, "fleet.kdl"), kdl)
  return dir
}

/** The resources the CLI will decode from `dir/fleet.kdl`, decoded the same way. */
const desiredOf = (dir: string) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const config = yield* Config.load(NodePath.join(dir, "fleet.kdl"))
      return yield* Config.desiredResources(config, Fleet.stage)
    }).pipe(Effect.provide(NodeContext.layer))
  )

/** Writes the documents of converged clouds: usacloud's into its file, Cloudflare's into `cloudflare`. */
const writeClouds = (
  usacloudPath: string,
  cloudflare: Effect.Effect<CloudflareSimulator.CloudflareStore, never, NodeContext.NodeContext>,
  cloud: Fleet.Converged["cloud"]
) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const usacloud = yield* SakuraSimulator.fileStore(usacloudPath)
      yield* usacloud.modify((document) => Effect.succeed([undefined, { ...document, ...cloud.usacloud }] as const))
      const api = yield* cloudflare
      yield* api.modify((document) => Effect.succeed([undefined, { ...document, ...cloud.cloudflare }] as const))
    }).pipe(Effect.provide(NodeContext.layer), Effect.orDie)
  )

/** A folder whose sandbox clouds and state hold the fleet of its `fleet.kdl` as `up` would leave them. */
export const convergedSandbox = async (size: number): Promise<string> => {
  const dir = folderOf(size)
  const { cloud, state } = Fleet.converged(await desiredOf(dir))
  const sandbox = NodePath.join(dir, ".fleetflow", "sandbox")
  Fs.mkdirSync(sandbox, { recursive: true })
  await writeClouds(
    Sandbox.usacloudStorePath(sandbox),
    CloudflareSimulator.fileStore(Sandbox.cloudflareApiStorePath(sandbox)),
    cloud
  )
  await writeState(sandbox, state)
  return dir
}

export interface CliRun extends Processes.Finished {
  /** CPU time of the CLI's own process (user and system), in milliseconds. */
  readonly cpuMillis: number
  /** Peak resident set size of the CLI's own process, in MB. */
  readonly peakRssMb: number
}

const rusagePreload = NodePath.join(Processes.repository, "bench", "Rusage.cjs")

/** `fleetflow ARGS` through `bin/fleetflow.mjs`, as the `fleetflow` command runs it, with its own CPU and memory. */
export const runCli = async (
  cliArgs: ReadonlyArray<string>,
  cwd: string,
  env: Readonly<Record<string, string>> = {}
): Promise<CliRun> => {
  const report = NodePath.join(cwd, `rusage-${process.pid}-${Date.now()}.json`)
  const profile = process.env.FLEETFLOW_BENCH_CPU_PROF
  const profiling = profile ? ["--cpu-prof", `--cpu-prof-dir=${NodePath.resolve(profile)}`] : []
  const finished = await Processes.run(
    process.execPath,
    [...profiling, "--require", rusagePreload, Processes.bin, ...cliArgs],
    {
      cwd,
      env: Processes.cliEnvironment({ ...env, FLEETFLOW_BENCH_RUSAGE: report })
    }
  )
  const usage = JSON.parse(Fs.readFileSync(report, "utf8")) as {
    readonly userCPUTime: number
    readonly systemCPUTime: number
    readonly maxRSS: number
  }
  Fs.rmSync(report, { force: true })
  return {
    ...finished,
    cpuMillis: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    peakRssMb: usage.maxRSS / 1024
  }
}

/** `plan --detailed-exitcode` of a converged fleet: it must find nothing to do. */
export const planConverged = async (dir: string, cliArgs: ReadonlyArray<string>, env = {}): Promise<CliRun> =>
  Processes.expectExit(
    await runCli(["plan", ...cliArgs, "--detailed-exitcode"], dir, env),
    "fleetflow plan of a converged fleet (no changes)"
  ) as CliRun

/** `up --yes` of `size` resources on empty sandbox clouds: it must add them all. */
export const upSandbox = async (size: number): Promise<CliRun> => {
  const dir = folderOf(size)
  try {
    const result = await runCli(["up", ...sandboxArgs, "--yes"], dir)
    Processes.expectExit(result, `fleetflow up --sandbox of ${size} resources`)
    if (!result.stdout.includes(`Resources: ${size} added`)) {
      throw new Error(
        `fleetflow up --sandbox of ${size} resources did not add them all:\n${result.stdout.slice(-2000)}`
      )
    }
    return result
  } finally {
    Fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * A folder whose fleet (the Cloudflare half on the API simulator served by this process, the
 * Sakura half in the usacloud simulator's file) is converged, and the environment that points
 * the CLI's real providers at them.
 */
export const convergedOnSimulators = async (
  size: number,
  baseUrl: string,
  cloudflare: CloudflareSimulator.CloudflareStore
): Promise<{ readonly dir: string; readonly env: Record<string, string> }> => {
  const dir = folderOf(
    size,
    fleetKdl(size, `cloudflare {\n        account-id "${Processes.account}"\n        zone "${Fleet.zone}"\n    }`)
  )
  const { cloud, state } = Fleet.converged(await desiredOf(dir))
  const usacloudStore = NodePath.join(dir, "usacloud.json")
  await writeClouds(usacloudStore, Effect.succeed(cloudflare), cloud)
  await writeState(NodePath.join(dir, ".fleetflow"), state)
  return {
    dir,
    env: {
      FLEETFLOW_USACLOUD: Processes.writeUsacloud(dir),
      [SakuraSimulator.environment.store]: usacloudStore,
      CLOUDFLARE_API_BASE_URL: baseUrl,
      CF_API_TOKEN: Processes.token
    }
  }
}
