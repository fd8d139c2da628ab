/**
 * The commands FleetFlow tells the operator to run carry the flags of the command that told
 * them: a hint to run `fleetflow force-unlock ID` after `fleetflow up --sandbox -f infra.kdl`
 * would act on another state without `--sandbox` and `-f`. Every hint is written as
 * `` `fleetflow …` `` wherever it comes from, so the CLI adds the flags where it prints.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { maskUrl } from "../UrlPassword.js"

/** The value of `--name VALUE`, `--name=VALUE` or `-alias VALUE` in `argv`. */
const flagValue = (argv: ReadonlyArray<string>, name: string, alias: string | undefined): string | undefined => {
  for (const [index, arg] of argv.entries()) {
    if (arg === `--${name}` || (alias !== undefined && arg === `-${alias}`)) return argv[index + 1]
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3)
  }
  return undefined
}

/** A word as a shell reads it; undefined when quoting it would not survive JSON output unchanged. */
const shellWord = (word: string): string | undefined => {
  if (/^[\w./@:+,=-]+$/.test(word)) return word
  return /["\\\n]/.test(word) ? undefined : `'${word.replaceAll("'", "'\\''")}'`
}

/**
 * The flags of `argv` (the process's, program excluded) that choose the file, the stage, the sandbox
 * and the state's database. A database URL is shown masked: a hint then names the right database,
 * where one without it would act on the file's store, and the operator puts the password back.
 */
export const flagsOf = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const flags: Array<string> = []
  if (argv.includes("--sandbox")) flags.push("--sandbox")
  for (const [name, alias] of [
    ["file", "f"],
    ["stage", "s"],
    ["state-url", undefined]
  ] as const) {
    const value = flagValue(argv, name, alias)
    const word = value === undefined ? undefined : shellWord(name === "state-url" ? maskUrl(value) : value)
    if (word !== undefined) flags.push(`--${name} ${word}`)
  }
  return flags
}

const given = (command: string, flag: string): boolean => {
  const [name = ""] = flag.split(" ")
  const alias = name === "--file" ? "-f" : name === "--stage" ? "-s" : undefined
  const words = command.split(/\s+/)
  return words.some((word) => word === name || word.startsWith(`${name}=`) || word === alias)
}

/**
 * The engine's messages say to run `fleetflow up` again after a failed apply; after a failed `down`
 * that is `fleetflow down`.
 */
const rerun = (text: string, command: string | undefined): string =>
  command === "down" ? text.replaceAll("run `fleetflow up` again", "run `fleetflow down` again") : text

/**
 * `text` with `flags` added to each `` `fleetflow …` `` command it names (not to the usage hints),
 * and the apply to run again named as `command`, the one that failed.
 */
export const withFlags = (text: string, flags: ReadonlyArray<string>, command?: string): string =>
  flags.length === 0
    ? rerun(text, command)
    : rerun(text, command).replace(/`fleetflow ([^`\n]*)`/g, (whole, command: string) => {
        if (command.startsWith("-") || command.includes("--help") || command.includes("<")) return whole
        const missing = flags.filter((flag) => !given(command, flag))
        return missing.length === 0 ? whole : `\`fleetflow ${[command.trimEnd(), ...missing].join(" ")}\``
      })

const rewrite = (flags: ReadonlyArray<string>, command: string | undefined) => (args: ReadonlyArray<unknown>) =>
  args.map((arg) => (typeof arg === "string" ? withFlags(arg, flags, command) : arg))

/** `effect` with everything it prints through the Console carrying `flags` in its hints, `command` the one run. */
export const carryFlags =
  (flags: ReadonlyArray<string>, command: string | undefined) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Console.consoleWith((console) => {
      const hinted = rewrite(flags, command)
      return Effect.withConsole(effect, {
        ...console,
        log: (...args) => console.log(...hinted(args)),
        error: (...args) => console.error(...hinted(args)),
        warn: (...args) => console.warn(...hinted(args)),
        info: (...args) => console.info(...hinted(args)),
        unsafe: {
          ...console.unsafe,
          log: (...args) => console.unsafe.log(...hinted(args)),
          error: (...args) => console.unsafe.error(...hinted(args))
        }
      })
    })
