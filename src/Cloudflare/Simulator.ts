/**
 * A Cloudflare v4 API simulator: the endpoints FleetFlow's Cloudflare provider and wrangler
 * (`whoami`, `r2 bucket …`, `deploy`, `delete`, `pages project …`, `pages deploy`) use,
 * answered with the v4 envelope (`{success, errors: [{code, message}], messages, result,
 * result_info}`) and Cloudflare's error codes, against a simulated account kept in a store.
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
 * - KV, under `/accounts/{a}/storage/kv/namespaces`: list (`page`, `per_page` ≤ 1000, `order`
 *   id|title, `direction`), create `{title}`, `GET|PUT {title}|DELETE …/{id}`. The options'
 *   `kvNamespaces` are seeded with the IDs `kvNamespaceId` gives.
 * - Workers, under `/accounts/{a}/workers`: `GET scripts` (list), `PUT scripts/{n}` (multipart:
 *   `metadata` JSON with `main_module`, `bindings`, `compatibility_date`, `compatibility_flags`,
 *   `keep_bindings`; the modules are kept as size and SHA-256; the upload is deployed at once),
 *   `DELETE scripts/{n}`, `GET|PATCH scripts/{n}/settings` (the PATCH, multipart with a `settings`
 *   part, deploys a version with other bindings or compatibility settings), `GET|PATCH
 *   scripts/{n}/script-settings`,
 *   `GET|POST scripts/{n}/versions` (a version, not deployed), `GET scripts/{n}/versions/{v}`,
 *   `GET|POST scripts/{n}/deployments` (percentages adding up to 100), `GET|POST
 *   scripts/{n}/subdomain`, `GET scripts/{n}/references`, `GET|PUT scripts/{n}/routes` (the PUT
 *   replaces the script's routes), `GET|DELETE services/{n}` (deleting removes the script's
 *   routes), `GET subdomain` (the account name as a label), `GET tails/by-consumer/{n}` (none).
 *   Bindings are checked: an `r2_bucket` must name a bucket of the account, a `kv_namespace`
 *   one of its namespaces; `secret_text` bindings are kept without their text.
 * - Worker routes: `GET|POST /zones/{z}/workers/routes`, `GET|PUT|DELETE …/routes/{id}`.
 * - Pages, under `/accounts/{a}/pages/projects`: list (`page`, `per_page` ≤ 100), create
 *   (`deployment_configs` echoed over defaults, subdomain `<name>.pages.dev`), `GET|PATCH|DELETE
 *   …/{p}`, `GET …/{p}/upload-token` (`{jwt}`), `GET|POST …/{p}/deployments` (multipart:
 *   `manifest` of uploaded hashes, `branch`: the production branch deploys to production,
 *   any other to preview), `GET …/{p}/deployments/{id}`; and `POST /pages/assets/check-missing`,
 *   `upload`, `upsert-hashes`, authorized by the upload token instead of the API token.
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
 * KV: 10013 no such namespace (404), 10014 title taken (400), 10011 malformed namespace ID
 * (400), 10001 bad body or query (400).
 * Workers: 10007 no such script (404, under `scripts/`), 10090 no such service (404, under
 * `services/`), 10021 an upload or deployment the API rejects (400), 10027 modules over 10 MiB
 * (400), 10052 a binding without a name (400), 10057 an `inherit` binding with nothing to
 * inherit (400), 10085 an `r2_bucket` binding to a missing bucket (400), 10042 a
 * `kv_namespace` binding to an unknown namespace (400); routes: 10020 the pattern already has
 * a route (409), 10019 the route names a missing script (400). Of the simulator's choosing:
 * 10016 bad script name (400), 10230 no such version (404), 10018 no such route (404), 10022
 * pattern outside its zone (400).
 * Pages: 8000007 no such project (404), 8000002 project exists (409), 8000013 missing or bad
 * upload token (401); of the simulator's choosing: 8000011 bad name or body (400), 8000009 no
 * such deployment (404).
 *
 * Faults (spec: `POST /accounts*=503*2,GET /zones*=ratelimit:5*1`, see `Simulator/Faults.ts`) come
 * from the options or are injected into a running simulator (`injectFaults`); their counts and
 * the rate-limit window are kept in the store, so a file store carries them across processes.
 *
 * It runs three ways: `handle` (one request in, one response out), `layerClient` (an
 * `HttpClient` in process, no socket) and `serve` (an HTTP server on 127.0.0.1 for
 * `CLOUDFLARE_API_BASE_URL`).
 */
import type * as FileSystem from "@effect/platform/FileSystem"
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
import type {
  Bucket,
  CloudflareDocument,
  DnsRecord,
  FaultRule,
  KvNamespace,
  PagesProject,
  RequestEntry,
  Worker,
  WorkerBinding,
  WorkerModule,
  WorkerRoute,
  Zone
} from "./Simulator/Document.js"
import { envelope, type SimulatorRequest, type SimulatorResponse } from "./Simulator/Envelope.js"
import * as Faults from "./Simulator/Faults.js"
import * as Handle from "./Simulator/Handle.js"
import * as Store from "./Simulator/Store.js"
import * as Workers from "./Simulator/Workers.js"

export type {
  Account,
  Bucket,
  CloudflareDocument,
  CorsRule,
  CustomDomain,
  DnsRecord,
  FaultRule,
  KvNamespace,
  PagesAsset,
  PagesDeployment,
  PagesProject,
  RequestEntry,
  StoredObject,
  Worker,
  WorkerBinding,
  WorkerDeployment,
  WorkerModule,
  WorkerRoute,
  WorkerVersion,
  Zone
} from "./Simulator/Document.js"
export type { SimulatorRequest, SimulatorResponse } from "./Simulator/Envelope.js"
export type { SimulatorOptions } from "./Simulator/Handle.js"
export { qualify as qualifyRecordName } from "./Simulator/Dns.js"
export { defaultAccountId, kvNamespaceId, zoneId } from "./Simulator/Handle.js"
export type { CloudflareStore } from "./Simulator/Store.js"
export { CloudflareStoreError } from "./Simulator/Store.js"

type SimulatorOptions = Handle.SimulatorOptions

/** A store in memory; `initial` fills in what the empty account lacks. */
export const memoryStore = (initial?: Partial<CloudflareDocument>): Effect.Effect<Store.CloudflareStore> =>
  Store.memory(initial)

/** A store in the JSON file at `path` (created on the first change), written atomically. */
export const fileStore = (path: string): Effect.Effect<Store.CloudflareStore, never, FileSystem.FileSystem> =>
  Store.file(path)

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
 * Starts the simulator as an HTTP server on 127.0.0.1 (on `listen.port`, else a free port), for
 * as long as the scope lasts, and returns its API root (`http://127.0.0.1:PORT/client/v4`), the value for
 * `CLOUDFLARE_API_BASE_URL`. The server logs nothing.
 */
export const serve = (
  store: Store.CloudflareStore,
  options: SimulatorOptions,
  listen: { readonly port?: number | undefined } = {}
): Effect.Effect<string, HttpServerError.ServeError, Scope.Scope> =>
  Effect.gen(function* () {
    let raw: Http.Server | undefined
    const server = yield* NodeHttpServer.make(
      () => {
        raw = Http.createServer()
        return raw
      },
      { port: listen.port ?? 0, host: "127.0.0.1" }
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

/** A Worker with what its live version (the one its last deployment serves) runs. */
export interface WorkerContents extends Worker {
  readonly bindings: ReadonlyArray<WorkerBinding>
  /** Empty when the upload named none. */
  readonly compatibilityDate: string
  readonly compatibilityFlags: ReadonlyArray<string>
  readonly mainModule: string
  readonly modules: ReadonlyArray<WorkerModule>
}

export interface AccountContents {
  readonly accounts: CloudflareDocument["accounts"]
  readonly zones: ReadonlyArray<Zone>
  /** With their CORS rules, custom domains and objects. */
  readonly buckets: ReadonlyArray<Bucket>
  readonly records: ReadonlyArray<DnsRecord>
  readonly kvNamespaces: ReadonlyArray<KvNamespace>
  /** With every version and deployment. */
  readonly workers: ReadonlyArray<WorkerContents>
  /** Zone routes; `script` names the Worker a route runs. */
  readonly routes: ReadonlyArray<WorkerRoute>
  /** With their uploaded assets and deployments. */
  readonly pages: ReadonlyArray<PagesProject>
}

const workerContents = (worker: Worker): WorkerContents => {
  const live = Workers.liveVersion(worker)
  return {
    ...worker,
    bindings: live?.bindings ?? [],
    compatibilityDate: live?.compatibilityDate ?? "",
    compatibilityFlags: live?.compatibilityFlags ?? [],
    mainModule: live?.mainModule ?? "",
    modules: live?.modules ?? []
  }
}

/** Adds the account, zones and KV namespaces `options` name to the store now, rather than on the first request. */
export const prepare = (
  store: Store.CloudflareStore,
  options: SimulatorOptions
): Effect.Effect<void, Store.CloudflareStoreError> =>
  store.modify((document) => Effect.succeed([undefined, Handle.seed(document, options)] as const))

/**
 * What the simulated account holds (times in epoch milliseconds); the options' zones and KV
 * namespaces are there after `prepare` or a first request.
 */
export const inspect = (store: Store.CloudflareStore): Effect.Effect<AccountContents, Store.CloudflareStoreError> =>
  Effect.map(store.load, (document) => ({
    accounts: document.accounts,
    zones: document.zones,
    buckets: document.buckets,
    records: document.records,
    kvNamespaces: document.kvNamespaces,
    workers: document.workers.map((worker) => workerContents(worker)),
    routes: document.routes,
    pages: document.pages
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
