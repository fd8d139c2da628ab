import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as NodePath from "node:path"
import * as CloudflareProvider from "../../src/Cloudflare/Provider.js"
import * as Simulator from "../../src/Cloudflare/Simulator.js"
import * as Config from "../../src/Config.js"
import * as Fleet from "../../src/Fleet.js"
import * as Plan from "../../src/Plan.js"
import * as Render from "../../src/Render.js"
import { CloudProvider, ProviderError } from "../../src/Provider.js"
import { makeKey, type ResourceType, type StoredResource } from "../../src/Resource.js"
import type * as Retry from "../../src/Retry.js"
import * as State from "../../src/State.js"
import { folder } from "../fixtures/config/support.js"
import { runOptions } from "../support/Desired.js"
import { storedResource } from "../support/Builders.js"
import { failureOf } from "../support/Failure.js"

const token = "cf-canary-5d1e0a7b-never-printed"
const account = Simulator.defaultAccountId
const zones = ["example.com", "example.org"]

const fastRetry: Retry.RetryPolicy = {
  maxAttempts: 3,
  initialDelay: Duration.millis(1),
  maxDelay: Duration.millis(5),
  multiplier: 2
}

const world = (
  options: Partial<Simulator.SimulatorOptions> = {},
  settings: Partial<CloudflareProvider.Settings> = {}
) =>
  Effect.gen(function* () {
    const store = yield* Simulator.memoryStore()
    const provider = CloudflareProvider.layer({
      accountId: account,
      token: Redacted.make(token),
      readRetry: fastRetry,
      ...settings
    }).pipe(Layer.provide(Simulator.layerClient(store, { token, zones, ...options })))
    return { store, provider, layer: Layer.merge(provider, State.layerMemory()) }
  })

const fleet = (body: string) =>
  [
    `project "shop"`,
    `providers { cloudflare { account-id "${account}"; zone "example.com" } }`,
    `retry max-attempts=3 initial-delay="1ms" max-delay="5ms" multiplier=2.0`,
    `stage "dev" {`,
    body,
    `}`
  ].join("\n")

const bucketWith = (origin: string, ip: string) => `
  r2-bucket "shop-assets" {
    location "APAC"
    cors {
      allowed-origins "${origin}"
      allowed-methods "GET" "PUT"
      max-age 3600
    }
    custom-domain "cdn.example.com"
  }
  dns "example.com" {
    record "api" type="A" value="${ip}"
    record "@" type="TXT" value="v=spf1 -all" ttl=300
  }
`

const targetOf = (text: string) =>
  Effect.gen(function* () {
    const root = folder({ "fleet.kdl": text })
    const config = yield* Config.load(NodePath.join(root, "fleet.kdl"))
    const desired = yield* Config.desiredResources(config, "dev")
    return { config, stage: "dev", desired } satisfies Fleet.Target
  }).pipe(Effect.provide(NodeFileSystem.layer))

const inspect = (store: Simulator.CloudflareStore) => Simulator.inspect(store).pipe(Effect.orDie)
const requests = (store: Simulator.CloudflareStore) => Simulator.requests(store).pipe(Effect.orDie)

/** Someone sets a bucket's CORS rules on the dashboard. */
const corsOutside = (store: Simulator.CloudflareStore, bucket: string, origin: string) =>
  Effect.gen(function* () {
    const edited = yield* Simulator.handle(
      {
        method: "PUT",
        url: `/client/v4/accounts/${account}/r2/buckets/${bucket}/cors`,
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ rules: [{ allowed: { origins: [origin], methods: ["GET"] } }] })
      },
      store,
      { token, zones }
    ).pipe(Effect.orDie)
    assert.strictEqual(edited.status, 200, edited.body)
  })

/** The requests `effect` makes, as `METHOD path`. */
const requestsOf = <A, E, R>(store: Simulator.CloudflareStore, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const before = (yield* requests(store)).length
    const result = yield* effect
    const made = (yield* requests(store)).slice(before).map((entry) => `${entry.method} ${entry.path}`)
    return [result, made] as const
  })

describe("the Cloudflare provider through the engine", () => {
  it.effect("an up looks a zone up once: the apply uses what its plan looked up", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      const target = yield* targetOf(
        fleet(
          `  dns "example.com" {\n    record "www" type="A" value="203.0.113.10"\n    record "r2" type="CNAME" value="files.example.net"\n  }`
        )
      )
      const [applied, made] = yield* requestsOf(store, Fleet.up(target, runOptions())).pipe(Effect.provide(layer))
      assert.deepStrictEqual(applied.plan.summary, { add: 2, change: 0, destroy: 0 })
      assert.deepStrictEqual(
        made
          .filter((request) => request.startsWith("GET /zones"))
          .map((request) => request.replace(/\/[0-9a-f]{32}\//, "/:id/")),
        ["GET /zones", "GET /zones/:id/dns_records"]
      )
    })
  )

  it.effect("a CORS change made outside FleetFlow shows as drift, and the plan puts the file's rules back", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      const target = yield* targetOf(fleet(bucketWith("https://shop.example.com", "203.0.113.10")))
      yield* Effect.gen(function* () {
        yield* Fleet.up(target, runOptions())
        yield* corsOutside(store, "shop-assets", "*")

        const refreshed = yield* Fleet.plan(target, { refresh: true })
        assert.deepStrictEqual(
          refreshed.plan.drift.map((drift) => [drift.key, drift.kind, drift.changes.map((change) => change.field)]),
          [["cloudflare:r2:shop-assets", "changed", ["cors"]]]
        )
        const update = refreshed.plan.actions.find((action) => action.key === "cloudflare:r2:shop-assets")
        assert.strictEqual(update?._tag, "Update")
        assert.deepStrictEqual(
          update?.changes.map((change) => change.field),
          ["cors"]
        )
        const text = Render.plan(refreshed.plan, { color: false })
        assert.include(text, "the refresh found changes made outside FleetFlow")
        assert.include(text, "# cloudflare:r2:shop-assets has changed")

        // Without the refresh, the plan trusts the state and sees nothing.
        const stale = yield* Fleet.plan(target, { refresh: false })
        assert.isFalse(Plan.hasChanges(stale.plan))
        assert.deepStrictEqual(stale.plan.drift, [])

        yield* Fleet.up(target, runOptions())
        const restored = yield* inspect(store)
        assert.deepStrictEqual(restored.buckets[0]?.cors?.[0]?.allowed.origins, ["https://shop.example.com"])
        const settled = yield* Fleet.plan(target, { refresh: true })
        assert.deepStrictEqual(settled.plan.drift, [])
        assert.isFalse(Plan.hasChanges(settled.plan))
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("the CORS rules of a bucket whose file and state have no cors block are neither read nor touched", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      const target = yield* targetOf(fleet(`  r2-bucket "plain" { location "APAC"; }`))
      yield* Effect.gen(function* () {
        yield* Fleet.up(target, runOptions())
        // Rules set outside FleetFlow are not FleetFlow's: no drift, no change, no read.
        yield* corsOutside(store, "plain", "https://elsewhere.example.com")
        const [planned, reads] = yield* requestsOf(store, Fleet.plan(target, { refresh: true }))
        assert.deepStrictEqual(planned.plan.drift, [])
        assert.isFalse(Plan.hasChanges(planned.plan))
        // The bucket list, and the token verified beside it: no CORS read.
        assert.deepStrictEqual([...reads].sort(), [`GET /accounts/${account}/r2/buckets`, "GET /user/tokens/verify"])
        yield* Fleet.up(target, runOptions())
        const kept = yield* inspect(store)
        assert.deepStrictEqual(kept.buckets[0]?.cors?.[0]?.allowed.origins, ["https://elsewhere.example.com"])
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect(
    "a cors block added to the file is read first, then put; removed from the file, the rules are removed",
    () =>
      Effect.gen(function* () {
        const { layer, store } = yield* world()
        const plain = yield* targetOf(fleet(`  r2-bucket "shop-assets" { location "APAC"; }`))
        const withCors = yield* targetOf(fleet(bucketWith("https://shop.example.com", "203.0.113.10")))
        const cors = `GET /accounts/${account}/r2/buckets/shop-assets/cors`
        yield* Effect.gen(function* () {
          yield* Fleet.up(plain, runOptions())
          // Declared but not yet recorded: read, so the plan shows what the cloud holds now.
          yield* corsOutside(store, "shop-assets", "*")
          const [added, addReads] = yield* requestsOf(store, Fleet.plan(withCors, { refresh: true }))
          assert.include(addReads, cors)
          assert.deepStrictEqual(
            added.plan.drift.map((drift) => [drift.key, drift.kind, drift.changes.map((change) => change.field)]),
            [["cloudflare:r2:shop-assets", "changed", ["cors"]]]
          )
          yield* Fleet.up(withCors, runOptions())
          assert.deepStrictEqual((yield* inspect(store)).buckets[0]?.cors?.[0]?.allowed.origins, [
            "https://shop.example.com"
          ])

          // The block is gone from the file, the state still records it: read, and removed.
          const [removing, removeReads] = yield* requestsOf(store, Fleet.plan(plain, { refresh: true }))
          assert.include(removeReads, cors)
          const update = removing.plan.actions.find((action) => action.key === "cloudflare:r2:shop-assets")
          assert.strictEqual(update?._tag, "Update")
          assert.deepStrictEqual(
            update?.changes.map((change) => [change.field, change.after]),
            [["cors", undefined]]
          )
          const [, writes] = yield* requestsOf(store, Fleet.up(plain, runOptions()))
          assert.include(writes, `DELETE /accounts/${account}/r2/buckets/shop-assets/cors`)
          assert.isUndefined((yield* inspect(store)).buckets[0]?.cors)

          // From then on the bucket's CORS is not FleetFlow's, and not read.
          const [settled, settledReads] = yield* requestsOf(store, Fleet.plan(plain, { refresh: true }))
          assert.isFalse(Plan.hasChanges(settled.plan))
          assert.notInclude(settledReads, cors)
        }).pipe(Effect.provide(layer))
      })
  )

  it.effect("a custom domain of a bucket in the EU jurisdiction is added, read and removed in that jurisdiction", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      const target = yield* targetOf(
        fleet(`
  r2-bucket "eu-assets" {
    jurisdiction "eu"
    custom-domain "eu.example.com"
  }
`)
      )
      yield* Effect.gen(function* () {
        yield* Fleet.up(target, runOptions())
        const made = yield* inspect(store)
        assert.deepStrictEqual(
          made.buckets.map((bucket) => [
            bucket.name,
            bucket.jurisdiction,
            bucket.domains.map((domain) => domain.domain)
          ]),
          [["eu-assets", "eu", ["eu.example.com"]]]
        )
        const again = yield* Fleet.plan(target, { refresh: true })
        assert.isFalse(Plan.hasChanges(again.plan), "the domain is found in the bucket's jurisdiction")
        yield* Fleet.down(target, runOptions())
        assert.deepStrictEqual((yield* inspect(store)).buckets, [])
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("a bucket with CORS and a custom domain and two records come up, converge, change in place, go down", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      const target = yield* targetOf(fleet(bucketWith("https://shop.example.com", "203.0.113.10")))
      yield* Effect.gen(function* () {
        const applied = yield* Fleet.up(target, runOptions())
        assert.deepStrictEqual(applied.plan.summary, { add: 4, change: 0, destroy: 0 })
        const made = yield* inspect(store)
        assert.deepStrictEqual(
          made.buckets.map((bucket) => [bucket.name, bucket.location]),
          [["shop-assets", "APAC"]]
        )
        const bucket = made.buckets[0]!
        assert.deepStrictEqual(bucket.cors, [
          { allowed: { origins: ["https://shop.example.com"], methods: ["GET", "PUT"] }, maxAgeSeconds: 3600 }
        ])
        assert.deepStrictEqual(
          bucket.domains.map((domain) => [domain.domain, domain.zoneName]),
          [["cdn.example.com", "example.com"]]
        )
        const records = made.records.map((record) => [record.type, record.name, record.content]).sort()
        assert.deepStrictEqual(records, [
          ["A", "api.example.com", "203.0.113.10"],
          ["TXT", "example.com", "v=spf1 -all"]
        ])

        // Nothing to do on a second plan.
        const again = yield* Fleet.plan(target, { refresh: true })
        assert.isFalse(Plan.hasChanges(again.plan))

        // A CORS change and a new address: both in place, same bucket, same record.
        const recordId = made.records.find((record) => record.type === "A")!.id
        const before = (yield* requests(store)).length
        const changed = yield* Fleet.up(
          yield* targetOf(fleet(bucketWith("https://www.example.com", "203.0.113.20"))),
          runOptions()
        )
        assert.deepStrictEqual(changed.plan.summary, { add: 0, change: 2, destroy: 0 })
        const writes = (yield* requests(store))
          .slice(before)
          .filter((entry) => entry.method !== "GET")
          .map((entry) => `${entry.method} ${entry.path.replace(/[0-9a-f]{32}/g, "{id}")}`)
          .sort()
        assert.deepStrictEqual(writes, [
          "PATCH /zones/{id}/dns_records/{id}",
          "PUT /accounts/{id}/r2/buckets/shop-assets/cors"
        ])
        const after = yield* inspect(store)
        assert.deepStrictEqual(after.buckets[0]!.cors?.[0]?.allowed.origins, ["https://www.example.com"])
        const record = after.records.find((item) => item.type === "A")!
        assert.strictEqual(record.id, recordId)
        assert.strictEqual(record.content, "203.0.113.20")

        yield* Fleet.down(target, runOptions())
        const gone = yield* inspect(store)
        assert.deepStrictEqual([gone.buckets.length, gone.records.length], [0, 0])
      }).pipe(Effect.provide(layer))
    })
  )
})

const stored = (type: ResourceType, name: string, inputs: StoredResource["inputs"]): StoredResource =>
  storedResource(type, name, { inputs, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" })

const scope = { project: "shop", stage: "dev" }

describe("the Cloudflare provider's reads", () => {
  it.effect("a plan for 30 buckets and 100 records lists buckets once per account and records once per zone", () =>
    Effect.gen(function* () {
      const { provider, store } = yield* world()
      const service = yield* Effect.provide(CloudProvider, provider)
      const resources = new Map<string, StoredResource>()
      for (let index = 0; index < 30; index++) {
        const name = `bucket-${index}`
        const inputs = { name, location: "APAC" }
        const key = makeKey("r2", name)
        const observed = yield* service.apply({ ...scope, operation: "create", key, type: "r2", name, inputs })
        resources.set(key, { ...stored("r2", name, inputs), id: observed.id, attributes: observed.attributes })
      }
      for (let index = 0; index < 100; index++) {
        const zone = zones[index % 2]!
        const name = `host-${index}.${zone}/A`
        const inputs = {
          zone,
          name: `host-${index}.${zone}`,
          type: "A",
          content: `192.0.2.${index}`,
          proxied: false,
          ttl: 1
        }
        const key = makeKey("dns", name)
        const observed = yield* service.apply({ ...scope, operation: "create", key, type: "dns", name, inputs })
        resources.set(key, { ...stored("dns", name, inputs), id: observed.id, attributes: observed.attributes })
      }
      const before = (yield* requests(store)).length
      const observed = yield* service.getState(scope, resources)
      assert.strictEqual(observed.size, 130)
      const reads = (yield* requests(store)).slice(before)
      const bucketLists = reads.filter((entry) => entry.method === "GET" && /\/r2\/buckets$/.test(entry.path))
      const recordLists = reads.filter((entry) => entry.method === "GET" && /\/dns_records$/.test(entry.path))
      assert.strictEqual(bucketLists.length, 1)
      assert.strictEqual(recordLists.length, 2)
      assert.strictEqual(new Set(recordLists.map((entry) => entry.path)).size, 2)
      // No other read: no bucket declares CORS, and each zone was looked up once, by the first create in it.
      const others = reads.filter((entry) => !bucketLists.includes(entry) && !recordLists.includes(entry))
      assert.deepStrictEqual(
        others.map((entry) => `${entry.method} ${entry.path}`),
        []
      )
      const plan = yield* Plan.make({
        ...scope,
        serial: 1,
        desired: [...resources].map(([key, resource]) => ({
          key,
          provider: "cloudflare" as const,
          type: resource.type,
          name: resource.name,
          inputs: resource.inputs,
          dependsOn: []
        })),
        current: resources,
        provider: service
      })
      assert.isTrue(plan.actions.every((action) => action._tag === "NoOp"))
    })
  )

  it.effect("getState reads the CORS rules of the buckets whose recorded or declared inputs have a cors block", () =>
    Effect.gen(function* () {
      const { provider, store } = yield* world()
      const service = yield* Effect.provide(CloudProvider, provider)
      const cors = { allowedOrigins: ["*"], allowedMethods: ["GET"] }
      const resources = new Map<string, StoredResource>()
      const declared = new Map<string, StoredResource["inputs"]>()
      for (const [name, recorded, wanted] of [
        ["recorded", { cors }, { cors }],
        ["dropped", { cors }, {}],
        ["added", {}, { cors }],
        ["plain", {}, {}],
        ["undeclared", {}, undefined]
      ] as const) {
        const key = makeKey("r2", name)
        yield* service.apply({ ...scope, operation: "create", key, type: "r2", name, inputs: { name, ...recorded } })
        resources.set(key, stored("r2", name, { name, ...recorded }))
        if (wanted !== undefined) declared.set(key, { name, ...wanted })
      }
      const [observed, reads] = yield* requestsOf(store, service.getState(scope, resources, declared))
      assert.strictEqual(observed.size, 5)
      assert.deepStrictEqual(reads.filter((read) => read.endsWith("/cors")).sort(), [
        `GET /accounts/${account}/r2/buckets/added/cors`,
        `GET /accounts/${account}/r2/buckets/dropped/cors`,
        `GET /accounts/${account}/r2/buckets/recorded/cors`
      ])
      // A bucket whose CORS was read reports it (none: null); the others leave their inputs as recorded.
      assert.deepStrictEqual(observed.get(makeKey("r2", "added"))?.inputs, { cors: null })
      assert.strictEqual(observed.get(makeKey("r2", "recorded"))?.inputs?.cors !== undefined, true)
      assert.isUndefined(observed.get(makeKey("r2", "plain"))?.inputs)
      assert.isUndefined(observed.get(makeKey("r2", "undeclared"))?.inputs)
    })
  )

  it.effect("a 429 with retry-after: 2 is waited out, then the read succeeds", () =>
    Effect.gen(function* () {
      const { provider, store } = yield* world({}, { readRetry: undefined })
      const service = yield* Effect.provide(CloudProvider, provider)
      const key = makeKey("r2", "waited")
      const inputs = { name: "waited" }
      yield* service.apply({ ...scope, operation: "create", key, type: "r2", name: "waited", inputs })
      yield* Simulator.injectFaults(store, [
        { method: "GET", path: "/accounts/*/r2/buckets", kind: { _tag: "RateLimit", seconds: 2 }, times: 1 }
      ]).pipe(Effect.orDie)
      const fiber = yield* Effect.fork(service.getState(scope, new Map([[key, stored("r2", "waited", inputs)]])))
      yield* TestClock.adjust(Duration.millis(1999))
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust(Duration.millis(1))
      const observed = yield* Fiber.join(fiber)
      assert.strictEqual(observed.get(key)?.id, "waited")
      const lists = (yield* requests(store)).filter(
        (entry) => /\/r2\/buckets$/.test(entry.path) && entry.method === "GET"
      )
      assert.deepStrictEqual(
        lists.map((entry) => entry.status),
        [429, 200]
      )
    })
  )

  it.effect("an authentication error (code 10000) fails after one attempt, naming CF_API_TOKEN", () =>
    Effect.gen(function* () {
      const { provider, store } = yield* world({}, { token: Redacted.make("not-the-token"), readRetry: undefined })
      const service = yield* Effect.provide(CloudProvider, provider)
      const key = makeKey("r2", "locked")
      const exit = yield* Effect.exit(
        service.getState(scope, new Map([[key, stored("r2", "locked", { name: "locked" })]]))
      )
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? exit.cause : undefined
      const failure = error?._tag === "Fail" ? error.error : undefined
      assert.instanceOf(failure, ProviderError)
      assert.strictEqual(failure?.reason, "auth")
      assert.strictEqual(failure?.code, 10000)
      assert.include(failure?.message ?? "", "CF_API_TOKEN")
      assert.notInclude(failure?.message ?? "", "not-the-token")
      assert.strictEqual((yield* requests(store)).length, 1)
    })
  )
})

describe("the Cloudflare provider before a plan", () => {
  it.effect("a record in a zone the token cannot see fails the plan, naming the record, not the apply", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      const target = yield* targetOf(
        fleet(`  dns "example.net" {\n    record "www" type="A" value="203.0.113.10"\n  }`).replace(
          `zone "example.com"`,
          `zone "example.net"`
        )
      )
      const failure = yield* failureOf(
        Fleet.plan(target, { refresh: true }).pipe(Effect.provide(layer)),
        "the plan to fail: it was made, with a create that cannot apply"
      )
      assert.strictEqual(failure._tag, "ProviderError")
      if (failure._tag !== "ProviderError") return
      assert.strictEqual(failure.key, "cloudflare:dns:www.example.net/A")
      assert.include(failure.message, `"example.net": no zone with this name is visible to the API token`)
      assert.deepStrictEqual(
        (yield* requests(store)).filter((entry) => entry.method !== "GET"),
        []
      )
    })
  )

  const planFailure = (options: Partial<Simulator.SimulatorOptions>, settings: Partial<CloudflareProvider.Settings>) =>
    Effect.gen(function* () {
      const { layer, store } = yield* world(options, { readRetry: undefined, ...settings })
      const target = yield* targetOf(fleet(bucketWith("https://shop.example.com", "203.0.113.10")))
      const failure = yield* Effect.flip(Fleet.plan(target, { refresh: true }).pipe(Effect.provide(layer)))
      const writes = (yield* requests(store)).filter((entry) => entry.method !== "GET")
      return { failure, writes, requests: yield* requests(store) }
    })

  it.effect("a token Cloudflare refuses fails the plan once, before anything is changed, naming CF_API_TOKEN", () =>
    Effect.gen(function* () {
      const { failure, writes, requests } = yield* planFailure({}, { token: Redacted.make("not-the-token") })
      assert.strictEqual(failure._tag, "ProviderError")
      if (failure._tag !== "ProviderError") return
      assert.strictEqual(failure.reason, "auth")
      assert.include(failure.message, "Invalid API Token")
      assert.include(failure.message, "CF_API_TOKEN")
      assert.notInclude(failure.message, "not-the-token")
      assert.deepStrictEqual(writes, [])
      // The verification (Cloudflare's user and account token endpoints), the zone lookup, and the bucket and
      // custom-domain lists of the search for what the creates would meet, made beside it: each once.
      const calls = requests.map((entry) => `${entry.method} ${entry.path}`)
      assert.deepStrictEqual(calls, [...new Set(calls)], "no request was made twice")
      assert.isAtMost(requests.length, 5)
    })
  )

  it.effect("a token without a permission the plan needs fails it, naming that permission", () =>
    Effect.gen(function* () {
      const { failure, writes } = yield* planFailure({ permissions: ["Zone: Read", "DNS: Edit"] }, {})
      assert.strictEqual(failure._tag, "ProviderError")
      assert.include(failure.message, "CF_API_TOKEN")
      assert.include(failure.message, "Workers R2 Storage: Read")
      assert.deepStrictEqual(writes, [])
    })
  )
})

describe("the Cloudflare provider's writes", () => {
  it.effect("a bucket that holds objects is not deleted: a conflict that says to empty it", () =>
    Effect.gen(function* () {
      const { provider, store } = yield* world()
      const service = yield* Effect.provide(CloudProvider, provider)
      const key = makeKey("r2", "full")
      const inputs = { name: "full" }
      yield* service.apply({ ...scope, operation: "create", key, type: "r2", name: "full", inputs })
      yield* Simulator.putObject(store, { bucket: "full", key: "a.txt", size: 3 }).pipe(Effect.orDie)
      const error = yield* Effect.flip(service.destroy(scope, key, stored("r2", "full", inputs)))
      assert.strictEqual(error.reason, "conflict")
      assert.strictEqual(error.code, 10008)
      assert.include(error.message, `"full" is not empty`)
      assert.include(error.hint ?? "", "Empty the bucket")
      assert.strictEqual((yield* inspect(store)).buckets.length, 1)
      // Gone already: removed.
      yield* service.destroy(scope, makeKey("r2", "never"), stored("r2", "never", { name: "never" }))
    })
  )

  it.effect("a delete answered 7003 (could not route) is an error, not done; a record whose zone is gone is", () =>
    Effect.gen(function* () {
      const { provider, store } = yield* world()
      const service = yield* Effect.provide(CloudProvider, provider)
      const bucket = makeKey("r2", "routed")
      yield* service.apply({
        ...scope,
        operation: "create",
        key: bucket,
        type: "r2",
        name: "routed",
        inputs: { name: "routed" }
      })
      const inputs = { zone: "example.com", name: "www", type: "A", content: "192.0.2.1", proxied: false, ttl: 1 }
      const key = makeKey("dns", "www.example.com/A")
      const record = yield* service.apply({ ...scope, operation: "create", key, type: "dns", name: "www", inputs })
      yield* Simulator.injectFaults(store, [
        { method: "DELETE", path: "/accounts/*/r2/buckets/routed", kind: { _tag: "Status", status: 404, code: 7003 } },
        { method: "DELETE", path: "/zones/*/dns_records/*", kind: { _tag: "Status", status: 404, code: 7003 } }
      ]).pipe(Effect.orDie)
      const refusedBucket = yield* Effect.flip(
        service.destroy(scope, bucket, stored("r2", "routed", { name: "routed" }))
      )
      assert.strictEqual(refusedBucket.reason, "invalid")
      assert.strictEqual(refusedBucket.code, 7003)
      const held = { ...stored("dns", "www", inputs), id: record.id, attributes: record.attributes }
      const refusedRecord = yield* Effect.flip(service.destroy(scope, key, held))
      assert.strictEqual(refusedRecord.reason, "invalid")
      assert.include(refusedRecord.message, "could not route")
      const contents = yield* inspect(store)
      assert.deepStrictEqual([contents.buckets.length, contents.records.length], [1, 1])

      // The zone the state names is not in the account any more: its records are gone with it.
      yield* Simulator.clearFaults(store).pipe(Effect.orDie)
      const elsewhere = { ...inputs, zone: "gone.example" }
      yield* service.destroy(scope, makeKey("dns", "www.gone.example/A"), {
        ...stored("dns", "www", elsewhere),
        id: "0123456789abcdef0123456789abcdef",
        attributes: { zoneId: "fedcba9876543210fedcba9876543210" }
      })
    })
  )

  it.effect("a create answered 'exists' adopts the bucket and the identical record", () =>
    Effect.gen(function* () {
      const { provider, store } = yield* world()
      const service = yield* Effect.provide(CloudProvider, provider)
      const bucket = { name: "again" }
      const record = {
        zone: "example.com",
        name: "www.example.com",
        type: "A",
        content: "192.0.2.1",
        proxied: false,
        ttl: 1
      }
      const first = yield* service.apply({
        ...scope,
        operation: "create",
        key: "k1",
        type: "r2",
        name: "again",
        inputs: bucket
      })
      const second = yield* service.apply({
        ...scope,
        operation: "create",
        key: "k1",
        type: "r2",
        name: "again",
        inputs: bucket
      })
      assert.strictEqual(second.id, first.id)
      assert.strictEqual(second.attributes.adopted, true)
      const one = yield* service.apply({
        ...scope,
        operation: "create",
        key: "k2",
        type: "dns",
        name: "www",
        inputs: record
      })
      const two = yield* service.apply({
        ...scope,
        operation: "create",
        key: "k2",
        type: "dns",
        name: "www",
        inputs: record
      })
      assert.strictEqual(two.id, one.id)
      assert.strictEqual(two.attributes.fqdn, "www.example.com")
      const contents = yield* inspect(store)
      assert.deepStrictEqual([contents.buckets.length, contents.records.length], [1, 1])
    })
  )
})

/** `count` A records in example.com, `host-<i>` pointing at `address(i)`. */
const recordsBlock = (count: number, address: (index: number) => string) =>
  [
    `dns "example.com" {`,
    ...Array.from({ length: count }, (_, index) => `  record "host-${index}" type="A" value="${address(index)}"`),
    `}`
  ].join("\n")

/** The record writes among `made`, IDs left out. */
const recordWrites = (made: ReadonlyArray<string>) =>
  made
    .filter((entry) => !entry.startsWith("GET ") && entry.includes("/dns_records"))
    .map((entry) => entry.replace(/[0-9a-f]{32}/g, "{id}"))

/** A record someone made on the dashboard. */
const recordOutside = (store: Simulator.CloudflareStore, record: Record<string, unknown>) =>
  Effect.gen(function* () {
    const made = yield* Simulator.handle(
      {
        method: "POST",
        url: `/client/v4/zones/${Simulator.zoneId(account, "example.com")}/dns_records`,
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify(record)
      },
      store,
      { token, zones }
    ).pipe(Effect.orDie)
    assert.strictEqual(made.status, 200, made.body)
  })

const batch = "POST /zones/{id}/dns_records/batch"

describe("the Cloudflare provider's DNS record batches", () => {
  it.effect("100 records come up, change and go in at most 2 requests each; a plan lists the zone's records once", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      const first = yield* targetOf(fleet(recordsBlock(100, (index) => `192.0.2.${index}`)))
      const second = yield* targetOf(fleet(recordsBlock(100, (index) => `198.51.100.${index}`)))
      yield* Effect.gen(function* () {
        const [created, made] = yield* requestsOf(store, Fleet.up(first, runOptions()))
        assert.deepStrictEqual(created.plan.summary, { add: 100, change: 0, destroy: 0 })
        const creates = recordWrites(made)
        assert.isAtMost(creates.length, 2, creates.join(", "))
        assert.include(creates, batch)
        const contents = yield* inspect(store)
        assert.deepStrictEqual(
          contents.records.map((record) => record.name).sort(),
          Array.from({ length: 100 }, (_, index) => `host-${index}.example.com`).sort()
        )

        // Each record's ID went into the state: nothing to do, and one list for the zone.
        const [planned, read] = yield* requestsOf(store, Fleet.plan(first, { refresh: true }))
        assert.isFalse(Plan.hasChanges(planned.plan))
        assert.strictEqual(read.filter((entry) => /^GET \/zones\/\w+\/dns_records$/.test(entry)).length, 1)

        const [changed, patched] = yield* requestsOf(store, Fleet.up(second, runOptions()))
        assert.deepStrictEqual(changed.plan.summary, { add: 0, change: 100, destroy: 0 })
        const updates = recordWrites(patched)
        assert.isAtMost(updates.length, 2, updates.join(", "))
        assert.include(updates, batch)
        const after = yield* inspect(store)
        assert.deepStrictEqual(
          after.records.map((record) => record.id).sort(),
          contents.records.map((record) => record.id).sort(),
          "changed in place"
        )
        assert.isTrue(after.records.every((record) => record.content.startsWith("198.51.100.")))

        const [, removed] = yield* requestsOf(store, Fleet.down(second, runOptions()))
        const deletes = recordWrites(removed)
        assert.isAtMost(deletes.length, 2, deletes.join(", "))
        assert.include(deletes, batch)
        assert.strictEqual((yield* inspect(store)).records.length, 0)
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("one record of 20 Cloudflare refuses fails alone, with the message it gets on its own; 19 are made", () =>
    Effect.gen(function* () {
      const clash = { type: "CNAME", name: "host-7.example.com", content: "origin.example.net" }
      const lone = yield* world()
      yield* recordOutside(lone.store, clash)
      const alone = yield* targetOf(fleet(`dns "example.com" { record "host-7" type="A" value="192.0.2.7"; }`))
      const expected = yield* Effect.flip(Fleet.up(alone, runOptions())).pipe(Effect.provide(lone.layer))
      if (expected._tag !== "PartialApplyError")
        return assert.fail(`expected a PartialApplyError, got ${expected._tag}`)
      const message = expected.failed[0]!.error.message
      assert.include(message, "code 81053")

      const { layer, store } = yield* world()
      yield* recordOutside(store, clash)
      const target = yield* targetOf(fleet(recordsBlock(20, (index) => `192.0.2.${index}`)))
      const [error, made] = yield* requestsOf(store, Effect.flip(Fleet.up(target, runOptions()))).pipe(
        Effect.provide(layer)
      )
      if (error._tag !== "PartialApplyError") return assert.fail(`expected a PartialApplyError, got ${error._tag}`)
      assert.deepStrictEqual(
        error.failed.map((failure) => [failure.step.key, failure.error.message]),
        [[makeKey("dns", "host-7.example.com/A"), message]]
      )
      assert.strictEqual(error.succeeded.length, 19)
      assert.include(recordWrites(made), batch, "the records were sent as a batch first")
      const contents = yield* inspect(store)
      assert.deepStrictEqual(
        contents.records.map((record) => `${record.type} ${record.name}`).sort(),
        [
          "CNAME host-7.example.com",
          ...Array.from({ length: 20 }, (_, index) => index)
            .filter((index) => index !== 7)
            .map((index) => `A host-${index}.example.com`)
        ].sort()
      )
    })
  )

  it.effect("calls made together share a batch: a delete frees the name a create takes; 250 creates take 2", () =>
    Effect.gen(function* () {
      const { provider, store } = yield* world()
      const service = yield* Effect.provide(CloudProvider, provider)
      const recordOf = (name: string, type: string, content: string) => {
        const inputs = { zone: "example.com", name, type, content, proxied: false, ttl: 1 }
        return {
          ...scope,
          operation: "create" as const,
          key: makeKey("dns", `${name}/${type}`),
          type: "dns" as const,
          name,
          inputs
        }
      }
      const address = recordOf("cn.example.com", "A", "192.0.2.1")
      const made = yield* service.apply(address)
      const held = { ...stored("dns", address.name, address.inputs), id: made.id, attributes: made.attributes }

      // As single calls the CNAME could meet the A record (81053); the batch runs its delete first.
      const [, writes] = yield* requestsOf(
        store,
        Effect.all(
          [
            service.destroy(scope, address.key, held),
            service.apply(recordOf("cn.example.com", "CNAME", "origin.example.net"))
          ],
          { concurrency: "unbounded" }
        )
      )
      assert.deepStrictEqual(recordWrites(writes), [batch])
      assert.deepStrictEqual(
        (yield* inspect(store)).records.map((record) => `${record.type} ${record.name}`),
        ["CNAME cn.example.com"]
      )

      // At most 200 changes a batch.
      const [, many] = yield* requestsOf(
        store,
        Effect.forEach(
          Array.from({ length: 250 }, (_, index) => recordOf(`many-${index}.example.com`, "TXT", "v")),
          (request) => service.apply(request),
          { concurrency: "unbounded" }
        )
      )
      assert.deepStrictEqual(recordWrites(many), [batch, batch])
      assert.strictEqual((yield* inspect(store)).records.length, 251)
    })
  )

  it.effect("a batch refused because one record is there already: that one is adopted, the other made", () =>
    Effect.gen(function* () {
      const { provider, store } = yield* world()
      const service = yield* Effect.provide(CloudProvider, provider)
      const create = (name: string) => ({
        ...scope,
        operation: "create" as const,
        key: makeKey("dns", `${name}/A`),
        type: "dns" as const,
        name,
        inputs: { zone: "example.com", name, type: "A", content: "192.0.2.1", proxied: false, ttl: 1 }
      })
      // An earlier attempt made this one and lost the answer.
      yield* recordOutside(store, { type: "A", name: "again.example.com", content: "192.0.2.1" })
      const [[again, fresh], writes] = yield* requestsOf(
        store,
        Effect.all([service.apply(create("again.example.com")), service.apply(create("fresh.example.com"))], {
          concurrency: "unbounded"
        })
      )
      assert.strictEqual(again.attributes.adopted, true)
      assert.isUndefined(fresh.attributes.adopted)
      // The batch, then each record on its own: one made, one answered 81058 and found.
      assert.deepStrictEqual(recordWrites(writes), [
        batch,
        "POST /zones/{id}/dns_records",
        "POST /zones/{id}/dns_records"
      ])
      assert.strictEqual((yield* inspect(store)).records.length, 2)
    })
  )

  it.live("a batch answered 503 is sent again by the engine's retries, and every record is made once", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      yield* Simulator.injectFaults(store, [
        { method: "POST", path: "/zones/*/dns_records/batch", kind: { _tag: "Status", status: 503 }, times: 1 }
      ]).pipe(Effect.orDie)
      const target = yield* targetOf(fleet(recordsBlock(20, (index) => `192.0.2.${index}`)))
      const before = (yield* requests(store)).length
      const applied = yield* Fleet.up(target, runOptions()).pipe(Effect.provide(layer))
      assert.deepStrictEqual(applied.plan.summary, { add: 20, change: 0, destroy: 0 })
      const log = (yield* requests(store)).slice(before)
      const batches = log.filter((entry) => entry.method === "POST" && entry.path.endsWith("/dns_records/batch"))
      assert.strictEqual(batches[0]?.status, 503)
      const contents = yield* inspect(store)
      assert.deepStrictEqual(
        contents.records.map((record) => record.name).sort(),
        Array.from({ length: 20 }, (_, index) => `host-${index}.example.com`).sort()
      )
    })
  )

  it.effect("a batch answered 503 fails each of its records as transient, for the engine to retry or report", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      yield* Simulator.injectFaults(store, [
        { method: "POST", path: "/zones/*/dns_records/batch", kind: { _tag: "Status", status: 503 } }
      ]).pipe(Effect.orDie)
      const target = yield* targetOf(fleet(recordsBlock(20, (index) => `192.0.2.${index}`)))
      const once = { ...fastRetry, maxAttempts: 1 }
      const error = yield* Effect.flip(Fleet.up(target, runOptions({ retry: once }))).pipe(Effect.provide(layer))
      if (error._tag !== "PartialApplyError") return assert.fail(`expected a PartialApplyError, got ${error._tag}`)
      const refused = error.failed.filter((failure) => failure.error.message.startsWith("dns record batch"))
      // A record alone in its window goes by its own call, which the fault leaves alone; the batch held the others.
      assert.isAtLeast(refused.length, 19)
      assert.isTrue(refused.every((failure) => failure.error.reason === "transient"))
      assert.strictEqual(error.failed.length + error.succeeded.length, 20)
    })
  )
})
