import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Fake } from "fleetflow-cloud"
import { bringUp, fakeClouds } from "./program.js"

describe("the shop", () => {
  it.effect("comes up on fake clouds: a server with an address, its disk and its DNS record", () =>
    Effect.gen(function* () {
      const address = yield* bringUp("fleet.kdl", "dev")
      assert.isString(address)

      const cloud = yield* Fake.FakeCloud
      assert.strictEqual((yield* cloud.resources).length, 3)
    }).pipe(Effect.provide(fakeClouds))
  )
})
