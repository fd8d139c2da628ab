/**
 * The built CLI run on large inputs, with its peak memory: the peak resident size of the process as the kernel
 * counts it, through `/usr/bin/time` where it exists, else the high-water mark of `/proc/<pid>/status` read until
 * the process ends. With `heapCapMb`, V8's heap is also capped so that going past a budget fails the run rather
 * than passing unmeasured; without it, the CLI runs as a user runs it.
 */
import * as Command from "@effect/platform/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
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

/** `VmHWM` of a running process in KB, or undefined once it has ended (or without `/proc`). */
const highWaterKb = (pid: number): number | undefined => {
  try {
    const status = NodeFs.readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]
    return kb === undefined ? undefined : Number(kb)
  } catch {
    return undefined
  }
}

/** The highest `VmHWM` read every few milliseconds until the process ends. */
const pollHighWater = (pid: number) =>
  Effect.gen(function* () {
    let peak: number | undefined
    for (;;) {
      const kb = highWaterKb(pid)
      if (kb !== undefined) peak = Math.max(peak ?? 0, kb)
      yield* Effect.sleep("5 millis")
      if (kb === undefined && peak !== undefined) return peak
    }
  })

/** Runs `fleetflow args` in `cwd` to the end, measuring its peak memory. */
export const runMeasured = (args: ReadonlyArray<string>, cwd: string, options: { readonly heapCapMb?: number } = {}) =>
  Effect.scoped(
    Effect.gen(function* () {
      const timed = NodeFs.existsSync(time)
      const cap = options.heapCapMb === undefined ? [] : [`--max-old-space-size=${options.heapCapMb}`]
      const node = [process.execPath, ...cap, bundle, ...args]
      const command = timed
        ? Command.make(time, "-f", `${marker}%M`, ...node)
        : Command.make(node[0]!, ...node.slice(1))
      const started = performance.now()
      const child = yield* Command.start(
        command.pipe(
          Command.workingDirectory(cwd),
          Command.env({ NO_COLOR: "1", FLEETFLOW_SANDBOX: "", FLEETFLOW_STAGE: "", FLEET_STAGE: "" })
        )
      )
      const polled = timed ? undefined : yield* Effect.fork(pollHighWater(child.pid))
      const [stdout, stderr, code] = yield* Effect.all([text(child.stdout), text(child.stderr), child.exitCode], {
        concurrency: "unbounded"
      })
      const timedKb = new RegExp(`${marker}(\\d+)`).exec(stderr)?.[1]
      const polledKb =
        polled === undefined
          ? undefined
          : Option.getOrUndefined(yield* Fiber.join(polled).pipe(Effect.timeoutOption("1 second")))
      const peakKb = timedKb !== undefined ? Number(timedKb) : polledKb
      const output = `${stdout}${stderr}`
        .replace(new RegExp(`${marker}\\d+\\n?`), "")
        .replace(/^Command exited.*\n/m, "")
      const result: Measured = {
        code,
        output,
        millis: performance.now() - started,
        peakMb: peakKb === undefined ? undefined : peakKb / 1024
      }
      return result
    })
  ).pipe(Effect.provide(NodeContext.layer))
