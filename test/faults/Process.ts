/**
 * Running the CLI to its death: `support/Cli.ts` starts it; these tell a SIGKILL from a normal
 * exit (the platform reports a signal as a failed `exitCode`) and find the processes a run left.
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as path from "node:path"
import { repository, type Started, start, waitFor } from "../support/Cli.js"
import type { TcpProxy } from "../support/TcpProxy.js"

export interface Ended {
  /** The signal that ended it, or undefined when it exited. */
  readonly signal: string | undefined
  readonly code: number | undefined
  readonly stdout: string
  readonly stderr: string
}

const signalOf = (error: unknown): string =>
  /signal: (\w+)/.exec(error instanceof Error ? error.message : String(error))?.[1] ?? String(error)

/** Waits for a started process to end, by exit or by signal. */
export const ended = (started: Started) =>
  Effect.map(Effect.either(started.process.exitCode), (exit): Ended => {
    const { stderr, stdout } = started.output()
    return Either.isRight(exit)
      ? { signal: undefined, code: exit.right, stdout, stderr }
      : { signal: signalOf(exit.left), code: undefined, stdout, stderr }
  })

/** Runs the CLI to its end, whether it exits or is killed (by a `FLEETFLOW_CRASH_AT` point). */
export const runToDeath = (args: ReadonlyArray<string>, cwd: string, env: Record<string, string>) =>
  Effect.scoped(Effect.flatMap(start(args, cwd, env), ended))

/** Runs the CLI and sends it SIGKILL once `ready` holds for its stdout, `after` later. */
export const killWhen = (
  args: ReadonlyArray<string>,
  cwd: string,
  env: Record<string, string>,
  ready: (stdout: string) => boolean,
  after: Duration.DurationInput
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const started = yield* start(args, cwd, env)
      yield* waitFor(() => ready(started.output().stdout), "the run to reach the wait")
      yield* Effect.sleep(after)
      yield* started.process.kill("SIGKILL").pipe(Effect.ignore)
      return yield* ended(started)
    })
  )

/** Runs the CLI and cuts `proxy` (its state's database) once `ready` holds for its stdout; waits for its end. */
export const cutWhen = (
  args: ReadonlyArray<string>,
  cwd: string,
  env: Record<string, string>,
  ready: (stdout: string) => boolean,
  proxy: TcpProxy
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const started = yield* start(args, cwd, env)
      yield* waitFor(() => ready(started.output().stdout), "the run to reach the outage")
      yield* Effect.promise(() => proxy.cut())
      return yield* ended(started)
    })
  )

/**
 * An executable `usacloud` in `dir` that runs the built usacloud simulator with `env` (its store,
 * boot time, latency…) set by the script itself, whatever environment FleetFlow gives its children.
 */
export const writeUsacloud = (dir: string, env: Record<string, string>): string => {
  const usacloud = path.join(dir, "usacloud")
  fs.writeFileSync(
    usacloud,
    [
      "#!/bin/sh",
      ...Object.entries(env).map(([name, value]) => `export ${name}="${value}"`),
      `exec "${process.execPath}" "${path.join(repository, "dist", "usacloud-simulator.mjs")}" "$@"`,
      ""
    ].join("\n"),
    { mode: 0o755 }
  )
  return usacloud
}

/** Live processes whose environment holds `marker` (a `NAME=value` pair). */
export const processesMarked = (marker: string): ReadonlyArray<number> => {
  const found: Array<number> = []
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const environment = fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0")
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8")
      // A zombie has ended; only its parent has still to read its status.
      if (environment.includes(marker) && !/\) Z /.test(stat)) found.push(Number(entry))
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return found
}
