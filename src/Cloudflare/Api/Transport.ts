/**
 * How every Cloudflare API call travels: the request as the token, the envelope and result
 * decoded with Schema, refusals classified into a `CloudflareError`, throttling and outages
 * retried with the shared policy (waiting at least as long as `retry-after` asks), and list
 * calls followed page by page. The API token stays `Redacted` until the Authorization header is built.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { identity } from "effect/Function"
import type * as ParseResult from "effect/ParseResult"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type { ParseOptions } from "effect/SchemaAST"
import * as ParseIssues from "../../ParseIssues.js"
import { projectingDecoder } from "../../QuickDecode.js"
import * as Retry from "../../Retry.js"
import * as Environment from "./Environment.js"
import * as Errors from "./Errors.js"
import * as Schemas from "./Schemas.js"

export type Result<A> = Effect.Effect<A, Errors.CloudflareError>

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

/** Lists longer than this many pages are not read to the end: the call fails instead. */
export const maxPages = 1000

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE"

export interface Call<A, I> {
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
  /** Settings some endpoints take as headers, e.g. R2's `cf-r2-storage-class`. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly result: Schema.Schema<A, I>
  /**
   * A create is not idempotent: after a dropped connection or a gateway error it may have
   * happened, so it is retried only when Cloudflare certainly refused it (429, 503).
   */
  readonly idempotent: boolean
}

/** A list call: always a GET, its pages asked for with `page` and `per_page`. */
export type ListCall<A, I> = Omit<Call<ReadonlyArray<A>, ReadonlyArray<I>>, "method">

export interface Answer<A> {
  readonly result: A
  readonly info: Schemas.ResultInfo | undefined
}

export interface Transport {
  /** The configured account, or the error `operation` gets without one. */
  readonly accountId: (operation: string) => Result<string>
  /**
   * Fails, without a request, when a call would fail for want of settings: the API root and
   * the token, and the account when `account` is set.
   */
  readonly checkSettings: (operation: string, options: { readonly account: boolean }) => Result<void>
  /** The call with retries: rate-limited and transient failures only, `retry-after` honoured. */
  readonly run: <A, I>(call: Call<A, I>) => Result<Answer<A>>
  readonly result: <A, I>(call: Call<A, I>) => Result<A>
  /** Every item of a page-numbered list: pages are followed until `result_info.total_pages`. */
  readonly listAll: <A, I>(call: ListCall<A, I>, perPage: number) => Result<ReadonlyArray<A>>
  /** Every item of a list under `/accounts/{account}/…`, all pages followed. */
  readonly listAccount: <A, I>(
    operation: string,
    path: ReadonlyArray<string>,
    item: Schema.Schema<A, I>,
    perPage: number
  ) => Result<ReadonlyArray<A>>
}

/** What one exchange needs: the client, the settings read from the environment, and the limits. */
interface Connection {
  readonly client: HttpClient.HttpClient
  readonly environment: Environment.Environment
  readonly policy: Retry.RetryPolicy
  readonly timeout: Duration.Duration
}

/** A name as a call's subject shows it. */
export const quoted = (value: string) => JSON.stringify(value)

const setting = <A>(value: Either.Either<A, Environment.Problem>, operation: string): Result<A> =>
  Either.isRight(value) ? Effect.succeed(value.right) : Effect.fail(value.left(operation))

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

const request = <A, I>(call: Call<A, I>, baseUrl: string, token: Redacted.Redacted<string>) =>
  HttpClientRequest.make(call.method)(`${baseUrl}/${call.path.map(encodeURIComponent).join("/")}`).pipe(
    HttpClientRequest.setUrlParams(call.query ?? {}),
    HttpClientRequest.acceptJson,
    HttpClientRequest.setHeader("user-agent", "fleetflow"),
    call.jurisdiction === undefined ? identity : HttpClientRequest.setHeader("cf-r2-jurisdiction", call.jurisdiction),
    call.headers === undefined ? identity : HttpClientRequest.setHeaders(call.headers),
    call.body === undefined ? identity : HttpClientRequest.bodyUnsafeJson(call.body),
    HttpClientRequest.bearerToken(token)
  )

const resultOptions: ParseOptions = { errors: "all", onExcessProperty: "ignore" }
const decodeEnvelope = projectingDecoder(Schemas.Envelope)

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
      Either.match(projectingDecoder(call.result, resultOptions)(result), {
        onLeft: (error) => Effect.fail(shapeError(call, status, error)),
        onRight: (decoded): Result<Answer<A>> => Effect.succeed({ result: decoded, info })
      })
    if (ok && text.trim() === "") return yield* decodeResult(undefined, undefined)
    const parsed = parseJson(text)
    const envelope = parsed.ok ? decodeEnvelope(parsed.value) : undefined
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
const attempt = <A, I>(
  connection: Connection,
  call: Call<A, I>,
  baseUrl: string,
  token: Redacted.Redacted<string>
): Result<Answer<A>> =>
  Effect.gen(function* () {
    const response = yield* connection.client.execute(request(call, baseUrl, token))
    const text = yield* response.text
    return { status: response.status, retryAfter: response.headers["retry-after"], text }
  }).pipe(
    Effect.mapError((error) => Errors.fromTransport(call.operation, call.subject, transportDescription(error))),
    Effect.timeoutFail({
      duration: connection.timeout,
      onTimeout: () => Errors.fromTimeout(call.operation, call.subject, Duration.toMillis(connection.timeout))
    }),
    Effect.flatMap((answer) => read(call, answer.status, answer.retryAfter, answer.text)),
    Effect.tapError((error) =>
      Effect.logDebug(`Cloudflare ${call.operation} failed`).pipe(
        Effect.annotateLogs({ reason: error.reason, status: error.status ?? "none", code: error.code ?? "none" })
      )
    )
  )

const run = <A, I>(connection: Connection, call: Call<A, I>): Result<Answer<A>> =>
  Effect.gen(function* () {
    const baseUrl = yield* setting(connection.environment.baseUrl, call.operation)
    const token = yield* setting(connection.environment.token, call.operation)
    yield* Effect.logDebug(`Cloudflare ${call.method} /${call.path.join("/")}`)
    return yield* attempt(connection, call, baseUrl, token).pipe(Effect.retry(retrySchedule(connection.policy, call)))
  }).pipe(
    Effect.withSpan(`CloudflareApi ${call.operation}`, {
      attributes: { method: call.method, ...(call.subject === undefined ? {} : { subject: call.subject }) }
    })
  )

const listAll = <A, I>(connection: Connection, call: ListCall<A, I>, perPage: number): Result<ReadonlyArray<A>> =>
  Effect.gen(function* () {
    const items: Array<A> = []
    for (let page = 1; ; page++) {
      const answer = yield* run(connection, {
        ...call,
        method: "GET",
        query: { ...call.query, page, per_page: perPage }
      })
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

export const make = (settings: Settings = {}): Effect.Effect<Transport, never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const connection: Connection = {
      // Trace headers mean nothing to Cloudflare.
      client: HttpClient.withTracerPropagation(yield* HttpClient.HttpClient, false),
      environment: yield* Environment.read(settings),
      policy: settings.retry ?? Retry.defaultPolicy,
      timeout: Duration.decode(settings.timeout ?? defaultTimeout)
    }
    const { environment } = connection
    const accountId = (operation: string) => setting(environment.accountId, operation)
    return {
      accountId,
      checkSettings: (operation, options) =>
        Effect.all([
          setting(environment.baseUrl, operation),
          setting(environment.token, operation),
          options.account ? accountId(operation) : Effect.void
        ]).pipe(Effect.asVoid),
      run: (call) => run(connection, call),
      result: (call) => Effect.map(run(connection, call), (answer) => answer.result),
      listAll: (call, perPage) => listAll(connection, call, perPage),
      listAccount: (operation, path, item, perPage) =>
        Effect.flatMap(accountId(operation), (account) =>
          listAll(
            connection,
            { operation, path: ["accounts", account, ...path], result: Schema.Array(item), idempotent: true },
            perPage
          )
        )
    }
  })
