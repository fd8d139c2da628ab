/**
 * Decoding a large document that `JSON.parse` made. A predicate compiled once from the schema's
 * AST accepts only values the schema decodes to an equal value: no transformation, no excess
 * property, every check passed. Such a value is its own decoding and is returned as it is.
 * Anything else, and a schema the predicate cannot follow, goes through Schema's decoder, which
 * says what does not match. That decoder copies every object through a chain of results; on a
 * state of 10,000 resources it was most of the time spent reading it, and its garbage.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import { compiledAtFirstUse, compileProjection, failed, type Projection } from "./QuickDecode/Projection.js"

type Check = (value: unknown) => boolean

const options: AST.ParseOptions = {}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const typeLiteral = (ast: AST.TypeLiteral): Check | undefined => {
  const properties = ast.propertySignatures.map((property) => ({
    name: property.name,
    isOptional: property.isOptional,
    check: compile(property.type)
  }))
  const [index, ...more] = ast.indexSignatures
  if (more.length > 0 || properties.some((property) => typeof property.name !== "string" || !property.check)) {
    return undefined
  }
  if (index !== undefined && index.parameter._tag !== "StringKeyword") return undefined
  const indexCheck = index === undefined ? undefined : compile(index.type)
  if (index !== undefined && indexCheck === undefined) return undefined
  const named = new Set(properties.map((property) => property.name as string))
  return (value) => {
    if (!isObject(value)) return false
    for (const { check, isOptional, name } of properties) {
      if (!Object.hasOwn(value, name)) {
        if (isOptional) continue
        return false
      }
      if (!check!(value[name as string])) return false
    }
    for (const key in value) {
      // A key no property names is kept by an index signature, else dropped (so changed) by decoding;
      // decoding assigns `__proto__` as a prototype, not a key.
      if (indexCheck === undefined ? !named.has(key) : key === "__proto__" || !indexCheck(value[key])) return false
    }
    return true
  }
}

const tupleType = (ast: AST.TupleType): Check | undefined => {
  const [rest, ...after] = ast.rest
  if (ast.elements.length > 0 || rest === undefined || after.length > 0) return undefined
  const item = compile(rest.type)
  return item && ((value) => Array.isArray(value) && value.every(item))
}

const compile = (ast: AST.AST): Check | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return (value) => typeof value === "string"
    case "NumberKeyword":
      return (value) => typeof value === "number"
    case "BooleanKeyword":
      return (value) => typeof value === "boolean"
    case "UndefinedKeyword":
      return (value) => value === undefined
    case "UnknownKeyword":
    case "AnyKeyword":
      return () => true
    case "Literal":
      return (value) => value === ast.literal
    case "Refinement": {
      const from = compile(ast.from)
      return from && ((value) => from(value) && Option.isNone(ast.filter(value, options, ast)))
    }
    case "Union": {
      const members = ast.types.map(compile)
      if (members.some((member) => member === undefined)) return undefined
      return (value) => members.some((member) => member!(value))
    }
    case "TypeLiteral":
      return typeLiteral(ast)
    case "TupleType":
      return tupleType(ast)
    case "Declaration": {
      // A declaration without type parameters (`Schema.declare(predicate)`) checks and keeps its value.
      // Its result is an Either when it decides at once; anything else goes the slow way.
      if (ast.typeParameters.length > 0) return undefined
      const decode = ast.decodeUnknown()
      return (value) => {
        const result: unknown = decode(value, options, ast)
        return Either.isEither(result) && Either.isRight(result) && result.right === value
      }
    }
    case "Suspend":
      return compiledAtFirstUse(() => compile(ast.f()), false)
    default:
      return undefined
  }
}

const decoders = new WeakMap<AST.AST, (json: unknown) => Either.Either<unknown, ParseResult.ParseError>>()
const projections = new WeakMap<AST.AST, Projection | undefined>()

/**
 * `Schema.decodeUnknownEither(schema)` for values `JSON.parse` made, with a fast path for the
 * valid ones; compiled once per schema.
 */
export const quickDecoder = <A, I>(
  schema: Schema.Schema<A, I>
): ((json: unknown) => Either.Either<A, ParseResult.ParseError>) => {
  const known = decoders.get(schema.ast)
  if (known !== undefined) return known as (json: unknown) => Either.Either<A, ParseResult.ParseError>
  const decode = Schema.decodeUnknownEither(schema)
  const check = compile(schema.ast)
  const decoder =
    check === undefined ? decode : (json: unknown) => (check(json) ? Either.right(json as A) : decode(json))
  decoders.set(schema.ast, decoder)
  return decoder
}

/**
 * `Schema.decodeUnknownEither(schema, options)` for what a cloud answered: the value built by a
 * projection compiled once per schema (`QuickDecode/Projection.ts`); Schema's decoder, with
 * `options`, for what the projection does not decode, to say why.
 */
export const projectingDecoder = <A, I>(
  schema: Schema.Schema<A, I>,
  parseOptions?: AST.ParseOptions
): ((json: unknown) => Either.Either<A, ParseResult.ParseError>) => {
  if (!projections.has(schema.ast)) projections.set(schema.ast, compileProjection(schema.ast))
  const project = projections.get(schema.ast)
  const decode = Schema.decodeUnknownEither(schema)
  if (project === undefined) return (json) => decode(json, parseOptions)
  return (json) => {
    const projected = project(json)
    return projected === failed ? decode(json, parseOptions) : Either.right(projected as A)
  }
}
