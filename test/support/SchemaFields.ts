/**
 * The fields of a tool's JSON output that a decoding schema keeps, compared with a real sample
 * of that output: which of the sample's fields the schema leaves unread, which it requires, and
 * the sample with one field removed (or an unknown one added) in every item. Paths name object
 * keys only; an array stands for each of its items.
 */
import type * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"

export type FieldPath = ReadonlyArray<string>

/** The shapes a value of `ast` may take, through unions, refinements and lazy schemas. */
const shapes = (ast: SchemaAST.AST): ReadonlyArray<SchemaAST.AST> => {
  switch (ast._tag) {
    case "Union":
      return ast.types.flatMap((member) => shapes(member))
    case "Refinement":
    case "Transformation":
      return shapes(ast.from)
    case "Suspend":
      return shapes(ast.f())
    default:
      return [ast]
  }
}

const fieldsOf = (ast: SchemaAST.AST): ReadonlyArray<SchemaAST.PropertySignature> | undefined =>
  shapes(ast).find((shape): shape is SchemaAST.TypeLiteral => shape._tag === "TypeLiteral")?.propertySignatures

const elementOf = (ast: SchemaAST.AST): SchemaAST.AST | undefined =>
  shapes(ast).find((shape): shape is SchemaAST.TupleType => shape._tag === "TupleType")?.rest[0]?.type

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const unread = (value: unknown, ast: SchemaAST.AST, prefix: FieldPath): ReadonlyArray<FieldPath> => {
  if (Array.isArray(value)) {
    const element = elementOf(ast)
    return element === undefined ? [] : value.flatMap((item) => unread(item, element, prefix))
  }
  const fields = fieldsOf(ast)
  if (!isRecord(value) || fields === undefined) return []
  return Object.entries(value).flatMap(([key, child]) => {
    const field = fields.find((signature) => signature.name === key)
    return field === undefined ? [[...prefix, key]] : unread(child, field.type, [...prefix, key])
  })
}

const unique = (paths: ReadonlyArray<FieldPath>): ReadonlyArray<FieldPath> =>
  [...new Set(paths.map((path) => JSON.stringify(path)))].map((text) => JSON.parse(text) as FieldPath)

/** The fields of `sample` (output as printed) that `schema` does not read, each once. */
export const unreadFields = <A, I, R>(schema: Schema.Schema<A, I, R>, sample: unknown): ReadonlyArray<FieldPath> =>
  unique(unread(sample, SchemaAST.encodedAST(schema.ast), []))

const required = (ast: SchemaAST.AST, prefix: FieldPath): ReadonlyArray<FieldPath> => {
  const element = elementOf(ast)
  if (element !== undefined) return required(element, prefix)
  return (fieldsOf(ast) ?? []).flatMap((field) => {
    const path = [...prefix, String(field.name)]
    return [...(field.isOptional ? [] : [path]), ...required(field.type, path)]
  })
}

/** The fields `schema` requires, nested ones (inside an optional field too) included. */
export const requiredFields = <A, I, R>(schema: Schema.Schema<A, I, R>): ReadonlyArray<FieldPath> =>
  required(SchemaAST.encodedAST(schema.ast), [])

/** `value` with the field at `path` taken out of every item. */
export const without = (value: unknown, path: FieldPath): unknown => {
  if (Array.isArray(value)) return value.map((item) => without(item, path))
  const [key, ...rest] = path
  if (!isRecord(value) || key === undefined || !(key in value)) return value
  if (rest.length === 0) return Object.fromEntries(Object.entries(value).filter(([name]) => name !== key))
  return { ...value, [key]: without(value[key], rest) }
}

/** Whether some item of `value` has a field at `path`. */
export const holds = (value: unknown, path: FieldPath): boolean => {
  if (Array.isArray(value)) return value.some((item) => holds(item, path))
  const [key, ...rest] = path
  if (!isRecord(value) || key === undefined || !(key in value)) return false
  return rest.length === 0 || holds(value[key], rest)
}

/** `value` with a field no schema knows added to every object of `path`'s items (the top items for `[]`). */
export const withUnknownField = (value: unknown, path: FieldPath = []): unknown => {
  if (Array.isArray(value)) return value.map((item) => withUnknownField(item, path))
  if (!isRecord(value)) return value
  const [key, ...rest] = path
  if (key === undefined) return { ...value, FleetFlowUnknownField: { nested: [1, "two", null] } }
  return key in value ? { ...value, [key]: withUnknownField(value[key], rest) } : value
}

export const shown = (path: FieldPath): string => path.join(".")
