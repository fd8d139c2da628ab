/**
 * The `CommandExecutor` of the CLI: the platform's, whose children each lead their own process
 * group, plus what makes them end with FleetFlow. Each child carries the marker variable, is
 * noted in the registry while it runs, and when its scope closes (it finished, timed out or was
 * interrupted) its group gets SIGTERM, then SIGKILL after the grace, so neither a wrangler that
 * ignores SIGTERM nor an esbuild or workerd it started outlives the run.
 */
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodePath from "node:path"
import * as Proc from "./Proc.js"
import { graceMillis, markerVariable, type Registry } from "./Registry.js"

/** What the child is for, as a record shows it: the program and its subcommand, never later arguments. */
const programOf = (command: Command.Command): string =>
  Command.flatten(command)
    .map((part) => [NodePath.basename(part.command), ...part.args.slice(0, 2)].join(" "))
    .join(" | ")

const isRunning = (process: CommandExecutor.Process) => Effect.orElseSucceed(process.isRunning, () => false)

/** Polls until `done`, or for `millis` at most, so that it also works inside a finalizer, where nothing can be interrupted. */
const within = (millis: number, done: Effect.Effect<boolean>) =>
  Effect.gen(function* () {
    const deadline = Date.now() + millis
    while (!(yield* done)) {
      if (Date.now() >= deadline) return false
      yield* Effect.sleep("20 millis")
    }
    return true
  })

const exited = (process: CommandExecutor.Process) => Effect.map(isRunning(process), (running) => !running)

/** SIGTERM to a group still led by a running child, then SIGKILL to whatever is left of it. */
const end = (process: CommandExecutor.Process) =>
  Effect.gen(function* () {
    if (yield* isRunning(process)) {
      Proc.signalGroup(process.pid, "SIGTERM")
      yield* within(graceMillis, exited(process))
    }
    // The leader may be gone while what it started still runs in its group; SIGKILL takes a moment too.
    if (Proc.signalGroup(process.pid, "SIGKILL")) {
      yield* within(
        graceMillis,
        Effect.sync(() => !Proc.groupRuns(process.pid))
      )
    }
    yield* within(graceMillis, exited(process))
  })

const supervised = (inner: CommandExecutor.CommandExecutor, registry: Registry, command: Command.Command) =>
  Effect.gen(function* () {
    const process = yield* inner.start(Command.env(command, { [markerVariable]: registry.markerValue }))
    // Added after the platform's own finalizer, so it runs first: the platform's then finds the child ended.
    yield* Effect.acquireRelease(
      Effect.sync(() => registry.add(process.pid, programOf(command))),
      () => end(process).pipe(Effect.ensuring(Effect.sync(() => registry.remove(process.pid))))
    )
    return process
  })

/** The executor below it, with every child supervised through `registry`. */
export const layer = (
  registry: Registry
): Layer.Layer<CommandExecutor.CommandExecutor, never, CommandExecutor.CommandExecutor> =>
  Layer.effect(
    CommandExecutor.CommandExecutor,
    Effect.map(CommandExecutor.CommandExecutor, (inner) =>
      CommandExecutor.makeExecutor((command) => supervised(inner, registry, command))
    )
  )
