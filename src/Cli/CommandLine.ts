/**
 * The command line as typed, read against the command tree before @effect/cli parses it: the options
 * every command accepts (`--log-level`, `--version`, `--completions`) moved before the command, where
 * @effect/cli looks for them; `--help` (or `--wizard`) anywhere answered for the command it follows; a
 * bare group (`fleetflow`, `fleetflow state`) answered with its help; and an unknown command or
 * option, or a value its option cannot take, answered with what was meant.
 */
import * as AutoCorrect from "@effect/cli/AutoCorrect"
import * as BuiltInOptions from "@effect/cli/BuiltInOptions"
import * as CliConfig from "@effect/cli/CliConfig"
import type * as Command from "@effect/cli/Command"
import * as CommandDescriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as Usage from "@effect/cli/Usage"
import * as Data from "effect/Data"
import * as Option from "effect/Option"

/** An option as its command's usage names it, with what it takes: none for a flag, else its type or choices. */
interface Flag {
  readonly names: ReadonlyArray<string>
  readonly takes: Option.Option<string>
}

export interface CommandShape {
  readonly name: string
  readonly flags: ReadonlyArray<Flag>
  readonly children: ReadonlyArray<CommandShape>
}

/** The line under every usage error. */
export const usageHint = (command: string) => `  Run \`${command} --help\` for the usage.`

/** A command line that names no command or option of the tree, or gives an option a value it cannot take. */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly reason: string
  /** The command whose help answers it, e.g. `fleetflow plan`. */
  readonly command: string
}> {
  override get message() {
    return `${this.reason}\n${usageHint(this.command)}`
  }
}

export interface Read {
  /** What @effect/cli parses, without the executable. */
  readonly args: ReadonlyArray<string>
  /** A group named without one of its commands: its help is shown, and the command line was still incomplete. */
  readonly incomplete: boolean
  /** The help of `command` is what the command line asks for (or shows, for a group named alone). */
  readonly asksHelp: boolean
  /** The deepest command named, e.g. `fleetflow plan`: its help answers a usage error. */
  readonly command: string
  readonly problem: Option.Option<UsageError>
}

/** @effect/cli's public `getSubcommands` stops one level down; a group's own descriptor holds its children. */
type Descriptor =
  | { readonly _tag: "Subcommands"; readonly parent: Descriptor; readonly children: ReadonlyArray<Descriptor> }
  | { readonly _tag: "Map"; readonly command: Descriptor }
  | { readonly _tag: "Standard" | "GetUserInput" }

const namedIn = (usage: Usage.Usage): ReadonlyArray<Usage.Named> => {
  switch (usage._tag) {
    case "Named":
      return [usage]
    case "Optional":
    case "Repeated":
      return namedIn(usage.usage)
    case "Concat":
    case "Alternation":
      return [...namedIn(usage.left), ...namedIn(usage.right)]
    default:
      return []
  }
}

const flagsIn = (usage: Usage.Usage): ReadonlyArray<Flag> =>
  namedIn(usage)
    .filter((named) => named.names.some((name) => name.startsWith("-")))
    .map((named) => ({ names: named.names, takes: named.acceptedValues }))

const shapeOf = (command: CommandDescriptor.Command<unknown>): CommandShape => {
  let node = command as unknown as Descriptor
  while (node._tag === "Map") node = node.command
  const name = [...CommandDescriptor.getNames(command)][0] ?? ""
  const own = node._tag === "Subcommands" ? (node.parent as unknown as CommandDescriptor.Command<unknown>) : command
  return {
    name,
    flags: flagsIn(CommandDescriptor.getUsage(own)),
    children:
      node._tag === "Subcommands"
        ? node.children.map((child) => shapeOf(child as unknown as CommandDescriptor.Command<unknown>))
        : []
  }
}

export const shape = <Name extends string, R, E, A>(root: Command.Command<Name, R, E, A>): CommandShape =>
  shapeOf(root.descriptor)

const builtIns: ReadonlyArray<Flag> = flagsIn(
  Options.getUsage(BuiltInOptions.builtInOptions(CommandDescriptor.make("builtIns"), Usage.empty, HelpDoc.empty))
)
const helpNames = ["--help", "-h"]
/** Asked of the command they follow, which @effect/cli answers only when they stand alone after it. */
const askingNames = [...helpNames, "--wizard"]
/** Answered for the whole program, wherever they stand: before the command is where @effect/cli reads them. */
const globalNames = ["--log-level", "--version", "--completions"]
/** What a group named alone is run for, rather than shown its help. */
const answers = ["--version", "--completions"]

const flagNamed = (flags: ReadonlyArray<Flag>, name: string) =>
  flags.find((flag) => flag.names.some((known) => known.toLowerCase() === name.toLowerCase()))

/** The closest of the names, if it is close enough to be what was meant. */
export const closest = (typed: string, names: ReadonlyArray<string>): Option.Option<string> => {
  const word = typed.replace(/^-+/, "")
  const limit = Math.min(CliConfig.defaultConfig.autoCorrectLimit, Math.max(1, Math.floor(word.length / 2)))
  const ranked = names
    .map((name) => ({
      name,
      distance: AutoCorrect.levensteinDistance(word, name.replace(/^-+/, ""), CliConfig.defaultConfig)
    }))
    .filter(({ distance }) => distance <= limit)
    .sort((a, b) => a.distance - b.distance)
  return Option.map(Option.fromNullable(ranked[0]), ({ name }) => name)
}

const meant = (typed: string, names: ReadonlyArray<string>) =>
  Option.match(closest(typed, names), {
    onNone: () => "",
    onSome: (name) => ` Did you mean \`${name}\`?`
  })

const integer = /^[+-]?\d+$/

/** Why the value does not fit the option; integers and choices are what the tree's options check. */
const misfit = (flag: Flag, value: string): Option.Option<string> =>
  Option.flatMap(flag.takes, (takes) => {
    const choices = takes.split(" | ")
    if (choices.length > 1 && !choices.includes(value)) {
      return Option.some(`'${value}' is not one of ${choices.join(", ")}`)
    }
    if (takes === "integer" && !integer.test(value)) return Option.some(`'${value}' is not an integer`)
    return Option.none()
  })

export const read = (tree: CommandShape, typed: ReadonlyArray<string>): Read => {
  const path = [tree.name]
  const globals: Array<string> = []
  const rest: Array<string> = []
  const asked = typed.map((arg) => arg.toLowerCase()).find((arg) => askingNames.includes(arg))
  // The help (or the wizard) of the deepest command named so far.
  const helpOf = (incomplete: boolean): Read => ({
    args: [...path.slice(1), asked === "--wizard" ? asked : "--help"],
    incomplete,
    asksHelp: asked !== "--wizard",
    command: path.join(" "),
    problem: Option.none()
  })
  const refuse = (reason: string): Read => {
    if (asked !== undefined) return helpOf(false)
    const problem = new UsageError({ reason, command: path.join(" ") })
    return { args: typed, incomplete: false, asksHelp: false, command: problem.command, problem: Option.some(problem) }
  }
  let node = tree
  for (let index = 0; index < typed.length; index++) {
    const arg = typed[index] ?? ""
    if (arg === "--") {
      rest.push(...typed.slice(index))
      break
    }
    // Read by the colour rule (`terminal.color`); @effect/cli knows no such option.
    if (arg === "--no-color") continue
    if (arg.startsWith("-") && arg.length > 1) {
      const [name = arg, inline] = arg.split(/=(.*)/s)
      const builtIn = flagNamed(builtIns, name)
      const flag = builtIn ?? flagNamed(node.flags, name)
      if (flag === undefined) {
        const names = [...node.flags, ...builtIns].flatMap((known) => known.names)
        return refuse(`Unknown option \`${name}\` for \`${path.join(" ")}\`.${meant(name, names)}`)
      }
      const value = Option.isSome(flag.takes) && inline === undefined ? typed[index + 1] : inline
      const words = Option.isSome(flag.takes) && inline === undefined && value !== undefined ? [arg, value] : [arg]
      index += words.length - 1
      const wrong = value === undefined ? Option.none() : misfit(flag, value)
      if (Option.isSome(wrong)) return refuse(`${flag.names.at(-1)}: ${wrong.value}`)
      const lowered = name.toLowerCase()
      if (builtIn !== undefined && globalNames.includes(lowered)) globals.push(...words)
      else if (!askingNames.includes(lowered)) rest.push(...words)
      continue
    }
    if (node.children.length === 0) {
      rest.push(arg)
      continue
    }
    const child = node.children.find((candidate) => candidate.name === arg)
    if (child === undefined) {
      const names = node.children.map((candidate) => candidate.name)
      const known = meant(arg, names) || ` The commands are ${names.join(", ")}.`
      return refuse(`Unknown command \`${arg}\` for \`${path.join(" ")}\`.${known}`)
    }
    path.push(child.name)
    node = child
  }
  if (asked !== undefined) return helpOf(false)
  if (node.children.length > 0 && !globals.some((arg) => answers.includes(arg.split("=")[0] ?? ""))) {
    return helpOf(true)
  }
  return {
    args: [...globals, ...path.slice(1), ...rest],
    incomplete: false,
    asksHelp: false,
    command: path.join(" "),
    problem: Option.none()
  }
}
