/**
 * One wrangler run: a process with a clean environment, a private HOME and cache removed
 * afterwards, and wrangler's ND-JSON output file, which is read instead of its human output.
 * Exit code, stdout and stderr are read together; a non-zero exit becomes a `WranglerError`.
 */
import * as Command from "@effect/platform/Command"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as NodePath from "node:path"
import * as ParseIssues from "../../ParseIssues.js"
import type { Prepared } from "./Credentials.js"
import * as Errors from "./Errors.js"
import * as Output from "./Output.js"
import { environment } from "./RunEnvironment.js"

export type Result<A> = Effect.Effect<A, Errors.WranglerError>

export interface RunOptions {
  /** Where wrangler runs (it reads `wrangler.*` and `.env` there). Default: the run's private folder. */
  readonly cwd?: string | undefined
  /** Overrides the settings' timeout for this run. */
  readonly timeout?: Duration.DurationInput | undefined
}

/** A run that exited 0. */
export interface RunResult {
  readonly exitCode: number
  readonly stdout: string
  /** ANSI escape codes stripped. */
  readonly stderr: string
  /** The records wrangler wrote to its output file, in order. */
  readonly records: ReadonlyArray<Output.OutputRecord>
}

/** Runs wrangler with `args`; a non-zero exit is a `WranglerError`. */
export type Run = (args: ReadonlyArray<string>, options?: RunOptions) => Result<RunResult>

/** What every run of one client shares. */
export interface Runner {
  readonly fs: FileSystem.FileSystem
  /** Credentials and the binary for `command`, or why it cannot start. */
  readonly prepare: (command: string) => Result<Prepared>
  /** Where wrangler writes its debug logs. Default: inside the run's private folder. */
  readonly logDirectory?: string | undefined
  /** The parent's variables wrangler and its builds get besides its own (`build-env`). */
  readonly buildEnv: ReadonlyArray<string>
  /** Each run's limit, unless its options give one. */
  readonly timeout: Duration.DurationInput
}

interface Finished {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

const text = (stream: Stream.Stream<Uint8Array, PlatformError.PlatformError>) =>
  stream.pipe(Stream.decodeText(), Stream.mkString)

const unavailableReasons: ReadonlyArray<string> = ["NotFound", "PermissionDenied"]

const platformFailure =
  (command: string, binary: string, cwd: string) =>
  (error: PlatformError.PlatformError): Result<Finished> => {
    if (error._tag === "SystemError" && error.method === "spawn" && unavailableReasons.includes(error.reason)) {
      const detail = error.reason === "NotFound" ? "no such file or command" : "permission denied"
      return Effect.fail(Errors.missingBinary(command, `${binary}: ${detail}`))
    }
    if (error._tag === "SystemError" && error.method === "access") {
      return Effect.fail(
        Errors.make(command, "invalid", `${command}: the working directory ${cwd} cannot be used (${error.reason})`)
      )
    }
    return Effect.fail(Errors.make(command, "failed", `${command}: wrangler stopped abnormally: ${error.message}`))
  }

const readRecords = (fs: FileSystem.FileSystem, outputFile: string, scrub: (text: string) => string) =>
  Effect.gen(function* () {
    const content = yield* fs.readFileString(outputFile).pipe(Effect.orElseSucceed(() => ""))
    const records: Array<Output.OutputRecord> = []
    const problems: Array<string> = []
    for (const line of content.split("\n")) {
      if (line.trim() === "") continue
      const decoded = Schema.decodeUnknownEither(Output.OutputLine)(line)
      if (Either.isRight(decoded)) records.push(decoded.right)
      else problems.push(scrub(ParseIssues.describe(decoded.left)))
    }
    return { records, problems }
  })

/** The process: exit code, stdout and stderr read together, bounded by `timeout`. */
const spawn = (
  wranglerCommand: Command.Command,
  args: ReadonlyArray<string>,
  binary: string,
  cwd: string,
  timeout: Duration.Duration
): Effect.Effect<Finished, Errors.WranglerError, CommandExecutor.CommandExecutor> =>
  Effect.scoped(
    Effect.gen(function* () {
      const child = yield* Command.start(wranglerCommand)
      const [exitCode, stdout, stderr] = yield* Effect.all([child.exitCode, text(child.stdout), text(child.stderr)], {
        concurrency: "unbounded"
      })
      return { exitCode, stdout, stderr } satisfies Finished
    })
  ).pipe(
    Effect.catchAll(platformFailure(Errors.commandOf(args), binary, cwd)),
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => Errors.fromTimeout(args, Duration.toMillis(timeout))
    })
  )

/** How many of wrangler's log files a kept log folder holds: a file per run, and wrangler removes none. */
export const keptLogFiles = 100

/** wrangler names each run's log `wrangler-<UTC time>.log`, so names sort as the runs started. */
const isRunLog = (name: string) => name.startsWith("wrangler-") && name.endsWith(".log")

/** Removes all but the newest `keptLogFiles` run logs of `directory`, and nothing else it holds. */
const pruneLogs = (fs: FileSystem.FileSystem, directory: string) =>
  fs.readDirectory(directory).pipe(
    Effect.flatMap((names) => {
      const logs = names.filter(isRunLog).sort()
      return Effect.forEach(
        logs.slice(0, Math.max(0, logs.length - keptLogFiles)),
        (name) => fs.remove(NodePath.join(directory, name)).pipe(Effect.ignore),
        { discard: true }
      )
    }),
    Effect.ignore
  )

/** The run in its own temporary HOME, removed afterwards: the process, then its output records, then the verdict. */
const runInHome = (
  runner: Runner,
  prepared: Prepared,
  args: ReadonlyArray<string>,
  options: RunOptions,
  timeout: Duration.Duration,
  scrub: (value: string) => string
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const fs = runner.fs
      const command = Errors.commandOf(args)
      const home = yield* fs.makeTempDirectoryScoped({ prefix: "fleetflow-wrangler-" })
      const logDirectory =
        runner.logDirectory === undefined ? NodePath.join(home, "logs") : NodePath.resolve(runner.logDirectory)
      yield* fs.makeDirectory(logDirectory, { recursive: true }).pipe(Effect.ignore)
      const outputFile = NodePath.join(home, "output.ndjson")
      const cwd = options.cwd === undefined ? home : NodePath.resolve(options.cwd)
      const env = environment(process.env, {
        token: prepared.token,
        accountId: prepared.accountId,
        baseUrl: prepared.baseUrl,
        home,
        logDirectory,
        outputFile,
        buildEnv: runner.buildEnv
      })
      const wranglerCommand = Command.make(prepared.binary, ...args).pipe(
        Command.env(env, { extendEnv: false }),
        Command.workingDirectory(cwd),
        // stdin at end of file: a prompt wrangler did not expect fails instead of waiting.
        Command.stdin(Stream.empty)
      )
      const finished = yield* spawn(wranglerCommand, args, prepared.binary, cwd, timeout)
      const stdout = scrub(finished.stdout)
      const stderr = scrub(Errors.stripAnsi(finished.stderr))
      const { records, problems } = yield* readRecords(fs, outputFile, scrub)
      if (finished.exitCode !== 0) {
        return yield* Errors.classify({
          args,
          exitCode: finished.exitCode,
          stderr,
          failed: records.filter(Output.isCommandFailed).at(-1)
        })
      }
      if (problems.length > 0) {
        return yield* Errors.make(
          command,
          "failed",
          `${Errors.shown(args)}: wrangler wrote output FleetFlow cannot read: ${problems.join("; ")}`
        )
      }
      return { exitCode: finished.exitCode, stdout, stderr, records } satisfies RunResult
    })
  ).pipe(Effect.ensuring(runner.logDirectory === undefined ? Effect.void : pruneLogs(runner.fs, runner.logDirectory)))

export const run = (
  runner: Runner,
  args: ReadonlyArray<string>,
  options: RunOptions = {}
): Effect.Effect<RunResult, Errors.WranglerError, CommandExecutor.CommandExecutor> => {
  const command = Errors.commandOf(args)
  const timeout = Duration.decode(options.timeout ?? runner.timeout)
  return Effect.gen(function* () {
    const prepared = yield* runner.prepare(command)
    const secret = Redacted.value(prepared.token)
    // wrangler has no reason to print the token; this makes sure nothing we return holds it.
    const scrub = (value: string) => (secret === "" ? value : value.split(secret).join("<redacted>"))
    return yield* runInHome(runner, prepared, args, options, timeout, scrub).pipe(
      Effect.catchTag("SystemError", "BadArgument", (error) =>
        Effect.fail(
          Errors.make(command, "failed", `${command}: a temporary folder for wrangler failed: ${error.message}`)
        )
      )
    )
  }).pipe(
    Effect.tap(() => Effect.logDebug(`${command} succeeded`)),
    Effect.annotateLogs("args", Errors.shown(args)),
    Effect.withSpan("Wrangler.run", { attributes: { command } })
  )
}
