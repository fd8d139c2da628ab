/**
 * Child-process kill cases: a child FleetFlow started (wrangler deploying a Worker or a Pages
 * project on the sandbox, usacloud making a disk or a server) SIGKILLed from outside in the middle
 * of its call, as the kernel's OOM killer or an operator's `kill -9` would. The run must end on
 * its own (retrying the call, or as a partial apply) without a stack trace, leave no process it
 * started running, and the next `up` must converge with nothing made twice.
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Sandbox from "../../src/Sandbox.js"
import { hasStackTrace, run, start, waitFor } from "../support/Cli.js"
import { cmdline, startedBy } from "../support/Processes.js"
import * as Cloud from "./Cloud.js"
import { excerpt, type Outcome } from "./Kills.js"
import { ended, writeUsacloud } from "./Process.js"
import * as Stage from "./Stage.js"

export interface ChildKill {
  readonly tool: "wrangler" | "usacloud"
  /** Words of the child's command line that tell the call it is killed in. */
  readonly command: string
  readonly why: string
}

export const cases: ReadonlyArray<ChildKill> = [
  { tool: "wrangler", command: "deploy --config", why: "wrangler killed while it deploys a Worker" },
  { tool: "wrangler", command: "pages project create", why: "wrangler killed while it creates a Pages project" },
  { tool: "wrangler", command: "pages deploy", why: "wrangler killed while it uploads a Pages deployment" },
  { tool: "usacloud", command: "archive list", why: "usacloud killed while it looks up the archive of an OS" },
  { tool: "usacloud", command: "server create", why: "usacloud killed while it creates a server" }
]

export const label = (kill: ChildKill) => `${kill.tool}-killed:${kill.command}`

const cloudflareStage = `project "faults-children"
providers {
    cloudflare {
        zone "${Stage.zone}"
    }
}
stage "dev" {
    worker "faults-api" {
        source "./worker"
        compatibility-date "2026-11-01"
    }
    pages "faults-site" {
        directory "./site"
        production-branch "main"
    }
    dns "${Stage.zone}" {
        record "www" type="CNAME" value="faults-site.pages.dev"
    }
}
`

const sakuraStage = `project "faults-usacloud"
providers {
    sakura-cloud {
        zone "tk1a"
    }
}
stage "dev" {
    server "child-01" {
        plan core=1 memory=1
        disk size=20 os="ubuntu-24.04"
    }
    server "child-02" {
        plan core=2 memory=4
        disk size=40 os="debian-12"
    }
}
`

/** Where a case's clouds and state are, and how its commands are run. */
interface Setup {
  readonly dir: string
  readonly args: ReadonlyArray<string>
  readonly env: Record<string, string>
  readonly clouds: string
  readonly statePath: string
}

/** The Cloudflare stage on the sandbox, slowed so that each wrangler run lasts long enough to be killed. */
const cloudflareSetup = (): Setup => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-faults-children-"))
  fs.writeFileSync(path.join(dir, "fleet.kdl"), cloudflareStage)
  fs.mkdirSync(path.join(dir, "worker"))
  fs.writeFileSync(path.join(dir, "worker", "index.js"), 'export default { fetch: () => new Response("ok") }\n')
  fs.mkdirSync(path.join(dir, "site"))
  fs.writeFileSync(path.join(dir, "site", "index.html"), "<h1>faults</h1>\n")
  return {
    dir,
    args: Stage.sandbox,
    env: { FLEETFLOW_SANDBOX_LATENCY: "400ms" },
    clouds: Cloud.sandboxDir(dir),
    statePath: Cloud.statePath(dir)
  }
}

/** The Sakura stage on real usacloud processes: the simulator behind `FLEETFLOW_USACLOUD`, its cloud in `clouds/`. */
const sakuraSetup = (): Setup => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-faults-usacloud-"))
  const clouds = path.join(dir, "clouds")
  fs.mkdirSync(clouds)
  fs.writeFileSync(path.join(dir, "fleet.kdl"), sakuraStage)
  const usacloud = writeUsacloud(dir, {
    FLEETFLOW_USACLOUD_SIMULATOR_STORE: Sandbox.usacloudStorePath(clouds),
    FLEETFLOW_USACLOUD_SIMULATOR_BOOT_TIME: "2s",
    FLEETFLOW_USACLOUD_SIMULATOR_LATENCY: "300ms"
  })
  return {
    dir,
    args: ["-f", "fleet.kdl", "--stage", Stage.stage],
    env: { FLEETFLOW_USACLOUD: usacloud },
    clouds,
    statePath: path.join(dir, ".fleetflow", "state.json")
  }
}

/** Runs one case in a folder of its own. */
export const runCase = (kill: ChildKill): Effect.Effect<Outcome, unknown> =>
  Effect.scoped(
    Effect.gen(function* () {
      const named = { label: label(kill), name: kill.why }
      const setup = kill.tool === "wrangler" ? cloudflareSetup() : sakuraSetup()
      const { args, dir, env } = setup
      const problems: Array<string> = []
      const started = yield* start(["up", ...args, "--yes"], dir, env)
      const cli = Number(started.process.pid)
      const calling = () => startedBy(cli).filter((pid) => cmdline(pid).includes(kill.command))
      yield* waitFor(() => calling().length > 0, `${kill.tool} to run "${kill.command}"`, 30_000)
      const [child] = calling()
      process.kill(child!, "SIGKILL")
      const first = yield* ended(started)
      const said = first.stdout + first.stderr
      console.log(`${label(kill)}: the run whose ${kill.tool} was killed exited ${first.code ?? first.signal}`)
      if (first.code !== 0 && first.code !== 3) {
        problems.push(
          `the up whose ${kill.tool} was killed ended with ${first.signal ?? first.code}:\n${excerpt(said)}`
        )
      }
      if (hasStackTrace(said)) problems.push(`the up whose ${kill.tool} was killed printed a stack trace:\n${said}`)
      yield* waitFor(() => startedBy(cli).length === 0, "the processes the run started to end", 5_000).pipe(
        Effect.catchAll(() =>
          Effect.sync(() => {
            problems.push(`left running: ${startedBy(cli).map((pid) => `${pid} ${cmdline(pid)}`)}`)
          })
        )
      )

      const again = yield* run(["up", ...args, "--yes"], dir, env)
      if (again.code !== 0) problems.push(`the up after the kill exited ${again.code}:\n${excerpt(again.stderr)}`)
      const parsed = Cloud.parseFile(setup.statePath)
      if (parsed._tag !== "Parsed") {
        const unparseable = parsed._tag === "Unparseable" ? [parsed.reason] : []
        problems.push(`after the second up the state is ${parsed._tag}`)
        return { ...named, dir, faultsInjected: 0, unparseable, problems, settled: "" }
      }
      const cloud = yield* Cloud.inspectFolder(setup.clouds)
      const findings = Cloud.compare(parsed.state, cloud, yield* Stage.desiredKeys(dir), [])
      const plan = yield* run(["plan", ...args, "--detailed-exitcode"], dir, env)
      if (plan.code !== 0) problems.push(`plan --detailed-exitcode exited ${plan.code}:\n${excerpt(plan.stdout)}`)
      return { ...named, dir, faultsInjected: 0, unparseable: [], findings, problems, settled: "" }
    })
  )
