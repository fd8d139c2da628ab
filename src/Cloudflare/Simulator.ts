/**
 * A Cloudflare v4 API simulator: the endpoints FleetFlow's Cloudflare provider and wrangler's
 * account discovery use, answered with the v4 envelope
 * (`{success, errors: [{code, message}], messages, result, result_info}`) and Cloudflare's
 * error codes, against a simulated account kept in a store.
 *
 * - Accounts: `GET /user/tokens/verify`, `GET /user` (9109: the token is not a user token),
 *   `GET /accounts[/{a}]`, `GET /memberships`.
 * - R2, under `/accounts/{a}/r2/buckets` (the `cf-r2-jurisdiction` header selects `eu` or
 *   `fedramp`): list (`{buckets}`; all at once, or by `per_page` and `cursor`), create (the body
 *   is JSON whatever its content type), get, `PATCH` (`cf-r2-storage-class`), delete;
 *   `GET|PUT|DELETE …/{b}/cors`; `GET|POST …/{b}/domains/custom`,
 *   `GET|PUT|DELETE …/domains/custom/{domain}` (the zone must exist); `PUT|GET|DELETE
 *   …/{b}/objects/{key}` (sizes only), enough to make a bucket non-empty.
 * - DNS: `GET /zones[?name=]`, `GET /zones/{z}`, `GET|POST /zones/{z}/dns_records` (`type`,
 *   `name`, `content`, `page`, `per_page` ≤ 5000), `GET|PATCH|PUT|DELETE …/dns_records/{id}`,
 *   `POST …/dns_records/batch` (one transaction).
 *
 * Codes: 10000 authentication (400 without a bearer token, 403 with another one; the token
 * check answers 401/1000 as the real one does), 9109 another account, 10006 no such bucket
 * (404), 10004 bucket exists (409), 10008 bucket not empty (409), 10005 bad bucket name (400),
 * 10059 no CORS policy (404), 10007 no such object (404), 10040 a body R2 rejects (400),
 * 7003 unknown zone (400), 81044 no such record (404), 81057 a second CNAME (400), 81058
 * identical record (400), 81053 A/AAAA beside a CNAME (400), 9005 bad A/AAAA content (400),
 * 1004 other record validation (400), 9207 a body that is not a record (400), 10058 (R2) or
 * 971 (others) too many requests (429 with `retry-after` seconds), 7000 no route, 7001 method
 * not allowed. Custom domains use 10064 (none on the bucket, 404) and 10065 (taken, 409),
 * codes of the simulator's choosing.
 *
 * Faults (spec: `POST /accounts*=503*2,GET /zones*=ratelimit:5*1`, see `Simulator/Faults.ts`) come
 * from the options or are injected into a running simulator (`injectFaults`); their counts and
 * the rate-limit window are kept in the store, so a file store carries them across processes.
 *
 * It runs three ways: `handle` (one request in, one response out), `layerClient` (an
 * `HttpClient` in process, no socket) and `serve` (an HTTP server on 127.0.0.1 for
 * `CLOUDFLARE_API_BASE_URL`).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import type * as Scope from "effect/Scope"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import type { Bucket, CloudflareDocument, DnsRecord, FaultRule, RequestEntry, Zone } from "./Simulator/Document.js"
import { envelope, type SimulatorRequest, type SimulatorResponse } from "./Simulator/Envelope.js"
import * as Faults from "./Simulator/Faults.js"
import * as Handle from "./Simulator/Handle.js"
import * as Store from "./Simulator/Store.js"

export type {
  Account,
  Bucket,
  CloudflareDocument,
  CorsRule,
  CustomDomain,
  DnsRecord,
  FaultRule,
  RequestEntry,
  StoredObject,
  Zone
} from "./Simulator/Document.js"
export type { SimulatorRequest, SimulatorResponse } from "./Simulator/Envelope.js"
export type { SimulatorOptions } from "./Simulator/Handle.js"
export { defaultAccountId, zoneId } from "./Simulator/Handle.js"
export type { CloudflareStore } from "./Simulator/Store.js"
export { CloudflareStoreError } from "./Simulator/Store.js"

type SimulatorOptions = Handle.SimulatorOptions

/** A store in memory; `initial` fills in what the empty account lacks. */
export const memoryStore = (initial?: Partial<CloudflareDocument>): Effect.Effect<Store.CloudflareStore> =>
  Store.memory(initial)

/** A store in the JSON file at `path` (created on the first change), written atomically. */
export const fileStore = (path: string): Store.CloudflareStore => Store.file(path)

/** Answers one request. Fails only when the store cannot be used. */
export const handle: (
  request: SimulatorRequest,
  store: Store.CloudflareStore,
  options: SimulatorOptions
) => Effect.Effect<SimulatorResponse, Store.CloudflareStoreError> = Handle.handle

const concat = (chunks: Iterable<Uint8Array>): Uint8Array => {
  const parts = [...chunks]
  const out = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

/** The bytes of a client request's body, and the content type it would be sent with. */
const bodyOf = (
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<{ readonly bytes: Uint8Array; readonly contentType?: string }, unknown> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return Effect.succeed({ bytes: new Uint8Array() })
    case "Uint8Array":
      return Effect.succeed({ bytes: body.body, contentType: body.contentType })
    case "Raw": {
      const raw = body.body
      if (typeof raw === "string") return Effect.succeed({ bytes: new TextEncoder().encode(raw) })
      if (raw instanceof Uint8Array) return Effect.succeed({ bytes: raw })
      if (raw instanceof ArrayBuffer) return Effect.succeed({ bytes: new Uint8Array(raw) })
      return Effect.fail(new Error("unsupported raw body"))
    }
    case "FormData":
      return Effect.tryPromise(async () => {
        const encoded = new Response(body.formData)
        const bytes = new Uint8Array(await encoded.arrayBuffer())
        const contentType = encoded.headers.get("content-type")
        return contentType === null ? { bytes } : { bytes, contentType }
      })
    case "Stream":
      return Effect.map(Stream.runCollect(body.stream), (chunks) => ({
        bytes: concat(Chunk.toReadonlyArray(chunks)),
        contentType: body.contentType
      }))
  }
}

/** Sends `request` (whatever its host) to the simulator. */
const send = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  store: Store.CloudflareStore,
  options: SimulatorOptions
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> =>
  Effect.gen(function* () {
    const body = yield* bodyOf(request)
    const headers: Record<string, string> = { ...request.headers }
    if (body.contentType !== undefined && headers["content-type"] === undefined) {
      headers["content-type"] = body.contentType
    }
    const response = yield* Handle.handle(
      { method: request.method, url: `${url.pathname}${url.search}`, headers, body: body.bytes },
      store,
      options
    )
    return HttpClientResponse.fromWeb(
      request,
      new Response(response.body, { status: response.status, headers: response.headers })
    )
  }).pipe(
    Effect.mapError(
      (cause) =>
        new HttpClientError.RequestError({
          request,
          reason: "Transport",
          cause,
          description: "the Cloudflare simulator could not answer"
        })
    )
  )

/**
 * The simulator as `HttpClient.HttpClient`, in process: any URL is answered by the simulator
 * (its path, with or without `/client/v4`), so a client pointed at the real API root works.
 */
export const layerClient = (
  store: Store.CloudflareStore,
  options: SimulatorOptions
): Layer.Layer<HttpClient.HttpClient> =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request, url) => send(request, url, store, options))
  )

/**
 * Starts the simulator as an HTTP server on 127.0.0.1 with a free port, for as long as the
 * scope lasts, and returns its API root (`http://127.0.0.1:PORT/client/v4`), the value for
 * `CLOUDFLARE_API_BASE_URL`. The server logs nothing.
 */
export const serve = (
  store: Store.CloudflareStore,
  options: SimulatorOptions
): Effect.Effect<string, HttpServerError.ServeError, Scope.Scope> =>
  Effect.gen(function* () {
    let raw: Http.Server | undefined
    const server = yield* NodeHttpServer.make(
      () => {
        raw = Http.createServer()
        return raw
      },
      { port: 0, host: "127.0.0.1" }
    )
    // Runs before the server's own close, so that a hanging request cannot hold the scope open.
    yield* Effect.addFinalizer(() => Effect.sync(() => raw?.closeAllConnections()))
    const app = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const body = yield* request.arrayBuffer
      const response = yield* Handle.handle(
        { method: request.method, url: request.url, headers: request.headers, body: new Uint8Array(body) },
        store,
        options
      )
      const { "content-type": contentType, ...headers } = response.headers
      return HttpServerResponse.text(response.body, {
        status: response.status,
        headers,
        contentType: contentType ?? "application/json"
      })
    }).pipe(
      Effect.catchAll((error) => {
        const failure = envelope(500, {
          result: null,
          errors: [{ code: 10001, message: `The simulator failed: ${error._tag}` }]
        })
        return Effect.succeed(HttpServerResponse.text(failure.body, { status: 500, contentType: "application/json" }))
      })
    )
    yield* server.serve(app)
    const address = server.address
    if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("the simulator is not listening on TCP")
    return `http://127.0.0.1:${address.port}/client/v4`
  })

export interface AccountContents {
  readonly accounts: CloudflareDocument["accounts"]
  readonly zones: ReadonlyArray<Zone>
  /** With their CORS rules, custom domains and objects. */
  readonly buckets: ReadonlyArray<Bucket>
  readonly records: ReadonlyArray<DnsRecord>
}

/** Adds the account and zones `options` name to the store now, rather than on the first request. */
export const prepare = (
  store: Store.CloudflareStore,
  options: SimulatorOptions
): Effect.Effect<void, Store.CloudflareStoreError> =>
  store.modify((document) => Effect.succeed([undefined, Handle.seed(document, options)] as const))

/** What the simulated account holds (times in epoch milliseconds); the options' zones are there after `prepare` or a first request. */
export const inspect = (store: Store.CloudflareStore): Effect.Effect<AccountContents, Store.CloudflareStoreError> =>
  Effect.map(store.load, (document) => ({
    accounts: document.accounts,
    zones: document.zones,
    buckets: document.buckets,
    records: document.records
  }))

/** Every request the simulator answered, oldest first: method, path, query and status, never headers or bodies. */
export const requests = (
  store: Store.CloudflareStore
): Effect.Effect<ReadonlyArray<RequestEntry>, Store.CloudflareStoreError> =>
  Effect.map(store.load, (document) => document.requests)

export class UnknownBucket extends Data.TaggedError("UnknownBucket")<{
  readonly bucket: string
  readonly message: string
}> {}

/** Puts an object into a bucket without going through the API (a test hook). */
export const putObject = (
  store: Store.CloudflareStore,
  object: {
    readonly bucket: string
    readonly key: string
    readonly size?: number
    readonly accountId?: string
    readonly jurisdiction?: string
  }
): Effect.Effect<void, UnknownBucket | Store.CloudflareStoreError> =>
  store.modify((document) =>
    Effect.gen(function* () {
      const accountId = object.accountId ?? Handle.defaultAccountId
      const jurisdiction = object.jurisdiction ?? "default"
      const bucket = document.buckets.find(
        (item) => item.accountId === accountId && item.jurisdiction === jurisdiction && item.name === object.bucket
      )
      if (bucket === undefined) {
        return yield* new UnknownBucket({ bucket: object.bucket, message: `no bucket ${object.bucket} to put into` })
      }
      const stored = { key: object.key, size: object.size ?? 0, uploaded: 0 }
      const next = { ...bucket, objects: [...bucket.objects.filter((item) => item.key !== object.key), stored] }
      return [
        undefined,
        { ...document, buckets: document.buckets.map((item) => (item === bucket ? next : item)) }
      ] as const
    })
  )

/** Adds fault rules to a running simulator; they apply after those of its options. */
export const injectFaults = (
  store: Store.CloudflareStore,
  rules: ReadonlyArray<FaultRule>
): Effect.Effect<void, Store.CloudflareStoreError> =>
  store.modify((document) =>
    Effect.succeed([undefined, { ...document, faults: [...document.faults, ...rules] }] as const)
  )

/** Removes the injected rules, their counts and any open rate-limit window. */
export const clearFaults = (store: Store.CloudflareStore): Effect.Effect<void, Store.CloudflareStoreError> =>
  store.modify((document) =>
    Effect.succeed([undefined, { ...document, faults: [], fired: {}, rateLimitedUntil: 0 }] as const)
  )

/** The fault spec language (see `Simulator/Faults.ts`). */
export const FaultSpec = Faults.FaultSpec

export const parseFaults = (spec: string): Either.Either<ReadonlyArray<FaultRule>, string> =>
  Either.mapLeft(Schema.decodeEither(FaultSpec)(spec), (error) =>
    ParseResult.ArrayFormatter.formatErrorSync(error)
      .map((issue) => issue.message)
      .join("; ")
  )
