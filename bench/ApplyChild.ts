/**
 * The apply benchmark's fleets on the local state in a process of its own:
 *
 *   node --expose-gc dist/bench/ApplyChild.mjs [--runs 5] [--parallelism 10] [--latency 200] [--clouds fake|remote]
 *
 * `fake`: the fake clouds in this process, each call taking `--latency`; `npm run bench` runs it
 * under strace to play a slow disk. `remote`: the real Cloudflare provider over HTTP to the API
 * simulator that `CLOUDFLARE_API_BASE_URL` names (`CF_API_TOKEN`), served by another process with
 * its own latency; every round's buckets get names of their own, as the simulator keeps them.
 *
 * Prints one JSON object: every round's times of each fleet, by name.
 */
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Layer from "effect/Layer"
import { parseArgs } from "node:util"
import * as Clouds from "../src/Clouds.js"
import * as Up from "./Up.js"

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    parallelism: { type: "string", default: "10" },
    latency: { type: "string", default: "200" },
    clouds: { type: "string", default: "fake" }
  }
})

const remote = () =>
  Clouds.cloudflareLayer().pipe(Layer.provide(Layer.provideMerge(NodeCommandExecutor.layer, NodeFileSystem.layer)))

const main = async () => {
  const parallelism = Number(values.parallelism)
  const latencyMillis = Number(values.latency)
  if (values.clouds !== "fake" && values.clouds !== "remote") throw new Error(`--clouds takes fake or remote`)
  const results = await Up.alternate(
    (round) => Up.applyShapes(parallelism, latencyMillis, values.clouds === "remote" ? `r${round}-` : ""),
    { store: "local", parallelism, latencyMillis, ...(values.clouds === "remote" ? { clouds: remote } : {}) },
    Number(values.runs)
  )
  process.stdout.write(`${JSON.stringify(Object.fromEntries(results))}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(
    `apply child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
  )
  process.exitCode = 1
})
