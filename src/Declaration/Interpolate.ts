/**
 * Environment values in the file: `env="NAME"` on a node and `${NAME}` / `${NAME:-default}`
 * inside strings. Variables are read once, through effect `Config`, before decoding.
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { type ConfigError, configError, type Location, markEnvironmental } from "./ConfigError.js"
import type { KdlNode } from "./KdlNode.js"

/** The variables the file mentions, as the environment had them (absent when unset). */
export type Env = ReadonlyMap<string, string>

/** Every `${NAME`, nested ones included: the names a text may ask for. */
const pattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)/g
const variableName = /[A-Za-z_][A-Za-z0-9_]*/y

/** `${A:-${B:-${C}}}` goes this deep at most. */
const interpolationDepth = 8

const missingVariable = (at: Location, name: string, where: string): ConfigError =>
  markEnvironmental(configError(at, `environment variable ${name} is not set (needed by ${where})`, `set ${name}`))

/** The variables a text asks for with `${NAME}`, those of its defaults included. */
export const namesIn = (text: string): ReadonlyArray<string> =>
  text.includes("${") ? [...text.matchAll(pattern)].flatMap((match) => (match[1] === undefined ? [] : [match[1]])) : []

/** Every variable name a document could ask for, wherever it appears. */
export const variableNames = (nodes: ReadonlyArray<KdlNode>): ReadonlySet<string> => {
  const names = new Set<string>()
  const visitText = (text: string) => {
    for (const name of namesIn(text)) names.add(name)
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

export const lookup = (env: Env, name: string, at: Location, where: string): Either.Either<string, ConfigError> => {
  const value = env.get(name)
  return value === undefined ? Either.left(missingVariable(at, name, where)) : Either.right(value)
}

interface Expanded {
  readonly value: string
  /** Where the text stopped: its end, or the `}` that closes the fallback being read. */
  readonly end: number
  /** The first variable that had no value and no default. */
  readonly missing: string | undefined
}

/** `${NAME}` or `${NAME:-fallback}` at `start`; `undefined` when the text there is not one (it stays as written). */
const expandReference = (env: Env, text: string, start: number, depth: number): Expanded | "too deep" | undefined => {
  variableName.lastIndex = start + 2
  const name = variableName.exec(text)?.[0]
  if (name === undefined) return undefined
  const after = start + 2 + name.length
  const value = env.get(name)
  if (text[after] === "}") {
    return {
      value: value ?? text.slice(start, after + 1),
      end: after + 1,
      missing: value === undefined ? name : undefined
    }
  }
  if (!text.startsWith(":-", after)) return undefined
  if (depth >= interpolationDepth) return "too deep"
  const fallback = expandText(env, text, after + 2, depth + 1)
  if (fallback === "too deep") return fallback
  if (text[fallback.end] !== "}") return undefined
  const useValue = value !== undefined && value !== ""
  return {
    value: useValue ? value : fallback.value,
    end: fallback.end + 1,
    missing: useValue ? undefined : fallback.missing
  }
}

/** The text from `start`, each `${...}` replaced; inside a fallback (`depth` > 0), up to its closing `}`. */
const expandText = (env: Env, text: string, start: number, depth: number): Expanded | "too deep" => {
  let value = ""
  let missing: string | undefined
  let i = start
  while (i < text.length && !(depth > 0 && text[i] === "}")) {
    const reference = text.startsWith("${", i) ? expandReference(env, text, i, depth) : undefined
    if (reference === "too deep") return reference
    if (reference === undefined) {
      value += text[i]
      i++
      continue
    }
    value += reference.value
    missing ??= reference.missing
    i = reference.end
  }
  return { value, end: i, missing }
}

/**
 * Replaces `${NAME}` and `${NAME:-default}`, where a default may itself be `${OTHER}` or `${OTHER:-...}`;
 * a `${NAME}` with no value and no default is an error.
 */
export const interpolate = (env: Env, text: string, at: Location): Either.Either<string, ConfigError> => {
  if (!text.includes("${")) return Either.right(text)
  const result = expandText(env, text, 0, 0)
  if (result === "too deep") {
    return Either.left(
      configError(
        at,
        `\`\${...:-\${...}}\` defaults are nested more than ${interpolationDepth} deep`,
        "set the variable in the environment instead"
      )
    )
  }
  const where = at.path === "" ? "the file" : `\`${at.path}\``
  return result.missing === undefined
    ? Either.right(result.value)
    : Either.left(missingVariable(at, result.missing, where))
}
