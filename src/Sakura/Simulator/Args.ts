/**
 * usacloud's command line as cobra and pflag read it: the command path (with or without
 * the hidden `iaas` prefix, aliases included), flags before or after positional arguments,
 * `--flag value`, `--flag=value`, `-o json`, `-ojson`, `-y`, repeated and comma-separated
 * list flags, and cobra's own errors for what it cannot read.
 */
import * as Either from "effect/Either"

export type FlagKind = "string" | "int" | "bool" | "strings" | "id" | "ids"

export interface FlagSpec {
  readonly kind: FlagKind
  readonly short?: string
  readonly aliases?: ReadonlyArray<string>
}

export type Selector = "none" | "single" | "multi"

export interface CommandSpec {
  readonly resource: string
  readonly verb: string
  readonly verbAliases: ReadonlyArray<string>
  readonly zoned: boolean
  readonly selector: Selector
  readonly flags: Readonly<Record<string, FlagSpec>>
}

const s = (extra: Partial<FlagSpec> = {}): FlagSpec => ({ kind: "string", ...extra })
const i: FlagSpec = { kind: "int" }
const b = (extra: Partial<FlagSpec> = {}): FlagSpec => ({ kind: "bool", ...extra })
const list: FlagSpec = { kind: "strings" }
const id: FlagSpec = { kind: "id" }
const ids: FlagSpec = { kind: "ids" }

export const globalFlags: Readonly<Record<string, FlagSpec>> = {
  profile: s(),
  token: s(),
  secret: s(),
  zones: list,
  "no-color": b(),
  trace: b(),
  fake: b(),
  "fake-store": s(),
  "process-timeout-sec": i,
  "argument-match-mode": s(),
  help: b({ short: "h" }),
  version: b({ short: "v" })
}

const zone = { zone: s() }
const common = { parameters: s(), "generate-skeleton": b({ aliases: ["skeleton"] }), example: b() }
const confirm = { assumeyes: b({ short: "y" }) }
const output = {
  "output-type": s({ short: "o", aliases: ["out"] }),
  quiet: b({ short: "q" }),
  format: s({ aliases: ["fmt"] }),
  query: s(),
  "query-driver": s()
}
const paging = { count: i, from: i }
const labels = { name: s(), description: s({ aliases: ["desc"] }), tags: list, "icon-id": id }

const editFlags = (prefix: string) => ({
  [`${prefix}host-name`]: s(),
  [`${prefix}password`]: s(),
  [`${prefix}ip-address`]: s(),
  [`${prefix}netmask`]: i,
  [`${prefix}gateway`]: s(),
  [`${prefix}disable-pw-auth`]: b(),
  [`${prefix}enable-dhcp`]: b(),
  [`${prefix}change-partition-uuid`]: b(),
  [`${prefix}ssh-key-ids`]: ids,
  [`${prefix}ssh-keys`]: list,
  [`${prefix}make-ssh-keys-ephemeral`]: b(),
  [`${prefix}note-ids`]: ids,
  [`${prefix}notes`]: s(),
  [`${prefix}make-notes-ephemeral`]: b()
})

const plan = {
  cpu: { kind: "int", aliases: ["core"] } satisfies FlagSpec,
  memory: i,
  gpu: i,
  "gpu-model": s(),
  "cpu-model": s(),
  commitment: s(),
  generation: s(),
  "interface-driver": s()
}

const command = (
  resource: string,
  verb: string,
  options: {
    readonly aliases?: ReadonlyArray<string>
    readonly zoned: boolean
    readonly selector: Selector
    readonly flags: Readonly<Record<string, FlagSpec>>
  }
): CommandSpec => ({
  resource,
  verb,
  verbAliases: options.aliases ?? [],
  zoned: options.zoned,
  selector: options.selector,
  flags: { ...(options.zoned ? zone : {}), ...common, ...options.flags }
})

const listAliases = ["ls", "find", "select"]

export const commands: ReadonlyArray<CommandSpec> = [
  command("server", "list", {
    aliases: listAliases,
    zoned: true,
    selector: "none",
    flags: { ...paging, ...output, names: list, tags: list }
  }),
  command("server", "read", { aliases: ["show"], zoned: true, selector: "single", flags: output }),
  command("server", "create", {
    aliases: ["build"],
    zoned: true,
    selector: "none",
    flags: {
      ...confirm,
      ...output,
      ...labels,
      ...plan,
      "boot-after-create": b(),
      "cdrom-id": { kind: "id", aliases: ["iso-image-id"] },
      "private-host-id": id,
      "network-interface-upstream": s(),
      "network-interface-packet-filter-id": id,
      "network-interface-user-ip-address": s(),
      "network-interfaces": s(),
      "disk-id": id,
      "disk-name": s(),
      "disk-description": s(),
      "disk-tags": list,
      "disk-icon-id": id,
      "disk-disk-plan": s(),
      "disk-connection": s(),
      "disk-encryption-algorithm": s(),
      "disk-kms-key-id": id,
      "disk-source-disk-id": id,
      "disk-source-archive-id": id,
      "disk-size": { kind: "int", aliases: ["disk-size-gb"] },
      "disk-distant-from": ids,
      "disk-os-type": s(),
      ...editFlags("disk-edit-"),
      "disk-no-wait": b(),
      "disk-ids": ids,
      disks: s(),
      "no-wait": b()
    }
  }),
  command("server", "update", {
    zoned: true,
    selector: "multi",
    flags: {
      ...confirm,
      ...output,
      ...labels,
      ...plan,
      "cdrom-id": { kind: "id", aliases: ["iso-image-id"] },
      "private-host-id": id,
      "network-interfaces": s(),
      disks: s(),
      "no-wait": b(),
      "force-shutdown": b()
    }
  }),
  command("server", "delete", {
    aliases: ["rm"],
    zoned: true,
    selector: "multi",
    flags: { ...confirm, "fail-if-not-found": b(), force: b({ short: "f" }), "with-disks": b() }
  }),
  command("server", "boot", {
    aliases: ["power-on"],
    zoned: true,
    selector: "multi",
    flags: { ...confirm, "user-data": s(), "no-wait": b() }
  }),
  command("server", "shutdown", {
    aliases: ["power-off"],
    zoned: true,
    selector: "multi",
    flags: { ...confirm, "no-wait": b(), "force-shutdown": b({ short: "f", aliases: ["force"] }) }
  }),
  command("server", "wait-until-ready", { aliases: ["wait-for-boot"], zoned: true, selector: "multi", flags: {} }),
  command("server", "wait-until-shutdown", {
    aliases: ["wait-for-down"],
    zoned: true,
    selector: "multi",
    flags: {}
  }),
  command("disk", "list", {
    aliases: listAliases,
    zoned: true,
    selector: "none",
    flags: { ...paging, ...output, names: list, tags: list }
  }),
  command("disk", "read", { aliases: ["show"], zoned: true, selector: "single", flags: output }),
  command("disk", "create", {
    zoned: true,
    selector: "none",
    flags: {
      ...confirm,
      ...output,
      ...labels,
      "disk-plan": s(),
      size: { kind: "int", aliases: ["size-gb"] },
      connector: { kind: "string", aliases: ["connection"] },
      "encryption-algorithm": s(),
      "kms-key-id": id,
      "os-type": s(),
      "source-disk-id": id,
      "source-archive-id": id,
      "server-id": id,
      "distant-from": ids,
      ...editFlags("edit-disk-"),
      "no-wait": b()
    }
  }),
  command("disk", "update", {
    zoned: true,
    selector: "multi",
    flags: {
      ...confirm,
      ...output,
      ...labels,
      connector: { kind: "string", aliases: ["connection"] },
      ...editFlags("edit-disk-"),
      "no-wait": b()
    }
  }),
  command("disk", "delete", {
    aliases: ["rm"],
    zoned: true,
    selector: "multi",
    flags: {
      ...confirm,
      ...output,
      "fail-if-not-found": b(),
      "wait-for-release": b(),
      "wait-for-release-timeout": i,
      "wait-for-release-tick": i
    }
  }),
  command("ssh-key", "list", {
    aliases: listAliases,
    zoned: false,
    selector: "none",
    flags: { ...paging, ...output, names: list }
  }),
  command("ssh-key", "read", { aliases: ["show"], zoned: false, selector: "single", flags: output }),
  command("ssh-key", "create", {
    zoned: false,
    selector: "none",
    flags: { ...confirm, ...output, name: s(), description: s({ aliases: ["desc"] }), "public-key": s() }
  }),
  command("ssh-key", "update", {
    zoned: false,
    selector: "multi",
    flags: { ...confirm, ...output, name: s(), description: s({ aliases: ["desc"] }) }
  }),
  command("ssh-key", "delete", {
    aliases: ["rm"],
    zoned: false,
    selector: "multi",
    flags: { ...confirm, ...output, "fail-if-not-found": b() }
  }),
  command("note", "list", {
    aliases: listAliases,
    zoned: false,
    selector: "none",
    flags: { ...paging, ...output, names: list, tags: list, scope: s() }
  }),
  command("note", "read", { aliases: ["show"], zoned: false, selector: "single", flags: output }),
  command("note", "create", {
    zoned: false,
    selector: "none",
    flags: { ...confirm, ...output, name: s(), tags: list, "icon-id": id, class: s(), content: s() }
  }),
  command("note", "update", {
    zoned: false,
    selector: "multi",
    flags: { ...confirm, ...output, name: s(), tags: list, "icon-id": id, class: s(), content: s() }
  }),
  command("note", "delete", {
    aliases: ["rm"],
    zoned: false,
    selector: "multi",
    flags: { ...confirm, ...output, "fail-if-not-found": b() }
  }),
  command("archive", "list", {
    aliases: listAliases,
    zoned: true,
    selector: "none",
    flags: { ...paging, ...output, names: list, tags: list, scope: s(), "os-type": s() }
  }),
  command("archive", "read", { aliases: ["show"], zoned: true, selector: "single", flags: output }),
  command("auth-status", "read", { aliases: ["show"], zoned: false, selector: "none", flags: output })
]

const resourceAliases: Readonly<Record<string, string>> = { sshkey: "ssh-key", "startup-script": "note" }
/** Resources a bare `usacloud <resource>` runs a default command of. */
const defaultVerbs: Readonly<Record<string, string>> = { "auth-status": "read" }

export const resources: ReadonlyArray<string> = [...new Set(commands.map((spec) => spec.resource))]

/** `server create`, `server *`, `server` or `*`: whether a fault target names commands. */
export const isKnownTarget = (target: string): boolean => {
  if (target === "*") return true
  const [resource, verb, ...rest] = target.split(" ")
  if (rest.length > 0 || resource === undefined || !resources.includes(resource)) return false
  return verb === undefined || verb === "*" || commands.some((spec) => spec.resource === resource && spec.verb === verb)
}

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

/** Reads `argv` (without the program name) into a command invocation, or what cobra prints instead. */
export const parse = (argv: ReadonlyArray<string>): Either.Either<Invocation, Early> => {
  const words = positionalWords(argv)
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
  const found = spec!
  const flagSpecs = { ...globalFlags, ...found.flags }
  const flags = new Map<string, FlagValue>()
  const positionals: Array<string> = []
  let skipped = 0
  const help = `usacloud ${words.slice(0, pathLength).join(" ")}`
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
  if (flags.get("help") === true) {
    return Either.left({
      exitCode: 0,
      stdout: `Usage:\n  ${root} ${found.resource} ${found.verb} [flags]\n\nFlags:\n${Object.keys(found.flags)
        .map((name) => `      --${name}`)
        .join("\n")}\n`,
      stderr: ""
    })
  }
  return Either.right({ spec: found, name: `${found.resource} ${found.verb}`, args: positionals, flags })
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
