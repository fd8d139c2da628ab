import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import * as Apply from "../src/Apply.js"
import * as Fake from "../src/Fake.js"
import * as Fleet from "../src/Fleet.js"
import * as Plan from "../src/Plan.js"
import { CloudProvider } from "../src/Provider.js"
import type { DesiredResource, ResourceKey } from "../src/Resource.js"
import * as Retry from "../src/Retry.js"
import * as State from "../src/State.js"
import {
  assertConverged,
  bucket,
  bucketKey,
  cloudByKey,
  dnsA,
  dnsKey,
  disk,
  diskKey,
  type Event,
  readState,
  resource,
  Recorder,
  runOptions,
  server,
  serverKey,
  target,
  world,
  zone
} from "./support/Desired.js"

/** A disk, a server on it and a record for the server, twice, and a bucket. */
const web: ReadonlyArray<DesiredResource> = [
  disk("web"),
  server("web"),
  dnsA("www", { server: "web" }),
  disk("db", { size: 100 }),
  server("db", { memory: 8 }),
  dnsA("db", { server: "db" }),
  bucket("assets")
]

/** Index of the first event matching, -1 if none. */
const indexOf = (events: ReadonlyArray<Event>, predicate: (event: Event) => boolean) => events.findIndex(predicate)

const callStart = (operation: string, key: ResourceKey) => (event: Event) =>
  event._tag === "CallStart" && event.operation === operation && event.key === key

const callEnd = (operation: string, key: ResourceKey) => (event: Event) =>
  event._tag === "CallEnd" && event.operation === operation && event.key === key

/** `before` ended before `after` started, both having happened. */
const assertEndsBeforeStart = (
  events: ReadonlyArray<Event>,
  before: readonly [string, ResourceKey],
  after: readonly [string, ResourceKey]
) => {
  const end = indexOf(events, callEnd(...before))
  const start = indexOf(events, callStart(...after))
  assert.isAtLeast(end, 0, `${before.join(" ")} never ended`)
  assert.isAtLeast(start, 0, `${after.join(" ")} never started`)
  assert.isBelow(end, start, `${after.join(" ")} started before ${before.join(" ")} ended`)
}

describe("up and plan", () => {
  it.effect("up, then plan shows no changes, and state and cloud agree", () =>
    Effect.gen(function* () {
      const applied = yield* Fleet.up(target(web), runOptions())
      assert.deepStrictEqual(applied.plan.summary, { add: web.length, change: 0, destroy: 0 })
      const { plan } = yield* Fleet.plan(target(web), { refresh: true })
      assert.isFalse(Plan.hasChanges(plan))
      assert.deepStrictEqual(plan.summary, { add: 0, change: 0, destroy: 0 })

      yield* assertConverged(web)
      const cloud = yield* cloudByKey
      const state = yield* readState
      for (const item of web) assert.strictEqual(state.resources[item.key]?.id, cloud.get(item.key)?.id)
      // The record holds exactly the address the server got, and the server sits on its disk.
      for (const name of ["web", "db"]) {
        const ip = cloud.get(serverKey(name))?.attributes.ip
        assert.match(String(ip), /^\d+\.\d+\.\d+\.\d+$/)
        const host = name === "web" ? "www" : "db"
        assert.strictEqual(state.resources[dnsKey(host)]?.inputs.content, ip)
        assert.strictEqual(cloud.get(dnsKey(host))?.attributes.content, ip)
        assert.strictEqual(cloud.get(serverKey(name))?.inputs.disk, cloud.get(diskKey(name))?.id)
      }
      assert.notStrictEqual(cloud.get(serverKey("web"))?.attributes.ip, cloud.get(serverKey("db"))?.attributes.ip)
    }).pipe(Effect.provide(world()))
  )

  it.effect("a second up does nothing: no provider call changes anything", () =>
    Effect.gen(function* () {
      yield* Fleet.up(target(web), runOptions())
      const recorder = yield* Recorder
      yield* recorder.reset
      const again = yield* Fleet.up(target(web), runOptions())
      assert.isFalse(Plan.hasChanges(again.plan))
      const mutations = (yield* recorder.events).filter((event) => event._tag !== "Write" && event.operation !== "read")
      assert.deepStrictEqual(mutations, [])
    }).pipe(Effect.provide(world()))
  )
})

describe("ordering", () => {
  it.live("creates wait for their dependencies, deletes for their dependents", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      const recorder = yield* Recorder
      const provider = yield* CloudProvider
      // Each create a call of its own: a server's new disk is otherwise made by the server's call (below).
      yield* Fleet.up(target(web), runOptions({ parallelism: 10 })).pipe(
        Effect.provideService(CloudProvider, { ...provider, createsTogether: undefined })
      )
      const events = yield* recorder.events
      for (const name of ["web", "db"]) {
        assertEndsBeforeStart(events, ["create", diskKey(name)], ["create", serverKey(name)])
      }
      assertEndsBeforeStart(events, ["create", serverKey("web")], ["create", dnsKey("www")])
      assertEndsBeforeStart(events, ["create", serverKey("db")], ["create", dnsKey("db")])
      // The fake's own log agrees: a server's create is called after its disk's.
      const calls = yield* fake.calls
      const at = (operation: string, key: ResourceKey) =>
        calls.findIndex((call) => call.operation === operation && call.key === key)
      assert.isBelow(at("create", diskKey("web")), at("create", serverKey("web")))
      assert.isBelow(at("create", serverKey("web")), at("create", dnsKey("www")))
      // Independent resources overlapped: the run was parallel, so the order above was not luck.
      assert.isAtLeast(yield* recorder.maxInFlight, 2)

      yield* recorder.reset
      yield* Fleet.down(target(web), runOptions({ parallelism: 10 }))
      const down = yield* recorder.events
      assertEndsBeforeStart(down, ["delete", dnsKey("www")], ["delete", serverKey("web")])
      assertEndsBeforeStart(down, ["delete", serverKey("web")], ["delete", diskKey("web")])
      assertEndsBeforeStart(down, ["delete", dnsKey("db")], ["delete", serverKey("db")])
      assertEndsBeforeStart(down, ["delete", serverKey("db")], ["delete", diskKey("db")])
      assert.deepStrictEqual(yield* fake.resources, [])
      assert.deepStrictEqual(State.resourcesOfStage(yield* readState, "dev").size, 0)
    }).pipe(Effect.provide(world({ fake: { latency: Duration.millis(5) } })))
  )

  it.live("a server's new disk is made by the server's create, one call for both, recorded with it", () =>
    Effect.gen(function* () {
      const recorder = yield* Recorder
      const applied = yield* Fleet.up(target(web), runOptions({ parallelism: 10 }))
      const events = yield* recorder.events
      const creates = events.flatMap((event) =>
        event._tag === "CallStart" && event.operation === "create" ? [event] : []
      )
      const callOf = (key: ResourceKey) => creates.find((event) => event.key === key)?.call
      for (const name of ["web", "db"]) {
        assert.isDefined(callOf(diskKey(name)))
        assert.strictEqual(callOf(diskKey(name)), callOf(serverKey(name)))
      }
      // 7 resources, 5 calls: the buckets, the records, and a server with its disk, twice.
      assert.strictEqual(new Set(creates.map((event) => event.call)).size, 5)
      // Each is still reported on its own, the disk before its server.
      const done = applied.result.succeeded.map(({ step }) => step.key)
      assert.sameMembers(
        done,
        web.map((item) => item.key)
      )
      assert.isBelow(done.indexOf(diskKey("web")), done.indexOf(serverKey("web")))
      // The record waited for the call that made the server: its address is the server's.
      assertEndsBeforeStart(events, ["create", serverKey("web")], ["create", dnsKey("www")])
      yield* assertConverged(web)
      const state = yield* readState
      assert.strictEqual(state.resources[serverKey("web")]?.inputs.disk, state.resources[diskKey("web")]?.id)
      assert.deepStrictEqual(state.pending, [])
    }).pipe(Effect.provide(world({ fake: { latency: Duration.millis(5) } })))
  )

  it.effect(
    "a disk is carried by its server's create only when nothing else waits for it, and never when replaced",
    () =>
      Effect.gen(function* () {
        const provider = yield* CloudProvider
        const stepsOf = (desired: ReadonlyArray<DesiredResource>) =>
          Effect.map(Fleet.plan(target(desired), { refresh: true }), ({ plan, state }) =>
            Object.fromEntries(
              Apply.steps(plan, State.resourcesOfStage(state, "dev"), provider.createsTogether).map((step) => [
                step.id,
                { after: [...step.after].sort(), carriedBy: step.carriedBy }
              ])
            )
          )
        const alone = [disk("web"), server("web")]
        assert.deepStrictEqual(yield* stepsOf(alone), {
          [`create:${diskKey("web")}`]: { after: [], carriedBy: `create:${serverKey("web")}` },
          [`create:${serverKey("web")}`]: { after: [], carriedBy: undefined }
        })
        // A record that waits for the disk too: the disk is made first, on its own.
        const note = resource(
          "dns",
          `disk.${zone}/TXT`,
          { zone, name: `disk.${zone}`, type: "TXT", content: { $ref: diskKey("web"), attribute: "id" }, ttl: 1 },
          [diskKey("web")]
        )
        const shared = yield* stepsOf([...alone, note])
        assert.isUndefined(shared[`create:${diskKey("web")}`]?.carriedBy)
        assert.deepStrictEqual(shared[`create:${serverKey("web")}`]?.after, [`create:${diskKey("web")}`])
        // Without the provider's leave, each create is its own call.
        const { plan, state } = yield* Fleet.plan(target(alone), { refresh: true })
        assert.isTrue(
          Apply.steps(plan, State.resourcesOfStage(state, "dev")).every((step) => step.carriedBy === undefined)
        )
        // A disk that is replaced goes through its delete: its create is its own call.
        yield* Fleet.up(target(alone), runOptions())
        const replaced = yield* stepsOf([disk("web", { size: 40 }), server("web")])
        assert.isTrue(Object.values(replaced).every((step) => step.carriedBy === undefined))
      }).pipe(Effect.provide(world()))
  )

  it.effect("steps of a replaced disk: dependents go first, then the disk, then it comes back before them", () =>
    Effect.gen(function* () {
      const before = [disk("web"), server("web"), dnsA("www", { server: "web" })]
      yield* Fleet.up(target(before), runOptions())
      const after = [disk("web", { size: 40 }), server("web"), dnsA("www", { server: "web" })]
      const { plan, state } = yield* Fleet.plan(target(after), { refresh: true })
      const tags = Object.fromEntries(plan.actions.map((action) => [action.key, action._tag]))
      // `disk` forces a server's replacement; the record only needs the new address.
      assert.deepStrictEqual(tags, {
        [diskKey("web")]: "Replace",
        [serverKey("web")]: "Replace",
        [dnsKey("www")]: "Update"
      })
      const steps = Apply.steps(plan, State.resourcesOfStage(state, "dev"))
      const order = Object.fromEntries(steps.map((step) => [step.id, [...step.after].sort()]))
      assert.deepStrictEqual(order, {
        [`delete:${diskKey("web")}`]: [`delete:${serverKey("web")}`],
        [`create:${diskKey("web")}`]: [`delete:${diskKey("web")}`],
        [`delete:${serverKey("web")}`]: [],
        [`create:${serverKey("web")}`]: [`create:${diskKey("web")}`, `delete:${serverKey("web")}`],
        [`update:${dnsKey("www")}`]: [`create:${serverKey("web")}`]
      })
    }).pipe(Effect.provide(world()))
  )
})

describe("bounded parallelism", () => {
  const buckets = Array.from({ length: 8 }, (_, index) => bucket(`bucket-${index}`))

  it.live("parallelism 2 never has more than 2 provider calls in flight", () =>
    Effect.gen(function* () {
      const recorder = yield* Recorder
      yield* Fleet.up(target(buckets), runOptions({ parallelism: 2 }))
      assert.strictEqual(yield* recorder.maxInFlight, 2)
      yield* assertConverged(buckets)
    }).pipe(Effect.provide(world({ fake: { latency: Duration.millis(20) } })))
  )

  it.live("parallelism 10 runs 8 independent creates at once", () =>
    Effect.gen(function* () {
      const recorder = yield* Recorder
      yield* Fleet.up(target(buckets), runOptions({ parallelism: 10 }))
      // All eight were in flight together: the speed-up is there without timing it.
      assert.strictEqual(yield* recorder.maxInFlight, 8)
    }).pipe(Effect.provide(world({ fake: { latency: Duration.millis(50) } })))
  )

  it.live("calls of a type the provider gathers into shared requests wait for their batch without a slot", () =>
    Effect.gen(function* () {
      const recorder = yield* Recorder
      const provider = yield* CloudProvider
      const batching = { ...provider, batches: (type: string) => type === "r2" }
      yield* Fleet.up(target(buckets), runOptions({ parallelism: 1 })).pipe(
        Effect.provideService(CloudProvider, batching)
      )
      // All eight in flight at once, where parallelism 1 would hold them to one (the test below).
      assert.strictEqual(yield* recorder.maxInFlight, 8)
      yield* assertConverged(buckets)
    }).pipe(Effect.provide(world({ fake: { latency: Duration.millis(20) } })))
  )

  it.effect("parallelism 1 runs one call at a time", () =>
    Effect.gen(function* () {
      const recorder = yield* Recorder
      const fiber = yield* Effect.fork(Fleet.up(target(buckets), runOptions({ parallelism: 1 })))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(yield* recorder.maxInFlight, 1)
    }).pipe(Effect.provide(world({ fake: { latency: Duration.millis(10) } })))
  )
})

describe("state journal", () => {
  /** The pending operation for `key` in a written state. */
  const pendingFor = (event: Event, key: ResourceKey) =>
    event._tag === "Write" ? event.state.pending.filter((operation) => operation.key === key) : []

  const assertIntents = (events: ReadonlyArray<Event>, operation: "create" | "delete", keys: ReadonlyArray<string>) => {
    for (const key of keys) {
      const start = indexOf(events, callStart(operation, key))
      const end = indexOf(events, callEnd(operation, key))
      assert.isAtLeast(start, 0, `${operation} ${key} was never called`)
      // The last write before the call holds the intent.
      const before = events
        .slice(0, start)
        .filter((event) => event._tag === "Write")
        .at(-1)
      assert.isDefined(before, `no write before ${operation} ${key}`)
      const intents = pendingFor(before!, key)
      assert.strictEqual(intents.length, 1, `no intent for ${operation} ${key} before the call`)
      assert.strictEqual(intents[0]!.operation, operation)
      assert.strictEqual(intents[0]!.stage, "dev")
      // It stays until the write that records the outcome, and goes in that very write.
      const rest = events.slice(start)
      const cleared = rest.findIndex((event) => event._tag === "Write" && pendingFor(event, key).length === 0)
      assert.isAtLeast(cleared, 0, `the intent for ${key} was never cleared`)
      assert.isAbove(start + cleared, end, `the intent for ${key} was cleared before the call ended`)
      const outcome = rest[cleared]
      if (outcome?._tag !== "Write") return assert.fail("unreachable")
      if (operation === "create") assert.isDefined(outcome.state.resources[key], `${key} not recorded with the clear`)
      else assert.isUndefined(outcome.state.resources[key], `${key} not removed with the clear`)
    }
  }

  it.effect("an intent is written before every create and delete, and cleared by the write that records it", () =>
    Effect.gen(function* () {
      const recorder = yield* Recorder
      const applied = yield* Fleet.up(target(web), runOptions({ parallelism: 3 }))
      assertIntents(
        yield* recorder.events,
        "create",
        web.map((item) => item.key)
      )
      assert.strictEqual(applied.result.succeeded.length, web.length)

      yield* recorder.reset
      yield* Fleet.down(target(web), runOptions({ parallelism: 3 }))
      assertIntents(
        yield* recorder.events,
        "delete",
        web.map((item) => item.key)
      )
      assert.deepStrictEqual((yield* readState).pending, [])
    }).pipe(Effect.provide(world()))
  )

  it.effect("the state is written after every completed action, before the next one starts", () =>
    Effect.gen(function* () {
      const recorder = yield* Recorder
      const applied = yield* Fleet.up(target(web), runOptions({ parallelism: 1 }))
      const events = yield* recorder.events
      const writes = events.filter((event) => event._tag === "Write")
      // At most one write of intents and one of results per call (a server's call makes its new disk
      // too); calls that end together, such as the records' batch, share theirs.
      const calls = new Set(events.flatMap((event) => (event._tag === "CallStart" ? [event.call] : [])))
      assert.strictEqual(calls.size, applied.plan.actions.length - 2)
      assert.isAtMost(writes.length, 2 * calls.size)
      assert.isAtLeast(writes.length, calls.size)
      events.forEach((event, index) => {
        if (event._tag !== "CallEnd") return
        const next = events.slice(index + 1)
        const nextCall = next.findIndex((other) => other._tag === "CallStart")
        const recorded = next.findIndex(
          (other) => other._tag === "Write" && other.state.resources[event.key] !== undefined
        )
        assert.isAtLeast(recorded, 0, `${event.key} never recorded`)
        if (nextCall >= 0) assert.isBelow(recorded, nextCall, `${event.key} recorded after the next call started`)
      })
    }).pipe(Effect.provide(world()))
  )
})

describe("group commit", () => {
  it.live("steps that start together record their intents in one write", () =>
    Effect.gen(function* () {
      const recorder = yield* Recorder
      const buckets = Array.from({ length: 10 }, (_, index) => bucket(`together-${index}`))
      yield* Fleet.up(target(buckets), runOptions({ parallelism: 10 }))
      const writes = (yield* recorder.events).flatMap((event) => (event._tag === "Write" ? [event.state] : []))
      const first = writes.find((state) => state.pending.length > 0)
      assert.strictEqual(first?.pending.length, 10, "all ten intents in the first write that holds any")
      assert.isAtMost(writes.length, 12)
      yield* assertConverged(buckets)
    }).pipe(Effect.provide(world({ fake: { latency: Duration.millis(20) } })))
  )
})

describe("retry", () => {
  const record = dnsA("www", { ip: "198.51.100.7" })
  /** Wake-up times before the API client's request timeout: those of the retries (the requests' own stay listed). */
  const retrySleeps = Effect.map(TestClock.sleeps(), (sleeps) =>
    Chunk.toReadonlyArray(sleeps).filter((at) => at < 60_000)
  )

  it.effect("a transient fault twice: retried after 1s then 2s, and the third attempt succeeds", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      yield* fake.injectFault({ operation: "create", key: record.key, kind: "transient", times: 2 })
      const attempts = Effect.map(
        fake.calls,
        (calls) => calls.filter((call) => call.key === record.key && call.operation === "create").length
      )
      const fiber = yield* Effect.fork(
        Fleet.up(target([record]), runOptions()).pipe(Effect.withRandom(Random.fixed([0.5])))
      )
      yield* TestClock.adjust(0)
      assert.strictEqual(yield* attempts, 1)
      // `sleeps` holds wake-up times: the first retry waits 1s.
      assert.deepStrictEqual(yield* retrySleeps, [1000])
      yield* TestClock.adjust(Duration.millis(999))
      assert.strictEqual(yield* attempts, 1)
      yield* TestClock.adjust(Duration.millis(1))
      assert.strictEqual(yield* attempts, 2)
      // The second waits 2s, from 1s to 3s.
      assert.deepStrictEqual(yield* retrySleeps, [3000])
      yield* TestClock.adjust(Duration.millis(1999))
      assert.strictEqual(yield* attempts, 2)
      yield* TestClock.adjust(Duration.millis(1))
      const applied = yield* Fiber.join(fiber)
      assert.strictEqual(yield* attempts, 3)
      assert.strictEqual(applied.result.succeeded.length, 1)
      yield* assertConverged([record])
    }).pipe(
      // A started action finishes even when interrupted: on a failed assertion, let the forked
      // run end instead of waiting for the test timeout.
      Effect.ensuring(TestClock.adjust("1 hour")),
      Effect.provide(world())
    )
  )

  it.effect("a transient fault that outlasts the policy fails after maxAttempts calls", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      yield* fake.injectFault({ operation: "create", key: record.key, kind: "transient", times: 5 })
      const fiber = yield* Effect.fork(Effect.exit(Fleet.up(target([record]), runOptions())))
      yield* TestClock.adjust("1 minute")
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(
        (yield* fake.calls).filter((call) => call.key === record.key && call.operation === "create").length,
        3
      )
      assert.deepStrictEqual(yield* fake.resources, [])
    }).pipe(Effect.provide(world()))
  )

  it.effect("a permanent fault is called exactly once", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      yield* fake.injectFault({ operation: "create", key: record.key, kind: "permanent" })
      const error = yield* Effect.flip(Fleet.up(target([record]), runOptions()))
      assert.strictEqual(error._tag, "PartialApplyError")
      assert.strictEqual(
        (yield* fake.calls).filter((call) => call.key === record.key && call.operation === "create").length,
        1
      )
      // No retry means no sleep either.
      assert.deepStrictEqual(yield* retrySleeps, [])
    }).pipe(Effect.provide(world()))
  )
})

describe("partial apply", () => {
  // disk web fails, and with it the server's create that makes it; www depends on the server; the rest is independent.
  const desired: ReadonlyArray<DesiredResource> = [
    disk("web"),
    server("web"),
    dnsA("www", { server: "web" }),
    disk("db"),
    server("db"),
    bucket("assets"),
    bucket("logs")
  ]
  const independent = [diskKey("db"), serverKey("db"), bucketKey("assets"), bucketKey("logs")]
  const failing = [diskKey("web"), serverKey("web")]
  const dependents = [dnsKey("www")]

  const runWith = (choice: Fleet.FailureChoice) =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      yield* fake.injectFault({ operation: "create", key: diskKey("web"), kind: "permanent" })
      const asked = yield* Ref.make<ReadonlyArray<Apply.PartialApplyError>>([])
      const error = yield* Effect.flip(
        Fleet.up(
          target(desired),
          runOptions({
            parallelism: 1,
            onFailure: (partial) =>
              Effect.as(
                Ref.update(asked, (list) => [...list, partial]),
                choice
              )
          })
        )
      )
      const questions = yield* Ref.get(asked)
      assert.strictEqual(questions.length, 1)
      const first = questions[0]!
      // Exactly the injected failure, nothing else.
      assert.deepStrictEqual(
        first.failed.map((failure) => [failure.step.id, failure.error.reason]),
        // A permanent fault is a 400 answer, which the provider reports as invalid.
        failing.map((key) => [`create:${key}`, "invalid"])
      )
      // One call made both: the cloud's error is told on the server, the disk points at it.
      const messages = new Map(first.failed.map((failure) => [failure.step.key, failure.error.message]))
      assert.strictEqual(
        messages.get(diskKey("web")),
        `made in one call with ${serverKey("web")}, which failed: see its error`
      )
      assert.notInclude(messages.get(serverKey("web")), "made in one call")
      const notStarted = first.notStarted.map((step) => step.key)
      for (const key of dependents) assert.include(notStarted, key)
      // What the error says succeeded is what the cloud holds.
      const cloud = yield* cloudByKey
      if (choice === "abort") {
        assert.sameMembers(
          first.succeeded.map((step) => step.key),
          [...cloud.keys()]
        )
      }
      if (error._tag !== "PartialApplyError") return assert.fail(`expected a PartialApplyError, got ${error._tag}`)
      assert.strictEqual(error.decision, choice)
      return { first, error, cloud, state: yield* readState }
    })

  const assertStateIsCloud = (state: State.StateFile, cloud: ReadonlyMap<ResourceKey, Fake.CloudResource>) => {
    assert.sameMembers(Object.keys(state.resources), [...cloud.keys()])
    for (const [key, held] of cloud) assert.strictEqual(state.resources[key]?.id, held.id)
    assert.deepStrictEqual(state.pending, [])
  }

  it.effect("abort: the error tells what failed, what succeeded and what never started; state == cloud", () =>
    Effect.gen(function* () {
      const { cloud, error, first, state } = yield* runWith("abort")
      assert.deepStrictEqual(error, first)
      for (const key of [...failing, ...dependents]) assert.isFalse(cloud.has(key))
      assertStateIsCloud(state, cloud)
      // Every step is accounted for exactly once.
      const all = [...first.succeeded, ...first.failed.map((failure) => failure.step), ...first.notStarted]
      assert.sameMembers(
        all.map((step) => step.key),
        desired.map((item) => item.key)
      )
    }).pipe(Effect.provide(world()))
  )

  it.effect("continue: everything independent of the failure is created", () =>
    Effect.gen(function* () {
      const { cloud, error, state } = yield* runWith("continue")
      assert.sameMembers([...cloud.keys()], independent)
      assert.sameMembers(
        error.succeeded.map((step) => step.key),
        independent
      )
      assert.sameMembers(
        error.notStarted.map((step) => step.key),
        dependents
      )
      assert.deepStrictEqual(
        error.failed.map((failure) => failure.step.key),
        failing
      )
      assertStateIsCloud(state, cloud)
      yield* assertConverged(desired.filter((item) => independent.includes(item.key)))
    }).pipe(Effect.provide(world()))
  )

  it.effect("rollback: the cloud and the state are left empty", () =>
    Effect.gen(function* () {
      const { cloud, error, first, state } = yield* runWith("rollback")
      assert.strictEqual(cloud.size, 0)
      assert.deepStrictEqual(state.resources, {})
      assert.deepStrictEqual(state.pending, [])
      assert.sameMembers(
        error.rolledBack.map((step) => step.key),
        first.succeeded.map((step) => step.key)
      )
      assert.deepStrictEqual(error.succeeded, [])
    }).pipe(Effect.provide(world()))
  )

  it.effect("after an abort, the next up finishes the job", () =>
    Effect.gen(function* () {
      yield* runWith("abort")
      const fake = yield* Fake.FakeCloud
      yield* fake.clearFaults
      yield* Fleet.up(target(desired), runOptions())
      yield* assertConverged(desired)
    }).pipe(Effect.provide(world()))
  )
})

describe("replace", () => {
  it.effect("a disk size change replaces the disk; the server moves to the new disk; no orphan is left", () =>
    Effect.gen(function* () {
      const before = [disk("web"), server("web"), dnsA("www", { server: "web" })]
      yield* Fleet.up(target(before), runOptions())
      const old = yield* cloudByKey
      const oldDisk = old.get(diskKey("web"))!.id

      const after = [disk("web", { size: 40 }), server("web"), dnsA("www", { server: "web" })]
      const { plan } = yield* Fleet.plan(target(after), { refresh: true })
      const diskAction = plan.actions.find((action) => action.key === diskKey("web"))!
      assert.strictEqual(diskAction._tag, "Replace")
      assert.deepStrictEqual(
        diskAction.changes.map((change) => [change.field, change.before, change.after, change.forcesReplace]),
        [["size", 20, 40, true]]
      )

      yield* Fleet.up(target(after), runOptions())
      const cloud = yield* cloudByKey
      const newDisk = cloud.get(diskKey("web"))!
      assert.notStrictEqual(newDisk.id, oldDisk)
      assert.strictEqual(newDisk.inputs.size, 40)
      assert.strictEqual(cloud.get(serverKey("web"))!.inputs.disk, newDisk.id)
      assert.strictEqual((yield* readState).resources[serverKey("web")]?.inputs.disk, newDisk.id)
      const fake = yield* Fake.FakeCloud
      const all = yield* fake.resources
      assert.deepStrictEqual(
        all.filter((item) => item.id === oldDisk),
        []
      )
      assert.strictEqual(all.length, 3)
      yield* assertConverged(after)
      assert.isFalse(Plan.hasChanges((yield* Fleet.plan(target(after), { refresh: true })).plan))
    }).pipe(Effect.provide(world()))
  )

  it.effect("a memory change updates the server in place; the record keeps its address", () =>
    Effect.gen(function* () {
      const before = [disk("web"), server("web"), dnsA("www", { server: "web" })]
      yield* Fleet.up(target(before), runOptions())
      const ip = (yield* cloudByKey).get(serverKey("web"))!.attributes.ip
      const after = [disk("web"), server("web", { memory: 8 }), dnsA("www", { server: "web" })]
      const { plan } = yield* Fleet.plan(target(after), { refresh: true })
      assert.deepStrictEqual(
        Plan.changesOf(plan).map((action) => [action._tag, action.key]),
        [["Update", serverKey("web")]]
      )
      yield* Fleet.up(target(after), runOptions())
      yield* assertConverged(after)
      assert.strictEqual((yield* cloudByKey).get(serverKey("web"))!.attributes.ip, ip)
    }).pipe(Effect.provide(world()))
  )
})

describe("targets and stages", () => {
  it.effect("--target keeps the record and what it needs, nothing else", () =>
    Effect.gen(function* () {
      const { plan } = yield* Fleet.plan(target(web), { refresh: true, targets: [dnsKey("www")] })
      assert.sameMembers(
        plan.actions.map((action) => action.key),
        [dnsKey("www"), serverKey("web"), diskKey("web")]
      )
      assert.deepStrictEqual(plan.summary, { add: 3, change: 0, destroy: 0 })
      // Dependencies first.
      assert.deepStrictEqual(
        plan.actions.map((action) => action.key),
        [diskKey("web"), serverKey("web"), dnsKey("www")]
      )
    }).pipe(Effect.provide(world()))
  )

  it.effect("--target reads only the targets and what they need: the other cloud is not asked", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      yield* Fleet.up(target(web), runOptions())
      const before = (yield* fake.calls).length
      const { plan } = yield* Fleet.plan(target(web), { refresh: true, targets: [bucketKey("assets")] })
      assert.deepStrictEqual(
        plan.actions.map((action) => action.key),
        [bucketKey("assets")]
      )
      const reads = (yield* fake.calls).slice(before).filter((call) => call.operation === "read")
      assert.deepStrictEqual(
        reads.map((call) => call.key),
        [bucketKey("assets")],
        "no Sakura resource is read for a bucket"
      )
    }).pipe(Effect.provide(world()))
  )

  it.effect("--target on a record that takes a CNAME's name brings the CNAME's delete along", () =>
    Effect.gen(function* () {
      const cname = resource("dns", `cn.${zone}/CNAME`, {
        zone,
        name: `cn.${zone}`,
        type: "CNAME",
        content: "origin.example.net",
        proxied: false,
        ttl: 1
      })
      const a = resource("dns", `cn.${zone}/A`, {
        zone,
        name: `cn.${zone}`,
        type: "A",
        content: "203.0.113.9",
        proxied: false,
        ttl: 1
      })
      yield* Fleet.up(target([cname, bucket("assets")]), runOptions())
      const { plan } = yield* Fleet.plan(target([a]), { refresh: true, targets: [a.key] })
      assert.deepStrictEqual(
        plan.actions.map((action) => [action._tag, action.key]),
        [
          ["Delete", cname.key],
          ["Create", a.key]
        ]
      )
    }).pipe(Effect.provide(world()))
  )

  it.effect("--target up creates only the targeted slice", () =>
    Effect.gen(function* () {
      yield* Fleet.up(target(web), runOptions({ targets: [serverKey("db")] }))
      assert.sameMembers([...(yield* cloudByKey).keys()], [diskKey("db"), serverKey("db")])
    }).pipe(Effect.provide(world()))
  )

  it.effect("an unknown target fails with UnknownTarget", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Fleet.plan(target(web), { refresh: true, targets: [serverKey("nope")] }))
      assert.strictEqual(error._tag, "UnknownTarget")
      if (error._tag === "UnknownTarget") assert.strictEqual(error.key, serverKey("nope"))
    }).pipe(Effect.provide(world()))
  )

  it.effect("a key the state holds for stage live, declared in dev, fails with StageConflict", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      const shared = [bucket("assets")]
      yield* Fleet.up(target(shared, "live"), runOptions())
      const error = yield* Effect.flip(Fleet.plan(target(shared, "dev"), { refresh: true }))
      assert.strictEqual(error._tag, "StageConflict")
      if (error._tag === "StageConflict") {
        assert.deepStrictEqual([error.key, error.stage, error.owner], [bucketKey("assets"), "dev", "live"])
      }
      const upError = yield* Effect.flip(Fleet.up(target(shared, "dev"), runOptions()))
      assert.strictEqual(upError._tag, "StageConflict")
      // Nothing was created for dev, nothing of live was touched.
      assert.strictEqual((yield* fake.resources).length, 1)
      yield* assertConverged(shared, "live")
    }).pipe(Effect.provide(world()))
  )
})

describe("Apply.run", () => {
  it.effect("without stopOnFailure: runs what does not depend on the failure, in dependency order", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      yield* fake.injectFault({ operation: "create", key: diskKey("web"), kind: "permanent" })
      const { plan, state } = yield* Fleet.plan(target(web), { refresh: true })
      const journal = yield* Apply.makeStateWriter(state)
      const all = Apply.steps(plan, State.resourcesOfStage(state, "dev"))
      const result = yield* Apply.run(journal, all, {
        project: "shop",
        stage: "dev",
        parallelism: 1,
        retry: Retry.defaultPolicy,
        stopOnFailure: false
      })
      assert.deepStrictEqual(
        result.failed.map((failure) => failure.step.key),
        [diskKey("web")]
      )
      assert.sameMembers(
        result.notStarted.map((step) => step.key),
        [serverKey("web"), dnsKey("www")]
      )
      const done = result.succeeded.map((entry) => entry.step.key)
      assert.sameMembers(done, [diskKey("db"), serverKey("db"), dnsKey("db"), bucketKey("assets")])
      // `succeeded` is in completion order: every dependency completed earlier.
      for (const [index, entry] of result.succeeded.entries()) {
        for (const dep of entry.step.action.dependsOn) assert.include(done.slice(0, index), dep)
      }
      const latest = yield* journal.latest
      assert.sameMembers(Object.keys(latest.resources), done)
      assert.deepStrictEqual(latest.pending, [])
      assert.deepStrictEqual(Option.getOrThrow(yield* (yield* State.StateStore).read), latest)
    }).pipe(Effect.provide(world()))
  )
})

describe("recovering from what happened in between", () => {
  // The server comes back on the restored disk, not on the id of the disk this run replaced.
  it.effect("rollback of a disk replacement restores the server on the restored disk", () =>
    Effect.gen(function* () {
      const before = [disk("web"), server("web"), dnsA("www", { server: "web" })]
      yield* Fleet.up(target(before), runOptions())
      const fake = yield* Fake.FakeCloud
      yield* fake.injectFault({ operation: "update", key: dnsKey("www"), kind: "permanent" })
      const after = [disk("web", { size: 40 }), server("web"), dnsA("www", { server: "web" })]
      const error = yield* Effect.flip(
        Fleet.up(target(after), runOptions({ onFailure: () => Effect.succeed("rollback") }))
      )
      if (error._tag !== "PartialApplyError") return assert.fail(`expected a PartialApplyError, got ${error._tag}`)
      assert.deepStrictEqual(
        error.failed.map((failure) => failure.step.id),
        [`update:${dnsKey("www")}`],
        "the rollback itself failed"
      )
      yield* fake.clearFaults
      // The server the rollback made on the restored disk has a new address; the record, whose update failed, catches up.
      const { plan } = yield* Fleet.plan(target(before), { refresh: true })
      assert.deepStrictEqual(
        plan.actions.filter((action) => action._tag !== "NoOp").map((action) => [action._tag, action.key]),
        [["Update", dnsKey("www")]]
      )
      yield* Fleet.up(target(before), runOptions())
      yield* assertConverged(before)
    }).pipe(Effect.provide(world()))
  )

  it.effect("down forgets a resource that was already deleted outside FleetFlow", () =>
    Effect.gen(function* () {
      const desired = [bucket("assets"), disk("web"), server("web")]
      yield* Fleet.up(target(desired), runOptions())
      const held = (yield* readState).resources[bucketKey("assets")]!
      const provider = yield* CloudProvider
      yield* provider.destroy({ project: "shop", stage: "dev" }, bucketKey("assets"), held)
      yield* Fleet.down(target(desired), runOptions())
      const fake = yield* Fake.FakeCloud
      assert.deepStrictEqual(yield* fake.resources, [])
      assert.deepStrictEqual([...State.resourcesOfStage(yield* readState, "dev").keys()], [])
    }).pipe(Effect.provide(world()))
  )
})
