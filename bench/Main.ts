/**
 * `npm run bench`: every figure of BENCHMARKS.md in one run, one JSON line per figure on stdout
 * (progress on stderr). Ratios compare two figures of this run and carry their target.
 *
 *   node --expose-gc dist/bench/Main.mjs [--only startup,cli,plan,apply,state,calls,scripts]
 *     [--cli-plan-sizes 1000,10000] [--cli-up-sizes 1000,2000] [--cli-rounds 3]
 *     [--startup-runs 15] [--plan-sizes 100,1000,10000] [--plan-runs 5] [--plan-rounds 3] [--apply-runs 5]
 *     [--state-sizes 1000,2000] [--state-runs 3] [--script-rounds 3]
 *     [--server-latency 1s] [--server-call 200ms] [--server-boot 2s]
 *
 * Exits non-zero when a measurement itself fails (a plan that is not converged, an `up` that
 * does not apply everything, a process that fails); a missed target is only reported.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { parseArgs } from "node:util"
import * as Calls from "./Calls.js"
import * as Cli from "./Cli.js"
import * as Bench from "./Fleet.js"
import * as PlanScaling from "./PlanScaling.js"
import * as Processes from "./Processes.js"
import {
  atLeast,
  atMost,
  type Bound,
  emit,
  type Figure,
  figure,
  type Line,
  median,
  megabytes,
  progress,
  ratio
} from "./Report.js"
import * as Scripts from "./Scripts.js"
import * as Startup from "./Startup.js"
import * as Up from "./Up.js"

const sections = ["startup", "cli", "plan", "apply", "state", "calls", "scripts"] as const
type Section = (typeof sections)[number]

const { values } = parseArgs({
  options: {
    only: { type: "string", default: sections.join(",") },
    "startup-runs": { type: "string", default: "15" },
    "plan-sizes": { type: "string", default: "100,1000,10000" },
    "plan-runs": { type: "string", default: "5" },
    "plan-rounds": { type: "string", default: "3" },
    "apply-runs": { type: "string", default: "5" },
    "state-sizes": { type: "string", default: "1000,2000" },
    "state-runs": { type: "string", default: "3" },
    "script-rounds": { type: "string", default: "3" },
    "server-latency": { type: "string", default: "1s" },
    "server-call": { type: "string", default: "200ms" },
    "server-boot": { type: "string", default: "2s" },
    "cli-plan-sizes": { type: "string", default: "1000,10000" },
    "cli-up-sizes": { type: "string", default: "1000,2000" },
    "cli-rounds": { type: "string", default: "3" },
    parallelism: { type: "string", default: "10" }
  }
})

const positive = (name: string, text: string): number => {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got "${text}"`)
  return value
}
const list = (name: string, text: string) => text.split(",").map((item) => positive(name, item.trim()))

const only = new Set(
  values.only.split(",").map((item): Section => {
    const name = item.trim() as Section
    if (!sections.includes(name)) throw new Error(`--only takes ${sections.join(", ")}, got "${item}"`)
    return name
  })
)
const parallelism = positive("parallelism", values.parallelism)

const printed: Array<Line> = []
const out = (line: Line) => {
  printed.push(line)
  emit(line)
}

const timed = (name: string, times: ReadonlyArray<number>, note?: string): Figure =>
  figure(name, median(times), "ms", { runs: times.length, ...(note === undefined ? {} : { note }) })

// ---------------------------------------------------------------------------------------------

const startup = () => {
  const runs = positive("startup-runs", values["startup-runs"])
  progress(`start-up: ${runs} rounds`)
  const bin = Processes.bin
  const validate = ["validate", "-f", "examples/fleet.kdl", "--stage", "dev"]
  const commands: ReadonlyArray<Startup.NodeCommand> = [
    { name: "startup.node-e-0", args: ["-e", "0"] },
    { name: "startup.version", args: [bin, "--version"] },
    { name: "startup.version.dist", args: [Processes.cli, "--version"] },
    { name: "startup.validate", args: [bin, ...validate] },
    { name: "startup.validate.dist", args: [Processes.cli, ...validate] }
  ]
  const times = Startup.measure(commands, runs, Processes.repository)
  const figures = new Map(commands.map(({ name }) => [name, timed(name, times.get(name)!)]))
  for (const line of figures.values()) out(line)
  const node = figures.get("startup.node-e-0")!
  out(ratio("startup.version.ratio", figures.get("startup.version")!, node, atMost(1.5), "bin/fleetflow.mjs --version"))
  out(ratio("startup.version.dist.ratio", figures.get("startup.version.dist")!, node, atMost(1.5)))
  out(ratio("startup.validate.ratio", figures.get("startup.validate")!, node, atMost(2), "bin/fleetflow.mjs validate"))
  out(ratio("startup.validate.dist.ratio", figures.get("startup.validate.dist")!, node, atMost(2)))
}

// ---------------------------------------------------------------------------------------------

const cliFigure = (name: string, runs: ReadonlyArray<Cli.CliRun>, bound?: number, note?: string) =>
  figure(name, median(runs.map((run) => run.millis)), "ms", {
    runs: runs.length,
    ...(bound === undefined ? {} : { bound: atMost(bound) }),
    ...(note === undefined ? {} : { note })
  })

/** Plans and ups through `bin/fleetflow.mjs` on the sandbox: what `fleetflow plan|up --sandbox` costs a user. */
const cliSandbox = async (rounds: number) => {
  const planSizes = list("cli-plan-sizes", values["cli-plan-sizes"])
  const upSizes = list("cli-up-sizes", values["cli-up-sizes"])
  const folders = new Map<number, string>()
  for (const size of planSizes) folders.set(size, await Cli.convergedSandbox(size))
  const plans = new Map<number, Array<Cli.CliRun>>(planSizes.map((size) => [size, []]))
  const ups = new Map<number, Array<Cli.CliRun>>(upSizes.map((size) => [size, []]))
  try {
    for (let round = 0; round < rounds; round++) {
      progress(`cli: plan --sandbox of ${planSizes.join(", ")}, converged, round ${round + 1} of ${rounds}`)
      for (const size of planSizes) plans.get(size)!.push(await Cli.planConverged(folders.get(size)!, Cli.sandboxArgs))
    }
    for (let round = 0; round < rounds; round++) {
      progress(`cli: up --sandbox of ${upSizes.join(", ")} on empty clouds, round ${round + 1} of ${rounds}`)
      for (const size of upSizes) ups.get(size)!.push(await Cli.upSandbox(size))
    }
  } finally {
    for (const folder of folders.values()) Fs.rmSync(folder, { recursive: true, force: true })
  }
  for (const size of planSizes) {
    const runs = plans.get(size)!
    out(cliFigure(`cli.sandbox.plan.${size}`, runs, size === 10_000 ? 2500 : undefined, "the process, start to exit"))
    out(
      figure(`cli.sandbox.plan.peak-rss.${size}`, median(runs.map((run) => run.peakRssMb)), "MB", {
        runs: runs.length,
        ...(size === 10_000 ? { bound: atMost(250) } : {}),
        note: "maxRSS of the CLI, the sandbox's simulated clouds in it"
      })
    )
    out(
      figure(`cli.sandbox.plan.cpu.${size}`, median(runs.map((run) => run.cpuMillis)), "ms", {
        runs: runs.length,
        note: "CPU time of the CLI, the sandbox's simulated clouds in it"
      })
    )
  }
  const upFigures = upSizes.map((size) =>
    cliFigure(`cli.sandbox.up.${size}`, ups.get(size)!, size === 1000 ? 20_000 : undefined, "empty clouds and state")
  )
  for (const line of upFigures) out(line)
  for (let index = 1; index < upSizes.length; index++) {
    const bound = upSizes[index - 1] === 1000 && upSizes[index] === 2000 ? atMost(2.2) : undefined
    out(
      ratio(
        `cli.sandbox.up.scaling.${upSizes[index]}/${upSizes[index - 1]}`,
        upFigures[index]!,
        upFigures[index - 1]!,
        bound
      )
    )
  }
}

/**
 * FleetFlow's own CPU per resource in a plan: the CLI on the real providers, the simulators out
 * of its process (Cloudflare's API served by this one, usacloud runs as processes), so its CPU
 * time is its own; the difference between 10,000 and 100 resources, per resource.
 */
const cliOwnCost = async (rounds: number) => {
  const sizes = [100, 10_000] as const
  const cpu = new Map<number, Array<number>>()
  await Processes.withCloudflareSimulator([Bench.zone], async (baseUrl, store) => {
    for (const size of sizes) {
      const { dir, env } = await Cli.convergedOnSimulators(size, baseUrl, store)
      try {
        progress(`cli: plan of ${size} on the simulators in other processes, ${rounds} rounds`)
        const runs: Array<number> = []
        for (let round = 0; round < rounds; round++) {
          runs.push((await Cli.planConverged(dir, Cli.plainArgs, env)).cpuMillis)
        }
        cpu.set(size, runs)
      } finally {
        Fs.rmSync(dir, { recursive: true, force: true })
      }
    }
  })
  const [small, large] = sizes.map((size) =>
    figure(`cli.plan.own-cpu.${size}`, median(cpu.get(size)!), "ms", {
      runs: rounds,
      note: "CPU time of the CLI alone: the simulators run in other processes"
    })
  )
  out(small!)
  out(large!)
  out(
    figure("cli.plan.own-cpu.per-resource", (large!.value - small!.value) / (sizes[1] - sizes[0]), "ms", {
      bound: atMost(0.1),
      note: "(own CPU of a plan of 10,000 − of 100) / 9,900: FleetFlow's cost per resource, start-up excluded"
    })
  )
}

const cli = async () => {
  const rounds = positive("cli-rounds", values["cli-rounds"])
  await cliSandbox(rounds)
  await cliOwnCost(rounds)
}

// ---------------------------------------------------------------------------------------------

interface ChildResult {
  readonly size: number
  readonly times: ReadonlyArray<number>
  readonly maxRSS: number
}

/** Plans of `size` in a process of its own: `warmup` unmeasured, then at least `runs` measured. */
const planChild = async (folder: string, size: number, warmup: number, runs: number): Promise<ChildResult> => {
  const child = NodePath.join(import.meta.dirname, "PlanChild.mjs")
  const args = ["--size", String(size), "--folder", folder, "--warmup", String(warmup), "--runs", String(runs)]
  const finished = Processes.expectExit(
    await Processes.run(process.execPath, [child, ...args, "--min-millis", runs > 1 ? "1000" : "0"], {
      cwd: NodePath.dirname(folder),
      env: process.env
    }),
    `the plan of ${size}`
  )
  return JSON.parse(finished.stdout) as ChildResult
}

const plan = async () => {
  const sizes = list("plan-sizes", values["plan-sizes"])
  const runs = positive("plan-runs", values["plan-runs"])
  const rounds = positive("plan-rounds", values["plan-rounds"])
  const root = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "fleetflow-bench-plan-"))
  try {
    const folders = new Map<number, string>()
    for (const size of sizes) {
      const folder = NodePath.join(root, String(size), ".fleetflow")
      await PlanScaling.writeState(folder, Bench.converged(Bench.desired(size)).state)
      folders.set(size, folder)
    }
    // Every size in each round, so that a noisy minute does not fall on one size only.
    const times = new Map<number, Array<number>>(sizes.map((size) => [size, []]))
    const repeated = new Map<number, number>(sizes.map((size) => [size, 0]))
    const peaks = new Map<number, Array<number>>(sizes.map((size) => [size, []]))
    for (let round = 0; round < rounds; round++) {
      progress(`plan: ${sizes.join(", ")} resources, converged, round ${round + 1} of ${rounds}`)
      for (const size of sizes) {
        const timing = await planChild(folders.get(size)!, size, 2, runs)
        times.get(size)!.push(...timing.times)
        repeated.set(size, Math.max(repeated.get(size)!, timing.maxRSS))
        peaks.get(size)!.push((await planChild(folders.get(size)!, size, 0, 1)).maxRSS)
      }
    }
    const byName = new Map<number, Figure>()
    for (const size of sizes) {
      const time = timed(
        `plan.converged.${size}`,
        times.get(size)!,
        `${rounds} processes, each after 2 unmeasured plans`
      )
      byName.set(size, time)
      out(time)
      out(
        figure(`plan.peak-rss.${size}`, megabytes(median(peaks.get(size)!)), "MB", {
          runs: rounds,
          ...(size === 10_000 ? { bound: atMost(300) } : {}),
          note: "maxRSS of a process that runs one plan, as the CLI does; the fake clouds' copy of every resource included"
        })
      )
      out(
        figure(`plan.peak-rss.${size}.repeated`, megabytes(repeated.get(size)!), "MB", {
          note: "the highest maxRSS of the processes that ran many plans for the time above"
        })
      )
    }
    const pairs = sizes.slice(1).map((size, index) => [sizes[index]!, size] as const)
    for (const [smaller, larger] of pairs) {
      const bound = smaller === 1000 && larger === 10_000 ? atMost(12) : undefined
      out(ratio(`plan.scaling.${larger}/${smaller}`, byName.get(larger)!, byName.get(smaller)!, bound))
    }
  } finally {
    Fs.rmSync(root, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------------------------

const latencyMillis = 200

const applyBounds: Readonly<Record<string, Bound>> = {
  independent: atMost(1.05),
  chains: atMost(1.05),
  mixed: atMost(1.1)
}

/** How long an fsync takes on the slow disk the apply benchmark plays, as a spinning disk or a network volume. */
const slowFsyncMillis = 15

const apply = async () => {
  const runs = positive("apply-runs", values["apply-runs"])
  const shapes = Up.applyShapes(parallelism, latencyMillis)
  const report = (shape: Up.ApplyShape, kind: string, times: ReadonlyArray<Up.UpTimes>, bound?: Bound) => {
    const applied = timed(
      `apply.${shape.name}.${kind}`,
      times.map((t) => t.apply),
      "from confirmation to the end"
    )
    out(applied)
    out(
      timed(
        `apply.${shape.name}.${kind}.up`,
        times.map((t) => t.up),
        "the whole up: lock, plan, apply"
      )
    )
    out(ratio(`apply.${shape.name}.${kind}.efficiency`, applied, figure(shape.idealName, shape.ideal, "ms"), bound))
  }
  for (const store of ["local", "memory"] as const) {
    progress(
      `apply: ${shapes.map((shape) => shape.name).join(", ")} at ${latencyMillis} ms, ${store} state, ${runs} rounds`
    )
    const results = await Up.alternate(() => shapes, { store, parallelism, latencyMillis }, runs)
    for (const shape of shapes) {
      report(shape, store, results.get(shape.name)!, store === "local" ? applyBounds[shape.name] : undefined)
    }
  }
  progress(`apply: the same on the Cloudflare API simulator in another process, over HTTP, ${runs} rounds`)
  const remote = await Processes.withCloudflareSimulator(
    [Bench.zone],
    (baseUrl) =>
      applyChild(runs, ["--clouds", "remote"], {
        env: {
          ...process.env,
          CLOUDFLARE_API_BASE_URL: baseUrl,
          CF_API_TOKEN: Processes.token,
          CF_ACCOUNT_ID: Processes.account
        }
      }),
    latencyMillis
  )
  for (const shape of shapes) report(shape, "remote", remote[shape.name]!)
  const slow = await slowDiskApply(runs)
  if (slow === undefined) {
    progress("apply on a slow disk: skipped, strace cannot delay fsync here")
    return
  }
  for (const shape of shapes) report(shape, "slow-disk", slow[shape.name]!)
}

type ApplyTimes = Readonly<Record<string, ReadonlyArray<Up.UpTimes>>>

/** The apply fleets on the local state in a process of its own (`ApplyChild.ts`), run by `wrapper` when given. */
const applyChild = async (
  runs: number,
  args: ReadonlyArray<string>,
  options: { readonly env: NodeJS.ProcessEnv; readonly wrapper?: ReadonlyArray<string> }
): Promise<ApplyTimes> => {
  const child = NodePath.join(import.meta.dirname, "ApplyChild.mjs")
  const command = [
    process.execPath,
    "--expose-gc",
    child,
    "--runs",
    String(runs),
    "--parallelism",
    String(parallelism),
    "--latency",
    String(latencyMillis),
    ...args
  ]
  const [program, ...programArgs] = [...(options.wrapper ?? []), ...command]
  const finished = Processes.expectExit(
    await Processes.run(program!, programArgs, { cwd: Os.tmpdir(), env: options.env }),
    `the apply fleets (${command.slice(2).join(" ")})`
  )
  return JSON.parse(finished.stdout) as ApplyTimes
}

/**
 * The apply on the local state on a disk whose fsync takes `slowFsyncMillis`: the fake clouds in a
 * process whose fsyncs strace delays. Undefined when strace cannot do it here.
 */
const slowDiskApply = async (runs: number): Promise<ApplyTimes | undefined> => {
  const strace = [
    "-f",
    "--seccomp-bpf",
    "-qq",
    "-o",
    "/dev/null",
    "-e",
    "trace=fsync",
    "-e",
    `inject=fsync:delay_exit=${slowFsyncMillis * 1000}`
  ]
  const probe = await Processes.run("strace", [...strace, "true"], { cwd: Os.tmpdir(), env: process.env }).catch(
    () => undefined
  )
  if (probe?.code !== 0) return undefined
  progress(`apply: the same on the fake clouds, on a disk whose fsync takes ${slowFsyncMillis} ms, ${runs} rounds`)
  return applyChild(runs, [], { env: process.env, wrapper: ["strace", ...strace] })
}

// ---------------------------------------------------------------------------------------------

const state = async () => {
  const sizes = list("state-sizes", values["state-sizes"])
  for (const size of sizes) Bench.checkAppliable(size)
  const runs = positive("state-runs", values["state-runs"])
  progress(`state: up of ${sizes.join(", ")} on the local state, no latency, ${runs} rounds`)
  const fleets = sizes.map((size) => ({ name: String(size), fleet: Bench.desired(size) }))
  const results = await Up.alternate(() => fleets, { store: "local", parallelism, latencyMillis: 0 }, runs)
  const figures = sizes.map((size) =>
    timed(
      `state.up.${size}`,
      results.get(String(size))!.map((t) => t.up)
    )
  )
  for (const line of figures) out(line)
  for (let index = 1; index < sizes.length; index++) {
    const bound = sizes[index - 1] === 1000 && sizes[index] === 2000 ? atMost(2.3) : undefined
    out(ratio(`state.scaling.${sizes[index]}/${sizes[index - 1]}`, figures[index]!, figures[index - 1]!, bound))
  }
}

// ---------------------------------------------------------------------------------------------

const isList = (call: string) => / list(@|$)/.test(call) || /^GET .*(\/r2\/buckets|\/dns_records|\/zones)$/.test(call)

const calls = async () => {
  progress(`calls: plan of ${Calls.servers} servers, ${Calls.buckets} buckets, ${Calls.records} DNS records`)
  const result = await Calls.measure()
  const processes = [...result.usacloud.values()].reduce((sum, n) => sum + n, 0)
  const requests = [...result.http.values()].reduce((sum, n) => sum + n, 0)
  // Servers and disks, each listed once per zone, and the credentials checked once (`auth-status`).
  const sakuraLists = 2 * Calls.sakuraZones.length
  out(
    figure("calls.plan.usacloud.processes", processes, "processes", {
      bound: atMost(sakuraLists + 1),
      note:
        `one list per resource type and zone (servers and disks in ${Calls.sakuraZones.join(", ")}), ` +
        "and one auth-status before them"
    })
  )
  for (const [call, n] of result.usacloud) {
    out(figure(`calls.plan.usacloud.${call}`, n, "processes", isList(call) ? { bound: atMost(1) } : {}))
  }
  // The token verified once, the R2 buckets of the account, the records of the zone, and the zone looked up by name.
  out(
    figure("calls.plan.http.requests", requests, "requests", {
      bound: atMost(4),
      note: "the token verified, one list per account (R2) and per zone (DNS), and the zone's ID by its name"
    })
  )
  for (const [call, n] of result.http) {
    out(figure(`calls.plan.http.${call}`, n, "requests", isList(call) ? { bound: atMost(1) } : {}))
  }
  out(figure("calls.plan.wrangler.processes", result.wrangler, "processes", { bound: atMost(0) }))
  out(
    figure("calls.up.dns.requests", result.upDnsWrites, "requests", {
      bound: atMost(2),
      note: `the requests that created the ${Calls.records} DNS records of the up that made the fleet (batches of up to 200)`
    })
  )
  out(figure("calls.plan.time", result.planMillis, "ms", { note: "fleetflow plan, a process, no changes" }))
  out(
    figure("calls.setup.up", result.upMillis, "ms", { note: "the up that made it, in process (no usacloud processes)" })
  )
}

// ---------------------------------------------------------------------------------------------

const scripts = async () => {
  const rounds = positive("script-rounds", values["script-rounds"])
  progress(`scripts: ${Scripts.count} R2 buckets, fleetflow up and a wrangler loop, ${rounds} rounds`)
  const buckets = await Scripts.buckets(rounds)
  const up = timed("scripts.r2.fleetflow-up", buckets.fleetflow)
  const loop = timed("scripts.r2.wrangler-loop", buckets.script)
  out(up)
  out(loop)
  out(ratio("scripts.r2.speedup", loop, up, atLeast(5)))

  // Three times: with the simulator answering at once, which times node start-ups on this machine and
  // nothing of Sakura Cloud; with each usacloud run taking `--server-latency` (1 s), a list as long as
  // a create that boots; and with API calls of `--server-call` (200 ms) and boots of `--server-boot`
  // (2 s), the shape of a real run (where a boot takes a minute or more), which carries the target.
  const comparisons: ReadonlyArray<{
    readonly label: string
    readonly latency?: string
    readonly bootTime?: string
    readonly bound?: number
    readonly note?: string
  }> = [
    {
      label: "no-latency",
      bound: 1,
      note: "node start-ups of the simulator on this machine, not Sakura Cloud: FleetFlow's runs against the loop's"
    },
    {
      label: `latency-${values["server-latency"]}`,
      latency: values["server-latency"],
      note:
        `each usacloud run takes ${values["server-latency"]}, a list as long as a create that boots: ` +
        "up has 3 runs in sequence against the loop's 10, a bound of 3.3 × before any overhead; no target"
    },
    {
      label: `call-${values["server-call"]}-boot-${values["server-boot"]}`,
      latency: values["server-call"],
      bootTime: values["server-boot"],
      bound: 3,
      note: `each usacloud run takes ${values["server-call"]} and a boot ${values["server-boot"]} more`
    }
  ]
  for (const comparison of comparisons) {
    const name = `scripts.servers.${comparison.label}`
    progress(
      `scripts: ${Scripts.count} servers, fleetflow up and a usacloud loop, ${rounds} rounds, ` +
        `the simulator taking ${comparison.latency ?? "no time"} per usacloud run` +
        (comparison.bootTime === undefined ? "" : ` and ${comparison.bootTime} per boot`)
    )
    const servers = await Scripts.servers(rounds, { latency: comparison.latency, bootTime: comparison.bootTime })
    const serversUp = timed(`${name}.fleetflow-up`, servers.fleetflow)
    const serversLoop = timed(`${name}.usacloud-loop`, servers.script)
    out(serversUp)
    out(serversLoop)
    out(
      ratio(
        `${name}.speedup`,
        serversLoop,
        serversUp,
        comparison.bound === undefined ? undefined : atLeast(comparison.bound),
        comparison.note
      )
    )
    out(figure(`${name}.fleetflow-up.usacloud-runs`, servers.fleetflowRuns, "processes"))
    out(figure(`${name}.usacloud-loop.usacloud-runs`, servers.scriptRuns, "processes"))
  }
}

// ---------------------------------------------------------------------------------------------

const main = async () => {
  const started = performance.now()
  Processes.checkBuilt()
  const cpus = Os.cpus()
  progress(
    `FleetFlow benchmarks: node ${process.version} ${process.platform}/${process.arch}, ` +
      `${cpus.length} × ${cpus[0]?.model.trim() ?? "cpu"}`
  )
  const steps: ReadonlyArray<readonly [Section, () => void | Promise<void>]> = [
    ["startup", startup],
    ["cli", cli],
    ["plan", plan],
    ["apply", apply],
    ["state", state],
    ["calls", calls],
    ["scripts", scripts]
  ]
  for (const [name, step] of steps) {
    if (!only.has(name)) continue
    const before = performance.now()
    await step()
    progress(`  ${name} took ${((performance.now() - before) / 1000).toFixed(0)} s`)
  }
  const seconds = (performance.now() - started) / 1000
  out(figure("bench.duration", seconds, "s"))
  const judged = printed.filter((line) => line.met !== undefined)
  const missed = judged.filter((line) => line.met === false).map((line) => line.name)
  progress(
    `${judged.length - missed.length} of ${judged.length} targets met` +
      (missed.length === 0 ? "" : `; missed: ${missed.join(", ")}`)
  )
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})
