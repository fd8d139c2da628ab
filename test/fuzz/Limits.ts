/**
 * The built CLI run on inputs past its limits, with its peak memory: through `/usr/bin/time` where it exists, else
 * with V8's heap capped so that going past the budget fails the run rather than passing unmeasured.
 */
import * as Command from "@effect/platform/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as NodeFs from "node:fs"
import { bundle } from "../support/Cli.js"

const time = "/usr/bin/time"
const marker = "fleetflow-peak-rss-kb "

export interface Measured {
  readonly code: number
  readonly output: string
  readonly millis: number
  /** Peak resident memory of the process, in MB; undefined when it could not be measured. */
  readonly peakMb: number | undefined
}

const text = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Stream.runCollect(Stream.decodeText(stream)).pipe(Effect.map((chunks) => Chunk.join(chunks, "")))

/** Runs `fleetflow args` in `cwd` to the end, measuring its peak memory. */
export const runMeasured = (args: ReadonlyArray<string>, cwd: string, budgetMb: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const measured = NodeFs.existsSync(time)
      const node = [process.execPath, `--max-old-space-size=${budgetMb}`, bundle, ...args]
      const command = measured
        ? Command.make(time, "-f", `${marker}%M`, ...node)
        : Command.make(node[0]!, ...node.slice(1))
      const started = performance.now()
      const child = yield* Command.start(
        command.pipe(
          Command.workingDirectory(cwd),
          Command.env({ NO_COLOR: "1", FLEETFLOW_SANDBOX: "", FLEETFLOW_STAGE: "", FLEET_STAGE: "" })
        )
      )
      const [stdout, stderr, code] = yield* Effect.all([text(child.stdout), text(child.stderr), child.exitCode], {
        concurrency: "unbounded"
      })
      const peak = new RegExp(`${marker}(\\d+)`).exec(stderr)?.[1]
      const output = `${stdout}${stderr}`
        .replace(new RegExp(`${marker}\\d+\\n?`), "")
        .replace(/^Command exited.*\n/m, "")
      const result: Measured = {
        code,
        output,
        millis: performance.now() - started,
        peakMb: peak === undefined ? undefined : Number(peak) / 1024
      }
      return result
    })
  ).pipe(Effect.provide(NodeContext.layer))
