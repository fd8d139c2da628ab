/**
 * `fleetflow --completions bash`: @effect/cli's script, mended where bash reads it otherwise than meant.
 * zsh and fish get @effect/cli's own scripts, which list a choice option's values apart.
 */
import type * as Command from "@effect/cli/Command"
import * as CommandDescriptor from "@effect/cli/CommandDescriptor"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type { CommandShape } from "./CommandLine.js"

const shells = ["bash", "sh"]

/** Whether the command line asks for the bash script, as @effect/cli reads `--completions` (`sh` is bash). */
export const asksForBash = (args: ReadonlyArray<string>): boolean =>
  args.some(
    (arg, index) =>
      (arg === "--completions" && shells.includes(args[index + 1] ?? "")) ||
      shells.some((shell) => arg === `--completions=${shell}`)
  )

const namesIn = (tree: CommandShape): ReadonlyArray<string> => [tree.name, ...tree.children.flatMap(namesIn)]

/**
 * Three repairs: a choice option's values are joined with commas, one word to `compgen -W`; a nested command's
 * pattern (`fleetflow,state,list`) never meets the `cmd` the script builds (`fleetflow__state`); and a name with
 * a dash is matched as written in a variable (`force__unlock`), never as typed.
 */
export const mendBash = (script: string, tree: CommandShape): string => {
  const names = namesIn(tree)
  return script
    .replace(/compgen -W "([^"$]*)"/g, (_, words: string) => `compgen -W "${words.replaceAll(",", " ")}"`)
    .replace(/^(\s+)([\w-]+(?:,[\w-]+)+)\)$/gm, (_, indent: string, pattern: string) => {
      const parts = pattern.split(",")
      const word = parts.at(-1) ?? ""
      const name = names.find((candidate) => candidate.replaceAll("-", "__") === word) ?? word
      return `${indent}${parts.slice(0, -1).join("__")},${name})`
    })
}

export const printBash = <Name extends string, R, E, A>(root: Command.Command<Name, R, E, A>, tree: CommandShape) =>
  Effect.flatMap(CommandDescriptor.getBashCompletions(root.descriptor, tree.name), (lines) =>
    Console.log(mendBash(lines.join("\n"), tree))
  )
