/**
 * `fleetflow --completions bash`: @effect/cli's script, with each choice of a choice option offered as a word
 * of its own (it joins them with commas, which bash's `compgen -W` reads as one word). zsh and fish get
 * @effect/cli's own scripts, which list the choices apart.
 */
import type * as Command from "@effect/cli/Command"
import * as CommandDescriptor from "@effect/cli/CommandDescriptor"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

const shells = ["bash", "sh"]

/** Whether the command line asks for the bash script, as @effect/cli reads `--completions` (`sh` is bash). */
export const asksForBash = (args: ReadonlyArray<string>): boolean =>
  args.some(
    (arg, index) =>
      (arg === "--completions" && shells.includes(args[index + 1] ?? "")) ||
      shells.some((shell) => arg === `--completions=${shell}`)
  )

export const bashScript = (script: string): string =>
  script.replace(/compgen -W "([^"$]*)"/g, (_, words: string) => `compgen -W "${words.replaceAll(",", " ")}"`)

export const printBash = <Name extends string, R, E, A>(root: Command.Command<Name, R, E, A>, name: string) =>
  Effect.flatMap(CommandDescriptor.getBashCompletions(root.descriptor, name), (lines) =>
    Console.log(bashScript(lines.join("\n")))
  )
