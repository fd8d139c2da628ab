/**
 * What a plan's creates meet in the clouds: a resource of the same name made outside FleetFlow is
 * shown in the plan; one that is what the file declares is adopted, one that differs is refused
 * before anything changes, so `up` never makes a twin.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Fake from "../src/Fake.js"
import * as Fleet from "../src/Fleet.js"
import * as Render from "../src/Render.js"
import * as Report from "../src/Report.js"
import * as State from "../src/State.js"
import { logged } from "./support/Logged.js"
import { bucket, disk, dnsA, runOptions, server, serverKey, target, zone } from "./support/Desired.js"

const world = () => Layer.merge(Fake.layer(), State.layerMemory())

const account = "/accounts/023e105f4ecef8ad9ca31a8372d0c353"

/** The id of the zone the fake account holds, made to exist by the first call naming it. */
const zoneId = (fake: Fake.FakeCloudService) =>
  Effect.map(fake.cloudflareApi({ method: "GET", path: `/zones?name=${zone}`, zones: [zone] }), (response) => {
    const body = JSON.parse(response.body) as { readonly result: ReadonlyArray<{ readonly id: string }> }
    return body.result[0]!.id
  })

describe("resources that exist already, outside the state", () => {
  it.effect("an A record someone made is shown, and up refuses rather than add a second one beside it", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      const id = yield* zoneId(fake)
      const made = yield* fake.cloudflareApi({
        method: "POST",
        path: `/zones/${id}/dns_records`,
        body: { type: "A", name: `www.${zone}`, content: "198.51.100.1", ttl: 1, proxied: false }
      })
      assert.strictEqual(made.status, 200, made.body)
      const record = dnsA("www", { ip: "203.0.113.9" })

      const planned = yield* Fleet.plan(target([record]), { refresh: true })
      assert.deepStrictEqual(
        planned.plan.existing.map((item) => [item.key, item.resolution]),
        [[record.key, "refuse"]]
      )
      const text = Render.plan(planned.plan, { color: false })
      assert.include(
        text,
        "Note: resources this plan creates exist already, outside the state, and differ from the file:"
      )
      assert.include(text, `# ${record.key} exists`)
      assert.include(text, `~ content = "198.51.100.1" -> "203.0.113.9"`)

      const refused = yield* Effect.flip(Fleet.up(target([record]), runOptions()))
      assert.strictEqual(refused._tag, "ExistingResources")
      assert.strictEqual(Report.exitCodeOf(refused as Report.Failure), 1)
      assert.include(refused.message, "fleetflow import")
      const records = (yield* fake.resources).filter((item) => item.type === "dns")
      assert.strictEqual(records.length, 1, "no second A record")
    }).pipe(Effect.provide(world()))
  )

  it.effect("a bucket someone made as the file declares it is shown as adopted, and up takes it over", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      const made = yield* fake.cloudflareApi({
        method: "POST",
        path: `${account}/r2/buckets`,
        body: { name: "assets", locationHint: "apac" }
      })
      assert.strictEqual(made.status, 200, made.body)
      const planned = yield* Fleet.plan(target([bucket("assets")]), { refresh: true })
      assert.deepStrictEqual(
        planned.plan.existing.map((item) => [item.key, item.resolution]),
        [["cloudflare:r2:assets", "adopt"]]
      )
      const text = Render.plan(planned.plan, { color: false })
      assert.include(text, "# cloudflare:r2:assets will be adopted: it exists (id assets) as the file declares it")
      assert.include(text, "Plan: 1 to adopt, 0 to add, 0 to change, 0 to destroy.")
      assert.notInclude(text, "Note:", "what is adopted is said once, by its action")
      const [applied, messages] = yield* logged(Fleet.up(target([bucket("assets")]), runOptions()))
      assert.deepStrictEqual(
        messages.filter((message) => message.includes("already exists")),
        [],
        "the plan said it already"
      )
      assert.strictEqual(applied.state.resources["cloudflare:r2:assets"]?.attributes.adopted, true)
      assert.strictEqual((yield* fake.resources).filter((item) => item.type === "r2").length, 1)
    }).pipe(Effect.provide(world()))
  )

  it.effect(
    "what an earlier run made for the stage, its state lost, is shown as adopted, and up makes nothing again",
    () =>
      Effect.gen(function* () {
        const fake = yield* Fake.FakeCloud
        const desired = [disk("web"), server("web")]
        const first = yield* Fleet.up(target(desired), runOptions()).pipe(Effect.provide(State.layerMemory()))
        const made = yield* fake.resources

        const lost = yield* Fleet.plan(target(desired), { refresh: true }).pipe(Effect.provide(State.layerMemory()))
        assert.deepStrictEqual(
          lost.plan.existing.map((item) => [item.key, item.id, item.resolution]).sort(),
          desired.map((resource) => [resource.key, first.state.resources[resource.key]!.id, "adopt"]).sort()
        )
        const text = Render.plan(lost.plan, { color: false })
        assert.include(
          text,
          `# ${serverKey("web")} will be adopted: it exists (id ${first.state.resources[serverKey("web")]!.id})`
        )
        assert.include(text, "Plan: 2 to adopt, 0 to add, 0 to change, 0 to destroy.")

        const told: Array<string> = []
        const reporter = {
          started: (key: string, verb: string) => Effect.sync(() => told.push(`${verb} ${key}`)),
          finished: () => Effect.void
        }
        const again = yield* Fleet.up(target(desired), runOptions({ reporter })).pipe(
          Effect.provide(State.layerMemory())
        )
        assert.deepStrictEqual(told.sort(), desired.map((resource) => `adopt ${resource.key}`).sort())
        assert.deepStrictEqual(yield* fake.resources, made, "nothing was made twice")
        assert.strictEqual(again.state.resources[serverKey("web")]?.id, first.state.resources[serverKey("web")]?.id)
      }).pipe(Effect.provide(Fake.layer()))
  )

  it.effect("a server an earlier run made that differs from the file, its state lost, is shown, and up refuses", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      yield* Fleet.up(target([disk("web"), server("web")]), runOptions()).pipe(Effect.provide(State.layerMemory()))
      const made = yield* fake.resources
      const bigger = [disk("web"), server("web", { memory: 4 })]

      const lost = yield* Fleet.plan(target(bigger), { refresh: true }).pipe(Effect.provide(State.layerMemory()))
      const shown = lost.plan.existing.find((item) => item.key === serverKey("web"))
      assert.strictEqual(shown?.resolution, "refuse")
      assert.deepStrictEqual(shown?.changes, [{ field: "memory", before: 2, after: 4 }])
      assert.include(Render.plan(lost.plan, { color: false }), "~ memory = 2 -> 4")

      const refused = yield* Effect.flip(
        Fleet.up(target(bigger), runOptions()).pipe(Effect.provide(State.layerMemory()))
      )
      assert.strictEqual(refused._tag, "ExistingResources")
      assert.deepStrictEqual(yield* fake.resources, made, "nothing was made or changed")
    }).pipe(Effect.provide(Fake.layer()))
  )
})
