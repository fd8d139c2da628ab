/**
 * FleetFlow's client for the Cloudflare v4 REST API: R2 buckets (CORS, custom domains),
 * zones and DNS records. Every answer's envelope and result are decoded with Schema, list
 * calls follow `result_info`, refusals become a `CloudflareError` tagged by meaning, and
 * throttling and outages are retried with the shared policy, waiting at least as long as
 * `retry-after` asks. The API token stays `Redacted` until the Authorization header is built.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Cache from "effect/Cache"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as ParseResult from "effect/ParseResult"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as ParseIssues from "../ParseIssues.js"
import * as Retry from "../Retry.js"
import * as Environment from "./Api/Environment.js"
import * as Errors from "./Api/Errors.js"
import * as Schemas from "./Api/Schemas.js"

export { defaultBaseUrl } from "./Api/Environment.js"
export { CloudflareError, isRetryable, type Reason, toProviderError } from "./Api/Errors.js"
export type {
  Bucket,
  BatchResult,
  CorsRule,
  CustomDomain,
  DnsRecord,
  KvNamespace,
  PagesProject,
  WorkerScript,
  Zone
} from "./Api/Schemas.js"

type Result<A> = Effect.Effect<A, Errors.CloudflareError>

/** R2 calls for a bucket in a jurisdiction ("eu", "fedramp") send it in `cf-r2-jurisdiction`. */
export interface InJurisdiction {
  readonly jurisdiction?: string | undefined
}

export interface BucketCreateSpec extends InJurisdiction {
  readonly name: string
  /** "weur" | "eeur" | "apac" | "wnam" | "enam" | "oc" */
  readonly locationHint?: string | undefined
  /** "Standard" | "InfrequentAccess" */
  readonly storageClass?: string | undefined
}

export interface DomainCreateSpec {
  readonly domain: string
  readonly zoneId: string
  /** Default true. */
  readonly enabled?: boolean | undefined
  /** "1.0" | "1.1" | "1.2" | "1.3" */
  readonly minTLS?: string | undefined
}

export interface DomainUpdate {
  readonly enabled?: boolean | undefined
  readonly minTLS?: string | undefined
}

export interface RecordInput {
  readonly type: string
  /** The full name (FQDN) or a name relative to the zone. */
  readonly name: string
  readonly content: string
  /** Seconds; 1 is "automatic". */
  readonly ttl?: number | undefined
  readonly proxied?: boolean | undefined
  readonly comment?: string | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  readonly priority?: number | undefined
}

export type RecordChanges = Partial<RecordInput>

export interface RecordFilter {
  readonly type?: string | undefined
  /** The exact full name. */
  readonly name?: string | undefined
}

/** One transaction: Cloudflare applies deletes, then patches, then puts, then posts. */
export interface RecordBatch {
  readonly deletes?: ReadonlyArray<{ readonly id: string }> | undefined
  readonly patches?: ReadonlyArray<RecordChanges & { readonly id: string }> | undefined
  readonly puts?: ReadonlyArray<RecordInput & { readonly id: string }> | undefined
  readonly posts?: ReadonlyArray<RecordInput> | undefined
}

export interface CloudflareApiService {
  /** The account R2 calls use; fails when none is configured. */
  readonly accountId: Result<string>
  /**
   * Fails, without a request, when a call would fail for want of settings: the API root and
   * the token, and the account when `account` is set.
   */
  readonly checkSettings: (operation: string, options: { readonly account: boolean }) => Result<void>
  readonly r2: {
    readonly buckets: {
      /** Every bucket of the account (in one jurisdiction), in as few calls as the API allows: one up to 1000. */
      readonly list: (options?: InJurisdiction) => Result<ReadonlyArray<Schemas.Bucket>>
      readonly get: (name: string, options?: InJurisdiction) => Result<Schemas.Bucket>
      /** An existing name fails with reason `exists`. */
      readonly create: (spec: BucketCreateSpec) => Result<Schemas.Bucket>
      /** A bucket that holds objects fails with reason `conflict` (code 10008). */
      readonly delete: (name: string, options?: InJurisdiction) => Result<void>
    }
    readonly cors: {
      /** No CORS configuration reads as no rules. */
      readonly get: (bucket: string, options?: InJurisdiction) => Result<ReadonlyArray<Schemas.CorsRule>>
      readonly put: (bucket: string, rules: ReadonlyArray<Schemas.CorsRule>, options?: InJurisdiction) => Result<void>
      readonly delete: (bucket: string, options?: InJurisdiction) => Result<void>
    }
    /** Custom domains of a bucket. */
    readonly domains: {
      readonly list: (bucket: string, options?: InJurisdiction) => Result<ReadonlyArray<Schemas.CustomDomain>>
      readonly get: (bucket: string, domain: string, options?: InJurisdiction) => Result<Schemas.CustomDomain>
      readonly create: (
        bucket: string,
        spec: DomainCreateSpec,
        options?: InJurisdiction
      ) => Result<Schemas.CustomDomain>
      readonly update: (
        bucket: string,
        domain: string,
        changes: DomainUpdate,
        options?: InJurisdiction
      ) => Result<Schemas.CustomDomain>
      readonly delete: (bucket: string, domain: string, options?: InJurisdiction) => Result<void>
    }
  }
  readonly zones: {
    /** The zone with this exact name; looked up once per service, then remembered. Missing: `not-found`. */
    readonly byName: (name: string) => Result<Schemas.Zone>
  }
  readonly dns: {
    readonly records: {
      /** Every matching record of the zone, all pages followed (5000 a page). */
      readonly list: (zoneId: string, filter?: RecordFilter) => Result<ReadonlyArray<Schemas.DnsRecord>>
      readonly create: (zoneId: string, record: RecordInput) => Result<Schemas.DnsRecord>
      /** PATCH: only the fields given change. */
      readonly update: (zoneId: string, id: string, changes: RecordChanges) => Result<Schemas.DnsRecord>
      readonly delete: (zoneId: string, id: string) => Result<void>
      readonly batch: (zoneId: string, batch: RecordBatch) => Result<Schemas.BatchResult>
    }
  }
  /** Workers and Pages are written by wrangler; these reads serve plans without a process per resource. */
  readonly workers: {
    /** Every Workers script of the account, in one call. */
    readonly list: Result<ReadonlyArray<Schemas.WorkerScript>>
    /** Replaces every route of a Worker (wrangler adds routes, but never removes them all). */
    readonly setRoutes: (
      name: string,
      routes: ReadonlyArray<{ readonly pattern: string; readonly zone_name?: string }>
    ) => Result<void>
  }
  readonly pages: {
    /** Every Pages project of the account, all pages followed. */
    readonly list: Result<ReadonlyArray<Schemas.PagesProject>>
  }
  readonly kv: {
    /** Every KV namespace of the account, all pages followed. */
    readonly list: Result<ReadonlyArray<Schemas.KvNamespace>>
  }
}

export class CloudflareApi extends Context.Tag("fleetflow/CloudflareApi")<CloudflareApi, CloudflareApiService>() {}

export interface Settings {
  /** `account-id` from the cloudflare provider block; `CF_ACCOUNT_ID`, then `CLOUDFLARE_ACCOUNT_ID` otherwise. */
  readonly accountId?: string | undefined
  /** A token instead of `CF_API_TOKEN` / `CLOUDFLARE_API_TOKEN` (the sandbox's simulated account). */
  readonly token?: Redacted.Redacted<string> | undefined
  /** An API root instead of `CLOUDFLARE_API_BASE_URL`. */
  readonly baseUrl?: string | undefined
  /** Applied to rate-limited and transient failures only. Default `Retry.defaultPolicy`. */
  readonly retry?: Retry.RetryPolicy | undefined
  /** Each attempt's limit. Default 60 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

export const defaultTimeout = Duration.seconds(60)

/** Longer `retry-after` waits are not sat out: the error is reported instead. */
export const longestRetryAfter = Duration.minutes(10)

/** DNS records come 5000 a page (the API's maximum). */
export const recordsPerPage = 5000

/** R2 buckets come 1000 a page (the API's maximum). */
export const bucketsPerPage = 1000

/** Pages projects and KV namespaces: the largest pages those lists accept. */
export const pagesProjectsPerPage = 10
export const kvNamespacesPerPage = 100

const maxPages = 1000

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE"

interface Call<A, I> {
  /** For errors, logs and spans, e.g. "r2 bucket create". */
  readonly operation: string
  /** What it is about, e.g. `bucket "assets"`. */
  readonly subject?: string | undefined
  readonly method: Method
  /** Path segments after the API root; each is URL-encoded. */
  readonly path: ReadonlyArray<string>
  readonly query?: Readonly<Record<string, string | number | undefined>> | undefined
  readonly body?: unknown
  readonly jurisdiction?: string | undefined
  readonly result: Schema.Schema<A, I>
  /**
   * A create is not idempotent: after a dropped connection or a gateway error it may have
   * happened, so it is retried only when Cloudflare certainly refused it (429, 503).
   */
  readonly idempotent: boolean
}

interface Answer<A> {
  readonly result: A
  readonly info: Schemas.ResultInfo | undefined
}

const refusedStatuses: ReadonlyArray<number> = [429, 503]

const shouldRetry = (call: { readonly idempotent: boolean }, error: Errors.CloudflareError) => {
  if (!Errors.isRetryable(error)) return false
  if (error.retryAfter !== undefined && Duration.greaterThan(Duration.seconds(error.retryAfter), longestRetryAfter)) {
    return false
  }
  if (call.idempotent || error.reason === "rate-limited") return true
  return error.status !== undefined && refusedStatuses.includes(error.status)
}

/** The policy's backoff, but never shorter than the `retry-after` of the error being retried. */
const retrySchedule = (policy: Retry.RetryPolicy, call: { readonly idempotent: boolean }) =>
  Retry.schedule(policy).pipe(
    Schedule.intersect(Schedule.identity<Errors.CloudflareError>()),
    Schedule.whileInput((error: Errors.CloudflareError) => shouldRetry(call, error)),
    Schedule.modifyDelay(([, error], delay) =>
      error.retryAfter === undefined ? delay : Duration.max(delay, Duration.seconds(error.retryAfter))
    )
  )

const shapeError = (
  call: { readonly operation: string; readonly subject?: string | undefined },
  status: number,
  error: ParseResult.ParseError
) =>
  Errors.make(
    call.operation,
    "failed",
    `${Errors.what(call.operation, call.subject)}: Cloudflare answered with a result FleetFlow cannot read: ${ParseIssues.describe(error, 5)}`,
    { status }
  )

const parseJson = (text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

/** `retry-after` in seconds: a number of seconds or an HTTP date. */
const parseRetryAfter = (header: string | undefined, now: number): number | undefined => {
  const value = header?.trim()
  if (value === undefined || value === "") return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value))
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000))
}

const transportDescription = (error: HttpClientError.HttpClientError) => {
  const cause = error.cause instanceof Error ? error.cause : undefined
  const inner = cause?.cause instanceof Error ? cause.cause : undefined
  const parts = [error.description ?? error.reason, cause?.message, inner?.message].filter(
    (part): part is string => part !== undefined && part !== ""
  )
  return [...new Set(parts)].join(": ")
}

const quoted = (value: string) => JSON.stringify(value)

const bucketSubject = (name: string, options?: InJurisdiction) =>
  options?.jurisdiction === undefined ? quoted(name) : `${quoted(name)} (jurisdiction ${options.jurisdiction})`

const domainSubject = (bucket: string, domain: string, options?: InJurisdiction) =>
  `${quoted(domain)} of bucket ${bucketSubject(bucket, options)}`

/** The JSON body of a record: only the fields given. */
const recordBody = (record: RecordChanges & { readonly id?: string }) => {
  const body: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(record)) if (value !== undefined) body[key] = value
  return body
}

export const make = (settings: Settings = {}): Effect.Effect<CloudflareApiService, never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    // Trace headers mean nothing to Cloudflare.
    const client = HttpClient.withTracerPropagation(yield* HttpClient.HttpClient, false)
    const environment = yield* Environment.read(settings)
    const policy = settings.retry ?? Retry.defaultPolicy
    const timeout = Duration.decode(settings.timeout ?? defaultTimeout)

    const setting = <A>(value: Either.Either<A, Environment.Problem>, operation: string): Result<A> =>
      Either.isRight(value) ? Effect.succeed(value.right) : Effect.fail(value.left(operation))

    const accountId = (operation: string) => setting(environment.accountId, operation)

    const request = <A, I>(call: Call<A, I>, baseUrl: string, token: Redacted.Redacted<string>) =>
      HttpClientRequest.make(call.method)(`${baseUrl}/${call.path.map(encodeURIComponent).join("/")}`).pipe(
        HttpClientRequest.setUrlParams(call.query ?? {}),
        HttpClientRequest.acceptJson,
        HttpClientRequest.setHeader("user-agent", "fleetflow"),
        call.jurisdiction === undefined
          ? identity
          : HttpClientRequest.setHeader("cf-r2-jurisdiction", call.jurisdiction),
        call.body === undefined ? identity : HttpClientRequest.bodyUnsafeJson(call.body),
        HttpClientRequest.bearerToken(token)
      )

    /** Turns one HTTP answer into the decoded result or a CloudflareError. */
    const read = <A, I>(
      call: Call<A, I>,
      status: number,
      retryAfterHeader: string | undefined,
      text: string
    ): Result<Answer<A>> =>
      Effect.gen(function* () {
        const ok = status >= 200 && status < 300
        const decodeResult = (result: unknown, info: Schemas.ResultInfo | undefined) =>
          Schema.decodeUnknown(call.result)(result, { errors: "all", onExcessProperty: "ignore" }).pipe(
            Effect.map((decoded): Answer<A> => ({ result: decoded, info })),
            Effect.mapError((error) => shapeError(call, status, error))
          )
        if (ok && text.trim() === "") return yield* decodeResult(undefined, undefined)
        const parsed = parseJson(text)
        const envelope = parsed.ok ? Schema.decodeUnknownEither(Schemas.Envelope)(parsed.value) : undefined
        if (envelope !== undefined && Either.isRight(envelope)) {
          const { errors, result, resultInfo, success } = envelope.right
          if (ok && success) return yield* decodeResult(result, resultInfo ?? undefined)
          const retryAfter = parseRetryAfter(retryAfterHeader, yield* Clock.currentTimeMillis)
          return yield* Errors.classify(call.operation, call.subject, { status, errors, retryAfter })
        }
        if (ok) {
          return yield* Errors.make(
            call.operation,
            "failed",
            `${Errors.what(call.operation, call.subject)}: Cloudflare answered with something other than the API's JSON envelope: ${text.trim().slice(0, 200)}`,
            { status }
          )
        }
        const retryAfter = parseRetryAfter(retryAfterHeader, yield* Clock.currentTimeMillis)
        return yield* Errors.classify(call.operation, call.subject, { status, errors: [], body: text, retryAfter })
      })

    /** One HTTP exchange, bounded by the timeout. */
    const attempt = <A, I>(call: Call<A, I>, baseUrl: string, token: Redacted.Redacted<string>): Result<Answer<A>> =>
      Effect.gen(function* () {
        const response = yield* client.execute(request(call, baseUrl, token))
        const text = yield* response.text
        return { status: response.status, retryAfter: response.headers["retry-after"], text }
      }).pipe(
        Effect.mapError((error) => Errors.fromTransport(call.operation, call.subject, transportDescription(error))),
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => Errors.fromTimeout(call.operation, call.subject, Duration.toMillis(timeout))
        }),
        Effect.flatMap((answer) => read(call, answer.status, answer.retryAfter, answer.text)),
        Effect.tapError((error) =>
          Effect.logDebug(`Cloudflare ${call.operation} failed`).pipe(
            Effect.annotateLogs({ reason: error.reason, status: error.status ?? "none", code: error.code ?? "none" })
          )
        )
      )

    /** The call with retries: rate-limited and transient failures only, `retry-after` honoured. */
    const run = <A, I>(call: Call<A, I>): Result<Answer<A>> =>
      Effect.gen(function* () {
        const baseUrl = yield* setting(environment.baseUrl, call.operation)
        const token = yield* setting(environment.token, call.operation)
        yield* Effect.logDebug(`Cloudflare ${call.method} /${call.path.join("/")}`)
        return yield* attempt(call, baseUrl, token).pipe(Effect.retry(retrySchedule(policy, call)))
      }).pipe(
        Effect.withSpan(`CloudflareApi ${call.operation}`, {
          attributes: { method: call.method, ...(call.subject === undefined ? {} : { subject: call.subject }) }
        })
      )

    const result = <A, I>(call: Call<A, I>): Result<A> => Effect.map(run(call), (answer) => answer.result)

    /** Every item of a page-numbered list: pages are followed until `result_info.total_pages`. */
    const listAll = <A, I>(call: Omit<Call<ReadonlyArray<A>, ReadonlyArray<I>>, "method">, perPage: number) =>
      Effect.gen(function* () {
        const items: Array<A> = []
        for (let page = 1; ; page++) {
          const answer = yield* run({ ...call, method: "GET", query: { ...call.query, page, per_page: perPage } })
          items.push(...answer.result)
          const info = answer.info
          const totalPages =
            info?.totalPages ??
            (info?.totalCount === undefined ? undefined : Math.ceil(info.totalCount / (info.perPage ?? perPage)))
          if (totalPages === undefined || page >= totalPages || answer.result.length === 0) return items
          if (page >= maxPages) {
            return yield* Errors.make(
              call.operation,
              "failed",
              `${Errors.what(call.operation, call.subject)}: more than ${maxPages} pages; FleetFlow stopped reading`
            )
          }
        }
      })

    const bucketCall = <A, I>(
      operation: string,
      subject: string,
      options: InJurisdiction | undefined,
      build: (account: string) => Omit<Call<A, I>, "operation" | "subject" | "jurisdiction">
    ): Result<A> =>
      Effect.flatMap(accountId(operation), (account) =>
        result({
          operation,
          subject,
          jurisdiction: options?.jurisdiction,
          ...build(account)
        })
      )

    const bucketPath = (account: string, bucket: string, ...rest: ReadonlyArray<string>) => [
      "accounts",
      account,
      "r2",
      "buckets",
      bucket,
      ...rest
    ]

    const buckets: CloudflareApiService["r2"]["buckets"] = {
      list: (options) =>
        Effect.gen(function* () {
          const operation = "r2 bucket list"
          const account = yield* accountId(operation)
          const all: Array<Schemas.Bucket> = []
          let cursor: string | undefined
          for (let page = 1; ; page++) {
            const answer = yield* run({
              operation,
              method: "GET",
              path: ["accounts", account, "r2", "buckets"],
              query: { per_page: bucketsPerPage, cursor },
              jurisdiction: options?.jurisdiction,
              result: Schemas.BucketList,
              idempotent: true
            })
            all.push(...answer.result.buckets)
            const next = answer.info?.cursor
            if (next === undefined || next === "" || next === cursor || answer.result.buckets.length === 0) return all
            if (page >= maxPages) {
              return yield* Errors.make(operation, "failed", `${operation}: more than ${maxPages} pages`)
            }
            cursor = next
          }
        }),
      get: (name, options) =>
        bucketCall("r2 bucket get", bucketSubject(name, options), options, (account) => ({
          method: "GET",
          path: bucketPath(account, name),
          result: Schemas.Bucket,
          idempotent: true
        })),
      create: (spec) =>
        Effect.map(
          bucketCall("r2 bucket create", bucketSubject(spec.name, spec), spec, (account) => ({
            method: "POST",
            path: ["accounts", account, "r2", "buckets"],
            body: {
              name: spec.name,
              ...(spec.locationHint === undefined ? {} : { locationHint: spec.locationHint }),
              ...(spec.storageClass === undefined ? {} : { storageClass: spec.storageClass })
            },
            result: Schemas.CreatedBucket,
            idempotent: false
          })),
          (created): Schemas.Bucket => {
            const location = created?.location ?? spec.locationHint?.toUpperCase()
            const storageClass = created?.storageClass ?? spec.storageClass
            const jurisdiction = created?.jurisdiction ?? spec.jurisdiction
            return {
              name: created?.name ?? spec.name,
              ...(created?.creationDate === undefined ? {} : { creationDate: created.creationDate }),
              ...(location === undefined ? {} : { location }),
              ...(storageClass === undefined ? {} : { storageClass }),
              ...(jurisdiction === undefined ? {} : { jurisdiction })
            }
          }
        ),
      delete: (name, options) =>
        Effect.asVoid(
          bucketCall("r2 bucket delete", bucketSubject(name, options), options, (account) => ({
            method: "DELETE",
            path: bucketPath(account, name),
            result: Schemas.Ignored,
            idempotent: true
          }))
        )
    }

    const cors: CloudflareApiService["r2"]["cors"] = {
      get: (bucket, options) =>
        bucketCall("r2 bucket cors get", bucketSubject(bucket, options), options, (account) => ({
          method: "GET",
          path: bucketPath(account, bucket, "cors"),
          result: Schemas.CorsPolicy,
          idempotent: true
        })).pipe(
          Effect.map((policy) => policy.rules),
          // A bucket without CORS answers 404 with its own code; a missing bucket is 10006.
          Effect.catchIf(
            (error) => error.reason === "not-found" && error.code !== undefined && error.code !== 10006,
            () => Effect.succeed([])
          )
        ),
      put: (bucket, rules, options) =>
        Effect.asVoid(
          bucketCall("r2 bucket cors put", bucketSubject(bucket, options), options, (account) => ({
            method: "PUT",
            path: bucketPath(account, bucket, "cors"),
            body: { rules },
            result: Schemas.Ignored,
            idempotent: true
          }))
        ),
      delete: (bucket, options) =>
        Effect.asVoid(
          bucketCall("r2 bucket cors delete", bucketSubject(bucket, options), options, (account) => ({
            method: "DELETE",
            path: bucketPath(account, bucket, "cors"),
            result: Schemas.Ignored,
            idempotent: true
          }))
        )
    }

    const changedDomain = (
      domain: string,
      fallback: Partial<Schemas.CustomDomain>,
      changed: typeof Schemas.ChangedDomain.Type
    ): Schemas.CustomDomain => {
      const merged = { ...fallback, ...changed }
      return Object.fromEntries(
        Object.entries({ ...merged, domain: changed?.domain ?? domain }).filter(([, value]) => value !== undefined)
      ) as Schemas.CustomDomain
    }

    const domains: CloudflareApiService["r2"]["domains"] = {
      list: (bucket, options) =>
        Effect.map(
          bucketCall("r2 bucket domain list", bucketSubject(bucket, options), options, (account) => ({
            method: "GET",
            path: bucketPath(account, bucket, "domains", "custom"),
            result: Schemas.CustomDomainList,
            idempotent: true
          })),
          (list) => list.domains
        ),
      get: (bucket, domain, options) =>
        bucketCall("r2 bucket domain get", domainSubject(bucket, domain, options), options, (account) => ({
          method: "GET",
          path: bucketPath(account, bucket, "domains", "custom", domain),
          result: Schemas.CustomDomain,
          idempotent: true
        })),
      create: (bucket, spec, options) =>
        Effect.map(
          bucketCall("r2 bucket domain add", domainSubject(bucket, spec.domain, options), options, (account) => ({
            method: "POST",
            path: bucketPath(account, bucket, "domains", "custom"),
            body: {
              domain: spec.domain,
              zoneId: spec.zoneId,
              enabled: spec.enabled ?? true,
              ...(spec.minTLS === undefined ? {} : { minTLS: spec.minTLS })
            },
            result: Schemas.ChangedDomain,
            idempotent: false
          })),
          (created) =>
            changedDomain(
              spec.domain,
              { zoneId: spec.zoneId, enabled: spec.enabled ?? true, minTLS: spec.minTLS },
              created
            )
        ),
      update: (bucket, domain, changes, options) =>
        Effect.map(
          bucketCall("r2 bucket domain update", domainSubject(bucket, domain, options), options, (account) => ({
            method: "PUT",
            path: bucketPath(account, bucket, "domains", "custom", domain),
            body: {
              ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }),
              ...(changes.minTLS === undefined ? {} : { minTLS: changes.minTLS })
            },
            result: Schemas.ChangedDomain,
            idempotent: true
          })),
          (updated) => changedDomain(domain, changes, updated)
        ),
      delete: (bucket, domain, options) =>
        Effect.asVoid(
          bucketCall("r2 bucket domain remove", domainSubject(bucket, domain, options), options, (account) => ({
            method: "DELETE",
            path: bucketPath(account, bucket, "domains", "custom", domain),
            result: Schemas.Ignored,
            idempotent: true
          }))
        )
    }

    const zoneName = (name: string) => name.trim().toLowerCase().replace(/\.$/, "")

    const lookupZone = (name: string): Result<Schemas.Zone> =>
      Effect.gen(function* () {
        const operation = "zone lookup"
        const subject = quoted(name)
        const zones = yield* result({
          operation,
          subject,
          method: "GET",
          path: ["zones"],
          query: { name, per_page: 50 },
          result: Schema.Array(Schemas.Zone),
          idempotent: true
        })
        const named = zones.filter((zone) => zoneName(zone.name) === name)
        const zone = named.find((candidate) => candidate.status === "active") ?? named[0]
        if (zone === undefined) {
          return yield* Errors.make(
            operation,
            "not-found",
            `${operation} ${subject}: no zone with this name is visible to the API token`,
            { hint: "Add the domain to Cloudflare, or give the token Zone: Read on it." }
          )
        }
        return zone
      })

    const zoneCache = yield* Cache.make({ capacity: 10_000, timeToLive: Duration.infinity, lookup: lookupZone })

    const zones: CloudflareApiService["zones"] = {
      // Concurrent lookups of one name share one request; a failed one is forgotten, so the next call asks again.
      byName: (name) => {
        const key = zoneName(name)
        return zoneCache.get(key).pipe(Effect.tapError(() => zoneCache.invalidate(key)))
      }
    }

    const recordPath = (zoneId: string, ...rest: ReadonlyArray<string>) => ["zones", zoneId, "dns_records", ...rest]

    const records: CloudflareApiService["dns"]["records"] = {
      list: (zoneId, filter) =>
        listAll(
          {
            operation: "dns record list",
            subject: `in zone ${zoneId}`,
            path: recordPath(zoneId),
            query: { type: filter?.type, name: filter?.name },
            result: Schema.Array(Schemas.DnsRecord),
            idempotent: true
          },
          recordsPerPage
        ),
      create: (zoneId, record) =>
        result({
          operation: "dns record create",
          subject: `${record.type} ${quoted(record.name)} in zone ${zoneId}`,
          method: "POST",
          path: recordPath(zoneId),
          body: recordBody(record),
          result: Schemas.DnsRecord,
          idempotent: false
        }),
      update: (zoneId, id, changes) =>
        result({
          operation: "dns record update",
          subject: `${id} in zone ${zoneId}`,
          method: "PATCH",
          path: recordPath(zoneId, id),
          body: recordBody(changes),
          result: Schemas.DnsRecord,
          idempotent: true
        }),
      delete: (zoneId, id) =>
        Effect.asVoid(
          result({
            operation: "dns record delete",
            subject: `${id} in zone ${zoneId}`,
            method: "DELETE",
            path: recordPath(zoneId, id),
            result: Schemas.Ignored,
            idempotent: true
          })
        ),
      batch: (zoneId, batch) =>
        result({
          operation: "dns record batch",
          subject: `in zone ${zoneId}`,
          method: "POST",
          path: recordPath(zoneId, "batch"),
          body: {
            deletes: (batch.deletes ?? []).map((item) => ({ id: item.id })),
            patches: (batch.patches ?? []).map(recordBody),
            puts: (batch.puts ?? []).map(recordBody),
            posts: (batch.posts ?? []).map(recordBody)
          },
          result: Schemas.BatchResult,
          idempotent: false
        })
    }

    const accountList = <A, I>(
      operation: string,
      path: ReadonlyArray<string>,
      item: Schema.Schema<A, I>,
      perPage: number
    ): Result<ReadonlyArray<A>> =>
      Effect.flatMap(accountId(operation), (account) =>
        listAll(
          { operation, path: ["accounts", account, ...path], result: Schema.Array(item), idempotent: true },
          perPage
        )
      )

    const workers: CloudflareApiService["workers"] = {
      list: Effect.flatMap(accountId("worker list"), (account) =>
        result({
          operation: "worker list",
          method: "GET",
          path: ["accounts", account, "workers", "scripts"],
          result: Schema.Array(Schemas.WorkerScript),
          idempotent: true
        })
      ),
      setRoutes: (name, routes) =>
        Effect.flatMap(accountId("worker routes put"), (account) =>
          Effect.asVoid(
            result({
              operation: "worker routes put",
              subject: quoted(name),
              method: "PUT",
              path: ["accounts", account, "workers", "scripts", name, "routes"],
              body: routes,
              result: Schemas.Ignored,
              idempotent: true
            })
          )
        )
    }

    return {
      accountId: accountId("account"),
      checkSettings: (operation, options) =>
        Effect.all([
          setting(environment.baseUrl, operation),
          setting(environment.token, operation),
          options.account ? accountId(operation) : Effect.void
        ]).pipe(Effect.asVoid),
      r2: { buckets, cors, domains },
      zones,
      dns: { records },
      workers,
      pages: {
        list: accountList("pages project list", ["pages", "projects"], Schemas.PagesProject, pagesProjectsPerPage)
      },
      kv: {
        list: accountList(
          "kv namespace list",
          ["storage", "kv", "namespaces"],
          Schemas.KvNamespace,
          kvNamespacesPerPage
        )
      }
    }
  })

/** The client over whichever `HttpClient` is provided (the network, or the simulator in process). */
export const layer = (settings: Settings = {}): Layer.Layer<CloudflareApi, never, HttpClient.HttpClient> =>
  Layer.effect(CloudflareApi, make(settings))
