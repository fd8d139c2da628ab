import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Fake from "../src/Fake.js"
import * as Fleet from "../src/Fleet.js"
import * as Plan from "../src/Plan.js"
import type { DesiredResource, ResourceKey } from "../src/Resource.js"
import * as State from "../src/State.js"
import {
  assertConverged,
  type Event,
  readState,
  Recorder,
  runOptions,
  specArbitrary,
  target,
  toDesired,
  world
} from "./support/Desired.js"

const parallelism = FastCheck.integer({ min: 1, max: 6 })

/** Per-call delays in milliseconds, picked by key, so each run interleaves differently. */
const delays = FastCheck.array(FastCheck.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 })

const delayBy = (millis: ReadonlyArray<number>) => (key: ResourceKey) => {
  let hash = 0
  for (const char of key) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
  return Duration.millis(millis[hash % millis.length] ?? 0)
}

/** When each provider call started and ended, by `operation key`; no call is expected twice. */
const timeline = (events: ReadonlyArray<Event>) => {
  const start = new Map<string, number>()
  const end = new Map<string, number>()
  const callOf = new Map<string, number>()
  events.forEach((event, index) => {
    if (event._tag === "Write" || event.operation === "read") return
    const id = `${event.operation === "delete" ? "delete" : "apply"} ${event.key}`
    const into = event._tag === "CallStart" ? start : end
    assert.isFalse(into.has(id), `${id} was called twice`)
    into.set(id, index)
    callOf.set(id, event.call)
  })
  /** `before` ran and ended before `after` started, when both ran, or both were made by one call. */
  const assertOrder = (before: string, after: string) => {
    const ended = end.get(before)
    const started = start.get(after)
    if (started === undefined || !start.has(before)) return
    if (callOf.get(before) === callOf.get(after)) {
      // Only a server's create makes something along with it: its new disk.
      assert.match(`${before} ${after}`, /^apply \S+:disk:\S+ apply \S+:server:\S+$/)
      return
    }
    assert.isDefined(ended, `${before} never ended`)
    assert.isBelow(ended!, started, `${after} started before ${before} ended`)
  }
  return { start, assertOrder }
}

/**
 * No create or update starts before the creates and updates it depends on (in `desired`)
 * ended; no delete starts before the deletes of what depended on it (in `stored`) ended;
 * a replacement's create starts after its delete ended.
 */
const assertDependencyOrder = (
  events: ReadonlyArray<Event>,
  desired: ReadonlyArray<DesiredResource>,
  stored: ReadonlyMap<ResourceKey, { readonly dependsOn: ReadonlyArray<string> }>
) => {
  const { assertOrder, start } = timeline(events)
  for (const item of desired) {
    for (const dep of item.dependsOn) assertOrder(`apply ${dep}`, `apply ${item.key}`)
    assertOrder(`delete ${item.key}`, `apply ${item.key}`)
  }
  for (const [key, resource] of stored) {
    for (const dep of resource.dependsOn) assertOrder(`delete ${key}`, `delete ${dep}`)
  }
  return start.size
}

describe("engine properties", () => {
  it.effect.prop(
    "plan(A → B) applied to A yields B, and B then plans no change",
    [specArbitrary, specArbitrary, parallelism],
    ([a, b, parallelism]) =>
      Effect.gen(function* () {
        const first = toDesired(a)
        const second = toDesired(b)
        yield* Fleet.up(target(first), runOptions({ parallelism }))
        yield* assertConverged(first)
        yield* Fleet.up(target(second), runOptions({ parallelism }))
        yield* assertConverged(second)
        const { plan } = yield* Fleet.plan(target(second), { refresh: true })
        assert.deepStrictEqual(Plan.changesOf(plan), [])
      }).pipe(Effect.provide(world())),
    { fastCheck: { numRuns: 40 } }
  )

  it.live.prop(
    "no action starts before what it depends on, over random A → B transitions and down",
    [specArbitrary, specArbitrary, parallelism, delays],
    ([a, b, parallelism, millis]) =>
      Effect.gen(function* () {
        const recorder = yield* Recorder
        const first = toDesired(a)
        const second = toDesired(b)
        yield* Fleet.up(target(first), runOptions({ parallelism }))
        assertDependencyOrder(yield* recorder.events, first, new Map())

        const before = State.resourcesOfStage(yield* readState, "dev")
        yield* recorder.reset
        yield* Fleet.up(target(second), runOptions({ parallelism }))
        assertDependencyOrder(yield* recorder.events, second, before)
        yield* assertConverged(second)

        const held = State.resourcesOfStage(yield* readState, "dev")
        yield* recorder.reset
        yield* Fleet.down(target(second), runOptions({ parallelism }))
        const calls = assertDependencyOrder(yield* recorder.events, [], held)
        assert.strictEqual(calls, held.size)
      }).pipe(Effect.provide(world({ delay: delayBy(millis) }))),
    { fastCheck: { numRuns: 30 } }
  )

  it.effect.prop(
    "down after up leaves nothing in the cloud and nothing in the state for the stage",
    [specArbitrary, specArbitrary, parallelism],
    ([a, live, parallelism]) =>
      Effect.gen(function* () {
        // Another stage's resources (bucket names are global, so it keeps none) must survive.
        const other = toDesired({ ...live, buckets: [], records: [] }).map((item) => ({
          ...item,
          key: item.key.replace(/node-/g, "live-"),
          name: item.name.replace(/node-/g, "live-"),
          dependsOn: item.dependsOn.map((dep) => dep.replace(/node-/g, "live-")),
          inputs: JSON.parse(JSON.stringify(item.inputs).replace(/node-/g, "live-"))
        }))
        yield* Fleet.up(target(other, "live"), runOptions({ parallelism }))
        const desired = toDesired(a)
        yield* Fleet.up(target(desired), runOptions({ parallelism }))
        const downed = yield* Fleet.down(target(desired), runOptions({ parallelism }))
        assert.strictEqual(downed.plan.summary.destroy, desired.length)
        assert.strictEqual(downed.plan.summary.add + downed.plan.summary.change, 0)
        const state = yield* readState
        assert.strictEqual(State.resourcesOfStage(state, "dev").size, 0)
        assert.deepStrictEqual(state.pending, [])
        const fake = yield* Fake.FakeCloud
        const left = yield* fake.resources
        assert.strictEqual(left.length, other.length)
        yield* assertConverged(other, "live")
      }).pipe(Effect.provide(world())),
    { fastCheck: { numRuns: 40 } }
  )
})
