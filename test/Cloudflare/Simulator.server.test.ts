import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Simulator from "../../src/Cloudflare/Simulator.js"

const token = "canary-server-41b7e2-do-not-print"
const account = Simulator.defaultAccountId

interface Envelope {
  readonly success: boolean
  readonly errors: ReadonlyArray<{ readonly code: number; readonly message: string }>
  // biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary result shapes
  readonly result: any
}

describe("Cloudflare simulator over HTTP", () => {
  it.scopedLive("serves the same API on 127.0.0.1 to Node's fetch", () =>
    Effect.gen(function* () {
      const store = yield* Simulator.memoryStore()
      const faults = Either.getOrThrow(Simulator.parseFaults("GET /zones=ratelimit:1*1"))
      const baseUrl = yield* Simulator.serve(store, { token, zones: ["example.com"], faults })
      assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/)

      const call = (path: string, init: RequestInit = {}, bearer: string = token) =>
        Effect.promise(async () => {
          const response = await fetch(`${baseUrl}${path}`, {
            ...init,
            headers: { authorization: `Bearer ${bearer}`, ...(init.headers ?? {}) }
          })
          const text = await response.text()
          return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Envelope }
        })

      const buckets = `/accounts/${account}/r2/buckets`
      const created = yield* call(buckets, {
        method: "POST",
        body: JSON.stringify({ name: "served", locationHint: "apac" }),
        headers: { "content-type": "text/plain;charset=UTF-8" }
      })
      assert.strictEqual(created.status, 200)
      assert.strictEqual(created.headers.get("content-type"), "application/json")
      assert.strictEqual(created.body.result.location, "APAC")
      const listed = yield* call(buckets)
      assert.deepStrictEqual(
        listed.body.result.buckets.map((bucket: { name: string }) => bucket.name),
        ["served"]
      )
      const again = yield* call(buckets, { method: "POST", body: JSON.stringify({ name: "served" }) })
      assert.strictEqual(again.status, 409)
      assert.strictEqual(again.body.errors[0]?.code, 10004)

      const denied = yield* call(buckets, {}, "not-the-token")
      assert.strictEqual(denied.status, 403)
      assert.strictEqual(denied.body.errors[0]?.code, 10000)
      assert.notInclude(denied.text, "not-the-token")

      const limited = yield* call("/zones")
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers.get("retry-after"), "1")
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1100)))
      const zones = yield* call("/zones?name=example.com")
      assert.strictEqual(zones.status, 200)
      assert.strictEqual(zones.body.result[0].name, "example.com")

      const log = yield* Simulator.requests(store)
      assert.deepStrictEqual(
        log.map((entry) => `${entry.method} ${entry.path} ${entry.status}`),
        [
          `POST ${buckets} 200`,
          `GET ${buckets} 200`,
          `POST ${buckets} 409`,
          `GET ${buckets} 403`,
          "GET /zones 429",
          "GET /zones 200"
        ]
      )
      assert.notInclude(JSON.stringify(yield* store.load), token)
    })
  )

  it.live("stops listening when its scope closes", () =>
    Effect.gen(function* () {
      const store = yield* Simulator.memoryStore()
      const baseUrl = yield* Effect.scoped(Simulator.serve(store, { token }))
      const refused = yield* Effect.promise(() =>
        fetch(`${baseUrl}/user/tokens/verify`).then(
          () => "answered",
          () => "refused"
        )
      )
      assert.strictEqual(refused, "refused")
    })
  )
})
