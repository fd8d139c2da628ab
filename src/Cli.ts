/**
 * The `fleetflow` command tree: the commands on a stage (`Cli/Commands.ts`) and on the state
 * (`Cli/StateCommands.ts`), over the workspace a command opens (`Cli/Workspace.ts`).
 */
import * as Command from "@effect/cli/Command"
import { down, forceUnlock, importCommand, plan, scale, up, validate } from "./Cli/Commands.js"
import { state } from "./Cli/StateCommands.js"
import { graph, output } from "./Cli/ViewCommands.js"
import { version } from "./Version.js"

export { ConfirmationRequired, Exit, InvalidOption, UnknownKey } from "./Cli/Errors.js"

export const root = Command.make("fleetflow").pipe(
  Command.withDescription("Declarative infrastructure for Sakura Cloud and Cloudflare, from a KDL file"),
  Command.withSubcommands([validate, plan, up, down, output, graph, scale, importCommand, state, forceUnlock])
)

export const run = Command.run(root, { name: "fleetflow", version })
