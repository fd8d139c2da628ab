/**
 * The `UsacloudTransport` that runs a real usacloud binary: `FLEETFLOW_USACLOUD`, else
 * `usacloud` on PATH. Exit code, stdout and stderr are read together; a run past its timeout
 * is interrupted, which closes the process scope and kills the process group.
 */
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as PlatformError from "@effect/platform/Error"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as ChildEnvironment from "../Children/Environment.js"
import * as Executable from "../Executable.js"
import {
  type Output,
  type TransportService,
  UsacloudTimeout,
  UsacloudTransport,
  UsacloudUnavailable
} from "./Transport.js"

/** When a caller gives no timeout: long enough for usacloud's own waits. */
export const defaultTimeout = Duration.minutes(10)

/** The binary to run: `FLEETFLOW_USACLOUD` when set, else `usacloud` on PATH. */
export const binary: Effect.Effect<string> = Config.string("FLEETFLOW_USACLOUD").pipe(
  Config.withDefault(""),
  Effect.map((value) => (value.trim() === "" ? "usacloud" : value)),
  Effect.orElseSucceed(() => "usacloud")
)

/**
 * Fails with `UsacloudUnavailable` when `binary` names no executable file (a path, or a command
 * searched on PATH), without running it: callers check before the first call that needs it.
 */
export const checkAvailable = (binary: string): Effect.Effect<void, UsacloudUnavailable> =>
  Effect.suspend(() => {
    const lookup = Executable.firstExecutable(Executable.candidates(binary))
    return lookup._tag === "Found"
      ? Effect.void
      : Effect.fail(new UsacloudUnavailable({ binary, detail: lookup.detail }))
  })

const text = (stream: Stream.Stream<Uint8Array, PlatformError.PlatformError>) =>
  stream.pipe(Stream.decodeText(), Stream.mkString)

const unavailableReasons: ReadonlyArray<string> = ["NotFound", "PermissionDenied"]

/** The transport over `binary`. */
export const make = (binary: string): Effect.Effect<TransportService, never, CommandExecutor.CommandExecutor> =>
  Effect.gen(function* () {
    const executor = yield* CommandExecutor.CommandExecutor

    const spawnFailure = (error: PlatformError.PlatformError): Effect.Effect<Output, UsacloudUnavailable> => {
      if (error._tag === "SystemError" && error.method === "spawn" && unavailableReasons.includes(error.reason)) {
        const detail = error.reason === "NotFound" ? "no such file or command" : "permission denied"
        return Effect.fail(new UsacloudUnavailable({ binary, detail }))
      }
      // The process started but could not be read to the end, or a signal stopped it.
      return Effect.succeed({ exitCode: 1, stdout: "", stderr: `usacloud stopped abnormally: ${error.message}` })
    }

    const run: TransportService["run"] = (args, options = {}) => {
      const timeout = Duration.decode(options.timeout ?? defaultTimeout)
      // What usacloud needs of the parent's (its settings, HOME for its profiles), never the state database's.
      const env = { ...ChildEnvironment.pick(process.env, ChildEnvironment.usacloud), ...options.env }
      const command = Command.make(binary, ...args).pipe(Command.env(env, { extendEnv: false }))
      return Effect.scoped(
        Effect.gen(function* () {
          const process = yield* Command.start(command)
          const [exitCode, stdout, stderr] = yield* Effect.all(
            [process.exitCode, text(process.stdout), text(process.stderr)],
            { concurrency: "unbounded" }
          )
          return { exitCode, stdout, stderr } satisfies Output
        })
      ).pipe(
        Effect.catchAll(spawnFailure),
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => new UsacloudTimeout({ args: [...args], timeoutMillis: Duration.toMillis(timeout) })
        }),
        Effect.provideService(CommandExecutor.CommandExecutor, executor)
      )
    }

    return { run }
  })

/** Runs the usacloud binary named by `FLEETFLOW_USACLOUD`, else `usacloud` on PATH. */
export const layer: Layer.Layer<UsacloudTransport, never, CommandExecutor.CommandExecutor> = Layer.effect(
  UsacloudTransport,
  Effect.flatMap(binary, (path) => make(path))
)
