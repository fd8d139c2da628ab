/**
 * What every resource decoder shares: its context, the resource's name and provider, and readers for the
 * field shapes the resource nodes have in common.
 */
import * as Either from "effect/Either"
import { type ConfigError, configError, type Location } from "./ConfigError.js"
import {
  all,
  type Block,
  describeField,
  type Field,
  fieldInteger,
  fieldString,
  fieldStrings,
  fieldValue,
  missing,
  oneOf,
  one,
  stringValue,
  tokenError
} from "./Fields.js"
import type { Env } from "./Interpolate.js"
import { isTokenField, type KdlNode, type KdlValue } from "./KdlNode.js"

/** A string as written, with where it was written (files are resolved later). */
export interface Located<A> {
  readonly value: A
  readonly at: Location
}

/** What a resource decoder needs beyond the node. */
export interface DecodeContext {
  readonly env: Env
  /** The sakura-cloud provider's zone. */
  readonly sakuraZone?: string | undefined
  /** The default DNS zone: the cloudflare provider's, else `CLOUDFLARE_DOMAIN`. */
  readonly dnsZone?: string | undefined
  /** The provider blocks did not decode: the zones they would give are unknown, and not missing. */
  readonly providersFailed?: boolean | undefined
}

/** `{ key: value }` when the value is present, `{}` otherwise: no `undefined` in the result. */
export const optional = <K extends string, A>(key: K, value: A | undefined): { [P in K]?: A } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: A }

/** A token anywhere inside a resource or provider block is refused before anything else is read. */
export const rejectTokens = (node: KdlNode): Either.Either<void, ConfigError> => {
  const found = firstToken(node)
  return found === undefined ? Either.void : Either.left(found)
}

/** The first property or node named like a token, depth first, as an error. */
const firstToken = (node: KdlNode): ConfigError | undefined => {
  for (const property of node.props) if (isTokenField(property.key)) return tokenError(property.at, property.key)
  for (const child of node.children) {
    if (isTokenField(child.name)) return tokenError(child.at, child.name)
    const inside = firstToken(child)
    if (inside !== undefined) return inside
  }
  return undefined
}

/** The name argument of a resource node. */
export const resourceName = (env: Env, node: KdlNode): Either.Either<string, ConfigError> => {
  const first = node.args[0]
  if (first === undefined) {
    return Either.left(configError(node.at, `\`${node.name}\` needs a name`, `write ${node.name} "name"`))
  }
  return stringValue(env, first, `the name of \`${node.name}\``)
}

/** A `provider` field, when written, must name the provider that serves the resource. */
export const checkProvider = (
  env: Env,
  fields: Block,
  expected: "sakura-cloud" | "cloudflare"
): Either.Either<void, ConfigError> => {
  const field = one(fields, "provider")
  if (field === undefined) return Either.void
  return Either.flatMap(fieldValue(env, field), (written) =>
    Either.flatMap(stringValue(env, written, describeField(field)), (value) => {
      const normalized = value === "sakura" ? "sakura-cloud" : value
      if (normalized === expected) return Either.void
      return Either.left(
        configError(
          written.at,
          `\`${fields.node.name}\` is served by \`${expected}\`, not \`${value}\``,
          `write provider "${expected}" or leave it out`
        )
      )
    })
  )
}

/** A field read with `read` when it is written, else `undefined`. */
export const ifWritten = <A>(
  field: Field | undefined,
  read: (field: Field) => Either.Either<A, ConfigError>
): Either.Either<A | undefined, ConfigError> => (field === undefined ? Either.right(undefined) : read(field))

export const optionalString = (env: Env, field: Field | undefined): Either.Either<string | undefined, ConfigError> =>
  ifWritten(field, (written) => fieldString(env, written))

export const optionalInteger = (
  env: Env,
  field: Field | undefined,
  minimum: number
): Either.Either<number | undefined, ConfigError> => ifWritten(field, (written) => fieldInteger(env, written, minimum))

/** Every value of every occurrence of a list field (`tags "a" "b"`, written once or more), in order. */
export const allStrings = (env: Env, fields: Block, name: string): Either.Either<ReadonlyArray<string>, ConfigError> =>
  Either.map(Either.all(all(fields, name).map((field) => fieldStrings(env, field))), (lists) => lists.flat())

/** A field's string from a closed set, once `normalize` has put it in the set's spelling. */
export const fieldChoice = <A extends string>(
  env: Env,
  field: Field,
  valid: ReadonlyArray<A>,
  what: string,
  normalize: (text: string) => string
): Either.Either<A, ConfigError> =>
  Either.flatMap(fieldValue(env, field), (value) =>
    Either.flatMap(stringValue(env, value, `\`${field.name}\``), (text) =>
      oneOf(normalize(text), valid, value.at, what)
    )
  )

/** A field the resource cannot do without, read as a string with where it was written. */
export const requiredLocated = (
  env: Env,
  fields: Block,
  name: string,
  hint: string
): Either.Either<Located<string>, ConfigError> => {
  const field = one(fields, name)
  if (field === undefined) return Either.left(missing(fields.node, `\`${name}\``, hint))
  return Either.flatMap(fieldValue(env, field), (value) =>
    Either.map(stringValue(env, value, `\`${name}\``), (text) => ({ value: text, at: value.at }))
  )
}

/** A value written as text: strings are interpolated, numbers, booleans and null are taken as they print. */
export const scalarText = (env: Env, value: KdlValue, what: string): Either.Either<string, ConfigError> =>
  typeof value.value === "string" ? stringValue(env, value, what) : Either.right(String(value.value))
