import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { estimate, remainingPaths } from "../src/Apply/CriticalPath.js"
import * as Slots from "../src/Apply/Slots.js"
import type { Step } from "../src/Apply.js"
import * as Fleet from "../src/Fleet.js"
import { Create } from "../src/Plan.js"
import { type DesiredResource, makeKey, type ResourceKey } from "../src/Resource.js"
import {
  bucket,
  disk,
  diskKey,
  dnsA,
  type Event,
  Recorder,
  runOptions,
  server,
  serverKey,
  target,
  world
} from "./support/Desired.js"

/** A chain of `length` buckets, each waiting for the one before it. */
const chain = (prefix: string, length: number) => {
  const links: Array<DesiredResource> = []
  for (let index = 0; index < length; index++) {
    const before = links[index - 1]
    links.push({ ...bucket(`${prefix}-${index}`), dependsOn: before === undefined ? [] : [before.key] })
  }
  return links
}

const createsStarted = (events: ReadonlyArray<Event>) =>
  events.flatMap((event) => (event._tag === "CallStart" && event.operation === "create" ? [event.key] : []))

const r2 = (name: string) => makeKey("r2", name)

/** Every create takes `seconds` of the test clock; reads take none. */
const timedWorld = (desired: ReadonlyArray<DesiredResource>, seconds: number) => {
  const keys = new Set<ResourceKey>(desired.map((item) => item.key))
  return world({ delay: (key) => (keys.has(key) ? Duration.seconds(seconds) : Duration.zero) })
}

/** A create step of `key` the engine would run after `after`; only its key and order matter here. */
const step = (key: ResourceKey, after: ReadonlyArray<string> = []): Step => ({
  id: `create:${key}`,
  operation: "create",
  key,
  action: new Create({ key, provider: "cloudflare", type: "r2", name: key, inputs: {}, dependsOn: [], changes: [] }),
  after
})

describe("critical path first", () => {
  // Four independent buckets sort before a chain of four: in the plan's order they queue first.
  const independent = ["a-0", "a-1", "a-2", "a-3"].map((name) => bucket(name))
  const links = chain("z", 4)
  const desired = [...independent, ...links]

  it.effect("with 2 slots, a chain that sorts last starts first and the up takes its critical path", () =>
    Effect.gen(function* () {
      const recorder = yield* Recorder
      const fiber = yield* Effect.fork(
        Effect.zipRight(Fleet.up(target(desired), runOptions({ parallelism: 2 })), Clock.currentTimeMillis)
      )
      yield* TestClock.adjust("1 minute")
      const finishedAt = yield* Fiber.join(fiber)
      // Four links of a second each, the independent buckets beside them: 4 s, where starting the
      // independent ones first (as queued) left the chain alone for its last 4 s, 6 s in all.
      assert.strictEqual(finishedAt, 4000)
      const started = createsStarted(yield* recorder.events)
      for (let link = 0; link < 4; link++) {
        assert.include(started.slice(2 * link, 2 * link + 2), r2(`z-${link}`), `z-${link} starts in round ${link + 1}`)
      }
    }).pipe(Effect.provide(timedWorld(desired, 1)))
  )
})

describe("the estimate of a step", () => {
  const web = [bucket("assets"), disk("web"), server("web"), dnsA("www", { server: "web" })]

  it.effect("with 1 slot, the disk and the server's boot go before a bucket the plan lists first", () =>
    Effect.gen(function* () {
      const recorder = yield* Recorder
      yield* Fleet.up(target(web), runOptions({ parallelism: 1 }))
      const started = createsStarted(yield* recorder.events)
      assert.deepStrictEqual(started.slice(0, 2), [diskKey("web"), serverKey("web")])
      assert.strictEqual(started.length, 4)
    }).pipe(Effect.provide(world()))
  )
})

describe("the remaining path of a step", () => {
  it("a server's create (its boot) outweighs a chain of three single API calls", () => {
    const disk = step(makeKey("disk", "web"))
    const server = step(makeKey("server", "web"), [disk.id])
    const record = step(makeKey("dns", "www.example.com/A"), [server.id])
    const first = step(r2("b-0"))
    const second = step(r2("b-1"), [first.id])
    const third = step(r2("b-2"), [second.id])
    const paths = remainingPaths([third, second, first, record, server, disk])
    assert.strictEqual(paths.get(third.id), 1)
    assert.strictEqual(paths.get(first.id), 3)
    assert.strictEqual(paths.get(record.id), 1)
    assert.strictEqual(paths.get(server.id), estimate(server) + 1)
    assert.strictEqual(paths.get(disk.id), estimate(disk) + estimate(server) + 1)
    assert.isAbove(paths.get(disk.id)!, paths.get(first.id)!)
  })

  it("a step two paths wait for counts the longer one", () => {
    const root = step(r2("root"))
    const short = step(r2("short"), [root.id])
    const long = step(makeKey("server", "long"), [root.id])
    const paths = remainingPaths([short, long, root])
    assert.strictEqual(paths.get(root.id), 1 + estimate(long))
  })
})

describe("the slots", () => {
  it.effect("with one slot, ready steps run by their remaining path, the earliest queued first among equals", () =>
    Effect.gen(function* () {
      const weights = [3, 9, 1, 9, 4, 7, 2, 7, 5, 0, 8, 6, 3, 1]
      const steps = weights.map((_, index) => step(r2(`s${index}`)))
      const priorities = new Map(steps.map((item, index) => [item.id, weights[index]!]))
      const slots = yield* Slots.make(steps, 1, priorities, new Set())
      const ran: Array<string> = []
      yield* Effect.forEach(
        steps,
        (item) =>
          slots.withSlot(
            item,
            Effect.sync(() => ran.push(item.id))
          ),
        {
          concurrency: "unbounded",
          discard: true
        }
      )
      const expected = steps
        .map((item, index) => ({ id: item.id, weight: weights[index]!, index }))
        .sort((a, b) => b.weight - a.weight || a.index - b.index)
        .map((item) => item.id)
      assert.deepStrictEqual(ran, expected)
    })
  )
})
