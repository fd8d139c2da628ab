/**
 * Typed reading of KDL nodes: blocks of known fields (as child nodes or properties),
 * values of the expected type, `env="NAME"` and `${NAME}` interpolation.
 */
import * as Either from "effect/Either"
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
 * This and the readers below run once per node or field of a large file: they return an `Either`, made
 * at once, where an `Effect` would be run by the fiber's loop one step per reader, most of the time a
 * plan of ten thousand resources took to read its file.
 */
export const block = (
  node: KdlNode,
  allowed: ReadonlyArray<string>,
  options: BlockOptions = {}
): Either.Either<Block, ConfigError> => {
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
  if (refused.length > 0) return Either.left(combineErrors(refused))
  return Either.right({ node, fields })
}

export const all = (fields: Block, name: string): ReadonlyArray<Field> => fields.fields.get(name) ?? []

/** The last occurrence wins, as with KDL properties. */
export const one = (fields: Block, name: string): Field | undefined => {
  const list = all(fields, name)
  return list[list.length - 1]
}

/** Props allowed on a node besides its arguments; anything else is an unknown property. */
export const checkProps = (node: KdlNode, allowed: ReadonlyArray<string>): Either.Either<void, ConfigError> => {
  for (const prop of node.props) {
    if (isTokenField(prop.key)) return Either.left(tokenError(prop.at, prop.key))
    if (!allowed.includes(fieldName(prop.key))) {
      return Either.left(
        configError(
          prop.at,
          `unknown property \`${prop.key}\` on \`${node.name}\``,
          didYouMean(fieldName(prop.key), allowed) ??
            (allowed.length === 0 ? "this node takes no properties" : `valid properties: ${listOf(allowed)}`)
        )
      )
    }
  }
  return Either.void
}

export const prop = (node: KdlNode, name: string): KdlProperty | undefined => {
  let found: KdlProperty | undefined
  for (const candidate of node.props) if (fieldName(candidate.key) === name) found = candidate
  return found
}

/** The single value of a field: a property value, `env="NAME"`, or the node's first argument. */
export const fieldValue = (env: Env, field: Field): Either.Either<KdlValue, ConfigError> => {
  if (field.prop !== undefined) return Either.right(field.prop.value)
  const node = field.node!
  const fromEnv = prop(node, "env")
  if (fromEnv !== undefined) {
    return Either.flatMap(stringValue(env, fromEnv.value, "`env`"), (name) =>
      Either.map(lookup(env, name, fromEnv.value.at, `\`${field.written}\``), (value) => ({
        value,
        at: fromEnv.value.at
      }))
    )
  }
  const first = node.args[0]
  if (first === undefined) return Either.left(configError(field.at, `${describeField(field)} needs a value`))
  return Either.right(first)
}

/** Every argument of a field node (`tags "a" "b"`), or its single value. */
export const valuesOf = (env: Env, field: Field): Either.Either<ReadonlyArray<KdlValue>, ConfigError> =>
  field.node !== undefined && prop(field.node, "env") === undefined
    ? Either.right(field.node.args)
    : Either.map(fieldValue(env, field), (value) => [value])

export const stringValue = (env: Env, value: KdlValue, what: string): Either.Either<string, ConfigError> =>
  typeof value.value === "string"
    ? interpolate(env, value.value, value.at)
    : Either.left(configError(value.at, `${what} must be a string, got ${typeName(value.value)} ${show(value.value)}`))

const notA = (value: KdlValue, what: string, kind: string, hint?: string) =>
  Either.left(configError(value.at, `${what} must be ${kind}, got ${typeName(value.value)} ${show(value.value)}`, hint))

export const numberValue = (env: Env, value: KdlValue, what: string): Either.Either<number, ConfigError> => {
  if (typeof value.value === "number") return Either.right(value.value)
  if (typeof value.value !== "string") return notA(value, what, "a number")
  return Either.flatMap(interpolate(env, value.value, value.at), (text) =>
    /^-?\d+(\.\d+)?$/.test(text.trim()) ? Either.right(Number(text.trim())) : notA(value, what, "a number")
  )
}

export const integerValue = (
  env: Env,
  value: KdlValue,
  what: string,
  minimum: number
): Either.Either<number, ConfigError> =>
  Either.flatMap(numberValue(env, value, what), (number) => {
    if (!Number.isInteger(number))
      return Either.left(configError(value.at, `${what} must be a whole number, got ${number}`))
    if (!Number.isSafeInteger(number)) {
      return Either.left(configError(value.at, `${what} is too large: ${number} is past ${Number.MAX_SAFE_INTEGER}`))
    }
    if (number < minimum)
      return Either.left(configError(value.at, `${what} must be at least ${minimum}, got ${number}`))
    return Either.right(number)
  })

/** A number within what the cloud accepts, refused with the range otherwise. */
export const checkRange = (
  value: number,
  bounds: { readonly minimum: number; readonly maximum: number },
  at: Location,
  what: string,
  unit = ""
): Either.Either<number, ConfigError> =>
  value >= bounds.minimum && value <= bounds.maximum
    ? Either.right(value)
    : Either.left(
        configError(
          at,
          `${what} must be from ${bounds.minimum} to ${bounds.maximum}${unit}, got ${value}`,
          "the cloud refuses anything outside that range"
        )
      )

const booleanHint = "write #true or #false (KDL v2) or true or false (KDL v1)"

export const booleanValue = (env: Env, value: KdlValue, what: string): Either.Either<boolean, ConfigError> => {
  if (typeof value.value === "boolean") return Either.right(value.value)
  if (typeof value.value !== "string") return notA(value, what, "a boolean", booleanHint)
  return Either.flatMap(interpolate(env, value.value, value.at), (written) => {
    const text = written.trim().toLowerCase()
    if (text === "true") return Either.right(true)
    if (text === "false") return Either.right(false)
    return notA(value, what, "a boolean", booleanHint)
  })
}

export const fieldString = (env: Env, field: Field): Either.Either<string, ConfigError> =>
  Either.flatMap(fieldValue(env, field), (value) => stringValue(env, value, describeField(field)))

export const fieldNumber = (env: Env, field: Field): Either.Either<number, ConfigError> =>
  Either.flatMap(fieldValue(env, field), (value) => numberValue(env, value, describeField(field)))

export const fieldInteger = (env: Env, field: Field, minimum: number): Either.Either<number, ConfigError> =>
  Either.flatMap(fieldValue(env, field), (value) => integerValue(env, value, describeField(field), minimum))

export const fieldBoolean = (env: Env, field: Field): Either.Either<boolean, ConfigError> =>
  Either.flatMap(fieldValue(env, field), (value) => booleanValue(env, value, describeField(field)))

export const fieldStrings = (env: Env, field: Field): Either.Either<ReadonlyArray<string>, ConfigError> =>
  Either.flatMap(valuesOf(env, field), (values) =>
    values.length === 0
      ? Either.left(configError(field.at, `${describeField(field)} needs at least one value`))
      : Either.all(values.map((value) => stringValue(env, value, describeField(field))))
  )

/** A string from a closed set (case-insensitive), reported with a suggestion and every valid value. */
export const oneOf = <A extends string>(
  value: string,
  valid: ReadonlyArray<A>,
  at: Location,
  what: string
): Either.Either<A, ConfigError> => {
  const found = valid.find((candidate) => candidate.toLowerCase() === value.toLowerCase())
  if (found !== undefined) return Either.right(found)
  const guess = didYouMean(value, valid)
  return Either.left(
    configError(
      at,
      `unknown ${what} \`${value}\``,
      `${guess === undefined ? "" : guess + " "}valid ${what.endsWith("s") ? `${what}es` : `${what}s`}: ${listOf(valid)}`
    )
  )
}

export const missing = (node: KdlNode, what: string, hint?: string): ConfigError =>
  configError(node.at, `\`${node.name}\` is missing ${what}`, hint)
