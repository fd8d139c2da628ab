/**
 * usacloud's command line as cobra and pflag read it: the command path (with or without
 * the hidden `iaas` prefix, aliases included), flags before or after positional arguments,
 * `--flag value`, `--flag=value`, `-o json`, `-ojson`, `-y`, repeated and comma-separated
 * list flags, and cobra's own errors for what it cannot read.
 */
import * as Either from "effect/Either"
import {
  type CommandSpec,
  commands,
  defaultVerbs,
  type FlagSpec,
  globalFlags,
  resourceAliases,
  resources
} from "./CommandSpecs.js"

export { isKnownTarget } from "./CommandSpecs.js"

export type FlagValue = string | boolean | ReadonlyArray<string>

export interface Invocation {
  readonly spec: CommandSpec
  /** Canonical `resource verb`. */
  readonly name: string
  readonly args: ReadonlyArray<string>
  readonly flags: ReadonlyMap<string, FlagValue>
}

/** What cobra prints itself: usage, help, or its own errors. */
export interface Early {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

const unknownCommand = (message: string, help: string): Early => ({
  exitCode: 1,
  stdout: "",
  stderr: `Error: ${message}\nRun '${help} --help' for usage.\n`
})

// usacloud's commands silence cobra's usage, so a flag error is one line.
const cobraError = (message: string, _help: string): Early => ({
  exitCode: 1,
  stdout: "",
  stderr: `Error: ${message}\n`
})

const anyValueFlag = (() => {
  const names = new Set<string>()
  for (const spec of [...commands.map((command) => command.flags), globalFlags]) {
    for (const [name, flag] of Object.entries(spec)) {
      if (flag.kind === "bool") continue
      names.add(`--${name}`)
      for (const alias of flag.aliases ?? []) names.add(`--${alias}`)
      if (flag.short !== undefined) names.add(`-${flag.short}`)
    }
  }
  return names
})()

/** The positional words, skipping flags and (as well as can be told before the command is known) their values. */
const positionalWords = (argv: ReadonlyArray<string>): Array<string> => {
  const words: Array<string> = []
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!
    if (token === "--") {
      words.push(...argv.slice(index + 1))
      break
    }
    if (token.startsWith("-") && token.length > 1) {
      if (!token.includes("=") && anyValueFlag.has(token)) index++
      continue
    }
    words.push(token)
  }
  return words
}

const usage = (path: string, subcommands: ReadonlyArray<string>): Early => ({
  exitCode: 0,
  stdout: `Usage:\n  ${path} [command]\n\nAvailable Commands:\n${subcommands.map((name) => `  ${name}`).join("\n")}\n`,
  stderr: ""
})

const lookup = (flags: Readonly<Record<string, FlagSpec>>, name: string): readonly [string, FlagSpec] | undefined => {
  for (const [canonical, spec] of Object.entries(flags)) {
    if (canonical === name || spec.aliases?.includes(name) === true) return [canonical, spec]
  }
  return undefined
}

const lookupShort = (flags: Readonly<Record<string, FlagSpec>>, short: string) =>
  Object.entries(flags).find(([, spec]) => spec.short === short)

const splitList = (value: string): Array<string> =>
  value === "" ? [] : value.split(",").map((part) => part.replace(/^"(.*)"$/, "$1"))

const parseValue = (name: string, spec: FlagSpec, raw: string, previous: FlagValue | undefined) => {
  const invalid = (detail: string) => Either.left(`invalid argument "${raw}" for "--${name}" flag: ${detail}`)
  switch (spec.kind) {
    case "bool":
      if (!["true", "false", "1", "0", "t", "f", "TRUE", "FALSE", "True", "False", "T", "F"].includes(raw)) {
        return invalid(`strconv.ParseBool: parsing "${raw}": invalid syntax`)
      }
      return Either.right<FlagValue>(["true", "1", "t", "TRUE", "True", "T"].includes(raw))
    case "int":
      return /^[+-]?\d+$/.test(raw)
        ? Either.right<FlagValue>(String(Number(raw)))
        : invalid(`strconv.ParseInt: parsing "${raw}": invalid syntax`)
    case "id":
      return /^\d+$/.test(raw) ? Either.right<FlagValue>(raw) : invalid(`parsing "${raw}": invalid syntax`)
    case "strings":
    case "ids": {
      const parts = splitList(raw)
      if (spec.kind === "ids" && parts.some((part) => !/^\d+$/.test(part))) {
        return invalid(`parsing "${raw}": invalid syntax`)
      }
      return Either.right<FlagValue>([...(Array.isArray(previous) ? previous : []), ...parts])
    }
    case "string":
      return Either.right<FlagValue>(raw)
  }
}

/** Which command the positional words name, or the usage or error cobra prints when they name none. */
const resolveCommand = (
  words: ReadonlyArray<string>
): Either.Either<{ readonly spec: CommandSpec; readonly root: string; readonly pathLength: number }, Early> => {
  const path = [...words]
  if (path[0] === "iaas") path.shift()
  const resourceWord = path[0]
  const root = words[0] === "iaas" ? "usacloud iaas" : "usacloud"
  if (resourceWord === undefined) return Either.left(usage(root, resources))
  const resource = resourceAliases[resourceWord] ?? resourceWord
  if (!resources.includes(resource)) {
    return Either.left(unknownCommand(`unknown command "${resourceWord}" for "${root}"`, root))
  }
  const specs = commands.filter((spec) => spec.resource === resource)
  const verbWord = path[1]
  let spec = specs.find((candidate) => candidate.verb === verbWord || candidate.verbAliases.includes(verbWord ?? ""))
  let pathLength = words[0] === "iaas" ? 3 : 2
  if (spec === undefined) {
    const fallback = defaultVerbs[resource]
    if (fallback !== undefined) {
      spec = specs.find((candidate) => candidate.verb === fallback)
      pathLength--
    } else if (verbWord === undefined) {
      return Either.left(
        usage(
          `${root} ${resourceWord}`,
          specs.map((candidate) => candidate.verb)
        )
      )
    } else {
      return Either.left(
        unknownCommand(`unknown command "${verbWord}" for "${root} ${resourceWord}"`, `${root} ${resourceWord}`)
      )
    }
  }
  return Either.right({ spec: spec!, root, pathLength })
}

/** The flags and positional arguments of `argv` as pflag reads them; the first `pathLength` words name the command. */
const readArguments = (
  argv: ReadonlyArray<string>,
  flagSpecs: Readonly<Record<string, FlagSpec>>,
  pathLength: number,
  help: string
): Either.Either<{ readonly flags: Map<string, FlagValue>; readonly positionals: Array<string> }, Early> => {
  const flags = new Map<string, FlagValue>()
  const positionals: Array<string> = []
  let skipped = 0
  const set = (name: string, flag: FlagSpec, raw: string): Early | undefined => {
    const value = parseValue(name, flag, raw, flags.get(name))
    if (Either.isLeft(value)) return cobraError(value.left, help)
    flags.set(name, value.right)
    return undefined
  }
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!
    if (token === "--") {
      positionals.push(...argv.slice(index + 1))
      break
    }
    if (token.startsWith("--")) {
      const equals = token.indexOf("=")
      const name = equals < 0 ? token.slice(2) : token.slice(2, equals)
      const entry = lookup(flagSpecs, name)
      if (entry === undefined) return Either.left(cobraError(`unknown flag: --${name}`, help))
      const [canonical, flag] = entry
      let raw: string
      if (equals >= 0) raw = token.slice(equals + 1)
      else if (flag.kind === "bool") raw = "true"
      else {
        const next = argv[index + 1]
        if (next === undefined) return Either.left(cobraError(`flag needs an argument: --${name}`, help))
        raw = next
        index++
      }
      const failed = set(canonical, flag, raw)
      if (failed !== undefined) return Either.left(failed)
      continue
    }
    if (token.startsWith("-") && token.length > 1) {
      // Shorthands may be combined (-yq) and the last may carry its value (-ojson, -o=json, -o json).
      for (let at = 1; at < token.length; at++) {
        const letter = token[at]!
        const entry = lookupShort(flagSpecs, letter)
        if (entry === undefined) {
          return Either.left(cobraError(`unknown shorthand flag: '${letter}' in ${token}`, help))
        }
        const [canonical, flag] = entry
        if (flag.kind === "bool") {
          const failed = set(canonical, flag, token[at + 1] === "=" ? token.slice(at + 2) : "true")
          if (failed !== undefined) return Either.left(failed)
          if (token[at + 1] === "=") break
          continue
        }
        let raw = token.slice(at + 1).replace(/^=/, "")
        if (raw.length === 0) {
          const next = argv[index + 1]
          if (next === undefined) {
            return Either.left(cobraError(`flag needs an argument: '${letter}' in -${letter}`, help))
          }
          raw = next
          index++
        }
        const failed = set(canonical, flag, raw)
        if (failed !== undefined) return Either.left(failed)
        break
      }
      continue
    }
    if (skipped < pathLength) {
      skipped++
      continue
    }
    positionals.push(token)
  }
  return Either.right({ flags, positionals })
}

const helpOf = (root: string, spec: CommandSpec): Early => ({
  exitCode: 0,
  stdout: `Usage:\n  ${root} ${spec.resource} ${spec.verb} [flags]\n\nFlags:\n${Object.keys(spec.flags)
    .map((name) => `      --${name}`)
    .join("\n")}\n`,
  stderr: ""
})

/** Reads `argv` (without the program name) into a command invocation, or what cobra prints instead. */
export const parse = (argv: ReadonlyArray<string>): Either.Either<Invocation, Early> => {
  const words = positionalWords(argv)
  const resolved = resolveCommand(words)
  if (Either.isLeft(resolved)) return Either.left(resolved.left)
  const { spec, root, pathLength } = resolved.right
  const help = `usacloud ${words.slice(0, pathLength).join(" ")}`
  const read = readArguments(argv, { ...globalFlags, ...spec.flags }, pathLength, help)
  if (Either.isLeft(read)) return Either.left(read.left)
  const { flags, positionals } = read.right
  if (flags.get("help") === true) return Either.left(helpOf(root, spec))
  return Either.right({ spec, name: `${spec.resource} ${spec.verb}`, args: positionals, flags })
}

export const stringFlag = (invocation: Invocation, name: string): string | undefined => {
  const value = invocation.flags.get(name)
  return typeof value === "string" ? value : undefined
}

export const intFlag = (invocation: Invocation, name: string): number | undefined => {
  const value = stringFlag(invocation, name)
  return value === undefined ? undefined : Number(value)
}

export const boolFlag = (invocation: Invocation, name: string): boolean => invocation.flags.get(name) === true

export const listFlag = (invocation: Invocation, name: string): ReadonlyArray<string> | undefined => {
  const value = invocation.flags.get(name)
  return Array.isArray(value) ? (value as ReadonlyArray<string>) : undefined
}

export const hasFlag = (invocation: Invocation, name: string): boolean => invocation.flags.has(name)
