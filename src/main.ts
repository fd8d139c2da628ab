/**
 * The `fleetflow` command line, run: the command tree with Node's services, plain log lines on
 * stderr, and errors mapped to messages and exit codes. `bin.ts` imports it.
 */
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as ChildrenExecutor from "./Children/Executor.js"
import * as Children from "./Children/Registry.js"
import * as Cli from "./Cli.js"
import * as CommandLine from "./Cli/CommandLine.js"
import * as Completions from "./Cli/Completions.js"
import * as Hints from "./Cli/Hints.js"
import { terminal } from "./Cli/Options.js"
import * as Printing from "./Cli/Printing.js"
import * as Signals from "./Cli/Signals.js"
import * as Crash from "./Crash.js"
import * as Report from "./Report.js"

const children = Children.make()
const hintFlags = Hints.flagsOf(process.argv.slice(2))

const tree = CommandLine.shape(Cli.root)
const line = CommandLine.read(tree, process.argv.slice(2))
// Only they run actions: no other command has actions to finish, record or take up again.
const applies = line.command === "fleetflow up" || line.command === "fleetflow down"

const parsed = Effect.gen(function* () {
  if (Option.isSome(line.problem)) return yield* line.problem.value
  // The wizard would wait for answers that cannot come.
  if (line.args.includes("--wizard") && process.stdin.isTTY !== true) {
    return yield* new CommandLine.UsageError({
      reason: "--wizard asks its questions on a terminal, and standard input is not one.",
      command: line.command
    })
  }
  if (Completions.asksForBash(line.args)) return yield* Completions.printBash(Cli.root, tree)
  return yield* Cli.run([...process.argv.slice(0, 2), ...line.args])
}).pipe(
  Printing.tidy({ color: terminal.color(), help: line.asksHelp ? line.command : undefined }),
  // A group named alone shows its help, but the command line asked for nothing to be done.
  Effect.tap(() => {
    if (line.incomplete) process.exitCode = Report.ExitCode.error
  })
)

const program = parsed.pipe(
  // Only the executable turns the kill points on: a library user's process never reads the variable.
  Effect.provide(Crash.layerFromEnv),
  Effect.onInterrupt(() =>
    Console.error(
      applies
        ? "Stopped. The lock is released and the state records every action that completed.\n" +
            "Run `fleetflow plan` to see what is left to do."
        : "Stopped."
    )
  ),
  Effect.catchAllCause((cause) =>
    Effect.gen(function* () {
      const failure = Cause.failureOption(cause)
      if (Option.isNone(failure)) {
        yield* Console.error(Report.describeDefect(cause))
        process.exitCode = Report.ExitCode.error
        return
      }
      const error = failure.value
      if (error._tag === "Exit") {
        process.exitCode = error.code
        return
      }
      // Ours carry their hint; @effect/cli has already printed its own, which get the hint here.
      if (ValidationError.isValidationError(error) || error._tag === "UsageError") {
        yield* Console.error(error._tag === "UsageError" ? error.message : CommandLine.usageHint(line.command))
        process.exitCode = Report.ExitCode.error
        return
      }
      yield* Console.error(Report.describe(error))
      if (process.argv.includes("--json")) yield* Console.log(JSON.stringify({ error: Report.toJson(error) }, null, 2))
      process.exitCode = Report.exitCodeOf(error)
    })
  ),
  Hints.carryFlags(hintFlags, process.argv[2]),
  Effect.provideService(Children.Children, children),
  // NodeContext.layer without its worker manager, which no command uses and which costs start-up time.
  Effect.provide(
    Layer.mergeAll(
      NodePath.layer,
      ChildrenExecutor.layer(children).pipe(Layer.provide(NodeCommandExecutor.layer)),
      terminal.color() ? NodeTerminal.layer : Printing.terminalWithoutColor.pipe(Layer.provide(NodeTerminal.layer))
    ).pipe(Layer.provideMerge(NodeFileSystem.layer))
  ),
  // Log lines are notes for the operator: plain text on stderr, no timestamps or fiber ids.
  Effect.provide(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ message }) => {
        process.stderr.write(
          `${Hints.withFlags((Array.isArray(message) ? message : [message]).join(" "), hintFlags, process.argv[2])}\n`
        )
      })
    )
  )
)

Signals.runMain(children, { actions: applies })(program, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? ((process.exitCode as number | undefined) ?? 0) : 130)
})
