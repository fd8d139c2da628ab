/**
 * What a usacloud command printed, read as the command promises: nothing, a list, or exactly
 * one item, decoded with Schema. Exit 0 does not mean success: usacloud reports some errors
 * (its configuration's) on stderr only.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import * as ParseIssues from "../../ParseIssues.js"
import { projectingDecoder } from "../../QuickDecode.js"
import type { Output } from "../Transport.js"
import type { Call } from "./Args.js"
import * as Errors from "./Errors.js"

type Result<A> = Effect.Effect<A, Errors.UsacloudError>

/** Reads a successful run's output as `A`. */
export type Reader<A> = (call: Call, output: Output) => Result<A>

const excerpt = (text: string) => {
  const flat = text.trim().replace(/\s+/g, " ")
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat
}

const shapeError = (command: string, error: ParseResult.ParseError) =>
  Errors.make(command, "failed", `usacloud printed JSON FleetFlow cannot read: ${ParseIssues.describe(error, 5)}`)

const parseJson = (text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

const listDecoders = new WeakMap<
  AST.AST,
  (json: unknown) => Either.Either<ReadonlyArray<unknown>, ParseResult.ParseError>
>()

/** The decoder of a list of `schema`, made once per schema: a refresh decodes lists of thousands. */
const listDecoder = <A, I>(schema: Schema.Schema<A, I>) => {
  let decoder = listDecoders.get(schema.ast)
  if (decoder === undefined) {
    decoder = projectingDecoder(Schema.Array(schema), { errors: "all" })
    listDecoders.set(schema.ast, decoder)
  }
  return decoder as (json: unknown) => Either.Either<ReadonlyArray<A>, ParseResult.ParseError>
}

/** Commands that print nothing; exit 0 with an error on stderr is a failure (usacloud's config errors). */
export const nothing: Reader<void> = (call, output) =>
  Errors.errorLines(output.stderr).length > 0 ? Effect.fail(Errors.classify(call.command, output)) : Effect.void

/** A JSON array of `schema`; an empty stdout is an empty list or an error, as `empty` says. */
export const list =
  <A, I>(schema: Schema.Schema<A, I>, empty: "empty-list" | "error"): Reader<ReadonlyArray<A>> =>
  (call, output) =>
    Effect.gen(function* () {
      const problems = Errors.errorLines(output.stderr)
      const text = output.stdout.trim()
      if (text === "") {
        if (problems.length > 0) return yield* Errors.classify(call.command, output)
        if (empty === "empty-list") return []
        return yield* Errors.make(call.command, "failed", "usacloud printed nothing where a result was expected")
      }
      const parsed = parseJson(text)
      if (!parsed.ok) {
        if (problems.length > 0) return yield* Errors.classify(call.command, output)
        return yield* Errors.make(call.command, "failed", `usacloud printed output that is not JSON: ${excerpt(text)}`)
      }
      if (problems.length > 0) {
        yield* Effect.logDebug(`usacloud ${call.command} succeeded with messages`).pipe(
          Effect.annotateLogs("stderr", problems)
        )
      }
      const decoded = listDecoder(schema)(parsed.value)
      if (Either.isLeft(decoded)) return yield* shapeError(call.command, decoded.left)
      return decoded.right
    })

/** Exactly one item of `schema` (the one with `id`, when given). */
export const one =
  <A, I>(schema: Schema.Schema<A, I>, id?: string): Reader<A> =>
  (call, output) =>
    Effect.gen(function* () {
      const items = yield* list(schema, "error")(call, output)
      const matching = id === undefined ? items : items.filter((item) => (item as { readonly id?: unknown }).id === id)
      const [first] = matching
      if (first === undefined || matching.length > 1) {
        const what = id === undefined ? "one result" : `the resource with ID ${id}`
        return yield* Errors.make(
          call.command,
          "failed",
          `usacloud printed ${items.length} result(s) where ${what} was expected`
        )
      }
      return first
    })
