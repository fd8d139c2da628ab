/**
 * The v4 envelope, the request a route handler sees, and the failure that stops a handler
 * (and discards every change it made to the document).
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Crypto from "node:crypto"
import type { CloudflareDocument } from "./Document.js"

export interface SimulatorRequest {
  readonly method: string
  /** A whole URL, or a path with its query; `/client/v4` in front of the path is optional. */
  readonly url: string
  /** Any case; the simulator reads `authorization`, `cf-r2-jurisdiction` and `cf-r2-storage-class`. */
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body?: Uint8Array | string | undefined
}

export interface SimulatorResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** The JSON envelope. */
  readonly body: string
}

export interface ResultInfo {
  readonly page: number
  readonly per_page: number
  readonly count: number
  readonly total_count: number
  readonly total_pages: number
}

export interface ApiMessage {
  readonly code: number
  readonly message: string
}

const jsonHeaders = { "content-type": "application/json" }

export const envelope = (
  status: number,
  fields: { readonly result: unknown; readonly errors?: ReadonlyArray<ApiMessage>; readonly resultInfo?: unknown },
  headers: Readonly<Record<string, string>> = {}
): SimulatorResponse => ({
  status,
  headers: { ...jsonHeaders, ...headers },
  body: JSON.stringify({
    success: status < 400,
    errors: fields.errors ?? [],
    messages: [],
    result: fields.result,
    ...(fields.resultInfo === undefined ? {} : { result_info: fields.resultInfo })
  })
})

/** An API error: the status, one `{code, message}` and extra headers (`retry-after`). */
export class ApiFailure extends Data.TaggedError("ApiFailure")<{
  readonly status: number
  readonly code: number
  readonly message: string
  readonly headers?: Readonly<Record<string, string>>
}> {}

export const failureResponse = (failure: ApiFailure): SimulatorResponse =>
  envelope(
    failure.status,
    { result: null, errors: [{ code: failure.code, message: failure.message }] },
    failure.headers ?? {}
  )

export const fail = (status: number, code: number, message: string): Effect.Effect<never, ApiFailure> =>
  Effect.fail(new ApiFailure({ status, code, message }))

/** What a route answers when it succeeds. */
export interface Answer {
  readonly result: unknown
  readonly resultInfo?: ResultInfo | Readonly<Record<string, unknown>>
  readonly status?: number
}

export interface Call {
  readonly method: string
  /** Under `/client/v4`. */
  readonly path: string
  readonly params: Readonly<Record<string, string>>
  readonly query: URLSearchParams
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
  readonly now: number
  /** Signs and checks the Pages upload tokens (see `Jwt`); derived from the API token. */
  readonly signingKey: string
}

export type Handler = (
  call: Call,
  document: CloudflareDocument
) => Effect.Effect<readonly [Answer, CloudflareDocument], ApiFailure>

export const answer = (result: unknown, document: CloudflareDocument, resultInfo?: Answer["resultInfo"]) =>
  Effect.succeed([resultInfo === undefined ? { result } : { result, resultInfo }, document] as const)

/** The body as JSON whatever its content type (wrangler sends JSON as text/plain), decoded with `schema`. */
export const decodeBody = <A, I>(call: Call, schema: Schema.Schema<A, I>, code: number): Effect.Effect<A, ApiFailure> =>
  Effect.gen(function* () {
    const text = new TextDecoder().decode(call.body)
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () =>
        new ApiFailure({ status: 400, code, message: "The JSON you provided was not well formed or is missing." })
    })
    return yield* Schema.decodeUnknown(schema, { onExcessProperty: "ignore" })(json).pipe(
      Effect.mapError((error) => {
        const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
          .slice(0, 3)
          .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`))
        return new ApiFailure({ status: 400, code, message: `Invalid request body: ${issues.join("; ")}` })
      })
    )
  })

/** `page` and `per_page` from the query, checked against `maxPerPage`. */
export const pageOf = (
  call: Call,
  defaultPerPage: number,
  maxPerPage: number,
  code: number
): Effect.Effect<{ readonly page: number; readonly perPage: number }, ApiFailure> =>
  Effect.gen(function* () {
    const read = (name: string, fallback: number) => {
      const text = call.query.get(name)
      if (text === null || text === "") return Effect.succeed(fallback)
      const value = Number(text)
      return Number.isInteger(value) && value >= 1
        ? Effect.succeed(value)
        : fail(400, code, `${name} must be a positive whole number`)
    }
    const page = yield* read("page", 1)
    const perPage = yield* read("per_page", defaultPerPage)
    if (perPage > maxPerPage) return yield* fail(400, code, `per_page must be at most ${maxPerPage}`)
    return { page, perPage }
  })

export const paginate = <A>(
  items: ReadonlyArray<A>,
  page: number,
  perPage: number
): { readonly items: ReadonlyArray<A>; readonly info: ResultInfo } => {
  const slice = items.slice((page - 1) * perPage, page * perPage)
  return {
    items: slice,
    info: {
      page,
      per_page: perPage,
      count: slice.length,
      total_count: items.length,
      total_pages: Math.ceil(items.length / perPage)
    }
  }
}

export const isoDate = (millis: number): string => new Date(millis).toISOString()

/** A 32-hex ID as a version-4 UUID (`8-4-4-4-12`), as Worker versions and Pages deployments are named. */
export const asUuid = (hex: string): string => {
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** A new 32-hex ID, as Cloudflare's look, and the document that has used it up. */
export const allocateId = (document: CloudflareDocument, kind: string): readonly [string, CloudflareDocument] => {
  const sequence = document.sequence + 1
  const id = Crypto.createHash("md5").update(`${kind}:${sequence}`).digest("hex")
  return [id, { ...document, sequence }]
}

type Collection = {
  [K in keyof CloudflareDocument]: CloudflareDocument[K] extends ReadonlyArray<unknown> ? K : never
}[keyof CloudflareDocument]

/** `document` with `item` of its `field` replaced by `next`. */
export const replaceIn = <K extends Collection>(
  document: CloudflareDocument,
  field: K,
  item: CloudflareDocument[K][number],
  next: CloudflareDocument[K][number]
): CloudflareDocument => ({
  ...document,
  [field]: (document[field] as ReadonlyArray<unknown>).map((candidate) => (candidate === item ? next : candidate))
})

/** The item of `document[field]` that `matches` and a way to replace it, or `missing`'s failure. */
export const locate = <K extends Collection>(
  document: CloudflareDocument,
  field: K,
  matches: (item: CloudflareDocument[K][number]) => boolean,
  missing: () => Effect.Effect<never, ApiFailure>
) => {
  const item = (document[field] as ReadonlyArray<CloudflareDocument[K][number]>).find(matches)
  return item === undefined
    ? missing()
    : Effect.succeed({
        item,
        replace: (next: CloudflareDocument[K][number]): CloudflareDocument => replaceIn(document, field, item, next)
      })
}
