/**
 * Reading state documents: the state file, journal lines, and rows holding either. Reading
 * decodes everything and never takes what does not decode for an empty state; writing checks
 * the envelope only.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as ParseIssues from "../ParseIssues.js"
import { quickDecoder } from "../QuickDecode.js"
import { type Json, StoredResource } from "../Resource.js"
import { newerFormatDetail, PendingOperation, ScaleCounts, StateFile } from "./Document.js"
import * as Journal from "./Journal.js"
import { StateIoError } from "./Store.js"

const formatIssues = (error: ParseResult.ParseError): string => ParseIssues.describe(error)

export const parseJson = (text: string): Either.Either<unknown, string> => {
  if (text.trim() === "") return Either.left("the file is empty")
  return Either.try({
    try: () => JSON.parse(text) as unknown,
    catch: (error) => `it is not valid JSON (${error instanceof Error ? error.message : String(error)})`
  })
}

/**
 * How deep a document may nest. Decoding recurses with it, and where the stack runs out depends
 * on how deep it already is and on what the JIT made of the decoder, so a document near that
 * edge could read once and fail the next time; refusing it up front gives the same answer
 * every time. States nest a few levels.
 */
const maximumNesting = 500

const nestsDeeperThan = (json: unknown, limit: number): boolean => {
  // Two stacks rather than an object per value: a large state holds hundreds of thousands.
  const values: Array<unknown> = [json]
  const depths: Array<number> = [0]
  while (values.length > 0) {
    const value = values.pop()
    const depth = depths.pop()!
    if (typeof value !== "object" || value === null) continue
    if (depth >= limit) return true
    if (Array.isArray(value)) {
      for (const item of value) {
        values.push(item)
        depths.push(depth + 1)
      }
    } else {
      for (const field in value) {
        values.push((value as Record<string, unknown>)[field])
        depths.push(depth + 1)
      }
    }
  }
  return false
}

/**
 * Decoding and describing what does not match both recurse with the document: one nested
 * thousands deep (valid JSON) overflows the stack, which must read as corrupt, not crash.
 */
export const decodeJson = <A, I>(schema: Schema.Schema<A, I>, json: unknown): Either.Either<A, string> => {
  if (nestsDeeperThan(json, maximumNesting)) return Either.left("it is nested too deeply")
  try {
    return quickDecoder(schema)(json).pipe(Either.mapLeft((error) => formatIssues(error)))
  } catch (error) {
    // A sentence for the operator, never a stack (the overflow can come wrapped in a FiberFailure).
    if (String(error).includes("Maximum call stack")) return Either.left("it is nested too deeply")
    return Either.left(`it cannot be checked (${error instanceof Error ? error.message : String(error)})`)
  }
}

const isJson = (value: unknown): value is Json => {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return true
  }
  if (Array.isArray(value)) return value.every(isJson)
  if (typeof value !== "object") return false
  for (const field in value) if (!isJson((value as Record<string, unknown>)[field])) return false
  return true
}

/**
 * `Json` for a document `JSON.parse` made, where every value is JSON: it accepts what the
 * recursive union accepts there, without decoding each of the hundreds of thousands of values
 * a large state holds through it (most of the time a plan of 10,000 resources spent reading).
 */
const ParsedJson = Schema.declare(isJson, { identifier: "Json" })
const ParsedInputs = Schema.Record({ key: Schema.String, value: ParsedJson })

const ParsedStateFile = Schema.Struct({
  ...StateFile.fields,
  resources: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({
      ...StoredResource.fields,
      attributes: ParsedInputs,
      inputs: ParsedInputs,
      declared: Schema.optional(ParsedInputs)
    })
  })
})

/** A state a newer FleetFlow wrote says so, rather than list what its schema does not match. */
const newerFormat = (json: unknown): string | undefined => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined
  const version = (json as Record<string, unknown>).version
  return typeof version === "number" && Number.isInteger(version) && version > StateFile.fields.version.literals[0]
    ? newerFormatDetail(version)
    : undefined
}

export const decodeState = (text: string): Either.Either<StateFile, string> =>
  Either.flatMap(parseJson(text), (json) => {
    const newer = newerFormat(json)
    if (newer !== undefined) return Either.left(newer)
    return decodeJson(ParsedStateFile, json).pipe(
      Either.mapLeft((issues) => `it does not match the state schema: ${issues}`)
    )
  })

/**
 * The envelope is checked on every write; the resources are not, since the engine builds them
 * from decoded values, and checking the whole recursive schema each time made a large apply
 * quadratic in CPU. Reading decodes everything.
 */
const StateEnvelope = StateFile.omit("resources", "pending")

export const checkEnvelope = (path: string, state: StateFile): Effect.Effect<void, StateIoError> =>
  Schema.validate(StateEnvelope)(state).pipe(
    Effect.asVoid,
    Effect.mapError(
      (error) => new StateIoError({ path, operation: "encode", detail: `the state is invalid: ${formatIssues(error)}` })
    )
  )

export const encodeState = (path: string, state: StateFile): Effect.Effect<string, StateIoError> =>
  Effect.as(checkEnvelope(path, state), JSON.stringify(state, null, 2) + "\n")

const JournalEntry = Journal.entrySchema(PendingOperation, ScaleCounts)

export const decodeEntry = (
  json: unknown
): Either.Either<Journal.Entry<PendingOperation, typeof ScaleCounts.Type>, string> =>
  Either.mapLeft(decodeJson(JournalEntry, json), (issues) => `is not a journal entry: ${issues}`)
