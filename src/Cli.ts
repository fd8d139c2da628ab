/**
 * The `fleetflow` command tree: the commands on a stage (`Cli/Commands.ts`) and on the state
 * (`Cli/StateCommands.ts`), over the workspace a command opens (`Cli/Workspace.ts`).
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import { down, forceUnlock, importCommand, plan, scale, up, validate } from "./Cli/Commands.js"
import { state } from "./Cli/StateCommands.js"
import { version } from "./Version.js"

export { ConfirmationRequired, Exit, InvalidOption, UnknownKey } from "./Cli/Errors.js"

export const root = Command.make("fleetflow").pipe(
  Command.withDescription("Declarative infrastructure for Sakura Cloud and Cloudflare, from a KDL file"),
  Command.withSubcommands([validate, plan, up, down, scale, importCommand, state, forceUnlock])
)

// The options @effect/cli adds to every command are read before or after the command (`Cli/CommandLine.ts`).
const footer = HelpDoc.sequence(
  HelpDoc.h1("GLOBAL OPTIONS"),
  HelpDoc.p(
    "--log-level, --version, --completions and --help may come before or after the command. " +
      "Colour is off when the output is not a terminal, with NO_COLOR set to any value, or with --no-color."
  )
)

export const run = Command.run(root, { name: "fleetflow", version, footer })
