import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as Simulator from "../../src/Cloudflare/Simulator.js"

const token = "canary-7f3a9c1e-do-not-print"
const account = Simulator.defaultAccountId
const base = "https://api.cloudflare.com/client/v4"
const buckets = `/accounts/${account}/r2/buckets`

interface Envelope {
  readonly success: boolean
  readonly errors: ReadonlyArray<{ readonly code: number; readonly message: string }>
  readonly messages: ReadonlyArray<unknown>
  // biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary result shapes
  readonly result: any
  readonly result_info?: Record<string, unknown>
}

interface Sent {
  readonly body?: unknown
  readonly headers?: Record<string, string>
  /** The bearer token; `null` sends none. */
  readonly token?: string | null
}

const setup = (options: Partial<Simulator.SimulatorOptions> = {}) =>
  Effect.gen(function* () {
    const store = yield* Simulator.memoryStore()
    const client = yield* Effect.provide(
      HttpClient.HttpClient,
      Simulator.layerClient(store, { token, zones: ["example.com", "example.org"], ...options })
    )
    const call = (method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, sent: Sent = {}) =>
      Effect.gen(function* () {
        let request = HttpClientRequest.make(method)(`${base}${path}`).pipe(
          HttpClientRequest.setHeaders(sent.headers ?? {})
        )
        const bearer = sent.token === undefined ? token : sent.token
        if (bearer !== null) request = HttpClientRequest.bearerToken(request, bearer)
        // wrangler sends JSON bodies as text/plain
        if (sent.body !== undefined)
          request = HttpClientRequest.bodyText(request, JSON.stringify(sent.body), "text/plain")
        const response = yield* client.execute(request)
        const text = yield* response.text
        return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Envelope }
      }).pipe(Effect.orDie)
    const zoneId = (name: string) =>
      Effect.map(call("GET", `/zones?name=${name}`), (response) => response.body.result[0].id as string)
    return { store, call, zoneId }
  })

const errorCode = (response: { readonly body: Envelope }) => response.body.errors[0]?.code

describe("Cloudflare simulator: R2 buckets", () => {
  it.effect("creates, lists, gets and deletes buckets with the v4 envelope", () =>
    Effect.gen(function* () {
      const { call } = yield* setup()
      const created = yield* call("POST", buckets, { body: { name: "assets", locationHint: "weur" } })
      assert.strictEqual(created.status, 200)
      assert.deepStrictEqual(created.body.errors, [])
      assert.deepStrictEqual(created.body.messages, [])
      assert.isTrue(created.body.success)
      assert.strictEqual(created.body.result.location, "WEUR")
      yield* call("POST", buckets, { body: { name: "backups", storageClass: "InfrequentAccess" } })

      const listed = yield* call("GET", buckets)
      assert.deepStrictEqual(
        listed.body.result.buckets.map((bucket: { name: string }) => bucket.name),
        ["assets", "backups"]
      )
      assert.deepStrictEqual(Object.keys(listed.body.result.buckets[1]).sort(), [
        "creation_date",
        "location",
        "name",
        "storage_class"
      ])
      assert.strictEqual(listed.body.result.buckets[1].storage_class, "InfrequentAccess")

      const got = yield* call("GET", `${buckets}/assets`)
      assert.strictEqual(got.body.result.name, "assets")

      const deleted = yield* call("DELETE", `${buckets}/assets`)
      assert.strictEqual(deleted.status, 200)
      const gone = yield* call("GET", `${buckets}/assets`)
      assert.strictEqual(gone.status, 404)
      assert.strictEqual(errorCode(gone), 10006)
      assert.isFalse(gone.body.success)
      assert.isNull(gone.body.result)
    })
  )

  it.effect("refuses an existing bucket (409 10004) and a bad name (400 10005)", () =>
    Effect.gen(function* () {
      const { call } = yield* setup()
      yield* call("POST", buckets, { body: { name: "assets" } })
      const again = yield* call("POST", buckets, { body: { name: "assets" } })
      assert.strictEqual(again.status, 409)
      assert.strictEqual(errorCode(again), 10004)
      for (const name of ["ab", "Assets", "-assets", "a_b_c", "x".repeat(64)]) {
        const bad = yield* call("POST", buckets, { body: { name } })
        assert.strictEqual(bad.status, 400, name)
        assert.strictEqual(errorCode(bad), 10005, name)
      }
      const notJson = yield* call("POST", buckets, { body: undefined })
      assert.strictEqual(notJson.status, 400)
      const badLocation = yield* call("POST", buckets, { body: { name: "elsewhere", locationHint: "mars" } })
      assert.strictEqual(badLocation.status, 400)
    })
  )

  it.effect("keeps jurisdictions apart with cf-r2-jurisdiction", () =>
    Effect.gen(function* () {
      const { call } = yield* setup()
      const eu = { "cf-r2-jurisdiction": "eu" }
      yield* call("POST", buckets, { body: { name: "assets" }, headers: eu })
      const twin = yield* call("POST", buckets, { body: { name: "assets" } })
      assert.strictEqual(twin.status, 200)
      const euList = yield* call("GET", buckets, { headers: eu })
      assert.deepStrictEqual(euList.body.result.buckets, [
        { ...twin.body.result, location: "WEUR", jurisdiction: "eu" }
      ])
      yield* call("DELETE", `${buckets}/assets`, { headers: eu })
      assert.strictEqual((yield* call("GET", `${buckets}/assets`)).status, 200)
      assert.strictEqual((yield* call("GET", `${buckets}/assets`, { headers: eu })).status, 404)
      const unknown = yield* call("GET", buckets, { headers: { "cf-r2-jurisdiction": "mars" } })
      assert.strictEqual(unknown.status, 400)
    })
  )

  it.effect("refuses to delete a non-empty bucket (409 10008)", () =>
    Effect.gen(function* () {
      const { call, store } = yield* setup()
      yield* call("POST", buckets, { body: { name: "full" } })
      yield* Simulator.putObject(store, { bucket: "full", key: "a/b.txt", size: 3 })
      const refused = yield* call("DELETE", `${buckets}/full`)
      assert.strictEqual(refused.status, 409)
      assert.strictEqual(errorCode(refused), 10008)

      const object = yield* call("GET", `${buckets}/full/objects/a/b.txt`)
      assert.strictEqual(object.body.result.size, 3)
      yield* call("DELETE", `${buckets}/full/objects/a/b.txt`)
      assert.strictEqual((yield* call("DELETE", `${buckets}/full`)).status, 200)

      const missing = yield* Simulator.putObject(store, { bucket: "nothing", key: "k" }).pipe(Effect.flip)
      assert.strictEqual(missing._tag, "UnknownBucket")
    })
  )

  it.effect("stores, returns and deletes CORS rules", () =>
    Effect.gen(function* () {
      const { call } = yield* setup()
      yield* call("POST", buckets, { body: { name: "web" } })
      const none = yield* call("GET", `${buckets}/web/cors`)
      assert.strictEqual(none.status, 404)
      assert.strictEqual(errorCode(none), 10059)
      const rules = [
        {
          allowed: { origins: ["https://example.com"], methods: ["GET", "PUT"], headers: ["content-type"] },
          exposeHeaders: ["etag"],
          maxAgeSeconds: 3600
        }
      ]
      assert.strictEqual((yield* call("PUT", `${buckets}/web/cors`, { body: { rules } })).status, 200)
      assert.deepStrictEqual((yield* call("GET", `${buckets}/web/cors`)).body.result, { rules })
      const s3Style = yield* call("PUT", `${buckets}/web/cors`, {
        body: { rules: [{ AllowedOrigins: ["*"], AllowedMethods: ["GET"] }] }
      })
      assert.strictEqual(s3Style.status, 400)
      yield* call("DELETE", `${buckets}/web/cors`)
      assert.strictEqual((yield* call("GET", `${buckets}/web/cors`)).status, 404)
      assert.strictEqual((yield* call("GET", `${buckets}/nope/cors`)).body.errors[0]?.code, 10006)
    })
  )

  it.effect("attaches custom domains in an existing zone only", () =>
    Effect.gen(function* () {
      const { call, zoneId } = yield* setup()
      yield* call("POST", buckets, { body: { name: "media" } })
      const domains = `${buckets}/media/domains/custom`
      const unknownZone = yield* call("POST", domains, {
        body: { domain: "media.example.net", zoneId: "0".repeat(32), enabled: true }
      })
      assert.strictEqual(unknownZone.status, 400)
      assert.strictEqual(errorCode(unknownZone), 7003)

      const zone = yield* zoneId("example.com")
      const outside = yield* call("POST", domains, {
        body: { domain: "media.example.org", zoneId: zone, enabled: true }
      })
      assert.strictEqual(outside.status, 400)

      const added = yield* call("POST", domains, {
        body: { domain: "media.example.com", zoneId: zone, minTLS: "1.2", enabled: true }
      })
      assert.deepStrictEqual(added.body.result, { domain: "media.example.com", enabled: true, minTLS: "1.2" })
      const taken = yield* call("POST", domains, { body: { domain: "media.example.com", zoneId: zone, enabled: true } })
      assert.strictEqual(taken.status, 409)

      const listed = yield* call("GET", domains)
      assert.deepStrictEqual(listed.body.result.domains, [
        {
          domain: "media.example.com",
          enabled: true,
          status: { ownership: "active", ssl: "active" },
          minTLS: "1.2",
          zoneId: zone,
          zoneName: "example.com"
        }
      ])
      const updated = yield* call("PUT", `${domains}/media.example.com`, { body: { minTLS: "1.3", enabled: true } })
      assert.strictEqual(updated.body.result.minTLS, "1.3")
      assert.strictEqual((yield* call("GET", `${domains}/media.example.com`)).body.result.minTLS, "1.3")
      yield* call("DELETE", `${domains}/media.example.com`)
      const gone = yield* call("GET", `${domains}/media.example.com`)
      assert.strictEqual(gone.status, 404)
    })
  )
})

describe("Cloudflare simulator: zones and DNS records", () => {
  it.effect("looks a zone up by name", () =>
    Effect.gen(function* () {
      const { call } = yield* setup()
      const found = yield* call("GET", "/zones?name=example.com")
      assert.strictEqual(found.body.result.length, 1)
      assert.strictEqual(found.body.result[0].id, Simulator.zoneId(account, "example.com"))
      assert.strictEqual(found.body.result[0].account.id, account)
      assert.deepStrictEqual(found.body.result_info, {
        page: 1,
        per_page: 20,
        count: 1,
        total_count: 1,
        total_pages: 1
      })
      assert.deepStrictEqual((yield* call("GET", "/zones?name=example.net")).body.result, [])
      assert.strictEqual((yield* call("GET", "/zones")).body.result.length, 2)
    })
  )

  it.effect("creates records and lists them by page, type and name", () =>
    Effect.gen(function* () {
      const { call, zoneId } = yield* setup()
      const records = `/zones/${yield* zoneId("example.com")}/dns_records`
      for (let index = 1; index <= 12; index++) {
        const created = yield* call("POST", records, {
          body: { type: "A", name: `host${index}`, content: `192.0.2.${index}`, ttl: 1, proxied: false }
        })
        assert.strictEqual(created.status, 200)
        assert.strictEqual(created.body.result.name, `host${index}.example.com`)
        assert.match(created.body.result.id, /^[0-9a-f]{32}$/)
      }
      yield* call("POST", records, { body: { type: "TXT", name: "@", content: "v=spf1 -all", comment: "mail" } })

      const page = yield* call("GET", `${records}?per_page=5&page=3`)
      assert.deepStrictEqual(page.body.result_info, { page: 3, per_page: 5, count: 3, total_count: 13, total_pages: 3 })
      assert.deepStrictEqual(
        page.body.result.map((record: { name: string }) => record.name),
        ["host11.example.com", "host12.example.com", "example.com"]
      )
      const all = yield* call("GET", `${records}?per_page=5000`)
      assert.strictEqual(all.body.result.length, 13)
      assert.strictEqual((yield* call("GET", `${records}?per_page=5001`)).status, 400)

      const txt = yield* call("GET", `${records}?type=TXT`)
      assert.deepStrictEqual(
        txt.body.result.map((record: { content: string; comment: string }) => [record.content, record.comment]),
        [["v=spf1 -all", "mail"]]
      )
      const byName = yield* call("GET", `${records}?name=host7.example.com&type=A`)
      assert.deepStrictEqual(
        byName.body.result.map((record: { content: string }) => record.content),
        ["192.0.2.7"]
      )
      const otherZone = yield* call("GET", `/zones/${yield* zoneId("example.org")}/dns_records`)
      assert.deepStrictEqual(otherZone.body.result, [])
      const unknownZone = yield* call("GET", `/zones/${"f".repeat(32)}/dns_records`)
      assert.strictEqual(errorCode(unknownZone), 7003)
    })
  )

  it.effect("patches, puts and deletes a record", () =>
    Effect.gen(function* () {
      const { call, zoneId } = yield* setup()
      const records = `/zones/${yield* zoneId("example.com")}/dns_records`
      const created = yield* call("POST", records, {
        body: { type: "A", name: "api.example.com", content: "192.0.2.1", ttl: 300, comment: "api" }
      })
      const id = created.body.result.id as string
      const patched = yield* call("PATCH", `${records}/${id}`, { body: { content: "192.0.2.2" } })
      assert.strictEqual(patched.body.result.content, "192.0.2.2")
      assert.strictEqual(patched.body.result.ttl, 300)
      assert.strictEqual(patched.body.result.comment, "api")
      const put = yield* call("PUT", `${records}/${id}`, {
        body: { type: "A", name: "api", content: "192.0.2.3", proxied: true }
      })
      assert.strictEqual(put.body.result.ttl, 1)
      assert.isTrue(put.body.result.proxied)
      assert.isNull(put.body.result.comment)
      const badContent = yield* call("PATCH", `${records}/${id}`, { body: { content: "not-an-address" } })
      assert.strictEqual(badContent.status, 400)
      assert.strictEqual(errorCode(badContent), 9005)
      const deleted = yield* call("DELETE", `${records}/${id}`)
      assert.deepStrictEqual(deleted.body.result, { id })
      for (const method of ["GET", "PATCH", "DELETE"] as const) {
        const missing = yield* call(method, `${records}/${id}`, method === "PATCH" ? { body: {} } : {})
        assert.strictEqual(missing.status, 404)
        assert.strictEqual(errorCode(missing), 81044)
      }
    })
  )

  it.effect("refuses an A record beside a CNAME (81053) and identical records (81058)", () =>
    Effect.gen(function* () {
      const { call, zoneId } = yield* setup()
      const records = `/zones/${yield* zoneId("example.com")}/dns_records`
      yield* call("POST", records, { body: { type: "CNAME", name: "www", content: "example.com" } })
      const clash = yield* call("POST", records, { body: { type: "A", name: "www.example.com", content: "192.0.2.1" } })
      assert.strictEqual(clash.status, 400)
      assert.strictEqual(errorCode(clash), 81053)
      const secondCname = yield* call("POST", records, { body: { type: "CNAME", name: "www", content: "example.org" } })
      assert.strictEqual(errorCode(secondCname), 81057)

      yield* call("POST", records, { body: { type: "A", name: "api", content: "192.0.2.1" } })
      const identical = yield* call("POST", records, { body: { type: "A", name: "api", content: "192.0.2.1" } })
      assert.strictEqual(errorCode(identical), 81058)
      const roundRobin = yield* call("POST", records, { body: { type: "A", name: "api", content: "192.0.2.2" } })
      assert.strictEqual(roundRobin.status, 200)
      const cnameOverA = yield* call("POST", records, { body: { type: "CNAME", name: "api", content: "example.com" } })
      assert.strictEqual(errorCode(cnameOverA), 81053)
    })
  )

  it.effect("applies a batch as one transaction", () =>
    Effect.gen(function* () {
      const { call, zoneId, store } = yield* setup()
      const records = `/zones/${yield* zoneId("example.com")}/dns_records`
      const a = (yield* call("POST", records, { body: { type: "A", name: "a", content: "192.0.2.1" } })).body.result
      const b = (yield* call("POST", records, { body: { type: "A", name: "b", content: "192.0.2.2" } })).body.result

      const failed = yield* call("POST", `${records}/batch`, {
        body: {
          deletes: [{ id: a.id }],
          patches: [{ id: b.id, content: "192.0.2.20" }],
          posts: [{ type: "CNAME", name: "b", content: "example.org" }]
        }
      })
      assert.strictEqual(errorCode(failed), 81053)
      const untouched = yield* Simulator.inspect(store)
      assert.deepStrictEqual(
        untouched.records.map((record) => [record.name, record.content]),
        [
          ["a.example.com", "192.0.2.1"],
          ["b.example.com", "192.0.2.2"]
        ]
      )

      // The delete runs before the post, so the freed name can be reused in the same batch.
      const done = yield* call("POST", `${records}/batch`, {
        body: {
          deletes: [{ id: a.id }],
          patches: [{ id: b.id, content: "192.0.2.20" }],
          puts: [{ id: b.id, type: "A", name: "b", content: "192.0.2.21", ttl: 120 }],
          posts: [{ type: "CNAME", name: "a", content: "example.org" }]
        }
      })
      assert.strictEqual(done.status, 200)
      assert.deepStrictEqual(
        ["deletes", "patches", "puts", "posts"].map((part) => done.body.result[part].length),
        [1, 1, 1, 1]
      )
      const after = yield* call("GET", records)
      assert.deepStrictEqual(
        after.body.result.map((record: { name: string; type: string; content: string }) => [
          record.name,
          record.type,
          record.content
        ]),
        [
          ["b.example.com", "A", "192.0.2.21"],
          ["a.example.com", "CNAME", "example.org"]
        ]
      )
    })
  )
})

describe("Cloudflare simulator: the DNS record batch", () => {
  const names = (response: { readonly body: Envelope }) =>
    (response.body.result as ReadonlyArray<{ name: string; type: string; content: string }>).map(
      (record) => `${record.type} ${record.name} ${record.content}`
    )

  it.effect("checks each entry as its single-record call does: the first failure is the answer, nothing applied", () =>
    Effect.gen(function* () {
      const { call, zoneId, store } = yield* setup()
      const records = `/zones/${yield* zoneId("example.com")}/dns_records`
      const single = yield* call("POST", records, { body: { type: "A", name: "bad", content: "not-an-address" } })
      const posts = [
        { type: "A", name: "one", content: "192.0.2.1" },
        { type: "A", name: "bad", content: "not-an-address" },
        { type: "TXT", name: "three", content: "" }
      ]
      const before = (yield* Simulator.requests(store).pipe(Effect.orDie)).length
      const batched = yield* call("POST", `${records}/batch`, { body: { posts } })
      assert.strictEqual(batched.status, single.status)
      assert.deepStrictEqual(batched.body.errors, single.body.errors)
      assert.strictEqual(errorCode(batched), 9005)
      assert.deepStrictEqual(names(yield* call("GET", records)), [])
      const logged = (yield* Simulator.requests(store).pipe(Effect.orDie)).slice(before)
      assert.deepStrictEqual(
        logged.map((entry) => `${entry.method} ${entry.path.replace(/[0-9a-f]{32}/g, "{id}")}`),
        ["POST /zones/{id}/dns_records/batch", "GET /zones/{id}/dns_records"],
        "the batch is one request in the log"
      )

      // Each list runs in its own order: the second post meets the first one's CNAME.
      const clash = yield* call("POST", `${records}/batch`, {
        body: {
          posts: [
            { type: "CNAME", name: "www", content: "example.org" },
            { type: "A", name: "www", content: "192.0.2.1" }
          ]
        }
      })
      assert.strictEqual(errorCode(clash), 81053)
      assert.deepStrictEqual(names(yield* call("GET", records)), [])
    })
  )

  it.effect("runs deletes, patches and puts before posts, whatever order the body names them in", () =>
    Effect.gen(function* () {
      const { call, zoneId } = yield* setup()
      const records = `/zones/${yield* zoneId("example.com")}/dns_records`
      const old = (yield* call("POST", records, { body: { type: "A", name: "cn", content: "192.0.2.1" } })).body.result
      const other = (yield* call("POST", records, { body: { type: "A", name: "x", content: "192.0.2.2" } })).body.result
      // A CNAME where an A record is: only possible because the delete goes first.
      const done = yield* call("POST", `${records}/batch`, {
        body: {
          posts: [{ type: "CNAME", name: "cn", content: "origin.example.net" }],
          patches: [{ id: other.id, content: "192.0.2.3" }],
          deletes: [{ id: old.id }]
        }
      })
      assert.strictEqual(done.status, 200)
      assert.deepStrictEqual(
        (done.body.result.deletes as ReadonlyArray<{ id: string }>).map((record) => record.id),
        [old.id]
      )
      assert.deepStrictEqual(names(yield* call("GET", records)), [
        "A x.example.com 192.0.2.3",
        "CNAME cn.example.com origin.example.net"
      ])
    })
  )

  it.effect("holds at most 200 changes: one more is refused and nothing is applied", () =>
    Effect.gen(function* () {
      const { call, zoneId } = yield* setup()
      const records = `/zones/${yield* zoneId("example.com")}/dns_records`
      const posts = (count: number, prefix: string) =>
        Array.from({ length: count }, (_, index) => ({ type: "TXT", name: `${prefix}-${index}`, content: "v" }))
      const over = yield* call("POST", `${records}/batch`, { body: { posts: posts(201, "over") } })
      assert.strictEqual(over.status, 400)
      assert.strictEqual(errorCode(over), 1004)
      assert.include(over.body.errors[0]?.message, "at most 200")
      assert.deepStrictEqual(names(yield* call("GET", records)), [])
      const full = yield* call("POST", `${records}/batch`, { body: { posts: posts(200, "full") } })
      assert.strictEqual(full.status, 200)
      assert.strictEqual(full.body.result.posts.length, 200)
    })
  )
})

describe("Cloudflare simulator: accounts and authentication", () => {
  it.effect("answers wrangler's account discovery", () =>
    Effect.gen(function* () {
      const { call } = yield* setup({ accountName: "Team" })
      const verified = yield* call("GET", "/user/tokens/verify")
      assert.strictEqual(verified.body.result.status, "active")
      const accounts = yield* call("GET", "/accounts")
      assert.deepStrictEqual(
        accounts.body.result.map((item: { id: string; name: string }) => [item.id, item.name]),
        [[account, "Team"]]
      )
      assert.strictEqual(accounts.body.result_info?.total_pages, 1)
      const memberships = yield* call("GET", "/memberships")
      assert.deepStrictEqual(memberships.body.result[0].account, { id: account, name: "Team" })
      const user = yield* call("GET", "/user")
      assert.strictEqual(errorCode(user), 9109)
      const otherAccount = yield* call("GET", `/accounts/${"1".repeat(32)}/r2/buckets`)
      assert.strictEqual(otherAccount.status, 403)
      assert.strictEqual(errorCode(otherAccount), 9109)
    })
  )

  it.effect("refuses a wrong or missing token with 10000 and never echoes or logs it", () =>
    Effect.gen(function* () {
      const { call, store } = yield* setup()
      const wrongToken = "wrong-canary-token-5d1c"
      const wrong = yield* call("GET", buckets, { token: wrongToken })
      assert.strictEqual(wrong.status, 403)
      assert.strictEqual(errorCode(wrong), 10000)
      assert.notInclude(wrong.text, wrongToken)
      const none = yield* call("POST", buckets, { token: null, body: { name: "assets" } })
      assert.strictEqual(none.status, 400)
      assert.strictEqual(errorCode(none), 10000)
      const verify = yield* call("GET", "/user/tokens/verify", { token: wrongToken })
      assert.strictEqual(verify.status, 401)
      assert.strictEqual(errorCode(verify), 1000)
      assert.deepStrictEqual((yield* Simulator.inspect(store)).buckets, [])

      yield* call("GET", `${buckets}?name_contains=x`)
      const stored = JSON.stringify(yield* store.load)
      assert.notInclude(stored, token)
      assert.notInclude(stored, wrongToken)
      const log = yield* Simulator.requests(store)
      assert.deepStrictEqual(log.at(-1), {
        method: "GET",
        path: buckets,
        query: "name_contains=x",
        status: 200,
        at: 0
      })
    })
  )

  it.effect("accepts a Redacted token", () =>
    Effect.gen(function* () {
      const { call } = yield* setup({ token: Redacted.make(token) })
      assert.strictEqual((yield* call("GET", buckets)).status, 200)
    })
  )
})

describe("Cloudflare simulator: rate limiting and faults", () => {
  it.effect("answers 429 with retry-after during a rate-limit window, then succeeds", () =>
    Effect.gen(function* () {
      const { call, store } = yield* setup()
      yield* Simulator.injectFaults(store, [
        { method: "GET", path: "/accounts/*/r2/buckets", kind: { _tag: "RateLimit", seconds: 2 }, times: 1 }
      ])
      const limited = yield* call("GET", buckets)
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers["retry-after"], "2")
      assert.strictEqual(errorCode(limited), 10058)
      // Every call is limited while the window is open, R2 or not.
      const zones = yield* call("GET", "/zones")
      assert.strictEqual(zones.status, 429)
      assert.strictEqual(errorCode(zones), 971)
      yield* TestClock.adjust(Duration.seconds(1))
      assert.strictEqual((yield* call("GET", buckets)).headers["retry-after"], "1")
      yield* TestClock.adjust(Duration.seconds(1))
      assert.strictEqual((yield* call("GET", buckets)).status, 200)
      assert.strictEqual((yield* call("GET", buckets)).status, 200)
    })
  )

  it.effect("limits like the real API when asked: too many requests in a window", () =>
    Effect.gen(function* () {
      const { call } = yield* setup({ rateLimit: { requests: 3, window: "10 seconds", penalty: "5 seconds" } })
      for (let index = 0; index < 3; index++) assert.strictEqual((yield* call("GET", "/zones")).status, 200)
      const limited = yield* call("GET", "/zones")
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers["retry-after"], "5")
      yield* TestClock.adjust(Duration.seconds(10))
      assert.strictEqual((yield* call("GET", "/zones")).status, 200)
    })
  )

  it.effect("injects status faults a given number of times, counted in the store", () =>
    Effect.gen(function* () {
      const faults = Simulator.parseFaults("POST /accounts/*/r2/buckets=503*2, DELETE /zones/*=409:81044")
      assert.isTrue(Either.isRight(faults))
      const { call, store, zoneId } = yield* setup({ faults: Either.getOrThrow(faults) })
      const first = yield* call("POST", buckets, { body: { name: "assets" } })
      assert.strictEqual(first.status, 503)
      assert.strictEqual(errorCode(first), 10001)
      assert.strictEqual((yield* call("POST", buckets, { body: { name: "assets" } })).status, 503)
      assert.strictEqual((yield* call("POST", buckets, { body: { name: "assets" } })).status, 200)
      assert.strictEqual((yield* call("GET", buckets)).body.result.buckets.length, 1)
      const records = `/zones/${yield* zoneId("example.com")}/dns_records`
      const refused = yield* call("DELETE", `${records}/x`)
      assert.strictEqual(refused.status, 409)
      assert.strictEqual(errorCode(refused), 81044)
      const document = yield* store.load
      assert.deepStrictEqual(Object.values(document.fired).sort(), [1, 2])
    })
  )

  it.effect("hangs a request until the caller gives up", () =>
    Effect.gen(function* () {
      const { call, store } = yield* setup()
      yield* Simulator.injectFaults(store, Either.getOrThrow(Simulator.parseFaults("* /zones=hang*1")))
      const fiber = yield* Effect.fork(call("GET", "/zones"))
      yield* TestClock.adjust(Duration.hours(2))
      assert.isNull(fiber.unsafePoll())
      yield* Fiber.interrupt(fiber)
      assert.strictEqual((yield* call("GET", "/zones")).status, 200)
      yield* Simulator.clearFaults(store)
      assert.deepStrictEqual((yield* store.load).faults, [])
    })
  )

  it("parses and rejects fault specs", () => {
    const parsed = Simulator.parseFaults("GET /zones/*/dns_records=ratelimit:5*1,/user/*=500,*=429:971*3")
    assert.deepStrictEqual(Either.getOrThrow(parsed), [
      { method: "GET", path: "/zones/*/dns_records", kind: { _tag: "RateLimit", seconds: 5 }, times: 1 },
      { method: "*", path: "/user/*", kind: { _tag: "Status", status: 500 } },
      { method: "*", path: "*", kind: { _tag: "Status", status: 429, code: 971 }, times: 3 }
    ])
    for (const bad of ["GET /zones", "FETCH /zones=500", "zones=500", "/zones=200", "/zones=500*0", "/zones=slow"]) {
      assert.isTrue(Either.isLeft(Simulator.parseFaults(bad)), bad)
    }
  })
})

describe("Cloudflare simulator: stores", () => {
  it.effect("seeds the account and zones on prepare", () =>
    Effect.gen(function* () {
      const store = yield* Simulator.memoryStore()
      yield* Simulator.prepare(store, { token, accountId: "a".repeat(32), zones: ["Example.com"] })
      const contents = yield* Simulator.inspect(store)
      assert.deepStrictEqual(
        contents.accounts.map((item) => item.id),
        ["a".repeat(32)]
      )
      assert.deepStrictEqual(contents.zones, [
        {
          id: Simulator.zoneId("a".repeat(32), "example.com"),
          name: "example.com",
          accountId: "a".repeat(32),
          createdOn: 0
        }
      ])
      assert.deepStrictEqual(yield* Simulator.requests(store), [])
    })
  )

  it.effect("counts list calls in the request log", () =>
    Effect.gen(function* () {
      const { call, zoneId, store } = yield* setup()
      const records = `/zones/${yield* zoneId("example.com")}/dns_records`
      yield* call("GET", `${records}?per_page=5000`)
      yield* call("GET", buckets)
      yield* call("GET", buckets)
      const log = yield* Simulator.requests(store)
      assert.strictEqual(log.filter((entry) => entry.method === "GET" && entry.path === buckets).length, 2)
      assert.strictEqual(log.filter((entry) => entry.path === records).length, 1)
    })
  )

  it.effect("keeps the account in a JSON file across stores", () =>
    Effect.gen(function* () {
      const directory = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "cf-simulator-"))
      const path = NodePath.join(directory, "nested", "cloudflare.json")
      const options = { token, zones: ["example.com"] }
      const first = yield* Simulator.fileStore(path)
      const create = HttpClientRequest.post(`${base}${buckets}`).pipe(
        HttpClientRequest.bearerToken(token),
        HttpClientRequest.bodyText(JSON.stringify({ name: "kept" }))
      )
      const response = yield* Effect.flatMap(HttpClient.HttpClient, (client) => client.execute(create)).pipe(
        Effect.provide(Simulator.layerClient(first, options))
      )
      assert.strictEqual(response.status, 200)
      const second = yield* Simulator.fileStore(path)
      const contents = yield* Simulator.inspect(second)
      assert.deepStrictEqual(
        contents.buckets.map((bucket) => bucket.name),
        ["kept"]
      )
      assert.deepStrictEqual(
        contents.zones.map((zone) => zone.name),
        ["example.com"]
      )
      assert.notInclude(NodeFs.readFileSync(path, "utf8"), token)
      assert.deepStrictEqual(
        NodeFs.readdirSync(NodePath.dirname(path)).filter((name) => name.endsWith(".tmp")),
        []
      )
      NodeFs.writeFileSync(path, "{not json")
      const corrupt = yield* Simulator.inspect(yield* Simulator.fileStore(path)).pipe(Effect.flip)
      assert.strictEqual(corrupt.reason, "corrupt")
      NodeFs.rmSync(directory, { recursive: true, force: true })
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )
})

const scripts = `/accounts/${account}/workers/scripts`
const namespaces = `/accounts/${account}/storage/kv/namespaces`
const projects = `/accounts/${account}/pages/projects`

/** A Worker upload as wrangler sends it: `metadata` and the module, multipart. */
const workerForm = (
  metadata: Record<string, unknown>,
  code = "export default { fetch() { return new Response('hi') } }"
) => {
  const form = new FormData()
  form.append("metadata", JSON.stringify(metadata))
  form.append("index.js", new Blob([code], { type: "application/javascript+module" }), "index.js")
  return form
}

const moduleMetadata = (bindings: ReadonlyArray<Record<string, unknown>>, extra: Record<string, unknown> = {}) => ({
  main_module: "index.js",
  bindings,
  compatibility_date: "2025-01-01",
  compatibility_flags: ["nodejs_compat"],
  ...extra
})

/** `setup` with a way to send multipart forms. */
const setupWithForms = (options: Partial<Simulator.SimulatorOptions> = {}) =>
  Effect.gen(function* () {
    const context = yield* setup({ kvNamespaces: ["cache", "sessions"], ...options })
    const client = yield* Effect.provide(
      HttpClient.HttpClient,
      Simulator.layerClient(context.store, { token, zones: ["example.com", "example.org"], ...options })
    )
    const sendForm = (method: "PUT" | "POST" | "PATCH", path: string, form: FormData) =>
      Effect.gen(function* () {
        const request = HttpClientRequest.make(method)(`${base}${path}`).pipe(
          HttpClientRequest.bearerToken(token),
          HttpClientRequest.setHeader("user-agent", "wrangler/4.86.0"),
          HttpClientRequest.bodyFormData(form)
        )
        const response = yield* client.execute(request)
        const text = yield* response.text
        return { status: response.status, body: JSON.parse(text) as Envelope }
      }).pipe(Effect.orDie)
    return { ...context, sendForm }
  })

describe("Cloudflare simulator: KV namespaces", () => {
  it.effect("seeds namespaces with fixed IDs, lists them by page and title, creates and deletes", () =>
    Effect.gen(function* () {
      const { call } = yield* setupWithForms()
      const cache = Simulator.kvNamespaceId(account, "cache")
      assert.match(cache, /^[0-9a-f]{32}$/)
      const created = yield* call("POST", namespaces, { body: { title: "alpha" } })
      assert.strictEqual(created.status, 200)
      assert.deepStrictEqual(Object.keys(created.body.result).sort(), ["id", "supports_url_encoding", "title"])
      const page = yield* call("GET", `${namespaces}?per_page=2&page=1&order=title&direction=asc`)
      assert.deepStrictEqual(
        page.body.result.map((namespace: { title: string }) => namespace.title),
        ["alpha", "cache"]
      )
      assert.deepStrictEqual(page.body.result_info, { page: 1, per_page: 2, count: 2, total_count: 3, total_pages: 2 })
      const second = yield* call("GET", `${namespaces}?per_page=2&page=2&order=title`)
      assert.deepStrictEqual(second.body.result, [
        { id: Simulator.kvNamespaceId(account, "sessions"), title: "sessions", supports_url_encoding: true }
      ])
      assert.strictEqual((yield* call("GET", `${namespaces}/${cache}`)).body.result.title, "cache")

      const again = yield* call("POST", namespaces, { body: { title: "alpha" } })
      assert.strictEqual(again.status, 400)
      assert.strictEqual(errorCode(again), 10014)
      assert.strictEqual(errorCode(yield* call("POST", namespaces, { body: { name: "no title" } })), 10001)

      const id = created.body.result.id as string
      assert.strictEqual((yield* call("DELETE", `${namespaces}/${id}`)).status, 200)
      const gone = yield* call("DELETE", `${namespaces}/${id}`)
      assert.strictEqual(gone.status, 404)
      assert.strictEqual(errorCode(gone), 10013)
      const malformed = yield* call("GET", `${namespaces}/not-an-id`)
      assert.strictEqual(malformed.status, 400)
      assert.strictEqual(errorCode(malformed), 10011)
    })
  )
})

describe("Cloudflare simulator: Workers", () => {
  it.effect("uploads a module Worker with checked bindings and reports it as the REST reads do", () =>
    Effect.gen(function* () {
      const { call, sendForm, store } = yield* setupWithForms()
      yield* call("POST", buckets, { body: { name: "assets" } })
      const cache = Simulator.kvNamespaceId(account, "cache")
      const bindings = [
        { name: "GREETING", type: "plain_text", text: "hello" },
        { name: "API_KEY", type: "secret_text", text: "secret-canary-b41c" },
        { name: "CACHE", type: "kv_namespace", namespace_id: cache },
        { name: "ASSETS", type: "r2_bucket", bucket_name: "assets" }
      ]
      const uploaded = yield* sendForm(
        "PUT",
        `${scripts}/api?bindings_inherit=strict`,
        workerForm(moduleMetadata(bindings))
      )
      assert.strictEqual(uploaded.status, 200, JSON.stringify(uploaded.body.errors))
      assert.strictEqual(uploaded.body.result.id, "api")
      assert.match(
        uploaded.body.result.deployment_id,
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
      )

      const listed = yield* call("GET", scripts)
      assert.strictEqual(listed.body.result.length, 1)
      const item = listed.body.result[0]
      assert.strictEqual(item.id, "api")
      assert.match(item.tag, /^[0-9a-f]{32}$/)
      assert.strictEqual(item.created_on, "1970-01-01T00:00:00.000Z")
      assert.strictEqual(item.modified_on, "1970-01-01T00:00:00.000Z")
      assert.strictEqual(item.compatibility_date, "2025-01-01")
      assert.strictEqual(item.last_deployed_from, "wrangler")

      const settings = yield* call("GET", `${scripts}/api/settings`)
      assert.deepStrictEqual(settings.body.result.bindings, [
        { name: "GREETING", type: "plain_text", text: "hello" },
        { name: "API_KEY", type: "secret_text" },
        { name: "CACHE", type: "kv_namespace", namespace_id: cache },
        { name: "ASSETS", type: "r2_bucket", bucket_name: "assets" }
      ])
      assert.strictEqual(settings.body.result.compatibility_date, "2025-01-01")
      assert.deepStrictEqual(settings.body.result.compatibility_flags, ["nodejs_compat"])

      const service = yield* call("GET", `/accounts/${account}/workers/services/api`)
      assert.strictEqual(service.body.result.default_environment.script.tag, item.tag)
      const contents = yield* Simulator.inspect(store)
      assert.strictEqual(contents.workers[0]?.mainModule, "index.js")
      assert.strictEqual(contents.workers[0]?.modules[0]?.contentType, "application/javascript+module")
      assert.notInclude(JSON.stringify(yield* store.load), "secret-canary-b41c")
    })
  )

  it.effect("PATCH settings deploys a version with other bindings or compatibility settings, the modules kept", () =>
    Effect.gen(function* () {
      const { call, sendForm, store } = yield* setupWithForms()
      const greeting = { name: "GREETING", type: "plain_text", text: "hello" }
      yield* sendForm("PUT", `${scripts}/api`, workerForm(moduleMetadata([greeting])))
      const patch = (settings: Record<string, unknown>) => {
        const form = new FormData()
        form.append("settings", new Blob([JSON.stringify(settings)], { type: "application/json" }))
        return sendForm("PATCH", `${scripts}/api/settings`, form)
      }
      const patched = yield* patch({ compatibility_date: "2024-06-01" })
      assert.strictEqual(patched.status, 200, JSON.stringify(patched.body.errors))
      assert.deepStrictEqual(patched.body.result.bindings, [greeting])
      assert.strictEqual(patched.body.result.compatibility_date, "2024-06-01")
      const rebound = yield* patch({ bindings: [{ ...greeting, text: "changed" }], compatibility_flags: [] })
      assert.deepStrictEqual(rebound.body.result.bindings, [{ ...greeting, text: "changed" }])
      const refused = yield* patch({ bindings: [{ name: "FILES", type: "r2_bucket", bucket_name: "missing" }] })
      assert.strictEqual(errorCode(refused), 10085)

      const listed = yield* call("GET", scripts)
      assert.strictEqual(listed.body.result[0].compatibility_date, "2024-06-01")
      assert.deepStrictEqual(listed.body.result[0].compatibility_flags, [])
      const [worker] = (yield* Simulator.inspect(store)).workers
      assert.deepStrictEqual(
        [worker?.versions.length, worker?.deployments.length, worker?.mainModule],
        [3, 3, "index.js"]
      )
    })
  )

  it.effect(
    "rejects unknown buckets (10085), unknown namespaces (10042), unnamed bindings (10052) and missing modules (10021)",
    () =>
      Effect.gen(function* () {
        const { sendForm, store } = yield* setupWithForms()
        const put = (metadata: Record<string, unknown>) => sendForm("PUT", `${scripts}/api`, workerForm(metadata))
        const bucket = yield* put(moduleMetadata([{ name: "ASSETS", type: "r2_bucket", bucket_name: "missing" }]))
        assert.strictEqual(bucket.status, 400)
        assert.strictEqual(errorCode(bucket), 10085)
        assert.include(bucket.body.errors[0]?.message, "R2 bucket 'missing' not found")
        const namespace = yield* put(
          moduleMetadata([{ name: "CACHE", type: "kv_namespace", namespace_id: "0".repeat(32) }])
        )
        assert.strictEqual(errorCode(namespace), 10042)
        const unnamed = yield* put(moduleMetadata([{ type: "plain_text", text: "x" }]))
        assert.strictEqual(errorCode(unnamed), 10052)
        const noModule = yield* put(moduleMetadata([], { main_module: "worker.js" }))
        assert.strictEqual(errorCode(noModule), 10021)
        const inherit = yield* sendForm(
          "PUT",
          `${scripts}/api?bindings_inherit=strict`,
          workerForm(moduleMetadata([{ name: "TOKEN", type: "inherit" }]))
        )
        assert.strictEqual(errorCode(inherit), 10057)
        const badName = yield* sendForm("PUT", `${scripts}/Bad_Name`, workerForm(moduleMetadata([])))
        assert.strictEqual(errorCode(badName), 10016)
        assert.deepStrictEqual((yield* Simulator.inspect(store)).workers, [])
      })
  )

  it.effect("answers 10090 under services and 10007 under scripts for a missing Worker", () =>
    Effect.gen(function* () {
      const { call } = yield* setupWithForms()
      const service = yield* call("GET", `/accounts/${account}/workers/services/nothing`)
      assert.strictEqual(service.status, 404)
      assert.strictEqual(errorCode(service), 10090)
      for (const path of ["settings", "deployments", "subdomain", "references"]) {
        const missing = yield* call("GET", `${scripts}/nothing/${path}`)
        assert.strictEqual(missing.status, 404, path)
        assert.strictEqual(errorCode(missing), 10007, path)
      }
      assert.strictEqual(errorCode(yield* call("DELETE", `/accounts/${account}/workers/services/nothing`)), 10090)
    })
  )

  it.effect("uploads versions, deploys them, inherits bindings and keeps the live one in settings", () =>
    Effect.gen(function* () {
      const { call, sendForm, store } = yield* setupWithForms()
      const first = yield* sendForm(
        "PUT",
        `${scripts}/api`,
        workerForm(
          moduleMetadata([
            { name: "MODE", type: "plain_text", text: "one" },
            { name: "KEY", type: "secret_text", text: "s" }
          ])
        )
      )
      const firstVersion = first.body.result.deployment_id as string
      const version = yield* sendForm(
        "POST",
        `${scripts}/api/versions?bindings_inherit=strict`,
        workerForm(
          moduleMetadata([
            { name: "MODE", type: "plain_text", text: "two" },
            { name: "KEY", type: "inherit" }
          ])
        )
      )
      assert.strictEqual(version.status, 200, JSON.stringify(version.body.errors))
      assert.strictEqual(version.body.result.number, 2)
      const modeOf = (bindings: ReadonlyArray<{ name: string; text?: string }>) =>
        bindings.find((binding) => binding.name === "MODE")?.text
      // A version is not live until it is deployed.
      assert.strictEqual(modeOf((yield* call("GET", `${scripts}/api/settings`)).body.result.bindings), "one")

      const bad = yield* call("POST", `${scripts}/api/deployments`, {
        body: { strategy: "percentage", versions: [{ version_id: version.body.result.id, percentage: 50 }] }
      })
      assert.strictEqual(errorCode(bad), 10021)
      const deployed = yield* call("POST", `${scripts}/api/deployments`, {
        body: { strategy: "percentage", versions: [{ version_id: version.body.result.id, percentage: 100 }] }
      })
      assert.strictEqual(deployed.status, 200)
      const settings = (yield* call("GET", `${scripts}/api/settings`)).body.result
      assert.strictEqual(modeOf(settings.bindings), "two")
      assert.deepInclude(settings.bindings, { name: "KEY", type: "secret_text" })

      const deployments = (yield* call("GET", `${scripts}/api/deployments`)).body.result.deployments
      assert.deepStrictEqual(
        deployments.map((item: { versions: ReadonlyArray<{ version_id: string }> }) => item.versions[0]?.version_id),
        [version.body.result.id, firstVersion]
      )
      const contents = yield* Simulator.inspect(store)
      assert.strictEqual(contents.workers[0]?.versions.length, 2)
      assert.strictEqual(contents.workers[0]?.deployments.length, 2)
      assert.strictEqual(modeOf(contents.workers[0]?.bindings ?? []), "two")

      const subdomain = yield* call("POST", `${scripts}/api/subdomain`, { body: { enabled: true } })
      assert.deepStrictEqual(subdomain.body.result, { enabled: true, previews_enabled: true })
      const account_ = yield* call("GET", `/accounts/${account}/workers/subdomain`)
      assert.strictEqual(account_.body.result.subdomain, "fleetflow-simulator")
    })
  )

  it.effect(
    "keeps routes per zone: a script's routes, conflicts (10020), missing scripts (10019), removal with the Worker",
    () =>
      Effect.gen(function* () {
        const { call, sendForm, zoneId, store } = yield* setupWithForms()
        yield* sendForm("PUT", `${scripts}/api`, workerForm(moduleMetadata([])))
        yield* sendForm("PUT", `${scripts}/web`, workerForm(moduleMetadata([])))
        const zone = yield* zoneId("example.com")
        const put = yield* call("PUT", `${scripts}/api/routes`, {
          body: [{ pattern: "api.example.com/*", zone_name: "example.com" }, { pattern: "*.example.org/api/*" }]
        })
        assert.strictEqual(put.status, 200, JSON.stringify(put.body.errors))
        const routes = yield* call("GET", `/zones/${zone}/workers/routes`)
        assert.deepStrictEqual(
          routes.body.result.map((route: { pattern: string; script: string }) => [route.pattern, route.script]),
          [["api.example.com/*", "api"]]
        )
        assert.deepStrictEqual(Object.keys(routes.body.result[0]).sort(), ["id", "pattern", "script"])
        const routeId = routes.body.result[0].id as string
        // Deploying the same routes again keeps their IDs.
        yield* call("PUT", `${scripts}/api/routes`, {
          body: [{ pattern: "api.example.com/*", zone_name: "example.com" }, { pattern: "*.example.org/api/*" }]
        })
        assert.strictEqual((yield* call("GET", `/zones/${zone}/workers/routes`)).body.result[0].id, routeId)

        const taken = yield* call("PUT", `${scripts}/web/routes`, { body: [{ pattern: "api.example.com/*" }] })
        assert.strictEqual(taken.status, 409)
        assert.strictEqual(errorCode(taken), 10020)
        const missingScript = yield* call("POST", `/zones/${zone}/workers/routes`, {
          body: { pattern: "www.example.com/*", script: "nothing" }
        })
        assert.strictEqual(errorCode(missingScript), 10019)
        const unknownZone = yield* call("PUT", `${scripts}/web/routes`, { body: [{ pattern: "www.example.net/*" }] })
        assert.strictEqual(errorCode(unknownZone), 7003)
        const created = yield* call("POST", `/zones/${zone}/workers/routes`, {
          body: { pattern: "www.example.com/*", script: "web" }
        })
        assert.strictEqual(created.status, 200)
        assert.strictEqual(
          (yield* call("DELETE", `/zones/${zone}/workers/routes/${created.body.result.id}`)).body.result.id,
          created.body.result.id
        )

        yield* call("DELETE", `/accounts/${account}/workers/services/api?force=true`)
        const after = yield* Simulator.inspect(store)
        assert.deepStrictEqual(
          after.workers.map((worker) => worker.name),
          ["web"]
        )
        assert.deepStrictEqual(after.routes, [])
      })
  )
})

describe("Cloudflare simulator: Pages", () => {
  it.effect("creates, lists, gets and deletes projects (8000002, 8000007)", () =>
    Effect.gen(function* () {
      const { call } = yield* setupWithForms()
      const created = yield* call("POST", projects, {
        body: {
          name: "site",
          production_branch: "main",
          deployment_configs: { production: { compatibility_date: "2025-01-01" }, preview: {} }
        }
      })
      assert.strictEqual(created.status, 200, JSON.stringify(created.body.errors))
      const project = created.body.result
      assert.strictEqual(project.name, "site")
      assert.strictEqual(project.subdomain, "site.pages.dev")
      assert.deepStrictEqual(project.domains, ["site.pages.dev"])
      assert.strictEqual(project.production_branch, "main")
      assert.strictEqual(project.deployment_configs.production.compatibility_date, "2025-01-01")
      assert.deepStrictEqual(project.deployment_configs.preview.compatibility_flags, [])
      assert.isNull(project.latest_deployment)
      const again = yield* call("POST", projects, { body: { name: "site", production_branch: "main" } })
      assert.strictEqual(again.status, 409)
      assert.strictEqual(errorCode(again), 8000002)
      assert.strictEqual(errorCode(yield* call("POST", projects, { body: { name: "Not Valid" } })), 8000011)

      for (let index = 0; index < 11; index++) {
        yield* call("POST", projects, { body: { name: `site-${index}`, production_branch: "main" } })
      }
      const first = yield* call("GET", `${projects}?per_page=10&page=1`)
      assert.strictEqual(first.body.result.length, 10)
      assert.deepStrictEqual(first.body.result_info, {
        page: 1,
        per_page: 10,
        count: 10,
        total_count: 12,
        total_pages: 2
      })
      assert.strictEqual((yield* call("GET", `${projects}?per_page=10&page=2`)).body.result.length, 2)

      assert.strictEqual((yield* call("GET", `${projects}/site`)).body.result.id, project.id)
      assert.strictEqual((yield* call("DELETE", `${projects}/site`)).status, 200)
      const gone = yield* call("GET", `${projects}/site`)
      assert.strictEqual(gone.status, 404)
      assert.strictEqual(errorCode(gone), 8000007)
      assert.strictEqual(errorCode(yield* call("DELETE", `${projects}/site`)), 8000007)
    })
  )

  it.effect("deploys through an upload token: check-missing, upload, upsert-hashes, then a multipart deployment", () =>
    Effect.gen(function* () {
      const { call, sendForm, store } = yield* setupWithForms()
      yield* call("POST", projects, { body: { name: "site", production_branch: "main" } })
      const { jwt } = (yield* call("GET", `${projects}/site/upload-token`)).body.result
      assert.match(jwt, /^[\w-]+\.[\w-]+\.[\w-]+$/)
      const claims = JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString())
      assert.isAbove(claims.exp, 0)
      assert.isNumber(claims.max_file_count_allowed)

      const index = "a".repeat(32)
      const style = "b".repeat(32)
      const apiToken = yield* call("POST", "/pages/assets/check-missing", { body: { hashes: [index] } })
      assert.strictEqual(apiToken.status, 401)
      assert.strictEqual(errorCode(apiToken), 8000013)
      const forged = `${jwt.slice(0, jwt.lastIndexOf("."))}.${"x".repeat(43)}`
      assert.strictEqual(
        errorCode(yield* call("POST", "/pages/assets/check-missing", { token: forged, body: { hashes: [] } })),
        8000013
      )

      const missing = yield* call("POST", "/pages/assets/check-missing", {
        token: jwt,
        body: { hashes: [index, style] }
      })
      assert.deepStrictEqual(missing.body.result, [index, style])
      const uploaded = yield* call("POST", "/pages/assets/upload", {
        token: jwt,
        body: [
          {
            key: index,
            value: Buffer.from("<h1>hi</h1>").toString("base64"),
            metadata: { contentType: "text/html" },
            base64: true
          },
          {
            key: style,
            value: Buffer.from("body{}").toString("base64"),
            metadata: { contentType: "text/css" },
            base64: true
          }
        ]
      })
      assert.strictEqual(uploaded.status, 200)
      assert.deepStrictEqual(
        (yield* call("POST", "/pages/assets/check-missing", { token: jwt, body: { hashes: [index, style] } })).body
          .result,
        []
      )
      assert.strictEqual(
        (yield* call("POST", "/pages/assets/upsert-hashes", { token: jwt, body: { hashes: [index] } })).status,
        200
      )

      const deploy = (manifest: Record<string, string>, branch?: string) => {
        const form = new FormData()
        form.append("manifest", JSON.stringify(manifest))
        if (branch !== undefined) form.append("branch", branch)
        return sendForm("POST", `${projects}/site/deployments`, form)
      }
      const production = yield* deploy({ "/index.html": index, "/style.css": style }, "main")
      assert.strictEqual(production.status, 200, JSON.stringify(production.body.errors))
      const shortId = (production.body.result.id as string).slice(0, 8)
      assert.strictEqual(production.body.result.url, `https://${shortId}.site.pages.dev`)
      assert.strictEqual(production.body.result.environment, "production")
      assert.deepStrictEqual(production.body.result.latest_stage.status, "success")
      const preview = yield* deploy({ "/index.html": index }, "feature/login")
      assert.strictEqual(preview.body.result.environment, "preview")
      assert.deepStrictEqual(preview.body.result.aliases, ["https://feature-login.site.pages.dev"])
      const unknown = yield* deploy({ "/other.html": "c".repeat(32) })
      assert.strictEqual(unknown.status, 400)
      assert.strictEqual(errorCode(unknown), 8000011)

      const got = yield* call("GET", `${projects}/site/deployments/${production.body.result.id}`)
      assert.strictEqual(got.body.result.id, production.body.result.id)
      assert.strictEqual(errorCode(yield* call("GET", `${projects}/site/deployments/nothing`)), 8000009)
      const project = (yield* Simulator.inspect(store)).pages[0]
      assert.deepStrictEqual(
        project?.deployments.map((deployment) => [deployment.branch, deployment.environment, deployment.fileCount]),
        [
          ["main", "production", 2],
          ["feature/login", "preview", 1]
        ]
      )
      assert.strictEqual(
        (yield* call("GET", `${projects}/site`)).body.result.latest_deployment.id,
        preview.body.result.id
      )
      assert.notInclude(JSON.stringify(yield* store.load), jwt)
    })
  )
})

describe("Cloudflare simulator: older stores", () => {
  it.effect("decodes a store written before Workers, Pages and KV were simulated", () =>
    Effect.gen(function* () {
      const directory = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "cf-simulator-old-"))
      const path = NodePath.join(directory, "cloudflare.json")
      const {
        kvNamespaces: _k,
        workers: _w,
        routes: _r,
        pages: _p,
        ...old
      } = yield* Effect.orDie(Simulator.memoryStore().pipe(Effect.flatMap((store) => store.load)))
      NodeFs.writeFileSync(path, JSON.stringify(old))
      const contents = yield* Simulator.inspect(yield* Simulator.fileStore(path))
      assert.deepStrictEqual(
        [contents.kvNamespaces, contents.workers, contents.routes, contents.pages],
        [[], [], [], []]
      )
      yield* Simulator.prepare(yield* Simulator.fileStore(path), { token, kvNamespaces: ["cache"] })
      assert.deepStrictEqual(
        (yield* Simulator.inspect(yield* Simulator.fileStore(path))).kvNamespaces.map((namespace) => namespace.id),
        [Simulator.kvNamespaceId(account, "cache")]
      )
      NodeFs.rmSync(directory, { recursive: true, force: true })
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )
})
