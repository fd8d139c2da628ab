/**
 * The apply benchmark's fleets on the local state in a process of its own, which `npm run bench`
 * runs under strace to play a slow disk:
 *
 *   node --expose-gc dist/bench/ApplyChild.mjs [--runs 5] [--parallelism 10] [--latency 200]
 *
 * Prints one JSON object: every round's times of each fleet, by name.
 */
import { parseArgs } from "node:util"
import * as Up from "./Up.js"

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    parallelism: { type: "string", default: "10" },
    latency: { type: "string", default: "200" }
  }
})

const main = async () => {
  const parallelism = Number(values.parallelism)
  const latencyMillis = Number(values.latency)
  const shapes = Up.applyShapes(parallelism, latencyMillis)
  const results = await Up.alternate(shapes, { store: "local", parallelism, latencyMillis }, Number(values.runs))
  process.stdout.write(`${JSON.stringify(Object.fromEntries(results))}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(
    `apply child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
  )
  process.exitCode = 1
})
