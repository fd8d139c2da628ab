/**
 * Environment values in the file: `env="NAME"` on a node and `${NAME}` / `${NAME:-default}`
 * inside strings. Variables are read once, through effect `Config`, before decoding.
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type ConfigError, configError, type Location } from "./ConfigError.js"
import type { KdlNode } from "./KdlNode.js"

/** The variables the file mentions, as the environment had them (absent when unset). */
export type Env = ReadonlyMap<string, string>

const pattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/**
 * Errors that depend on the environment rather than on the text (a variable that is not set),
 * so a stage that is not deployed does not need the environment of the others.
 */
const environmental = new WeakSet<ConfigError>()

export const isEnvironmental = (error: ConfigError): boolean => environmental.has(error)

export const markEnvironmental = (error: ConfigError): ConfigError => {
  environmental.add(error)
  return error
}

const missingVariable = (at: Location, name: string, where: string): ConfigError =>
  markEnvironmental(configError(at, `environment variable ${name} is not set (needed by ${where})`, `set ${name}`))

/** Every variable name a document could ask for, wherever it appears. */
export const variableNames = (nodes: ReadonlyArray<KdlNode>): ReadonlySet<string> => {
  const names = new Set<string>()
  const visitText = (text: string) => {
    for (const match of text.matchAll(pattern)) if (match[1] !== undefined) names.add(match[1])
  }
  const visit = (node: KdlNode) => {
    for (const arg of node.args) if (typeof arg.value === "string") visitText(arg.value)
    for (const prop of node.props) {
      if (typeof prop.value.value === "string") {
        visitText(prop.value.value)
        if (prop.key === "env") names.add(prop.value.value)
      }
    }
    for (const child of node.children) visit(child)
  }
  for (const node of nodes) visit(node)
  return names
}

/** Reads the given variables (plus always-wanted ones) from the effect `ConfigProvider`. */
export const readEnv = (names: Iterable<string>): Effect.Effect<Env> =>
  Effect.gen(function* () {
    const env = new Map<string, string>()
    for (const name of new Set(names)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue
      const value = yield* Config.option(Config.string(name)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
      if (Option.isSome(value)) env.set(name, value.value)
    }
    return env
  })

export const lookup = (env: Env, name: string, at: Location, where: string): Effect.Effect<string, ConfigError> => {
  const value = env.get(name)
  return value === undefined ? Effect.fail(missingVariable(at, name, where)) : Effect.succeed(value)
}

/** Replaces `${NAME}` and `${NAME:-default}`; a `${NAME}` with no value and no default is an error. */
export const interpolate = (env: Env, text: string, at: Location): Effect.Effect<string, ConfigError> => {
  if (!text.includes("${")) return Effect.succeed(text)
  let missing: string | undefined
  const result = text.replace(pattern, (whole, name: string, fallback: string | undefined) => {
    const value = env.get(name)
    if (value !== undefined && (value !== "" || fallback === undefined)) return value
    if (fallback !== undefined) return fallback
    missing ??= name
    return whole
  })
  const where = at.path === "" ? "the file" : `\`${at.path}\``
  return missing === undefined ? Effect.succeed(result) : Effect.fail(missingVariable(at, missing, where))
}
