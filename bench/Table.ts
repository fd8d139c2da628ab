/**
 * The scaling table (what `npm run bench` printed before the JSON figures): how plan and up
 * scale with the number of resources, with state writes, bytes written and heap, measured at
 * several sizes in one process and reported as ratios (linear ≈ the size ratio, quadratic ≈
 * its square). Built by `npm run bench` beside `Main.mjs`, for profiling and digging:
 *
 *   node --expose-gc dist/bench/Table.mjs [--sizes 100,400,1600] [--stores memory,local]
 *     [--plan-runs 5] [--up-runs 1] [--parallelism 10] [--startup-runs 10] [--no-startup] [--json]
 */
import * as Os from "node:os"
import { parseArgs } from "node:util"
import * as Bench from "./Fleet.js"
import * as Scaling from "./Scaling.js"
import * as Startup from "./Startup.js"

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "100,400,1600" },
    stores: { type: "string", default: "memory,local" },
    "plan-runs": { type: "string", default: "5" },
    "up-runs": { type: "string", default: "1" },
    parallelism: { type: "string", default: "10" },
    "startup-runs": { type: "string", default: "10" },
    "no-startup": { type: "boolean", default: false },
    cli: { type: "string", default: "dist/fleetflow.mjs" },
    json: { type: "boolean", default: false }
  }
})

const positive = (name: string, text: string): number => {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got "${text}"`)
  return value
}

const sizes = values.sizes
  .split(",")
  .map((text) => positive("sizes", text.trim()))
  .sort((a, b) => a - b)
const stores = values.stores.split(",").map((text): Scaling.StoreKind => {
  const kind = text.trim()
  if (kind !== "memory" && kind !== "local") throw new Error(`--stores takes memory and local, got "${kind}"`)
  return kind
})
const options: Scaling.ScalingOptions = {
  planRuns: positive("plan-runs", values["plan-runs"]),
  upRuns: positive("up-runs", values["up-runs"]),
  parallelism: positive("parallelism", values.parallelism)
}

const progress = (line: string) => process.stderr.write(`${line}\n`)

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

interface Row {
  readonly label: string
  readonly stores: ReadonlyArray<Scaling.StoreKind>
  readonly value: (result: Scaling.SizeResult) => number
  readonly digits: number
  /** Show ratios between sizes. */
  readonly ratios: boolean
}

const mb = (bytes: number) => bytes / 1024 / 1024

const rows: ReadonlyArray<Row> = [
  { label: "plan, empty state (ms)", stores, value: (r) => r.planEmpty, digits: 1, ratios: true },
  { label: "plan, converged (ms)", stores, value: (r) => r.planConverged, digits: 1, ratios: true },
  { label: "plan, teardown (ms)", stores, value: (r) => r.planDestroy, digits: 1, ratios: true },
  { label: "  Plan.make of it (ms)", stores: ["memory"], value: (r) => r.makeDestroy, digits: 1, ratios: true },
  { label: "  Apply.steps of it (ms)", stores: ["memory"], value: (r) => r.stepsDestroy, digits: 2, ratios: true },
  { label: "up from empty (ms)", stores, value: (r) => r.up, digits: 0, ratios: true },
  { label: "  in StateStore.write (ms)", stores, value: (r) => r.writeMillis, digits: 0, ratios: true },
  { label: "  state writes", stores: ["memory"], value: (r) => r.writes, digits: 0, ratios: true },
  { label: "  to state.json (MB)", stores: ["local"], value: (r) => mb(r.stateBytes), digits: 1, ratios: true },
  { label: "  to the backup (MB)", stores: ["local"], value: (r) => mb(r.backupBytes), digits: 1, ratios: true },
  { label: "  final state.json (MB)", stores: ["local"], value: (r) => mb(r.finalBytes), digits: 2, ratios: true },
  { label: "  heap peak growth (MB)", stores, value: (r) => mb(r.heapPeak), digits: 1, ratios: true },
  { label: "  heap retained (MB)", stores, value: (r) => mb(r.heapRetained), digits: 2, ratios: true }
]

const format = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : "-")

const table = (results: ReadonlyArray<Scaling.SizeResult>): string => {
  const pairs = sizes.slice(1).map((size, index) => [sizes[index]!, size] as const)
  const header = [
    "measure",
    "store",
    ...sizes.map((size) => `N=${size}`),
    ...pairs.map(([a, b]) => `${b}/${a}`),
    ...(pairs.length > 0 ? ["exponent"] : [])
  ]
  const lines: Array<ReadonlyArray<string>> = [header]
  for (const row of rows) {
    for (const store of row.stores.filter((kind) => stores.includes(kind))) {
      const values = sizes.map((size) => {
        const found = results.find((result) => result.store === store && result.size === size)
        return found === undefined ? Number.NaN : row.value(found)
      })
      const ratios = pairs.map((_, index) => values[index + 1]! / values[index]!)
      const last = pairs.at(-1)
      const exponent = last === undefined ? [] : [format(Math.log(ratios.at(-1)!) / Math.log(last[1] / last[0]), 2)]
      lines.push([
        row.label,
        store,
        ...values.map((value) => format(value, row.digits)),
        ...(row.ratios ? [...ratios.map((ratio) => format(ratio, 1)), ...exponent] : [])
      ])
    }
  }
  const widths = header.map((_, column) => Math.max(...lines.map((line) => (line[column] ?? "").length)))
  return lines
    .map((line) =>
      line
        .map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

const main = async () => {
  const started = performance.now()
  if (!Scaling.canCollect) progress("note: run node with --expose-gc for clean heap baselines")
  for (const size of sizes) Bench.checkAppliable(size)

  // Warm the JIT on a small fleet so the first measured size does not pay for it.
  const warmup = Math.min(sizes[0]!, 100)
  progress(`warming up (memory, N=${warmup})`)
  await Scaling.measure("memory", warmup, { ...options, planRuns: 2, upRuns: 1 })

  const results: Array<Scaling.SizeResult> = []
  for (const store of stores) {
    for (const size of sizes) {
      const before = performance.now()
      results.push(await Scaling.measure(store, size, options))
      progress(`measured ${store} N=${size} in ${((performance.now() - before) / 1000).toFixed(1)} s`)
    }
  }

  const startupRuns = positive("startup-runs", values["startup-runs"])
  const startupTimes = values["no-startup"]
    ? undefined
    : Startup.measure(
        [
          { name: "node", args: ["-e", "0"] },
          { name: "cli", args: [values.cli, "--version"] }
        ],
        startupRuns,
        process.cwd()
      )
  const startup =
    startupTimes === undefined
      ? undefined
      : {
          runs: startupRuns,
          node: Scaling.median(startupTimes.get("node")!),
          cli: Scaling.median(startupTimes.get("cli")!)
        }

  const cpus = Os.cpus()
  const lines = [
    "",
    `FleetFlow scaling: node ${process.version} ${process.platform}/${process.arch}, ${cpus.length} × ${cpus[0]?.model.trim() ?? "cpu"}`,
    `fleet: per ${Bench.groupSize} resources 1 disk, 1 server on it, 4 DNS A records → its ip, 4 R2 buckets; ` +
      `Fake.layer() clouds; up with parallelism ${options.parallelism}`,
    `median of at least ${options.planRuns} plans (250 ms) and ${options.upRuns} up (1 s) per size; ` +
      `ratio = value(N2)/value(N1); exponent k in value ∝ N^k from the last pair (1 linear, 2 quadratic)`,
    "",
    table(results)
  ]
  if (startup !== undefined) {
    lines.push(
      "",
      `CLI start-up (median of ${startup.runs}): node -e 0 ${startup.node.toFixed(0)} ms, ` +
        `node ${values.cli} --version ${startup.cli.toFixed(0)} ms, ratio ${(startup.cli / startup.node).toFixed(1)}`
    )
  }
  lines.push("", `benchmark took ${((performance.now() - started) / 1000).toFixed(0)} s`)
  process.stdout.write(`${lines.join("\n")}\n`)
  if (values.json) process.stdout.write(`${JSON.stringify({ options, results, startup }, null, 2)}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})
