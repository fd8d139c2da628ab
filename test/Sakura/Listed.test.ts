import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as NodePath from "node:path"
import * as Config from "../../src/Config.js"
import * as Fleet from "../../src/Fleet.js"
import { makeKey } from "../../src/Resource.js"
import { freshFor } from "../../src/Sakura/Provider/Listed.js"
import * as SakuraProvider from "../../src/Sakura/Provider.js"
import * as Simulator from "../../src/Sakura/Simulator.js"
import * as State from "../../src/State.js"
import { folder } from "../fixtures/config/support.js"
import { createRequest, storedResource } from "../support/Builders.js"
import { runOptions } from "../support/Desired.js"
import { fleetText } from "../support/SakuraFleet.js"
import { commandsOf, invocations, provider } from "../support/SakuraSimulator.js"

const scope = { project: "shop", stage: "dev" }

const servers = (memory: number) =>
  ["web-01", "web-02"].flatMap((name) => [
    `server "${name}" {`,
    `  plan core=1 memory=${memory}`,
    `  disk size=20 os="ubuntu-24.04"`,
    `}`
  ])

const targetOf = (memory: number) =>
  Effect.gen(function* () {
    const config = yield* Config.load(NodePath.join(folder({ "fleet.kdl": fleetText(servers(memory)) }), "fleet.kdl"))
    const desired = yield* Config.desiredResources(config, "dev")
    return { config, stage: "dev", desired } satisfies Fleet.Target
  }).pipe(Effect.provide(NodeFileSystem.layer))

/** A server and its disk made through the provider, and the state's record of the server. */
const oneServer = (options: Simulator.SimulatorOptions = {}) =>
  Effect.gen(function* () {
    const { service, store } = yield* provider(options)
    const disk = yield* service.apply(
      createRequest(scope, "disk", "web-01", { zone: "is1a", size: 20, os: "ubuntu-24.04" })
    )
    const server = yield* service.apply(
      createRequest(scope, "server", "web-01", { zone: "is1a", core: 1, memory: 1, disk: disk.id })
    )
    const key = makeKey("server", "web-01")
    const record = storedResource("server", "web-01", { id: server.id, inputs: { zone: "is1a" } })
    return { service, store, key, record, resources: new Map([[key, record]]) }
  })

describe("no server read right after the server list that holds it", () => {
  it.effect("a plan change of two servers and their down read none of them again after the plan's list", () =>
    Effect.gen(function* () {
      const store = yield* Simulator.memoryStore()
      const layer = Layer.merge(
        SakuraProvider.layer().pipe(Layer.provide(Simulator.layerTransport(store))),
        State.layerMemory()
      )
      yield* Effect.gen(function* () {
        yield* Fleet.up(yield* targetOf(1), runOptions())
        const before = (yield* invocations(store)).length
        const changed = yield* Fleet.up(yield* targetOf(2), runOptions())
        assert.deepStrictEqual(changed.plan.summary, { add: 0, change: 2, destroy: 0 })
        const update = commandsOf((yield* invocations(store)).slice(before))
        // Each server was read once before its shutdown; now only after its boot, which changed it.
        assert.deepStrictEqual(update.slice(0, 3).sort(), ["auth-status -o", "disk list", "server list"])
        assert.strictEqual(update.filter((command) => command === "server read").length, 2)
        assert.isAbove(update.indexOf("server read"), update.lastIndexOf("server boot"))

        const beforeDown = (yield* invocations(store)).length
        yield* Fleet.down(yield* targetOf(2), runOptions())
        const down = commandsOf((yield* invocations(store)).slice(beforeDown))
        assert.strictEqual(down.filter((command) => command === "server read").length, 0)
        assert.strictEqual(down.filter((command) => command === "server delete").length, 2)
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("a server listed longer ago than that is read before its delete", () =>
    Effect.gen(function* () {
      const { service, store, key, record, resources } = yield* oneServer()
      yield* service.getState(scope, resources)
      yield* TestClock.adjust(Duration.sum(freshFor, Duration.millis(1)))
      const before = (yield* invocations(store)).length
      yield* service.destroy(scope, key, record)
      const calls = commandsOf((yield* invocations(store)).slice(before))
      assert.deepStrictEqual(calls, ["server read", "server delete"])
    })
  )

  it.effect("a delete retried after a failed one reads the server: the list answers once", () =>
    Effect.gen(function* () {
      const faults = Either.getOrThrow(Simulator.parseFaults("server delete=503*1"))
      const { service, store, key, record, resources } = yield* oneServer({ faults })
      yield* service.getState(scope, resources)
      const before = (yield* invocations(store)).length
      assert.isTrue(Either.isLeft(yield* Effect.either(service.destroy(scope, key, record))))
      yield* service.destroy(scope, key, record)
      const calls = commandsOf((yield* invocations(store)).slice(before))
      assert.deepStrictEqual(calls, ["server delete", "server read", "server delete"])
    })
  )
})
