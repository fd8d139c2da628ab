import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as Tracer from "effect/Tracer"
import * as CloudflareApi from "../../src/Cloudflare/Api.js"
import type * as Retry from "../../src/Retry.js"

// ---------------------------------------------------------------------------------------------
// A scripted Cloudflare: canned answers per request, every request recorded.

const canary = "cfcanary_TOKEN_0123456789abcdefghijkl"
const account = "0123456789abcdef0123456789abcdef"
const root = "https://api.cloudflare.com/client/v4"

interface Seen {
  readonly method: string
  readonly url: URL
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

interface Answer {
  readonly status?: number
  /** JSON body; `raw` wins. */
  readonly json?: unknown
  readonly raw?: string
  readonly headers?: Record<string, string>
  /** How long the answer takes (on the test's clock). */
  readonly after?: Duration.DurationInput
}

type Reply = Answer | "drop" | "hang"

const ok = (result: unknown, resultInfo?: unknown): Answer => ({
  status: 200,
  json: {
    success: true,
    errors: [],
    messages: [],
    result,
    ...(resultInfo === undefined ? {} : { result_info: resultInfo })
  }
})

const refused = (status: number, code?: number, message = "refused", headers?: Record<string, string>): Answer => ({
  status,
  json: { success: false, errors: code === undefined ? [] : [{ code, message }], messages: [], result: null },
  ...(headers === undefined ? {} : { headers })
})

const defaultEnv: Record<string, string> = { CF_API_TOKEN: canary, CF_ACCOUNT_ID: account }

const fake = (reply: (request: Seen, attempt: number) => Reply, settings: CloudflareApi.Settings = {}) => {
  const seen: Array<Seen> = []
  const client = HttpClient.make((request, url) =>
    Effect.gen(function* () {
      const body =
        request.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(request.body.body)) : undefined
      const recorded: Seen = {
        method: request.method,
        url,
        path: url.pathname.replace(/^\/client\/v4/, ""),
        headers: request.headers,
        body
      }
      seen.push(recorded)
      const answer = reply(recorded, seen.length)
      if (answer === "hang") return yield* Effect.never
      if (answer === "drop") {
        return yield* new HttpClientError.RequestError({ request, reason: "Transport", description: "socket hang up" })
      }
      if (answer.after !== undefined) yield* Effect.sleep(answer.after)
      const text = answer.raw ?? JSON.stringify(answer.json ?? null)
      return HttpClientResponse.fromWeb(
        request,
        new Response(text, {
          status: answer.status ?? 200,
          headers: { "content-type": "application/json", ...answer.headers }
        })
      )
    })
  )
  const layer = CloudflareApi.layer(settings).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, client)))
  return { layer, seen }
}

const noRetry: Retry.RetryPolicy = {
  maxAttempts: 1,
  initialDelay: Duration.seconds(1),
  maxDelay: Duration.seconds(30),
  multiplier: 2
}

/** Runs `body` against a scripted API in the environment `env`; returns its exit and the requests made. */
const withApi = <A>(
  reply: Reply | ((request: Seen, attempt: number) => Reply),
  body: (api: CloudflareApi.CloudflareApiService) => Effect.Effect<A, CloudflareApi.CloudflareError>,
  options: { readonly settings?: CloudflareApi.Settings; readonly env?: Record<string, string> } = {}
) => {
  const script = fake(typeof reply === "function" ? reply : () => reply, options.settings)
  return Effect.gen(function* () {
    const api = yield* CloudflareApi.CloudflareApi
    const exit = yield* Effect.exit(body(api))
    return { exit, seen: script.seen }
  }).pipe(
    Effect.provide(script.layer),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(options.env ?? defaultEnv))))
  )
}

const failure = <A>(exit: Exit.Exit<A, CloudflareApi.CloudflareError>): CloudflareApi.CloudflareError => {
  if (Exit.isSuccess(exit)) return assert.fail(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (error === undefined) return assert.fail(`expected a typed failure, got ${String(exit.cause)}`)
  return error
}

const success = <A>(exit: Exit.Exit<A, CloudflareApi.CloudflareError>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  return assert.fail(`expected a success, got ${String(exit.cause)}`)
}

/** The error of an effect expected to fail, as its success. */
const failed = <A>(effect: Effect.Effect<A, CloudflareApi.CloudflareError>) =>
  Effect.flip(effect).pipe(
    Effect.catchAll((value) => Effect.dieMessage(`expected a failure, got ${JSON.stringify(value)}`))
  )

const only = <A>(items: ReadonlyArray<A>): A => {
  assert.strictEqual(items.length, 1)
  return items[0]!
}

const bucketJson = {
  name: "assets",
  creation_date: "2025-05-01T10:00:00.000Z",
  location: "APAC",
  storage_class: "Standard",
  extra: "ignored"
}

const recordJson = (id: string, name: string, content: string) => ({
  id,
  type: "A",
  name,
  content,
  ttl: 1,
  proxied: false,
  proxiable: true,
  comment: null,
  tags: [],
  zone_id: "zone1",
  zone_name: "example.com",
  created_on: "2025-05-01T10:00:00Z",
  modified_on: "2025-05-01T10:00:00Z",
  meta: {}
})

// ---------------------------------------------------------------------------------------------

describe("CloudflareApi: R2", () => {
  it.effect("lists buckets with one call per account, as the token, decoding the fields FleetFlow reads", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(ok({ buckets: [bucketJson, { name: "logs" }] }), (api) =>
        api.r2.buckets.list()
      )
      const buckets = success(exit)
      const request = only(seen)
      assert.strictEqual(request.method, "GET")
      assert.strictEqual(request.url.origin + request.url.pathname, `${root}/accounts/${account}/r2/buckets`)
      assert.strictEqual(request.url.searchParams.get("per_page"), "1000")
      assert.strictEqual(request.headers.authorization, `Bearer ${canary}`)
      assert.strictEqual(request.headers.accept, "application/json")
      assert.isUndefined(request.headers["cf-r2-jurisdiction"])
      assert.deepStrictEqual(buckets, [
        { name: "assets", location: "APAC", storageClass: "Standard" },
        { name: "logs" }
      ])
    })
  )

  it.effect("follows the bucket list's cursor when the account has more buckets than a page", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(
        (request) =>
          request.url.searchParams.get("cursor") === null
            ? ok({ buckets: [{ name: "a" }] }, { cursor: "next-1", per_page: 1000 })
            : ok({ buckets: [{ name: "b" }] }, { cursor: "", per_page: 1000 }),
        (api) => api.r2.buckets.list({ jurisdiction: "eu" })
      )
      assert.deepStrictEqual(
        success(exit).map((bucket) => bucket.name),
        ["a", "b"]
      )
      assert.strictEqual(seen.length, 2)
      assert.strictEqual(seen[1]!.url.searchParams.get("cursor"), "next-1")
      assert.isTrue(seen.every((request) => request.headers["cf-r2-jurisdiction"] === "eu"))
    })
  )

  it.effect("creates a bucket with its location, storage class and jurisdiction header", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(
        ok({ name: "assets", creation_date: "2025-05-01T10:00:00.000Z", location: "WEUR", storage_class: "Standard" }),
        (api) =>
          api.r2.buckets.create({ name: "assets", locationHint: "weur", storageClass: "Standard", jurisdiction: "eu" })
      )
      const request = only(seen)
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.path, `/accounts/${account}/r2/buckets`)
      assert.strictEqual(request.headers["cf-r2-jurisdiction"], "eu")
      assert.strictEqual(request.headers["content-type"], "application/json")
      assert.deepStrictEqual(request.body, { name: "assets", locationHint: "weur", storageClass: "Standard" })
      assert.deepStrictEqual(success(exit), {
        name: "assets",
        location: "WEUR",
        storageClass: "Standard",
        jurisdiction: "eu"
      })
    })
  )

  it.effect("a create answered without a result still reports the bucket asked for", () =>
    Effect.gen(function* () {
      const { exit } = yield* withApi(ok(null), (api) => api.r2.buckets.create({ name: "assets" }))
      assert.deepStrictEqual(success(exit), { name: "assets" })
    })
  )

  it.effect("gets and deletes a bucket by its encoded name", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(
        (request) => (request.method === "GET" ? ok(bucketJson) : ok(null)),
        (api) => Effect.zip(api.r2.buckets.get("assets", { jurisdiction: "eu" }), api.r2.buckets.delete("assets", {}))
      )
      assert.strictEqual(success(exit)[0].name, "assets")
      assert.deepStrictEqual(
        seen.map((request) => [request.method, request.path, request.headers["cf-r2-jurisdiction"]]),
        [
          ["GET", `/accounts/${account}/r2/buckets/assets`, "eu"],
          ["DELETE", `/accounts/${account}/r2/buckets/assets`, undefined]
        ]
      )
    })
  )

  it.effect("reads, replaces and removes CORS rules", () =>
    Effect.gen(function* () {
      const rule = {
        allowed: { origins: ["https://example.com"], methods: ["GET"], headers: ["*"] },
        exposeHeaders: ["ETag"],
        maxAgeSeconds: 3600
      }
      const { exit, seen } = yield* withApi(
        (request) => (request.method === "GET" ? ok({ rules: [{ ...rule, id: "r1" }] }) : ok(null)),
        (api) =>
          Effect.all([
            api.r2.cors.get("assets"),
            api.r2.cors.put("assets", [rule], { jurisdiction: "eu" }),
            api.r2.cors.delete("assets")
          ])
      )
      assert.deepStrictEqual(success(exit)[0], [rule])
      assert.deepStrictEqual(
        seen.map((request) => `${request.method} ${request.path}`),
        [
          `GET /accounts/${account}/r2/buckets/assets/cors`,
          `PUT /accounts/${account}/r2/buckets/assets/cors`,
          `DELETE /accounts/${account}/r2/buckets/assets/cors`
        ]
      )
      assert.deepStrictEqual(seen[1]!.body, { rules: [rule] })
      assert.strictEqual(seen[1]!.headers["cf-r2-jurisdiction"], "eu")
    })
  )

  it.effect("a bucket without CORS has no rules; a missing bucket is not found", () =>
    Effect.gen(function* () {
      const none = yield* withApi(refused(404, 10059, "The CORS configuration does not exist."), (api) =>
        api.r2.cors.get("assets")
      )
      assert.deepStrictEqual(success(none.exit), [])
      const missing = yield* withApi(refused(404, 10006, "The specified bucket does not exist."), (api) =>
        api.r2.cors.get("assets")
      )
      assert.strictEqual(failure(missing.exit).reason, "not-found")
    })
  )

  it.effect("manages custom domains", () =>
    Effect.gen(function* () {
      const domainJson = {
        domain: "cdn.example.com",
        enabled: true,
        status: { ownership: "active", ssl: "active" },
        minTLS: "1.2",
        zoneId: "zone1",
        zoneName: "example.com"
      }
      const { exit, seen } = yield* withApi(
        (request) => {
          if (request.method === "GET" && request.path.endsWith("/custom")) return ok({ domains: [domainJson] })
          if (request.method === "GET") return ok(domainJson)
          if (request.method === "POST") return ok({ domain: "cdn.example.com", enabled: true, minTLS: "1.2" })
          if (request.method === "PUT") return ok({ domain: "cdn.example.com", enabled: true, minTLS: "1.3" })
          return ok({ domain: "cdn.example.com" })
        },
        (api) =>
          Effect.all([
            api.r2.domains.list("assets"),
            api.r2.domains.get("assets", "cdn.example.com"),
            api.r2.domains.create("assets", { domain: "cdn.example.com", zoneId: "zone1", minTLS: "1.2" }),
            api.r2.domains.update("assets", "cdn.example.com", { minTLS: "1.3" }),
            api.r2.domains.delete("assets", "cdn.example.com")
          ])
      )
      const [list, got, created, updated] = success(exit)
      const decoded = { domain: "cdn.example.com", enabled: true, minTLS: "1.2", zoneId: "zone1" }
      assert.deepStrictEqual(list, [decoded])
      assert.deepStrictEqual(got, decoded)
      assert.deepStrictEqual(created, { domain: "cdn.example.com", zoneId: "zone1", enabled: true, minTLS: "1.2" })
      assert.deepStrictEqual(updated, { domain: "cdn.example.com", enabled: true, minTLS: "1.3" })
      const base = `/accounts/${account}/r2/buckets/assets/domains/custom`
      assert.deepStrictEqual(
        seen.map((request) => `${request.method} ${request.path}`),
        [
          `GET ${base}`,
          `GET ${base}/cdn.example.com`,
          `POST ${base}`,
          `PUT ${base}/cdn.example.com`,
          `DELETE ${base}/cdn.example.com`
        ]
      )
      assert.deepStrictEqual(seen[2]!.body, {
        domain: "cdn.example.com",
        zoneId: "zone1",
        enabled: true,
        minTLS: "1.2"
      })
      assert.deepStrictEqual(seen[3]!.body, { minTLS: "1.3" })
    })
  )

  it.effect("a result of the wrong shape is an error naming the field", () =>
    Effect.gen(function* () {
      const { exit } = yield* withApi(ok({ buckets: [{ creation_date: "2025" }] }), (api) => api.r2.buckets.list())
      const error = failure(exit)
      assert.strictEqual(error.reason, "failed")
      assert.include(error.message, "buckets[0].name")
    })
  )

  it.effect("an answer that is not the envelope is an error, not a crash", () =>
    Effect.gen(function* () {
      const { exit } = yield* withApi({ status: 200, raw: "<html>hello</html>" }, (api) => api.r2.buckets.list())
      const error = failure(exit)
      assert.strictEqual(error.reason, "failed")
      assert.include(error.message, "<html>hello</html>")
    })
  )
})

describe("CloudflareApi: zones and DNS", () => {
  it.effect("looks a zone up by name once per service, even when asked concurrently", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(
        ok([
          { id: "other", name: "sub.example.com", status: "active" },
          { id: "zone1", name: "example.com", status: "active", account: { id: account, name: "me" } }
        ]),
        (api) =>
          Effect.all(
            [api.zones.byName("example.com"), api.zones.byName("Example.com."), api.zones.byName("example.com")],
            { concurrency: "unbounded" }
          )
      )
      assert.deepStrictEqual(
        success(exit).map((zone) => zone.id),
        ["zone1", "zone1", "zone1"]
      )
      const request = only(seen)
      assert.strictEqual(request.path, "/zones")
      assert.strictEqual(request.url.searchParams.get("name"), "example.com")
    })
  )

  it.effect("a lookup two calls wait for answers the second when the first is interrupted", () =>
    Effect.gen(function* () {
      const zone = { id: "zone1", name: "example.com", status: "active", account: { id: account, name: "me" } }
      const { exit, seen } = yield* withApi({ ...ok([zone]), after: "1 second" }, (api) =>
        Effect.gen(function* () {
          // As in a plan whose reads fail together: the call that asked first is interrupted by its sibling's failure.
          const first = yield* Effect.fork(api.zones.byName("example.com"))
          yield* TestClock.adjust("100 millis")
          const second = yield* Effect.fork(api.zones.byName("example.com"))
          yield* TestClock.adjust("100 millis")
          yield* Fiber.interrupt(first)
          yield* TestClock.adjust("1 second")
          return yield* Fiber.join(second)
        })
      )
      assert.strictEqual(success(exit).id, "zone1")
      assert.strictEqual(seen.length, 1)
    })
  )

  it.effect("an unknown zone is not found, and the miss is not remembered", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(ok([]), (api) =>
        Effect.zip(failed(api.zones.byName("example.com")), failed(api.zones.byName("example.com")))
      )
      const [error] = success(exit)
      assert.strictEqual(error.reason, "not-found")
      assert.include(error.message, "example.com")
      assert.strictEqual(seen.length, 2)
    })
  )

  it.effect("lists records across every page, 5000 at a time, with the filters", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(
        (request) => {
          const page = Number(request.url.searchParams.get("page"))
          return ok([recordJson(`r${page}`, "www.example.com", `192.0.2.${page}`)], {
            page,
            per_page: 5000,
            count: 1,
            total_count: 3,
            total_pages: 3
          })
        },
        (api) => api.dns.records.list("zone1", { type: "A", name: "www.example.com" })
      )
      const records = success(exit)
      assert.deepStrictEqual(
        records.map((record) => record.id),
        ["r1", "r2", "r3"]
      )
      assert.deepStrictEqual(records[0], {
        id: "r1",
        type: "A",
        name: "www.example.com",
        content: "192.0.2.1",
        ttl: 1,
        proxied: false
      })
      assert.deepStrictEqual(
        seen.map((request) => Object.fromEntries(request.url.searchParams)),
        [1, 2, 3].map((page) => ({ type: "A", name: "www.example.com", page: String(page), per_page: "5000" }))
      )
      assert.isTrue(seen.every((request) => request.path === "/zones/zone1/dns_records"))
    })
  )

  it.effect("a list without result_info is one page", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(ok([recordJson("r1", "a.example.com", "192.0.2.1")]), (api) =>
        api.dns.records.list("zone1")
      )
      assert.strictEqual(success(exit).length, 1)
      assert.strictEqual(seen.length, 1)
    })
  )

  it.effect("creates, updates in place, deletes and batches records", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(
        (request) => {
          if (request.path.endsWith("/batch")) {
            return ok({ deletes: [recordJson("r9", "old.example.com", "192.0.2.9")], posts: [], puts: null })
          }
          if (request.method === "DELETE") return ok({ id: "r1" })
          return ok(recordJson("r1", "www.example.com", "192.0.2.1"))
        },
        (api) =>
          Effect.all([
            api.dns.records.create("zone1", {
              type: "A",
              name: "www.example.com",
              content: "192.0.2.1",
              ttl: 1,
              proxied: false,
              comment: undefined
            }),
            api.dns.records.update("zone1", "r1", { content: "192.0.2.2" }),
            api.dns.records.delete("zone1", "r1"),
            api.dns.records.batch("zone1", {
              deletes: [{ id: "r9" }],
              patches: [{ id: "r1", content: "192.0.2.3" }],
              posts: [{ type: "CNAME", name: "cdn.example.com", content: "www.example.com" }]
            })
          ])
      )
      const [, , , batch] = success(exit)
      assert.deepStrictEqual(
        batch.deletes.map((record) => record.id),
        ["r9"]
      )
      assert.deepStrictEqual(batch.puts, [])
      assert.deepStrictEqual(batch.patches, [])
      assert.deepStrictEqual(
        seen.map((request) => `${request.method} ${request.path}`),
        [
          "POST /zones/zone1/dns_records",
          "PATCH /zones/zone1/dns_records/r1",
          "DELETE /zones/zone1/dns_records/r1",
          "POST /zones/zone1/dns_records/batch"
        ]
      )
      assert.deepStrictEqual(seen[0]!.body, {
        type: "A",
        name: "www.example.com",
        content: "192.0.2.1",
        ttl: 1,
        proxied: false
      })
      assert.deepStrictEqual(seen[1]!.body, { content: "192.0.2.2" })
      assert.deepStrictEqual(seen[3]!.body, {
        deletes: [{ id: "r9" }],
        patches: [{ id: "r1", content: "192.0.2.3" }],
        puts: [],
        posts: [{ type: "CNAME", name: "cdn.example.com", content: "www.example.com" }]
      })
    })
  )
})

describe("CloudflareApi: errors", () => {
  const cases: ReadonlyArray<readonly [string, Answer, CloudflareApi.Reason]> = [
    ["404 / 10006 no such bucket", refused(404, 10006), "not-found"],
    ["404 / 81044 no such record", refused(404, 81044), "not-found"],
    ["404 without a code", refused(404), "not-found"],
    // "Could not route to …, perhaps your object identifier is invalid?": a wrong ID, not a missing resource.
    ["404 / 7003 could not route", refused(404, 7003), "invalid"],
    ["400 / 7003 could not route", refused(400, 7003), "invalid"],
    ["404 / 7000 no route for that URI", refused(404, 7000), "invalid"],
    ["409 / 10004 bucket exists", refused(409, 10004), "exists"],
    ["409 / 10073 bucket exists elsewhere", refused(409, 10073), "exists"],
    ["400 / 81057 record exists", refused(400, 81057), "exists"],
    ["400 / 81058 identical record", refused(400, 81058), "exists"],
    ["409 / 10008 not empty", refused(409, 10008), "conflict"],
    ["400 / 81053 CNAME clash", refused(400, 81053), "conflict"],
    ["400 / 10005 bad name", refused(400, 10005), "invalid"],
    ["400 without a code", refused(400), "invalid"],
    ["403 / 10000 authentication", refused(403, 10000), "auth"],
    ["403 / 9109 unauthorized", refused(403, 9109), "auth"],
    ["401 without a code", refused(401), "auth"],
    ["429 / 10058 too many requests", refused(429, 10058, "slow down", { "retry-after": "2" }), "rate-limited"],
    ["400 / 10058 throttled", refused(400, 10058), "rate-limited"],
    ["503 HTML page", { status: 503, raw: "<html>down</html>", headers: { "content-type": "text/html" } }, "transient"],
    ["500 / 10001 internal", refused(500, 10001), "transient"],
    ["408 timeout", refused(408), "transient"],
    ["200 with success false", refused(200, 12345), "failed"],
    ["418 teapot", refused(418), "failed"]
  ]
  for (const [name, answer, reason] of cases) {
    it.effect(`${name} → ${reason}`, () =>
      Effect.gen(function* () {
        const { exit, seen } = yield* withApi(answer, (api) => api.r2.buckets.get("assets"), {
          settings: { retry: noRetry }
        })
        const error = failure(exit)
        assert.strictEqual(error._tag, "CloudflareError")
        assert.strictEqual(error.reason, reason)
        assert.strictEqual(error.operation, "r2 bucket get")
        assert.strictEqual(error.status, answer.status)
        assert.include(error.message, 'r2 bucket get "assets": ')
        assert.strictEqual(seen.length, 1)
      })
    )
  }

  it.effect("carries the API code, the retry-after seconds and the API's message", () =>
    Effect.gen(function* () {
      const { exit } = yield* withApi(
        refused(429, 10058, "Too many requests", { "retry-after": "7" }),
        (api) => api.r2.buckets.get("assets"),
        { settings: { retry: noRetry } }
      )
      const error = failure(exit)
      assert.strictEqual(error.code, 10058)
      assert.strictEqual(error.retryAfter, 7)
      assert.include(error.message, "Too many requests (code 10058)")
      assert.include(error.message, "7 seconds")
    })
  )

  it.effect("deleting a bucket that holds objects says so", () =>
    Effect.gen(function* () {
      const { exit } = yield* withApi(
        refused(409, 10008, "The bucket you tried to delete is not empty"),
        (api) => api.r2.buckets.delete("assets"),
        { settings: { retry: noRetry } }
      )
      const error = failure(exit)
      assert.strictEqual(error.reason, "conflict")
      assert.include(error.message, "not empty")
      assert.include(error.message, "delete its objects first")
    })
  )

  it("maps onto ProviderError: rate-limited and transient are transient, exists is a conflict", () => {
    const rateLimited = new CloudflareApi.CloudflareError({
      operation: "r2 bucket get",
      reason: "rate-limited",
      status: 429,
      code: 10058,
      message: "slow down",
      retryAfter: 2
    })
    const converted = CloudflareApi.toProviderError(rateLimited, "cloudflare:r2-bucket:assets")
    assert.strictEqual(converted._tag, "ProviderError")
    assert.strictEqual(converted.provider, "cloudflare")
    assert.strictEqual(converted.reason, "transient")
    assert.strictEqual(converted.code, 10058)
    assert.strictEqual(converted.key, "cloudflare:r2-bucket:assets")
    assert.strictEqual(converted.operation, "cloudflare r2 bucket get")
    const reasons = (["transient", "exists", "not-found", "auth", "invalid", "conflict", "failed"] as const).map(
      (reason) =>
        CloudflareApi.toProviderError(
          new CloudflareApi.CloudflareError({ operation: "x", reason, status: 400, message: "m" })
        ).reason
    )
    assert.deepStrictEqual(reasons, ["transient", "conflict", "not-found", "auth", "invalid", "conflict", "failed"])
    const noAnswer = CloudflareApi.toProviderError(
      new CloudflareApi.CloudflareError({ operation: "x", reason: "transient", message: "m" })
    )
    assert.isUndefined(noAnswer.code)
  })
})

describe("CloudflareApi: retries", () => {
  it.effect("a 429 with retry-after: 2 is waited out, then the call succeeds", () =>
    Effect.gen(function* () {
      const script = fake((_, attempt) =>
        attempt === 1 ? refused(429, 10058, "Too many requests", { "retry-after": "2" }) : ok({ buckets: [] })
      )
      const fiber = yield* Effect.fork(
        Effect.flatMap(CloudflareApi.CloudflareApi, (api) => api.r2.buckets.list()).pipe(
          Effect.provide(script.layer),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(defaultEnv))))
        )
      )
      yield* TestClock.adjust(Duration.millis(1999))
      assert.strictEqual(script.seen.length, 1)
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust(Duration.millis(1))
      assert.deepStrictEqual(yield* Fiber.join(fiber), [])
      assert.strictEqual(script.seen.length, 2)
    })
  )

  it.effect("the backoff is used when it is longer than retry-after", () =>
    Effect.gen(function* () {
      const policy: Retry.RetryPolicy = { ...noRetry, maxAttempts: 2, initialDelay: Duration.seconds(10) }
      const script = fake(
        (_, attempt) => (attempt === 1 ? refused(429, 10058, "slow down", { "retry-after": "1" }) : ok(bucketJson)),
        { retry: policy }
      )
      const fiber = yield* Effect.fork(
        Effect.flatMap(CloudflareApi.CloudflareApi, (api) => api.r2.buckets.get("assets")).pipe(
          Effect.provide(script.layer),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(defaultEnv))))
        )
      )
      yield* TestClock.adjust(Duration.seconds(7))
      assert.strictEqual(script.seen.length, 1)
      yield* TestClock.adjust(Duration.seconds(6))
      assert.strictEqual((yield* Fiber.join(fiber)).name, "assets")
      assert.strictEqual(script.seen.length, 2)
    })
  )

  it.effect("an authentication error (10000) fails after one attempt and names CF_API_TOKEN", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(refused(403, 10000, "Authentication error"), (api) => api.r2.buckets.list())
      const error = failure(exit)
      assert.strictEqual(seen.length, 1)
      assert.strictEqual(error.reason, "auth")
      assert.strictEqual(error.code, 10000)
      assert.include(error.message, "CF_API_TOKEN")
      assert.strictEqual(CloudflareApi.toProviderError(error).reason, "auth")
    })
  )

  it.effect("not found, exists and invalid are not retried", () =>
    Effect.gen(function* () {
      for (const answer of [refused(404, 10006), refused(409, 10004), refused(400, 10005)]) {
        const { seen } = yield* withApi(answer, (api) => api.r2.buckets.get("assets"))
        assert.strictEqual(seen.length, 1)
      }
    })
  )

  it.effect("outages are retried by the policy; the last failure is reported", () =>
    Effect.gen(function* () {
      const policy: Retry.RetryPolicy = { ...noRetry, maxAttempts: 3 }
      const script = fake((_, attempt) => (attempt === 1 ? "drop" : refused(502)), { retry: policy })
      const fiber = yield* Effect.fork(
        Effect.flatMap(CloudflareApi.CloudflareApi, (api) => Effect.exit(api.dns.records.list("zone1"))).pipe(
          Effect.provide(script.layer),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(defaultEnv))))
        )
      )
      yield* TestClock.adjust(Duration.minutes(1))
      const error = failure(yield* Fiber.join(fiber))
      assert.strictEqual(script.seen.length, 3)
      assert.strictEqual(error.reason, "transient")
      assert.strictEqual(error.status, 502)
    })
  )

  it.effect("a dropped connection is transient and names the cause", () =>
    Effect.gen(function* () {
      const { exit } = yield* withApi("drop", (api) => api.r2.buckets.list(), { settings: { retry: noRetry } })
      const error = failure(exit)
      assert.strictEqual(error.reason, "transient")
      assert.isUndefined(error.status)
      assert.include(error.message, "socket hang up")
    })
  )

  it.effect("a create is retried after a refusal (503), not after an ambiguous 502", () =>
    Effect.gen(function* () {
      const policy: Retry.RetryPolicy = { ...noRetry, maxAttempts: 3 }
      const run = (first: Reply) => {
        const script = fake((_, attempt) => (attempt === 1 ? first : ok(bucketJson)), { retry: policy })
        return Effect.gen(function* () {
          const fiber = yield* Effect.fork(
            Effect.flatMap(CloudflareApi.CloudflareApi, (api) =>
              Effect.exit(api.r2.buckets.create({ name: "assets" }))
            ).pipe(
              Effect.provide(script.layer),
              Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(defaultEnv))))
            )
          )
          yield* TestClock.adjust(Duration.minutes(1))
          return { exit: yield* Fiber.join(fiber), seen: script.seen }
        })
      }
      const refusedFirst = yield* run(refused(503))
      assert.strictEqual(success(refusedFirst.exit).name, "assets")
      assert.strictEqual(refusedFirst.seen.length, 2)
      const ambiguous = yield* run(refused(502))
      assert.strictEqual(failure(ambiguous.exit).reason, "transient")
      assert.strictEqual(ambiguous.seen.length, 1)
      const dropped = yield* run("drop")
      assert.strictEqual(failure(dropped.exit).reason, "transient")
      assert.strictEqual(dropped.seen.length, 1)
    })
  )

  it.effect("an attempt that gets no answer times out as transient", () =>
    Effect.gen(function* () {
      const script = fake(() => "hang", { retry: noRetry, timeout: Duration.seconds(5) })
      const fiber = yield* Effect.fork(
        Effect.flatMap(CloudflareApi.CloudflareApi, (api) => Effect.exit(api.r2.buckets.list())).pipe(
          Effect.provide(script.layer),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(defaultEnv))))
        )
      )
      yield* TestClock.adjust(Duration.seconds(5))
      const error = failure(yield* Fiber.join(fiber))
      assert.strictEqual(error.reason, "transient")
      assert.include(error.message, "5000 ms")
    })
  )
})

describe("CloudflareApi: settings", () => {
  it.effect("no token: the layer builds, and a call fails naming both variables without a request", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(ok({ buckets: [] }), (api) => api.r2.buckets.list(), {
        env: { CF_ACCOUNT_ID: account, CF_API_TOKEN: "  " }
      })
      const error = failure(exit)
      assert.strictEqual(seen.length, 0)
      assert.strictEqual(error.reason, "auth")
      assert.include(error.message, "CF_API_TOKEN")
      assert.include(error.message, "CLOUDFLARE_API_TOKEN")
      assert.isUndefined(error.status)
    })
  )

  it.effect("the token comes from CLOUDFLARE_API_TOKEN when CF_API_TOKEN is unset, CF_API_TOKEN first", () =>
    Effect.gen(function* () {
      const second = yield* withApi(ok({ buckets: [] }), (api) => api.r2.buckets.list(), {
        env: { CF_ACCOUNT_ID: account, CLOUDFLARE_API_TOKEN: "second" }
      })
      assert.strictEqual(only(second.seen).headers.authorization, "Bearer second")
      const both = yield* withApi(ok({ buckets: [] }), (api) => api.r2.buckets.list(), {
        env: { CF_ACCOUNT_ID: account, CF_API_TOKEN: "first", CLOUDFLARE_API_TOKEN: "second" }
      })
      assert.strictEqual(only(both.seen).headers.authorization, "Bearer first")
    })
  )

  it.effect("a token with a line break inside is refused without printing it", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(ok({ buckets: [] }), (api) => api.r2.buckets.list(), {
        env: { CF_ACCOUNT_ID: account, CF_API_TOKEN: `${canary}\nsecond-line` }
      })
      const error = failure(exit)
      assert.strictEqual(seen.length, 0)
      assert.strictEqual(error.reason, "auth")
      assert.include(error.message, "CF_API_TOKEN")
      assert.notInclude(error.message, canary)
    })
  )

  it.effect("no account: R2 calls fail naming where it comes from; DNS calls do not need one", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(
        ok([]),
        (api) => Effect.zip(failed(api.r2.buckets.list()), api.dns.records.list("zone1")),
        { env: { CF_API_TOKEN: canary } }
      )
      const [error] = success(exit)
      assert.strictEqual(error.reason, "invalid")
      assert.include(error.message, "account-id")
      assert.include(error.message, "CF_ACCOUNT_ID")
      assert.include(error.message, "CLOUDFLARE_ACCOUNT_ID")
      assert.strictEqual(only(seen).path, "/zones/zone1/dns_records")
    })
  )

  it.effect("the account comes from the configuration, then CF_ACCOUNT_ID, then CLOUDFLARE_ACCOUNT_ID", () =>
    Effect.gen(function* () {
      const env = { CF_API_TOKEN: canary, CF_ACCOUNT_ID: "fromcf", CLOUDFLARE_ACCOUNT_ID: "fromcloudflare" }
      const list = (api: CloudflareApi.CloudflareApiService) => api.r2.buckets.list()
      const kdl = yield* withApi(ok({ buckets: [] }), list, { env, settings: { accountId: "fromkdl" } })
      assert.strictEqual(only(kdl.seen).path, "/accounts/fromkdl/r2/buckets")
      const cf = yield* withApi(ok({ buckets: [] }), list, { env })
      assert.strictEqual(only(cf.seen).path, "/accounts/fromcf/r2/buckets")
      const cloudflare = yield* withApi(ok({ buckets: [] }), list, {
        env: { CF_API_TOKEN: canary, CLOUDFLARE_ACCOUNT_ID: "fromcloudflare" }
      })
      assert.strictEqual(only(cloudflare.seen).path, "/accounts/fromcloudflare/r2/buckets")
      const bad = yield* withApi(ok({ buckets: [] }), list, { env, settings: { accountId: "../zones" } })
      assert.strictEqual(failure(bad.exit).reason, "invalid")
      assert.strictEqual(bad.seen.length, 0)
    })
  )

  it.effect("CLOUDFLARE_API_BASE_URL points the client elsewhere; a trailing slash is dropped", () =>
    Effect.gen(function* () {
      const { seen } = yield* withApi(ok({ buckets: [] }), (api) => api.r2.buckets.list(), {
        env: { ...defaultEnv, CLOUDFLARE_API_BASE_URL: "http://127.0.0.1:8787/client/v4/" }
      })
      const request = only(seen)
      assert.strictEqual(request.url.origin, "http://127.0.0.1:8787")
      assert.strictEqual(request.url.pathname, `/client/v4/accounts/${account}/r2/buckets`)
      const legacy = yield* withApi(ok({ buckets: [] }), (api) => api.r2.buckets.list(), {
        env: { ...defaultEnv, CF_API_BASE_URL: "http://127.0.0.1:9999/client/v4" }
      })
      assert.strictEqual(only(legacy.seen).url.origin, "http://127.0.0.1:9999")
    })
  )

  it.effect("a base URL without /client/v4 is refused before any request", () =>
    Effect.gen(function* () {
      const { exit, seen } = yield* withApi(ok({ buckets: [] }), (api) => api.r2.buckets.list(), {
        env: { ...defaultEnv, CLOUDFLARE_API_BASE_URL: "http://127.0.0.1:8787" }
      })
      const error = failure(exit)
      assert.strictEqual(error.reason, "invalid")
      assert.include(error.message, "CLOUDFLARE_API_BASE_URL")
      assert.include(error.message, "/client/v4")
      assert.strictEqual(seen.length, 0)
    })
  )

  it.effect("settings can carry the token and the API root (the sandbox has no environment)", () =>
    Effect.gen(function* () {
      const { seen } = yield* withApi(ok({ buckets: [] }), (api) => api.r2.buckets.list(), {
        env: {},
        settings: { token: Redacted.make("sandbox"), accountId: account, baseUrl: "http://sim.local/client/v4" }
      })
      const request = only(seen)
      assert.strictEqual(request.headers.authorization, "Bearer sandbox")
      assert.strictEqual(request.url.origin, "http://sim.local")
    })
  )
})

describe("CloudflareApi: the token never leaks", () => {
  it.effect("no error, log line or span holds the token", () =>
    Effect.gen(function* () {
      const logged: Array<string> = []
      const logger = Logger.make(({ annotations, message, spans }) => {
        logged.push(JSON.stringify({ message, annotations: [...annotations], spans: [...spans].map(String) }))
      })
      const spans: Array<Tracer.Span> = []
      const base = yield* Effect.tracer
      const tracer = Tracer.make({
        span: (...args) => {
          const span = base.span(...args)
          spans.push(span)
          return span
        },
        context: (f, fiber) => base.context(f, fiber)
      })
      const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        effect.pipe(
          Effect.withTracer(tracer),
          Effect.provide(Logger.add(logger)),
          Logger.withMinimumLogLevel(LogLevel.All)
        )
      const answers: ReadonlyArray<Reply> = [
        refused(403, 10000, "Authentication error"),
        refused(404, 10006, "The specified bucket does not exist."),
        refused(429, 10058, "Too many requests", { "retry-after": "1" }),
        refused(409, 10008, "not empty"),
        { status: 502, raw: "<html>bad gateway</html>" },
        { status: 200, raw: "not json" },
        ok({ buckets: [{}] }),
        "drop"
      ]
      const errors: Array<CloudflareApi.CloudflareError> = []
      for (const answer of answers) {
        const { exit } = yield* observed(
          withApi(answer, (api) => api.r2.buckets.list(), { settings: { retry: noRetry } })
        )
        errors.push(failure(exit))
      }
      const missingAccount = yield* observed(
        withApi(ok({ buckets: [] }), (api) => api.r2.buckets.list(), { env: { CF_API_TOKEN: canary } })
      )
      errors.push(failure(missingAccount.exit))
      const noToken = yield* observed(
        withApi(ok({ buckets: [] }), (api) => api.r2.buckets.list(), { env: { CF_ACCOUNT_ID: account } })
      )
      errors.push(failure(noToken.exit))
      const fine = yield* observed(withApi(ok({ buckets: [bucketJson] }), (api) => api.r2.buckets.list()))
      assert.isTrue(Exit.isSuccess(fine.exit))

      assert.strictEqual(errors.length, answers.length + 2)
      for (const error of errors) {
        const provider = CloudflareApi.toProviderError(error, "cloudflare:r2-bucket:assets")
        for (const text of [
          error.message,
          JSON.stringify(error),
          String(error),
          JSON.stringify(provider),
          String(provider),
          provider.message
        ]) {
          assert.notInclude(text, canary)
        }
      }
      assert.isAbove(logged.length, 0)
      for (const line of logged) assert.notInclude(line, canary)
      // The HTTP client's own span records the request headers, Authorization redacted.
      const httpSpan = spans.find((span) => span.attributes.has("http.request.header.authorization"))
      assert.isDefined(httpSpan)
      for (const span of spans) {
        assert.notInclude(span.name, canary)
        for (const [key, value] of span.attributes) {
          assert.notInclude(key, canary)
          assert.notInclude(String(value), canary)
        }
      }
    })
  )
})
