/**
 * A server's plan change (shut down, change, boot) carries on from the step it reached: after a
 * transient failure of any step the engine's retry does only what is left, and after a run killed
 * between shutdown and boot the next plan shows the server down and the next `up` boots it.
 * A state recorded before servers had a `status` plans no change for a server that is up.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Fleet from "../../src/Fleet.js"
import * as Plan from "../../src/Plan.js"
import type { CloudProvider } from "../../src/Provider.js"
import { makeKey } from "../../src/Resource.js"
import * as SakuraProvider from "../../src/Sakura/Provider.js"
import * as Simulator from "../../src/Sakura/Simulator.js"
import * as State from "../../src/State.js"
import { runOptions } from "../support/Desired.js"
import { fleetText, targetOf } from "../support/SakuraFleet.js"
import { invocations } from "../support/SakuraSimulator.js"

const fleet = (memory: number) =>
  targetOf({
    "fleet.kdl": fleetText([
      `server "web-01" {`,
      `  plan core=1 memory=${memory}`,
      `  disk size=20 os="ubuntu-24.04"`,
      `}`
    ])
  })

const serverKey = makeKey("server", "web-01")

/** The provider over `store` with `faults`, and a state in memory starting from `state`. */
const layerOver = (store: Simulator.SimulatorStore, faults = "", state?: State.StateFile) =>
  Layer.merge(
    SakuraProvider.layer().pipe(
      Layer.provide(
        Simulator.layerTransport(store, {
          faults: faults === "" ? [] : Either.getOrThrow(Simulator.parseFaults(faults))
        })
      )
    ),
    State.layerMemory(state)
  )

/** `resource verb` of the changes each invocation asked for, failed ones included. */
const changesAfter = (store: Simulator.SimulatorStore, from: number) =>
  Effect.map(invocations(store), (calls) =>
    calls
      .slice(from)
      .filter((args) => ["shutdown", "update", "boot"].includes(args[1]!))
      .map((args) => `${args[0]} ${args[1]}`)
  )

const webServer = (store: Simulator.SimulatorStore) =>
  Effect.map(Simulator.inspect(store).pipe(Effect.orDie), (cloud) => {
    const found = cloud.servers.filter((server) => server.name === "web-01")
    assert.lengthOf(found, 1)
    return found[0]!
  })

/** The state as the store holds it now. */
const stateNow = Effect.flatMap(State.StateStore, (states) =>
  Effect.map(states.read, (state) => Option.getOrThrow(state))
)

/**
 * `body` over one server up with 1 GB, made before any of `faults` fires (creating a server
 * shuts nothing down), with the provider and the state of that run.
 */
const withServer = <A, E>(
  faults: string,
  body: (store: Simulator.SimulatorStore, from: number) => Effect.Effect<A, E, CloudProvider | State.StateStore>
) =>
  Effect.gen(function* () {
    const store = yield* Simulator.memoryStore()
    const target = yield* fleet(1)
    return yield* Effect.gen(function* () {
      yield* Fleet.up(target, runOptions())
      return yield* body(store, (yield* invocations(store)).length)
    }).pipe(Effect.provide(layerOver(store, faults)))
  })

describe("a server's plan change resumes where it stopped", () => {
  const transient: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
    ["server shutdown", ["server shutdown", "server shutdown", "server update", "server boot"]],
    ["server update", ["server shutdown", "server update", "server update", "server boot"]],
    ["server boot", ["server shutdown", "server update", "server boot", "server boot"]]
  ]
  for (const [command, expected] of transient) {
    it.live(`a 503 on ${command}: the retry does only the steps left`, () =>
      withServer(`${command}=503*1`, (store, from) =>
        Effect.gen(function* () {
          const bigger = yield* fleet(2)
          const applied = yield* Fleet.up(bigger, runOptions())
          assert.deepStrictEqual(applied.plan.summary, { add: 0, change: 1, destroy: 0 })
          assert.deepStrictEqual(yield* changesAfter(store, from), expected)
          const server = yield* webServer(store)
          assert.deepStrictEqual([server.memoryMB, server.power], [2048, "up"])
          assert.strictEqual(applied.state.resources[serverKey]!.id, String(server.id))
          assert.isFalse(Plan.hasChanges((yield* Fleet.plan(bigger, { refresh: true })).plan))
        })
      )
    )
  }

  it.effect("a run killed between shutdown and boot: the plan shows the server down, the next up boots it", () =>
    Effect.gen(function* () {
      const bigger = yield* fleet(2)
      const [store, left] = yield* withServer("server boot=400", (store, from) =>
        Effect.gen(function* () {
          const stopped = yield* Effect.either(Fleet.up(bigger, runOptions()))
          assert.isTrue(Either.isLeft(stopped))
          assert.deepStrictEqual(yield* changesAfter(store, from), ["server shutdown", "server update", "server boot"])
          assert.strictEqual((yield* webServer(store)).power, "down")
          // As a run killed at that moment leaves it: the update still pending.
          const state = yield* stateNow
          const recorded = state.resources[serverKey]!
          const pending = {
            id: "intent-update-web-01",
            operation: "update" as const,
            key: serverKey,
            stage: "dev",
            started_at: "2026-12-01T00:00:00.000Z",
            inputs: recorded.inputs,
            dependsOn: recorded.dependsOn
          }
          return [store, State.addPending(state, pending)] as const
        })
      )
      // The next run, with the state the killed one left and no fault.
      yield* Effect.gen(function* () {
        const planned = yield* Fleet.plan(bigger, { refresh: true })
        const drift = planned.plan.drift.find((item) => item.key === serverKey)
        assert.deepInclude(drift?.changes ?? [], { field: "status", before: "up", after: "down" })
        const resumed = (yield* invocations(store)).length
        yield* Fleet.up(bigger, runOptions())
        assert.deepStrictEqual(yield* changesAfter(store, resumed), ["server boot"])
        const server = yield* webServer(store)
        assert.deepStrictEqual([server.memoryMB, server.power], [2048, "up"])
        assert.isFalse(Plan.hasChanges((yield* Fleet.plan(bigger, { refresh: true })).plan))
      }).pipe(Effect.provide(layerOver(store, "", left)))
    })
  )
})

describe("a state recorded before servers had a status", () => {
  it.effect("plans no change for a server that is up: the refresh lays the observed status over it", () =>
    Effect.gen(function* () {
      const target = yield* fleet(1)
      const [store, state] = yield* withServer("", (store) => Effect.map(stateNow, (state) => [store, state] as const))
      const recorded = state.resources[serverKey]!
      const { status: _status, ...older } = recorded.inputs
      const before = { ...state, resources: { ...state.resources, [serverKey]: { ...recorded, inputs: older } } }
      const planned = yield* Effect.provide(Fleet.plan(target, { refresh: true }), layerOver(store, "", before))
      assert.isFalse(Plan.hasChanges(planned.plan))
    })
  )
})
