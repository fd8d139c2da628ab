/**
 * One request in, one response out: the request is logged (method, path, query, status),
 * then checked in this order: an open rate-limit window, the built-in limiter, the fault
 * rules, the bearer token (under `/pages/assets/` an upload token the simulator issued, see
 * `Jwt`, instead of the API token), the route. A handler's failure leaves the account as it was.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Crypto from "node:crypto"
import type { CloudflareDocument, FaultRule } from "./Document.js"
import {
  ApiFailure,
  type Call,
  envelope,
  failureResponse,
  type SimulatorRequest,
  type SimulatorResponse
} from "./Envelope.js"
import * as Faults from "./Faults.js"
import * as Jwt from "./Jwt.js"
import * as Permissions from "./Permissions.js"
import * as Router from "./Router.js"
import type { CloudflareStore, CloudflareStoreError } from "./Store.js"

export interface SimulatorOptions {
  /** The one API token the simulator accepts (as `Authorization: Bearer …`). It is never logged or echoed. */
  readonly token: string | Redacted.Redacted<string>
  /** The account the token belongs to. Default: `defaultAccountId`. */
  readonly accountId?: string
  readonly accountName?: string
  /** Zones of the account, by name (`example.com`); each gets a fixed ID derived from its name. */
  readonly zones?: ReadonlyArray<string>
  /** KV namespaces of the account, by title; each gets a fixed ID derived from its title (`kvNamespaceId`). */
  readonly kvNamespaces?: ReadonlyArray<string>
  /**
   * The permissions the token holds, as the dashboard names them ("DNS: Edit", "Workers R2
   * Storage: Read"); a request outside them is refused (see `Permissions`). Default: every one.
   */
  readonly permissions?: ReadonlyArray<string>
  /** How long every request takes before it is answered. */
  readonly latency?: Duration.DurationInput
  /** Fault rules (see `Faults`); their use counts are kept in the store. */
  readonly faults?: ReadonlyArray<FaultRule>
  /**
   * Cloudflare's own limit: more than `requests` in `window` and every request is answered
   * 429 for `penalty` (default: `window`). The real API allows 1200 per 5 minutes. Default: no limit.
   */
  readonly rateLimit?: {
    readonly requests: number
    readonly window: Duration.DurationInput
    readonly penalty?: Duration.DurationInput
  }
  /**
   * Keep the log of requests (`requests`) in the store, for tests that count them. Default: on. Off,
   * a log kept before is dropped by the next request, and a request that changes nothing writes nothing.
   */
  readonly log?: boolean
}

export const defaultAccountId = "023e105f4ecef8ad9ca31a8372d0c353"

/** The ID a zone of `accountId` named `name` gets. */
export const zoneId = (accountId: string, name: string): string =>
  Crypto.createHash("md5").update(`zone:${accountId}:${name.toLowerCase()}`).digest("hex")

/** The ID a KV namespace of `accountId` titled `title` gets when the options seed it. */
export const kvNamespaceId = (accountId: string, title: string): string =>
  Crypto.createHash("md5").update(`kv:${accountId}:${title}`).digest("hex")

/** Adds the account, the zones and the KV namespaces the options name when the store lacks them. */
export const seed = (document: CloudflareDocument, options: SimulatorOptions): CloudflareDocument => {
  const accountId = options.accountId ?? defaultAccountId
  const hasAccount = document.accounts.some((account) => account.id === accountId)
  const missing = (options.zones ?? [])
    .map((name) => name.toLowerCase())
    .filter((name) => !document.zones.some((zone) => zone.name === name && zone.accountId === accountId))
  const missingNamespaces = [...new Set(options.kvNamespaces ?? [])].filter(
    (title) =>
      !document.kvNamespaces.some((namespace) => namespace.title === title && namespace.accountId === accountId)
  )
  if (hasAccount && missing.length === 0 && missingNamespaces.length === 0) return document
  return {
    ...document,
    accounts: hasAccount
      ? document.accounts
      : [...document.accounts, { id: accountId, name: options.accountName ?? "FleetFlow Simulator" }],
    zones: [
      ...document.zones,
      ...missing.map((name) => ({ id: zoneId(accountId, name), name, accountId, createdOn: 0 }))
    ],
    kvNamespaces: [
      ...document.kvNamespaces,
      ...missingNamespaces.map((title) => ({ id: kvNamespaceId(accountId, title), accountId, title, createdOn: 0 }))
    ]
  }
}

type Outcome = { readonly _tag: "Respond"; readonly response: SimulatorResponse } | { readonly _tag: "Hang" }

const respond = (response: SimulatorResponse): Outcome => ({ _tag: "Respond", response })

const tooManyRequests = (path: string, seconds: number, code?: number): Outcome =>
  respond(
    failureResponse(
      new ApiFailure({
        status: 429,
        code: code ?? Faults.defaultCode(429, path),
        message: Faults.isR2(path)
          ? "You have exceeded the rate limit for this bucket. Please wait and try again."
          : "Please wait and consider throttling your request speed",
        headers: { "retry-after": String(Math.max(1, seconds)) }
      })
    )
  )

const digest = (text: string) => Crypto.createHash("sha256").update(text).digest()

const bearerOf = (call: Call): string | undefined => {
  const header = call.headers.authorization
  return header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
}

/** Paths authorized by a Pages upload token rather than the API token. */
const isPagesAssets = (path: string) => path.startsWith("/pages/assets/")

/** The account and project a Pages upload token names, or why the request carries none. */
const uploadTokenClaims = (call: Call): Jwt.UploadClaims | ApiFailure => {
  const bearer = bearerOf(call)
  const claims = bearer === undefined ? undefined : Jwt.verify(bearer, call.signingKey, call.now)
  return (
    claims ?? new ApiFailure({ status: 401, code: 8000013, message: "Unauthorized: a valid upload JWT is required." })
  )
}

/** Why the Authorization header does not carry the configured token, if it does not. */
const authFailure = (call: Call, token: string): ApiFailure | undefined => {
  const bearer = bearerOf(call)
  if (bearer === undefined) {
    return new ApiFailure({ status: 400, code: 10000, message: "Authentication error" })
  }
  if (Crypto.timingSafeEqual(digest(bearer), digest(token))) return undefined
  return call.path === "/user/tokens/verify"
    ? new ApiFailure({ status: 401, code: 1000, message: "Invalid API Token" })
    : new ApiFailure({ status: 403, code: 10000, message: "Authentication error" })
}

const permissionFailure = (call: Call, held: ReadonlyArray<string> | undefined): ApiFailure | undefined => {
  const needed = held === undefined ? undefined : Permissions.required(call.method, call.path)
  return needed === undefined || held === undefined || Permissions.covers(held, needed)
    ? undefined
    : new ApiFailure({ status: 403, code: 10000, message: "Authentication error" })
}

const decide = (
  call: Call,
  before: CloudflareDocument,
  options: SimulatorOptions
): Effect.Effect<readonly [Outcome, CloudflareDocument]> =>
  Effect.gen(function* () {
    let document = before
    const now = call.now
    if (document.rateLimitedUntil > now) {
      return [tooManyRequests(call.path, Math.ceil((document.rateLimitedUntil - now) / 1000)), document] as const
    }
    if (options.rateLimit !== undefined) {
      const windowMillis = Duration.toMillis(options.rateLimit.window)
      const window =
        now - document.window.start >= windowMillis
          ? { start: now, count: 1 }
          : { start: document.window.start, count: document.window.count + 1 }
      document = { ...document, window }
      if (window.count > options.rateLimit.requests) {
        const penalty = Duration.toMillis(options.rateLimit.penalty ?? options.rateLimit.window)
        document = { ...document, rateLimitedUntil: now + penalty }
        return [tooManyRequests(call.path, Math.ceil(penalty / 1000)), document] as const
      }
    }
    const rules = [
      ...(options.faults ?? []).map((rule, index) => [`options:${index}`, rule] as const),
      ...document.faults.map((rule, index) => [`store:${index}`, rule] as const)
    ]
    for (const [source, rule] of rules) {
      if (!Faults.matches(rule, call.method, call.path)) continue
      const key = `${source}:${Faults.format(rule)}`
      const fired = document.fired[key] ?? 0
      if (rule.times !== undefined && fired >= rule.times) continue
      document = { ...document, fired: { ...document.fired, [key]: fired + 1 } }
      switch (rule.kind._tag) {
        case "Hang":
          return [{ _tag: "Hang" }, document] as const
        case "RateLimit":
          document = { ...document, rateLimitedUntil: now + rule.kind.seconds * 1000 }
          return [tooManyRequests(call.path, rule.kind.seconds), document] as const
        case "Status": {
          const status = rule.kind.status
          if (status === 429) return [tooManyRequests(call.path, 1, rule.kind.code), document] as const
          const code = rule.kind.code ?? Faults.defaultCode(status, call.path)
          const failure = new ApiFailure({ status, code, message: `Injected fault: ${status} (${code})` })
          return [respond(failureResponse(failure)), document] as const
        }
      }
    }
    let uploadParams: Record<string, string> = {}
    if (isPagesAssets(call.path)) {
      const claims = uploadTokenClaims(call)
      if (claims instanceof ApiFailure) return [respond(failureResponse(claims)), document] as const
      uploadParams = { account: claims.accountId, project: claims.projectName }
    } else {
      const denied = authFailure(call, tokenOf(options)) ?? permissionFailure(call, options.permissions)
      if (denied !== undefined) return [respond(failureResponse(denied)), document] as const
    }
    const found = Router.match(call.method, call.path)
    if (found._tag === "NoRoute") {
      return [
        respond(envelope(400, { result: null, errors: [{ code: 7000, message: "No route for that URI" }] })),
        document
      ] as const
    }
    if (found._tag === "MethodNotAllowed") {
      return [
        respond(envelope(405, { result: null, errors: [{ code: 7001, message: "Method not allowed" }] })),
        document
      ] as const
    }
    const params = { ...found.params, ...uploadParams }
    const account = params.account
    if (account !== undefined && !document.accounts.some((item) => item.id === account)) {
      const failure = new ApiFailure({ status: 403, code: 9109, message: "Unauthorized to access requested resource" })
      return [respond(failureResponse(failure)), document] as const
    }
    const unchanged = document
    return yield* found.handler({ ...call, params }, document).pipe(
      Effect.map(([answer, after]) => {
        const response = envelope(answer.status ?? 200, {
          result: answer.result,
          ...(answer.resultInfo === undefined ? {} : { resultInfo: answer.resultInfo })
        })
        return [respond(response), after] as const
      }),
      Effect.catchAll((failure) => Effect.succeed([respond(failureResponse(failure)), unchanged] as const))
    )
  })

const basePath = "/client/v4"

const tokenOf = (options: SimulatorOptions): string =>
  typeof options.token === "string" ? options.token : Redacted.value(options.token)

const toCall = (request: SimulatorRequest, now: number, signingKey: string): Call => {
  const url = new URL(request.url, "http://simulator.invalid")
  const rawPath =
    url.pathname.startsWith(`${basePath}/`) || url.pathname === basePath
      ? url.pathname.slice(basePath.length)
      : url.pathname
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, "") : rawPath || "/"
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = value
  }
  const body = request.body
  return {
    method: request.method.toUpperCase(),
    path,
    params: {},
    query: url.searchParams,
    headers,
    body: body === undefined ? new Uint8Array() : typeof body === "string" ? new TextEncoder().encode(body) : body,
    now,
    signingKey
  }
}

/** Answers `request` against the account in `store`. Fails only when the store cannot be used. */
export const handle = (
  request: SimulatorRequest,
  store: CloudflareStore,
  options: SimulatorOptions
): Effect.Effect<SimulatorResponse, CloudflareStoreError> =>
  Effect.gen(function* () {
    if (options.latency !== undefined) yield* Effect.sleep(options.latency)
    const signingKey = Jwt.signingKey(tokenOf(options))
    const outcome = yield* store.modify((stored) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const call = toCall(request, now, signingKey)
        const [outcome, after] = yield* decide(call, seed(stored, options), options)
        const entry = {
          method: call.method,
          path: call.path,
          query: call.query.toString(),
          status: outcome._tag === "Respond" ? outcome.response.status : 0,
          at: now
        }
        if (options.log !== false) return [outcome, { ...after, requests: [...after.requests, entry] }] as const
        return [outcome, after.requests.length === 0 ? after : { ...after, requests: [] }] as const
      })
    )
    if (outcome._tag === "Hang") return yield* Effect.never
    return outcome.response
  })
