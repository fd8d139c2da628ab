/**
 * Runs the built `fleetflow` CLI as a user would: a separate process, no terminal,
 * exit code, stdout and stderr read together.
 */
import * as Command from "@effect/platform/Command"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** Whether this runs in CI, which must run every suite rather than skip one whose tool is missing. */
export const inCi = (): boolean => process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false"

export const repository = path.resolve(import.meta.dirname, "../..")
export const bundle = path.join(repository, "dist/fleetflow.mjs")
export const sharedSamples = path.resolve(repository, "../shared/upstream-samples")

export interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const text = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Stream.runCollect(Stream.decodeText(stream)).pipe(Effect.map((chunks) => Chunk.join(chunks, "")))

const command = (args: ReadonlyArray<string>, cwd: string, env: Record<string, string>) =>
  Command.make(process.execPath, bundle, ...args).pipe(
    Command.workingDirectory(cwd),
    Command.env({ NO_COLOR: "1", FLEETFLOW_SANDBOX: "", FLEETFLOW_STAGE: "", FLEET_STAGE: "", ...env })
  )

const toEnd = (started: Command.Command) =>
  Effect.scoped(
    Effect.gen(function* () {
      const process = yield* Command.start(started)
      const [stdout, stderr, code] = yield* Effect.all([text(process.stdout), text(process.stderr), process.exitCode], {
        concurrency: "unbounded"
      })
      return { code, stdout, stderr } satisfies Result
    })
  ).pipe(Effect.provide(NodeContext.layer))

/** Runs to the end. */
export const run = (args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}) =>
  toEnd(command(args, cwd, env))

/** Runs any program to the end, in this process's environment with `env` over it. */
export const runProgram = (
  program: string,
  args: ReadonlyArray<string>,
  cwd: string,
  env: Record<string, string> = {}
) => toEnd(Command.make(program, ...args).pipe(Command.workingDirectory(cwd), Command.env(env)))

/** Starts in the background; the caller signals it and waits. */
export const start = (args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const process = yield* Command.start(command(args, cwd, env))
    let stdout = ""
    let stderr = ""
    yield* Effect.forkScoped(
      Stream.runForEach(Stream.decodeText(process.stdout), (chunk) =>
        Effect.sync(() => {
          stdout += chunk
        })
      )
    )
    yield* Effect.forkScoped(
      Stream.runForEach(Stream.decodeText(process.stderr), (chunk) =>
        Effect.sync(() => {
          stderr += chunk
        })
      )
    )
    return {
      process,
      output: () => ({ stdout, stderr })
    }
  }).pipe(Effect.provide(NodeContext.layer))

export type Started = Effect.Effect.Success<ReturnType<typeof start>>
export type Executor = CommandExecutor.CommandExecutor

/** A fresh copy of examples/ (or of any folder) to work in. */
export const workspace = (from = path.join(repository, "examples")) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-e2e-"))
  fs.cpSync(from, dir, { recursive: true, filter: (source) => !source.includes(`${path.sep}.fleetflow`) })
  return dir
}

/** True when the output carries a JavaScript stack trace. */
export const hasStackTrace = (output: string) =>
  /\n\s+at .+\(.+:\d+:\d+\)/.test(output) || output.includes("node:internal")

export const waitFor = (condition: () => boolean, what: string, timeoutMs = 30_000) =>
  Effect.gen(function* () {
    const started = Date.now()
    while (!condition()) {
      if (Date.now() - started > timeoutMs) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep("50 millis")
    }
  })
