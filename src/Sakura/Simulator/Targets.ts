/**
 * Which resources a command works on: the targets its arguments select, the confirmation
 * it asks for first, the filters and paging of a list, and the `list` and `read` commands
 * of the zoned resources built from them.
 */
import * as Effect from "effect/Effect"
import { boolFlag, intFlag, listFlag } from "./Args.js"
import { type Context, inZones, matchMode } from "./Context.js"
import type { SimulatorDocument } from "./Document.js"
import { type Failure, fail, goQuote } from "./Failure.js"
import { type Handler, type Json, unchanged } from "./Handler.js"

export interface Labeled {
  readonly id: number
  readonly name: string
  readonly tags: ReadonlyArray<string>
}

/** usacloud's selector: an argument matches a resource's ID, its name (substring, or whole in exact mode) or a tag. */
export const select = <A extends Labeled>(
  context: Context,
  candidates: ReadonlyArray<A>
): Effect.Effect<Array<A>, Failure> => {
  const { args, spec } = context.invocation
  if (args.length === 0) return fail("ID or Name or Tags arguments are required")
  const exact = matchMode(context) === "exact"
  const matched = candidates.filter((candidate) =>
    args.some(
      (arg) =>
        String(candidate.id) === arg ||
        (exact ? candidate.name === arg : candidate.name.includes(arg)) ||
        candidate.tags.includes(arg)
    )
  )
  const query = `[${args.map(goQuote).join(" ")}]`
  if (spec.selector === "single" && matched.length > 1) {
    return fail(`in this operation, only a single target is allowed: query=${query}`)
  }
  if (matched.length === 0) return fail(`target resource not found: query=${query}`)
  return Effect.succeed(matched)
}

export const confirm = (context: Context) =>
  boolFlag(context.invocation, "assumeyes")
    ? Effect.void
    : fail("the confirm dialog cannot be used without the terminal. Please use --assumeyes(-y) option")

const byId = <A extends { readonly id: number }>(items: ReadonlyArray<A>) => [...items].sort((a, b) => a.id - b.id)

export const filterList = <A extends Labeled>(context: Context, items: ReadonlyArray<A>): ReadonlyArray<A> => {
  const names = listFlag(context.invocation, "names") ?? []
  const tags = listFlag(context.invocation, "tags") ?? []
  const from = intFlag(context.invocation, "from") ?? 0
  const count = intFlag(context.invocation, "count") ?? 0
  const matching = byId(items).filter(
    (item) => names.every((name) => item.name.includes(name)) && tags.every((tag) => item.tags.includes(tag))
  )
  return matching.slice(from, count > 0 ? from + count : undefined)
}

/** `list` and `read` of a zoned resource: the filtered page of its items, or the ones the arguments select. */
export const zonedReads = <A extends Labeled & { readonly zone: string }>(
  itemsOf: (document: SimulatorDocument) => ReadonlyArray<A>,
  json: (document: SimulatorDocument, item: A, now: number) => Json
): { readonly list: Handler; readonly read: Handler } => ({
  list: (context, document) =>
    Effect.succeed(
      unchanged(
        document,
        filterList(context, inZones(context, itemsOf(document))).map((item) => json(document, item, context.now))
      )
    ),
  read: (context, document) =>
    Effect.gen(function* () {
      const [item] = yield* select(context, inZones(context, itemsOf(document)))
      return unchanged(document, [json(document, item!, context.now)])
    })
})
