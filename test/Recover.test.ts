/**
 * What an interrupted run leaves is settled with the clouds by the next command; a lost
 * state is rebuilt from them; an existing resource is imported. On the fake clouds, with an
 * in-memory state.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fake from "../src/Fake.js"
import * as Fleet from "../src/Fleet.js"
import * as Plan from "../src/Plan.js"
import { CloudProvider } from "../src/Provider.js"
import type { DesiredResource, ResourceKey } from "../src/Resource.js"
import * as State from "../src/State.js"
import {
  bucket,
  bucketKey,
  disk,
  diskKey,
  dnsA,
  dnsKey,
  project,
  readState,
  runOptions,
  server,
  serverKey,
  target,
  world
} from "./support/Desired.js"
import { failureOf } from "./support/Failure.js"

const web: ReadonlyArray<DesiredResource> = [
  disk("web"),
  server("web"),
  dnsA("www", { server: "web" }),
  bucket("assets")
]

const storedState = readState

/** Rewrites the state as a run killed at that moment would have left it. */
const leave = (change: (state: State.StateFile) => State.StateFile) =>
  Effect.gen(function* () {
    const store = yield* State.StateStore
    yield* store.write(change(yield* storedState))
  })

const intent = (
  operation: "create" | "update" | "delete",
  key: ResourceKey,
  from?: State.StateFile
): State.PendingOperation => ({
  id: `intent-${operation}-${key}`,
  operation,
  key,
  stage: "dev",
  started_at: "2026-11-28T00:00:00.000Z",
  ...(from?.resources[key] === undefined
    ? {}
    : { inputs: from.resources[key].inputs, dependsOn: from.resources[key].dependsOn })
})

const cloudCount = (type: string) =>
  Effect.map(Fake.FakeCloud, (fake) => fake.resources).pipe(
    Effect.flatten,
    Effect.map((resources) => resources.filter((resource) => resource.type === type).length)
  )

describe("a run killed mid-apply is settled by the next command", () => {
  it.live("a create that happened is adopted: the next up creates nothing twice", () =>
    Effect.gen(function* () {
      yield* Fleet.up(target(web), runOptions())
      const before = yield* storedState
      const madeId = before.resources[serverKey("web")]!.id
      // Killed after the cloud made the server, before the state recorded it.
      yield* leave((state) =>
        State.addPending(State.removeResource(state, serverKey("web")), intent("create", serverKey("web"), before))
      )

      const planned = yield* Fleet.plan(target(web), { refresh: true })
      assert.isFalse(Plan.hasChanges(planned.plan), "the plan counts the server the clouds hold")
      assert.isUndefined((yield* storedState).resources[serverKey("web")], "a plan records nothing")

      const again = yield* Fleet.up(target(web), runOptions())
      assert.isFalse(Plan.hasChanges(again.plan))
      const after = yield* storedState
      assert.strictEqual(after.resources[serverKey("web")]?.id, madeId)
      assert.deepStrictEqual(
        after.resources[serverKey("web")]?.dependsOn,
        before.resources[serverKey("web")]?.dependsOn
      )
      assert.deepStrictEqual(after.pending, [])
      assert.strictEqual(yield* cloudCount("server"), 1)
    }).pipe(Effect.provide(world()))
  )

  it.live("a create that never reached the cloud is forgotten, and made once", () =>
    Effect.gen(function* () {
      yield* Fleet.up(target(web.filter((resource) => resource.key !== bucketKey("assets"))), runOptions())
      yield* leave((state) =>
        State.addPending(state, { ...intent("create", bucketKey("assets")), inputs: { name: "assets" } })
      )
      const again = yield* Fleet.up(target(web), runOptions())
      assert.deepStrictEqual(again.plan.summary, { add: 1, change: 0, destroy: 0 })
      assert.strictEqual(yield* cloudCount("r2"), 1)
      assert.deepStrictEqual((yield* storedState).pending, [])
    }).pipe(Effect.provide(world()))
  )

  it.live("a create the file no longer declares is adopted, then deleted: nothing is left orphaned", () =>
    Effect.gen(function* () {
      yield* Fleet.up(target(web), runOptions())
      const before = yield* storedState
      yield* leave((state) =>
        State.addPending(
          State.removeResource(state, bucketKey("assets")),
          intent("create", bucketKey("assets"), before)
        )
      )
      const smaller = web.filter((resource) => resource.key !== bucketKey("assets"))
      const again = yield* Fleet.up(target(smaller), runOptions())
      assert.deepStrictEqual(again.plan.summary, { add: 0, change: 0, destroy: 1 })
      assert.strictEqual(yield* cloudCount("r2"), 0)
    }).pipe(Effect.provide(world()))
  )

  it.live("an interrupted delete is finished; one that completed is removed from the state", () =>
    Effect.gen(function* () {
      yield* Fleet.up(target(web), runOptions())
      const state = yield* storedState
      // Killed while deleting the record (still in the cloud) and after the bucket was deleted.
      const provider = yield* CloudProvider
      yield* provider.destroy({ project, stage: "dev" }, bucketKey("assets"), state.resources[bucketKey("assets")]!)
      yield* leave((current) =>
        State.addPending(
          State.addPending(current, intent("delete", dnsKey("www"))),
          intent("delete", bucketKey("assets"))
        )
      )
      const rest = web.filter((resource) => resource.key !== dnsKey("www") && resource.key !== bucketKey("assets"))
      const again = yield* Fleet.up(target(rest), runOptions())
      assert.deepStrictEqual(again.plan.summary, { add: 0, change: 0, destroy: 0 }, "both deletes were settled first")
      const after = yield* storedState
      assert.isUndefined(after.resources[dnsKey("www")])
      assert.isUndefined(after.resources[bucketKey("assets")])
      assert.strictEqual(yield* cloudCount("dns"), 0)
      assert.deepStrictEqual(after.pending, [])
    }).pipe(Effect.provide(world()))
  )
})

describe("state recover and import", () => {
  it.live("a lost state is rebuilt from the clouds, and the next plan has no changes", () =>
    Effect.gen(function* () {
      yield* Fleet.up(target(web), runOptions())
      const before = yield* storedState
      yield* leave((state) => ({ ...state, resources: {} }))
      const recovered = yield* Fleet.recoverState(target([...web, bucket("never-made")]))
      assert.sameMembers(
        [...recovered.found],
        web.map((resource) => resource.key)
      )
      assert.deepStrictEqual(recovered.missing, [bucketKey("never-made")])
      for (const resource of web) {
        assert.strictEqual(
          recovered.state.resources[resource.key]?.id,
          before.resources[resource.key]?.id,
          resource.key
        )
      }
      const planned = yield* Fleet.plan(target(web), { refresh: true })
      assert.isFalse(Plan.hasChanges(planned.plan))
    }).pipe(Effect.provide(world()))
  )

  it.live(
    "a resource imported, or a lost state rebuilt, from clouds that differ from the file: a change to make, no drift",
    () =>
      Effect.gen(function* () {
        yield* Fleet.up(target(web), runOptions())
        const bigger = web.map((resource) =>
          resource.key === serverKey("web") ? server("web", { memory: 4 }) : resource
        )
        const planOfBigger = Effect.gen(function* () {
          assert.strictEqual((yield* storedState).resources[serverKey("web")]?.inputs.memory, 2, "what the cloud holds")
          const planned = yield* Fleet.plan(target(bigger), { refresh: true })
          assert.deepStrictEqual(planned.plan.drift, [])
          assert.deepStrictEqual(
            Plan.changesOf(planned.plan).map((action) => [action._tag, action.key]),
            [["Update", serverKey("web")]]
          )
        })
        const id = (yield* storedState).resources[serverKey("web")]!.id
        yield* leave((state) => State.removeResource(state, serverKey("web")))
        yield* Fleet.importResource(target(bigger), serverKey("web"), id)
        yield* planOfBigger
        yield* leave((state) => ({ ...state, resources: {} }))
        yield* Fleet.recoverState(target(bigger))
        yield* planOfBigger
      }).pipe(Effect.provide(world()))
  )

  it.live("import adopts an existing resource by its ID; unknown IDs and keys are refused", () =>
    Effect.gen(function* () {
      yield* Fleet.up(target(web), runOptions())
      const id = (yield* storedState).resources[diskKey("web")]!.id
      yield* leave((state) => State.removeResource(state, diskKey("web")))

      const missing = yield* failureOf(
        Fleet.importResource(target(web), diskKey("web"), "no-such-id"),
        "an unknown ID refused"
      )
      assert.strictEqual(missing._tag, "ImportFailed")
      const undeclared = yield* failureOf(
        Fleet.importResource(target(web), diskKey("other"), id),
        "an undeclared key refused"
      )
      assert.strictEqual(undeclared._tag, "NotDeclared")

      const imported = yield* Fleet.importResource(target(web), diskKey("web"), id)
      assert.strictEqual(imported.resource.id, id)
      const twice = yield* failureOf(Fleet.importResource(target(web), diskKey("web"), id), "a second import refused")
      assert.strictEqual(twice._tag, "AlreadyManaged")
      const planned = yield* Fleet.plan(target(web), { refresh: true })
      assert.isFalse(Plan.hasChanges(planned.plan))
    }).pipe(Effect.provide(world()))
  )

  it.live("import refuses a resource the state holds under another key: the two plans would fight over it", () =>
    Effect.gen(function* () {
      const records = [dnsA("www", { ip: "192.0.2.1" }), dnsA("api", { ip: "192.0.2.1" })]
      yield* Fleet.up(target(records), runOptions())
      const before = yield* storedState
      const www = before.resources[dnsKey("www")]!.id
      yield* leave((state) => State.removeResource(state, dnsKey("api")))

      const refused = yield* failureOf(Fleet.importResource(target(records), dnsKey("api"), www), "import to refuse")
      assert.strictEqual(refused._tag, "ImportFailed")
      assert.include(refused.message, `as ${dnsKey("www")}`)
      assert.include(refused.message, `fleetflow state show ${dnsKey("www")}`)
      const after = yield* storedState
      assert.deepStrictEqual(Object.keys(after.resources), [dnsKey("www")])
    }).pipe(Effect.provide(world()))
  )

  it.live("import refuses a Sakura resource whose ownership tags name another resource, stage or project", () =>
    Effect.gen(function* () {
      const disks = [disk("web"), disk("db")]
      yield* Fleet.up(target(disks), runOptions())
      const webDisk = (yield* storedState).resources[diskKey("web")]!.id
      // The state is lost: only the tags on the disks say whose each is.
      yield* leave((state) => ({ ...state, resources: {} }))

      const other = yield* failureOf(Fleet.importResource(target(disks), diskKey("db"), webDisk), "import to refuse")
      assert.strictEqual(other._tag, "ImportFailed")
      assert.include(other.message, `made by FleetFlow for ${diskKey("web")}`)
      assert.include(other.message, `fleetflow import ${diskKey("web")} ${webDisk}`)
      const otherStage = yield* failureOf(
        Fleet.importResource(target(disks, "prod"), diskKey("web"), webDisk),
        "import to refuse"
      )
      assert.include(otherStage.message, `belongs to project "${project}", stage "dev"`)
      assert.deepStrictEqual((yield* storedState).resources, {})

      const own = yield* Fleet.importResource(target(disks), diskKey("web"), webDisk)
      assert.strictEqual(own.resource.id, webDisk)
    }).pipe(Effect.provide(world()))
  )
})
