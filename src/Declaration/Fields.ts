/**
 * Typed reading of KDL nodes: blocks of known fields (as child nodes or properties),
 * values of the expected type, `env="NAME"` and `${NAME}` interpolation.
 */
import * as Effect from "effect/Effect"
import { combineErrors, type ConfigError, configError, type Location } from "./ConfigError.js"
import { type Env, interpolate, lookup } from "./Interpolate.js"
import { fieldName, isTokenField, type KdlNode, type KdlProperty, type KdlValue, type Scalar } from "./KdlNode.js"
import { didYouMean, listOf } from "./Suggest.js"

/** One field of a block: a child node (`plan "2core-4gb"`) or a property (`plan=...`). */
export interface Field {
  /** Canonical name. */
  readonly name: string
  /** As written. */
  readonly written: string
  readonly node?: KdlNode | undefined
  readonly prop?: KdlProperty | undefined
  readonly at: Location
}

export interface Block {
  readonly node: KdlNode
  readonly fields: ReadonlyMap<string, ReadonlyArray<Field>>
}

export interface BlockOptions {
  /** Fields may be child nodes (default true). */
  readonly children?: boolean
  /** Fields may be properties of the block node (default false). */
  readonly props?: boolean
  /** Other spellings: alias → canonical name. */
  readonly aliases?: Readonly<Record<string, string>>
}

export const tokenError = (at: Location, written: string): ConfigError =>
  configError(
    at,
    `\`${written}\`: an API token must not be written in the configuration file`,
    "remove it and set CF_API_TOKEN or CLOUDFLARE_API_TOKEN in the environment"
  )

const show = (value: Scalar) => (typeof value === "string" ? JSON.stringify(value) : String(value))

const typeName = (value: Scalar) =>
  value === null
    ? "null"
    : typeof value === "string"
      ? "a string"
      : typeof value === "number"
        ? "a number"
        : "a boolean"

export const describeField = (field: Field) => `\`${field.written}\``

/** The canonical name of a field as written, or the error that refuses it (a token, an unknown field). */
const canonicalName = (
  node: KdlNode,
  allowed: ReadonlyArray<string>,
  aliases: Readonly<Record<string, string>>,
  written: string,
  at: Location
): string | ConfigError => {
  if (isTokenField(written)) return tokenError(at, written)
  const name = fieldName(written)
  const resolved = aliases[name] ?? name
  if (allowed.includes(resolved)) return resolved
  const names = [...allowed, ...Object.keys(aliases)]
  return configError(
    at,
    `unknown field \`${written}\` in \`${node.name}\``,
    didYouMean(name, names) ?? `valid fields: ${listOf(allowed)}`
  )
}

/**
 * Reads the fields of a block, rejecting unknown ones with a suggestion.
 *
 * This and the readers below run once per node of a large file: each is one generator function made once
 * (`Effect.fnUntraced`), where `Effect.gen` in an arrow would make a generator function, and the prototype
 * V8 gives each one, at every call; these outlive the call in the heap and a file of ten thousand records
 * took a hundred megabytes more than it kept.
 */
export const block: (
  node: KdlNode,
  allowed: ReadonlyArray<string>,
  options?: BlockOptions
) => Effect.Effect<Block, ConfigError> = Effect.fnUntraced(function* (
  node: KdlNode,
  allowed: ReadonlyArray<string>,
  options: BlockOptions = {}
) {
  const aliases = options.aliases ?? {}
  const fields = new Map<string, Array<Field>>()
  // Every unknown field of the block is reported, not only the first.
  const refused: Array<ConfigError> = []
  const add = (written: string, at: Location, field: Pick<Field, "node" | "prop">) => {
    const name = canonicalName(node, allowed, aliases, written, at)
    if (typeof name !== "string") {
      refused.push(name)
      return
    }
    const list = fields.get(name) ?? []
    list.push({ name, written, at, ...field })
    fields.set(name, list)
  }
  if (options.props === true) for (const prop of node.props) add(prop.key, prop.at, { prop })
  if (options.children !== false) for (const child of node.children) add(child.name, child.at, { node: child })
  if (refused.length > 0) return yield* combineErrors(refused)
  const read: Block = { node, fields }
  return read
})

export const all = (fields: Block, name: string): ReadonlyArray<Field> => fields.fields.get(name) ?? []

/** The last occurrence wins, as with KDL properties. */
export const one = (fields: Block, name: string): Field | undefined => {
  const list = all(fields, name)
  return list[list.length - 1]
}

/** Props allowed on a node besides its arguments; anything else is an unknown property. */
export const checkProps = (node: KdlNode, allowed: ReadonlyArray<string>): Effect.Effect<void, ConfigError> => {
  for (const prop of node.props) {
    if (isTokenField(prop.key)) return Effect.fail(tokenError(prop.at, prop.key))
    if (!allowed.includes(fieldName(prop.key))) {
      return Effect.fail(
        configError(
          prop.at,
          `unknown property \`${prop.key}\` on \`${node.name}\``,
          didYouMean(fieldName(prop.key), allowed) ??
            (allowed.length === 0 ? "this node takes no properties" : `valid properties: ${listOf(allowed)}`)
        )
      )
    }
  }
  return Effect.void
}

export const prop = (node: KdlNode, name: string): KdlProperty | undefined => {
  let found: KdlProperty | undefined
  for (const candidate of node.props) if (fieldName(candidate.key) === name) found = candidate
  return found
}

/** The single value of a field: a property value, `env="NAME"`, or the node's first argument. */
export const fieldValue: (env: Env, field: Field) => Effect.Effect<KdlValue, ConfigError> = Effect.fnUntraced(
  function* (env: Env, field: Field) {
    if (field.prop !== undefined) return field.prop.value
    const node = field.node!
    const fromEnv = prop(node, "env")
    if (fromEnv !== undefined) {
      const name = yield* stringValue(env, fromEnv.value, "`env`")
      const value = yield* lookup(env, name, fromEnv.value.at, `\`${field.written}\``)
      return { value, at: fromEnv.value.at }
    }
    const first = node.args[0]
    if (first === undefined) return yield* configError(field.at, `${describeField(field)} needs a value`)
    return first
  }
)

/** Every argument of a field node (`tags "a" "b"`), or its single value. */
export const valuesOf = (env: Env, field: Field): Effect.Effect<ReadonlyArray<KdlValue>, ConfigError> =>
  field.node !== undefined && prop(field.node, "env") === undefined
    ? Effect.succeed(field.node.args)
    : Effect.map(fieldValue(env, field), (value) => [value])

export const stringValue = (env: Env, value: KdlValue, what: string): Effect.Effect<string, ConfigError> =>
  typeof value.value === "string"
    ? interpolate(env, value.value, value.at)
    : Effect.fail(configError(value.at, `${what} must be a string, got ${typeName(value.value)} ${show(value.value)}`))

export const numberValue: (env: Env, value: KdlValue, what: string) => Effect.Effect<number, ConfigError> =
  Effect.fnUntraced(function* (env: Env, value: KdlValue, what: string) {
    if (typeof value.value === "number") return value.value
    if (typeof value.value === "string") {
      const text = yield* interpolate(env, value.value, value.at)
      if (/^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text.trim())
    }
    return yield* configError(value.at, `${what} must be a number, got ${typeName(value.value)} ${show(value.value)}`)
  })

export const integerValue: (
  env: Env,
  value: KdlValue,
  what: string,
  minimum: number
) => Effect.Effect<number, ConfigError> = Effect.fnUntraced(function* (
  env: Env,
  value: KdlValue,
  what: string,
  minimum: number
) {
  const number = yield* numberValue(env, value, what)
  if (!Number.isInteger(number)) return yield* configError(value.at, `${what} must be a whole number, got ${number}`)
  if (!Number.isSafeInteger(number)) {
    return yield* configError(value.at, `${what} is too large: ${number} is past ${Number.MAX_SAFE_INTEGER}`)
  }
  if (number < minimum) return yield* configError(value.at, `${what} must be at least ${minimum}, got ${number}`)
  return number
})

/** A number within what the cloud accepts, refused with the range otherwise. */
export const checkRange = (
  value: number,
  bounds: { readonly minimum: number; readonly maximum: number },
  at: Location,
  what: string,
  unit = ""
): Effect.Effect<number, ConfigError> =>
  value >= bounds.minimum && value <= bounds.maximum
    ? Effect.succeed(value)
    : Effect.fail(
        configError(
          at,
          `${what} must be from ${bounds.minimum} to ${bounds.maximum}${unit}, got ${value}`,
          "the cloud refuses anything outside that range"
        )
      )

export const booleanValue: (env: Env, value: KdlValue, what: string) => Effect.Effect<boolean, ConfigError> =
  Effect.fnUntraced(function* (env: Env, value: KdlValue, what: string) {
    if (typeof value.value === "boolean") return value.value
    if (typeof value.value === "string") {
      const text = (yield* interpolate(env, value.value, value.at)).trim().toLowerCase()
      if (text === "true") return true
      if (text === "false") return false
    }
    return yield* configError(
      value.at,
      `${what} must be a boolean, got ${typeName(value.value)} ${show(value.value)}`,
      "write #true or #false (KDL v2) or true or false (KDL v1)"
    )
  })

export const fieldString = (env: Env, field: Field): Effect.Effect<string, ConfigError> =>
  Effect.flatMap(fieldValue(env, field), (value) => stringValue(env, value, describeField(field)))

export const fieldNumber = (env: Env, field: Field): Effect.Effect<number, ConfigError> =>
  Effect.flatMap(fieldValue(env, field), (value) => numberValue(env, value, describeField(field)))

export const fieldInteger = (env: Env, field: Field, minimum: number): Effect.Effect<number, ConfigError> =>
  Effect.flatMap(fieldValue(env, field), (value) => integerValue(env, value, describeField(field), minimum))

export const fieldBoolean = (env: Env, field: Field): Effect.Effect<boolean, ConfigError> =>
  Effect.flatMap(fieldValue(env, field), (value) => booleanValue(env, value, describeField(field)))

export const fieldStrings: (env: Env, field: Field) => Effect.Effect<ReadonlyArray<string>, ConfigError> =
  Effect.fnUntraced(function* (env: Env, field: Field) {
    const values = yield* valuesOf(env, field)
    if (values.length === 0) return yield* configError(field.at, `${describeField(field)} needs at least one value`)
    return yield* Effect.forEach(values, (value) => stringValue(env, value, describeField(field)))
  })

/** A string from a closed set (case-insensitive), reported with a suggestion and every valid value. */
export const oneOf = <A extends string>(
  value: string,
  valid: ReadonlyArray<A>,
  at: Location,
  what: string
): Effect.Effect<A, ConfigError> => {
  const found = valid.find((candidate) => candidate.toLowerCase() === value.toLowerCase())
  if (found !== undefined) return Effect.succeed(found)
  const guess = didYouMean(value, valid)
  return Effect.fail(
    configError(
      at,
      `unknown ${what} \`${value}\``,
      `${guess === undefined ? "" : guess + " "}valid ${what.endsWith("s") ? `${what}es` : `${what}s`}: ${listOf(valid)}`
    )
  )
}

export const missing = (node: KdlNode, what: string, hint?: string): ConfigError =>
  configError(node.at, `\`${node.name}\` is missing ${what}`, hint)
