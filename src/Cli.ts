/**
 * The `fleetflow` command tree: the commands on a stage (`Cli/Commands.ts`) and on the state
 * (`Cli/StateCommands.ts`), over the workspace a command opens (`Cli/Workspace.ts`).
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import type * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { down, forceUnlock, importCommand, plan, scale, up, validate } from "./Cli/Commands.js"
import { state } from "./Cli/StateCommands.js"
import { graph, output } from "./Cli/ViewCommands.js"
import { version } from "./Version.js"

export { ConfirmationRequired, Exit, InvalidOption, UnknownKey } from "./Cli/Errors.js"

export const root = Command.make("fleetflow").pipe(
  Command.withDescription("Declarative infrastructure for Sakura Cloud and Cloudflare, from a KDL file"),
  Command.withSubcommands([validate, plan, up, down, output, graph, scale, importCommand, state, forceUnlock])
)

// The options @effect/cli adds to every command are read before or after the command (`Cli/CommandLine.ts`).
const footer = HelpDoc.sequence(
  HelpDoc.h1("GLOBAL OPTIONS"),
  HelpDoc.p(
    "--log-level, --version, --completions and --help may come before or after the command. " +
      "Colour is off when the output is not a terminal, with NO_COLOR set to any value, or with --no-color."
  )
)

const runTree = Command.run(root, { name: "fleetflow", version, footer })

// @effect/cli prints the version as a help paragraph, which ends in a blank line: `--version` prints one line, as
// `bin.ts`'s shortcut does.
const versionOnOneLine = (console: Console.Console): Console.Console => ({
  ...console,
  log: (...args) => (args.length === 1 && args[0] === `${version}\n` ? console.log(version) : console.log(...args))
})

export const run = (args: ReadonlyArray<string>) =>
  Effect.flatMap(Effect.console, (console) => Effect.withConsole(runTree(args), versionOnOneLine(console)))
