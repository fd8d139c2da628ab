/**
 * The help @effect/cli prints for `--help`, made to read as one command's: its usage line names the
 * whole command (`$ fleetflow state show …`, where it gave the last word alone); its list of commands
 * gives each name and summary on a line (it gave each command's whole usage, lines of 270 columns);
 * and the sentence each argument and option got from its type ("A user-defined piece of text.") is
 * left out, the description under it saying what the value is. The text may carry colour codes.
 */

import * as Ansi from "../Ansi.js"

const escapes = `((?:${Ansi.stylePattern})*)`

const typeSentences = new RegExp(
  `^${escapes} {2}(?:A user-defined piece of text(?: that is confidential)?|A true or false value|An integer)\\.\\n\\n`,
  "gmu"
)

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** `- plan [(-f, --file text)] … <KEY>   show what …`: the name words before the first option or argument. */
const commandEntry = /^\s*- ((?:[a-z][a-z0-9-]*)(?: [a-z][a-z0-9-]*)*)(?: [[(<-][^\n]*?)?(?: {2,}(\S[^\n]*?))?\s*$/u

const compactCommands = (text: string, command: string): string => {
  const lines = text.split("\n")
  const start = lines.findIndex((line) => Ansi.stripStyles(line) === "COMMANDS")
  if (start < 0) return text
  let end = start + 1
  const entries: Array<{ readonly name: string; readonly summary: string }> = []
  for (; end < lines.length; end++) {
    const line = Ansi.stripStyles(lines[end]!)
    if (line.trim() === "") continue
    const entry = commandEntry.exec(line)
    if (entry === null) break
    entries.push({ name: entry[1]!, summary: entry[2] ?? "" })
  }
  if (entries.length === 0) return text
  const width = Math.max(...entries.map((entry) => entry.name.length)) + 2
  // The colour codes of the lines replaced (the header's reset) go before the list.
  const codes = Ansi.stylesIn(lines.slice(start + 1, end).join(""))
  const listed = entries.map(({ name, summary }, index) =>
    `${index === 0 ? codes : ""}  ${name.padEnd(width)}${summary}`.trimEnd()
  )
  return [
    ...lines.slice(0, start + 1),
    "",
    ...listed,
    "",
    `Run \`${command} <command> --help\` for a command's arguments and options.`,
    "",
    ...lines.slice(end)
  ].join("\n")
}

/** The help of `command` (`fleetflow state show`) as @effect/cli printed it, tidied. */
export const tidyHelp = (text: string, command: string): string => {
  const words = command.split(" ")
  const own = words[words.length - 1]!
  const usage = new RegExp(`^${escapes}\\$ ${escapeRegExp(own)}(?= |$)`, "mu")
  return compactCommands(text.replace(typeSentences, "$1").replace(usage, `$1$ ${command}`), command)
}
