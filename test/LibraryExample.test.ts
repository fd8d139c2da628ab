// The README quotes this file: it is how another Effect app tests itself against FleetFlow's fakes.
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Apply, Config, Fake, Fleet, State } from "fleetflow-cloud"

const stage = (file: string) =>
  Effect.gen(function* () {
    const config = yield* Config.load(file)
    const name = yield* Config.selectStage(config, "test")
    return { config, stage: name, desired: yield* Config.desiredResources(config, name) }
  })

const unattended = {
  parallelism: 4,
  refresh: true,
  confirm: () => Effect.succeed(true),
  onFailure: () => Effect.succeed("abort" as const)
}

describe("provisioning a shop with FleetFlow, against fake clouds", () => {
  it.effect("brings the stage up and points www at the server's address", () =>
    Effect.gen(function* () {
      const target = yield* stage("test/fixtures/library/fleet.kdl")
      const { state } = yield* Fleet.up(target, unattended)
      const server = state.resources["sakura-cloud:server:web"]
      const record = state.resources["cloudflare:dns:www.shop.example/A"]
      assert.strictEqual(record?.inputs.content, server?.attributes.ip)

      const cloud = yield* Fake.FakeCloud
      assert.strictEqual((yield* cloud.resources).length, 4)
    }).pipe(Effect.provide(Layer.mergeAll(Fake.layer(), State.layerMemory(), NodeContext.layer)))
  )

  it.effect("reports what was created when the DNS provider keeps failing", () =>
    Effect.gen(function* () {
      const target = yield* stage("test/fixtures/library/fleet.kdl")
      const cloud = yield* Fake.FakeCloud
      yield* cloud.injectFault({ operation: "create", key: "cloudflare:dns:*", kind: "permanent" })

      const failure = yield* Effect.flip(Fleet.up(target, unattended))
      assert.instanceOf(failure, Apply.PartialApplyError)
      if (failure instanceof Apply.PartialApplyError) {
        assert.deepStrictEqual(
          failure.failed.map(({ step }) => step.key),
          ["cloudflare:dns:www.shop.example/A"]
        )
        assert.strictEqual(failure.succeeded.length, 3)
      }
    }).pipe(Effect.provide(Layer.mergeAll(Fake.layer(), State.layerMemory(), NodeContext.layer)))
  )
})
