/**
 * One plan size in a process of its own, so that its peak resident set size is its own:
 *
 *   node dist/bench/PlanChild.mjs --size 10000 --folder DIR [--warmup 2] [--runs 5] [--min-millis 1000]
 *
 * `DIR` holds the converged state (`PlanScaling.writeState`). Prints one JSON object: the size,
 * the time of every measured plan, and `maxRSS` in bytes as the OS reports it for this process.
 */
import { parseArgs } from "node:util"
import * as PlanScaling from "./PlanScaling.js"

const { values } = parseArgs({
  options: {
    size: { type: "string" },
    folder: { type: "string" },
    warmup: { type: "string", default: "2" },
    runs: { type: "string", default: "5" },
    "min-millis": { type: "string", default: "1000" }
  }
})

const main = async () => {
  if (values.size === undefined || values.folder === undefined) throw new Error("--size and --folder are required")
  const result = await PlanScaling.timePlans(Number(values.size), PlanScaling.localStore(values.folder), {
    warmup: Number(values.warmup),
    runs: Number(values.runs),
    minMillis: Number(values["min-millis"])
  })
  // resourceUsage reports kilobytes (getrusage's ru_maxrss on Linux).
  const maxRSS = process.resourceUsage().maxRSS * 1024
  process.stdout.write(`${JSON.stringify({ ...result, maxRSS })}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(
    `plan child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
  )
  process.exitCode = 1
})
