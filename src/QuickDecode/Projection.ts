/**
 * Decoding what a cloud answered: a function compiled once from the schema's AST that builds the
 * decoded value as Schema's decoder would (the properties the schema names, renamed by `fromKey`,
 * defaults filled in, transformations applied), without its chain of results. Any value it cannot
 * follow, or that does not decode, is `failed`: Schema's decoder then says why. A refresh of
 * 10,000 resources spent most of its own time in that chain, decoding lists of thousands.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as AST from "effect/SchemaAST"

/** What a projection gives for a value it does not decode. */
export const failed: unique symbol = Symbol.for("fleetflow/QuickDecode/failed")

export type Projection = (value: unknown) => unknown

const options: AST.ParseOptions = {}

/** What Schema's decoder takes for a struct: an object that is not an array. */
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A result of a transformation or declaration: its value when it is decided at once, else `failed`. */
const settled = (result: unknown): unknown =>
  Either.isEither(result) && Either.isRight(result) ? result.right : failed

const typeLiteral = (ast: AST.TypeLiteral): Projection | undefined => {
  if (ast.indexSignatures.length > 0) return undefined
  // `{}` takes any value but null and undefined, as it is.
  if (ast.propertySignatures.length === 0) return (value) => (value === null || value === undefined ? failed : value)
  const properties = ast.propertySignatures.map((property) => ({
    name: property.name,
    isOptional: property.isOptional,
    project: compileProjection(property.type)
  }))
  if (properties.some((property) => typeof property.name !== "string" || property.project === undefined)) {
    return undefined
  }
  return (value) => {
    if (!isRecord(value)) return failed
    const output: Record<string, unknown> = {}
    for (const { isOptional, name, project } of properties) {
      if (!Object.hasOwn(value, name)) {
        if (isOptional) continue
        return failed
      }
      const item = project!(value[name as string])
      if (item === failed) return failed
      output[name as string] = item
    }
    return output
  }
}

/** `fromKey` renames and `optionalWith` defaults, on the object `from` built (its own). */
const propertyTransformations = (transformation: AST.TypeLiteralTransformation) => (value: unknown) => {
  const output = value as Record<PropertyKey, unknown>
  for (const property of transformation.propertySignatureTransformations) {
    const given = Object.hasOwn(output, property.from) ? Option.some(output[property.from]) : Option.none()
    const result = property.decode(given)
    delete output[property.from]
    if (Option.isSome(result)) output[property.to] = result.value
  }
  return output
}

const transformationOf = (ast: AST.Transformation): Projection | undefined => {
  const from = compileProjection(ast.from)
  const to = compileProjection(ast.to)
  if (from === undefined || to === undefined) return undefined
  const kind = ast.transformation
  const transform: (value: unknown, input: unknown) => unknown =
    kind._tag === "FinalTransformation"
      ? (value, input) => settled(kind.decode(value, options, ast, input))
      : kind._tag === "TypeLiteralTransformation"
        ? propertyTransformations(kind)
        : (value) => value
  return (input) => {
    const value = from(input)
    if (value === failed) return failed
    const transformed = transform(value, input)
    return transformed === failed ? failed : to(transformed)
  }
}

/**
 * The function `compile` makes, made when it is first called: a `Suspend` may be the schema itself, which
 * is being compiled. `otherwise` is its answer to every value when `compile` cannot follow the schema.
 */
export const compiledAtFirstUse = <R>(
  compile: () => ((value: unknown) => R) | undefined,
  otherwise: R
): ((value: unknown) => R) => {
  let compiled: ((value: unknown) => R) | undefined | null = null
  return (value) => {
    if (compiled === null) compiled = compile()
    return compiled === undefined ? otherwise : compiled(value)
  }
}

/** Whether Schema's decoder finds `ast` among a union's members by a literal property (its `getLiterals`). */
const literalKeyed = (ast: AST.AST): boolean => {
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.propertySignatures.some(
        (property) => !property.isOptional && AST.isLiteral(AST.encodedAST(property.type))
      )
    case "TupleType":
      return ast.elements.some((element) => !element.isOptional && AST.isLiteral(AST.encodedAST(element.type)))
    case "Refinement":
      return literalKeyed(ast.from)
    case "Suspend":
      return literalKeyed(ast.f())
    case "Transformation":
      return literalKeyed(ast.from)
    default:
      return false
  }
}

/** The projection of `ast`, or undefined where it holds what this does not follow. */
export const compileProjection = (ast: AST.AST): Projection | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return (value) => (typeof value === "string" ? value : failed)
    case "NumberKeyword":
      return (value) => (typeof value === "number" ? value : failed)
    case "BooleanKeyword":
      return (value) => (typeof value === "boolean" ? value : failed)
    case "UndefinedKeyword":
      return (value) => (value === undefined ? value : failed)
    case "UnknownKeyword":
    case "AnyKeyword":
      return (value) => value
    case "Literal":
      return (value) => (value === ast.literal ? value : failed)
    case "Refinement": {
      const from = compileProjection(ast.from)
      return (
        from &&
        ((value) => {
          const decoded = from(value)
          return decoded !== failed && Option.isNone(ast.filter(decoded, options, ast)) ? decoded : failed
        })
      )
    }
    case "Union": {
      // The first member that decodes, as Schema's decoder tries them in order. A member it finds by a
      // literal property it tries before the others: such unions go its way.
      if (ast.types.some(literalKeyed)) return undefined
      const members = ast.types.map(compileProjection)
      if (members.some((member) => member === undefined)) return undefined
      return (value) => {
        for (const member of members) {
          const decoded = member!(value)
          if (decoded !== failed) return decoded
        }
        return failed
      }
    }
    case "TupleType": {
      const [rest, ...after] = ast.rest
      if (ast.elements.length > 0 || rest === undefined || after.length > 0) return undefined
      const item = compileProjection(rest.type)
      return (
        item &&
        ((value) => {
          if (!Array.isArray(value)) return failed
          const output: Array<unknown> = []
          for (const element of value) {
            const decoded = item(element)
            if (decoded === failed) return failed
            output.push(decoded)
          }
          return output
        })
      )
    }
    case "TypeLiteral":
      return typeLiteral(ast)
    case "Transformation":
      return transformationOf(ast)
    case "Declaration": {
      if (ast.typeParameters.length > 0) return undefined
      const decode = ast.decodeUnknown()
      return (value) => settled(decode(value, options, ast))
    }
    case "Suspend":
      return compiledAtFirstUse(() => compileProjection(ast.f()), failed)
    default:
      return undefined
  }
}
