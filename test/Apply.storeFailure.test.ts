import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Apply from "../src/Apply.js"
import * as Fake from "../src/Fake.js"
import * as Fleet from "../src/Fleet.js"
import * as Report from "../src/Report.js"
import * as State from "../src/State.js"
import { bucket, disk, dnsA, runOptions, server, target, world } from "./support/Desired.js"

const desired = [disk("web"), server("web"), dnsA("www", { server: "web" }), bucket("assets")]

const noSpace = new State.StateIoError({
  path: "/work/.fleetflow/state.journal",
  operation: "write",
  detail: "ENOSPC: no space left on device"
})

/** The store, whose writes fail from the `after`-th recorded change on while `failing` is set. */
const failingFrom = (after: number, failing: Ref.Ref<boolean>) =>
  Effect.gen(function* () {
    const store = yield* State.StateStore
    const writes = yield* Ref.make(0)
    const service: State.StateStoreService = {
      ...store,
      writeChanges: (from, changes) =>
        Effect.gen(function* () {
          const count = yield* Ref.getAndUpdate(writes, (n) => n + 1)
          if (count >= after && (yield* Ref.get(failing))) return yield* noSpace
          return yield* store.writeChanges(from, changes)
        })
    }
    return service
  })

describe("a state write that fails during an apply", () => {
  it.effect("stops as a partial apply that claims no more than the state holds, and the next up converges", () =>
    Effect.gen(function* () {
      const failing = yield* Ref.make(true)
      const store = yield* failingFrom(3, failing)
      const up = Fleet.up(target(desired), runOptions()).pipe(Effect.provideService(State.StateStore, store))
      const error = yield* Effect.flip(up)
      if (error._tag !== "PartialApplyError") return assert.fail(`expected a PartialApplyError, got ${error._tag}`)
      assert.isDefined(error.store)
      assert.isAbove(error.store!.inFlight, 0)
      assert.strictEqual(Report.exitCodeOf(error), Report.ExitCode.partial)
      const said = Report.describe(error)
      assert.include(said, "The state holds what was recorded before the failure;")
      assert.include(said, "in flight and")
      assert.include(said, "settled by the next command from their intents.")
      assert.include(said, "cannot write /work/.fleetflow/state.journal: ENOSPC: no space left on device")
      assert.include(said, "When /work/.fleetflow/state.journal can be written again (space, permissions), run")
      assert.notInclude(said, "The state holds exactly what exists")
      assert.deepStrictEqual(Report.toJson(error).store, error.store)

      yield* Ref.set(failing, false)
      yield* up
      const fake = yield* Fake.FakeCloud
      assert.strictEqual((yield* fake.resources).length, desired.length)
    }).pipe(Effect.provide(world()))
  )

  it("the partial apply of a provider failure alone still says the state holds exactly what exists", () => {
    const error = new Apply.PartialApplyError({
      decision: "abort",
      succeeded: [],
      failed: [],
      notStarted: [],
      rolledBack: []
    })
    assert.include(Report.describe(error), "The state holds exactly what exists.")
  })
})
