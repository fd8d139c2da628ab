/**
 * A plan waits for the clouds one round trip at a time: reads that do not depend on each other
 * go out together. Each test holds every read until the others it should go out with have
 * started, so reads made one after another never finish (and the test fails on its timeout).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { CloudflareApiService } from "../src/Cloudflare/Api.js"
import * as WorkerState from "../src/Cloudflare/Provider/WorkerState.js"
import * as Fake from "../src/Fake.js"
import * as Fleet from "../src/Fleet.js"
import * as Plan from "../src/Plan.js"
import { CloudProvider, meetsIn } from "../src/Provider.js"
import * as State from "../src/State.js"
import { bucket, runOptions, target } from "./support/Desired.js"
import { meeting, together } from "./support/Meeting.js"

describe("a plan's reads go out together", () => {
  it.live("the credentials are checked while the state's resources are read", () =>
    Effect.gen(function* () {
      yield* Fleet.up(target([bucket("assets")]), runOptions())
      const inner = yield* CloudProvider
      const latch = yield* meeting(["check", "read"])
      const provider = Layer.succeed(CloudProvider, {
        ...inner,
        check: (desired) => Effect.zipRight(latch.arrive("check"), inner.check(desired)),
        getState: (scope, resources, declared) =>
          Effect.zipRight(latch.arrive("read"), inner.getState(scope, resources, declared))
      })
      const planned = yield* together(
        Fleet.plan(target([bucket("assets")]), { refresh: true }).pipe(Effect.provide(provider)),
        latch
      )
      assert.isFalse(Plan.hasChanges(planned.plan))
    }).pipe(Effect.provide(Layer.merge(Fake.layer(), State.layerMemory())))
  )

  it.live("the credentials are checked while what the creates would meet in the clouds is looked for", () =>
    Effect.gen(function* () {
      const inner = yield* CloudProvider
      const latch = yield* meeting(["check", "meets"])
      const provider = Layer.succeed(CloudProvider, {
        ...inner,
        check: (desired) => Effect.zipRight(latch.arrive("check"), inner.check(desired)),
        meets: (scope, creating) => Effect.zipRight(latch.arrive("meets"), meetsIn(inner, scope, creating))
      })
      const planned = yield* together(
        Fleet.plan(target([bucket("assets")]), { refresh: true }).pipe(Effect.provide(provider)),
        latch
      )
      assert.deepStrictEqual(planned.plan.summary, { add: 1, change: 0, destroy: 0 })
    }).pipe(Effect.provide(Layer.merge(Fake.layer(), State.layerMemory())))
  )

  it.live("a Worker's routes, bindings and workers.dev address are read together, after the one list", () =>
    Effect.gen(function* () {
      const latch = yield* meeting(["routes", "settings", "subdomain", "kv"])
      const api = {
        workers: {
          list: Effect.succeed([{ id: "api", compatibilityDate: "2025-01-01", compatibilityFlags: [] }]),
          routes: () => Effect.as(latch.arrive("routes"), [{ pattern: "api.example.com/*" }]),
          settings: () =>
            Effect.as(latch.arrive("settings"), {
              bindings: [{ type: "kv_namespace", name: "CACHE", namespaceId: "0123456789abcdef0123456789abcdef" }]
            }),
          subdomain: () => Effect.as(latch.arrive("subdomain"), { enabled: false })
        },
        kv: { list: Effect.as(latch.arrive("kv"), [{ id: "0123456789abcdef0123456789abcdef", title: "cache" }]) }
      } as unknown as CloudflareApiService
      const recorded = {
        routes: [{ pattern: "api.example.com/*" }],
        bindings: [{ type: "kv", name: "CACHE", namespace: "cache" }],
        workersDev: false
      }
      const found = yield* together(
        WorkerState.read(api, [
          { key: "cloudflare:worker:api", name: "api", attributes: {}, inputs: { recorded, declared: recorded } }
        ]),
        latch
      )
      assert.deepStrictEqual(found[0]?.[1].inputs, recorded)
    })
  )
})
