/**
 * Changes ordered the way the clouds accept them: a create waits for the delete that frees its
 * name, and a delete waits for the update of a dependent that stops using what it removes. Through
 * the real Cloudflare provider over the API simulator, with the simulator's request log as witness.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodePath from "node:path"
import * as Fake from "../src/Fake.js"
import * as Fleet from "../src/Fleet.js"
import * as Plan from "../src/Plan.js"
import * as Render from "../src/Render.js"
import { makeKey } from "../src/Resource.js"
import * as State from "../src/State.js"
import { bucket, resource, runOptions, target, zone } from "./support/Desired.js"
import { step } from "./support/Step.js"

const fixtures = NodePath.resolve("test/fixtures/workers")

const record = (type: "A" | "CNAME", content: string) =>
  resource("dns", `cn.${zone}/${type}`, { zone, name: `cn.${zone}`, type, content, proxied: false, ttl: 1 })

const edge = (bucketName: string) =>
  resource(
    "worker",
    "edge",
    {
      name: "edge",
      source: NodePath.join(fixtures, "worker"),
      compatibilityDate: "2025-01-01",
      compatibilityFlags: [],
      routes: [],
      bindings: [{ type: "r2", name: "FILES", bucket: bucketName }]
    },
    [makeKey("r2", bucketName)]
  )

const world = () => Layer.merge(Fake.layer(), State.layerMemory())

describe("changes in the order the cloud accepts", () => {
  it.effect("a DNS name toggled between CNAME and A 20 times never meets Cloudflare's 81053", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      yield* Fleet.up(target([record("CNAME", "origin.example.net")]), runOptions())
      for (let round = 1; round <= 20; round++) {
        const next = round % 2 === 1 ? record("A", "203.0.113.9") : record("CNAME", "origin.example.net")
        const before = (yield* fake.cloudflareRequests).length
        const applied = yield* Fleet.up(target([next]), runOptions({ parallelism: 8 }))
        assert.deepStrictEqual(applied.plan.summary, { add: 1, change: 0, destroy: 1 }, `round ${round}`)
        const writes = (yield* fake.cloudflareRequests)
          .slice(before)
          .filter((entry) => entry.method === "POST" || entry.method === "DELETE")
          .map((entry) => entry.method)
        assert.deepStrictEqual(writes, ["DELETE", "POST"], `round ${round}: the old record goes first`)
        const records = (yield* fake.resources).filter((item) => item.type === "dns")
        assert.deepStrictEqual(
          records.map((item) => item.name),
          [`cn.${zone}`],
          `round ${round}: one record`
        )
      }
    }).pipe(Effect.provide(world()))
  )

  it.effect("the plan says the new record waits for the old one, and why", () =>
    Effect.gen(function* () {
      yield* Fleet.up(target([record("CNAME", "origin.example.net")]), runOptions())
      const planned = yield* Fleet.plan(target([record("A", "203.0.113.9")]), { refresh: true })
      const create = planned.plan.actions.find((action) => action._tag === "Create")!
      assert.deepStrictEqual(create.waitsFor, [makeKey("dns", `cn.${zone}/CNAME`)])
      assert.deepStrictEqual(
        planned.plan.actions.map((action) => action._tag),
        ["Delete", "Create"],
        "the plan lists the delete first"
      )
      const text = Render.plan(planned.plan, { color: false })
      assert.include(
        text,
        `(after cloudflare:dns:cn.${zone}/CNAME is destroyed: the cloud gives their name to one at a time)`
      )
    }).pipe(Effect.provide(world()))
  )

  it.effect("a bucket renamed while a worker binds it is deleted only once the worker binds the new one", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      yield* step(
        "the worker binds the first bucket",
        Fleet.up(target([bucket("media-v1"), edge("media-v1")]), runOptions())
      )
      const before = (yield* fake.cloudflareRequests).length
      const planned = yield* Fleet.plan(target([bucket("media-v2"), edge("media-v2")]), { refresh: true })
      const deletion = planned.plan.actions.find((action) => action._tag === "Delete")!
      assert.deepStrictEqual(deletion.waitsFor, [makeKey("worker", "edge")])
      assert.include(
        Render.plan(planned.plan, { color: false }),
        "(after cloudflare:worker:edge is updated to stop using it)"
      )
      const applied = yield* Fleet.up(target([bucket("media-v2"), edge("media-v2")]), runOptions({ parallelism: 8 }))
      assert.isTrue(Plan.hasChanges(applied.plan))
      const requests = (yield* fake.cloudflareRequests).slice(before)
      const deleted = requests.findIndex((entry) => entry.method === "DELETE" && entry.path.endsWith("/media-v1"))
      const workerWrites = requests.flatMap((entry, index) =>
        entry.method !== "GET" && entry.path.includes("/workers/scripts/edge") ? [index] : []
      )
      const lastWorkerWrite = Math.max(-1, ...workerWrites)
      assert.isAbove(lastWorkerWrite, -1, "the worker was deployed again")
      assert.isAbove(deleted, lastWorkerWrite, "the old bucket is deleted after the worker's last write")
    }).pipe(Effect.provide(world()))
  )
})
