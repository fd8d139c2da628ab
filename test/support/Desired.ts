/**
 * Builders for desired resources the fake clouds accept, a minimal fleet configuration,
 * an instrumented world (fake clouds + in-memory state) that logs every provider call and
 * every state write in one sequence, and an arbitrary of small random configurations.
 */
import { assert } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Config from "../../src/Config.js"
import * as Fake from "../../src/Fake.js"
import type * as Fleet from "../../src/Fleet.js"
import { CloudProvider, type CloudProviderService } from "../../src/Provider.js"
import {
  type DesiredResource,
  type Inputs,
  isReference,
  type Json,
  makeKey,
  providerOf,
  type ResourceKey,
  type ResourceType,
  reference
} from "../../src/Resource.js"
import * as Retry from "../../src/Retry.js"
import { ownerOf } from "../../src/Sandbox.js"
import * as State from "../../src/State.js"

export const project = "shop"
export const zone = "example.com"

// ---------------------------------------------------------------------------------------------
// Configuration and options
// ---------------------------------------------------------------------------------------------

/** Millisecond delays, so a transient fault costs nothing under the live clock either. */
export const fastRetry: Retry.RetryPolicy = {
  maxAttempts: 3,
  initialDelay: Duration.millis(1),
  maxDelay: Duration.millis(5),
  multiplier: 2
}

export const config = (retry: Retry.RetryPolicy = Retry.defaultPolicy): Config.FleetConfig => ({
  file: "/nowhere/fleet.kdl",
  directory: "/nowhere",
  project,
  kdlVersion: 2,
  providers: {},
  retry,
  state: { backend: "local" },
  stages: ["dev", "live"],
  definitions: new Map()
})

export const target = (
  desired: ReadonlyArray<DesiredResource>,
  stage = "dev",
  retry: Retry.RetryPolicy = Retry.defaultPolicy
): Fleet.Target => ({ config: config(retry), stage, desired })

export const runOptions = (overrides: Partial<Fleet.RunOptions<never>> = {}): Fleet.RunOptions<never> => ({
  parallelism: 4,
  refresh: true,
  confirm: () => Effect.succeed(true),
  onFailure: () => Effect.succeed("abort"),
  ...overrides
})

// ---------------------------------------------------------------------------------------------
// Desired resources
// ---------------------------------------------------------------------------------------------

export const resource = (
  type: ResourceType,
  name: string,
  inputs: Inputs,
  dependsOn: ReadonlyArray<ResourceKey> = []
): DesiredResource => ({
  key: makeKey(type, name),
  provider: providerOf[type],
  type,
  name,
  inputs,
  dependsOn
})

export const diskKey = (name: string) => makeKey("disk", name)
export const serverKey = (name: string) => makeKey("server", name)
export const dnsKey = (host: string) => makeKey("dns", `${host}.${zone}/A`)
export const bucketKey = (name: string) => makeKey("r2", name)

export const disk = (name: string, inputs: Inputs = {}): DesiredResource =>
  resource("disk", name, { zone: "tk1a", size: 20, plan: "ssd", connection: "virtio", os: "ubuntu-24.04", ...inputs })

/** A server on the disk of the same name, in the disk's zone. */
export const server = (name: string, inputs: Inputs = {}): DesiredResource =>
  resource(
    "server",
    name,
    {
      zone: "tk1a",
      core: 1,
      memory: 2,
      commitment: "standard",
      status: "up",
      disk: reference(diskKey(name), "id"),
      ...inputs
    },
    [diskKey(name)]
  )

/** `<host>.example.com` A, pointing at a server's address or at a fixed one. */
export const dnsA = (host: string, to: { readonly server: string } | { readonly ip: string }): DesiredResource => {
  const fqdn = `${host}.${zone}`
  const content: Json = "server" in to ? reference(serverKey(to.server), "ip") : to.ip
  return resource(
    "dns",
    `${fqdn}/A`,
    { zone, name: fqdn, type: "A", content, proxied: false, ttl: 1 },
    "server" in to ? [serverKey(to.server)] : []
  )
}

export const bucket = (name: string, inputs: Inputs = {}): DesiredResource =>
  resource("r2", name, { name, location: "APAC", ...inputs })

// ---------------------------------------------------------------------------------------------
// An instrumented world
// ---------------------------------------------------------------------------------------------

export type ProviderOperation = "create" | "update" | "delete" | "read"

export type Event =
  | {
      readonly _tag: "CallStart"
      readonly operation: ProviderOperation
      readonly key: ResourceKey
      /** Which provider call: a create's call also makes what comes along with it (a server's new disk). */
      readonly call: number
    }
  | {
      readonly _tag: "CallEnd"
      readonly operation: ProviderOperation
      readonly key: ResourceKey
      readonly call: number
      readonly ok: boolean
    }
  | { readonly _tag: "Write"; readonly state: State.StateFile }

export interface RecorderService {
  /** Provider calls and state writes, in the order they happened. */
  readonly events: Effect.Effect<ReadonlyArray<Event>>
  /** The most provider calls that were in flight at once. */
  readonly maxInFlight: Effect.Effect<number>
  readonly reset: Effect.Effect<void>
}

export class Recorder extends Context.Tag("test/Recorder")<Recorder, RecorderService>() {}

export interface WorldOptions {
  readonly fake?: Fake.FakeOptions
  /** Extra time a provider call takes before it reaches the fake, by key (live tests). */
  readonly delay?: ((key: ResourceKey) => Duration.Duration) | undefined
}

/**
 * The fake clouds and an in-memory state, each wrapped to log into one `Recorder`:
 * the real fake answers every call, the real memory store every write.
 */
export const world = (
  options: WorldOptions = {}
): Layer.Layer<CloudProvider | Fake.FakeCloud | State.StateStore | Recorder> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const inner = yield* CloudProvider
      const fake = yield* Fake.FakeCloud
      const store = yield* State.makeMemory()
      const log = yield* Ref.make<ReadonlyArray<Event>>([])
      const inFlight = yield* Ref.make(0)
      const most = yield* Ref.make(0)
      const append = (event: Event) => Ref.update(log, (events) => [...events, event])

      let calls = 0
      /** One call, logged for each key it works on: a create's call also makes what comes `along` with it. */
      const observe = <A, E>(
        operation: ProviderOperation,
        key: ResourceKey,
        effect: Effect.Effect<A, E>,
        along: ReadonlyArray<ResourceKey> = []
      ) =>
        Effect.suspend(() => {
          const call = ++calls
          const keys = [...along, key]
          return Effect.gen(function* () {
            for (const each of keys) yield* append({ _tag: "CallStart", operation, key: each, call })
            const now = yield* Ref.updateAndGet(inFlight, (n) => n + 1)
            yield* Ref.update(most, (m) => Math.max(m, now))
            const delay = options.delay?.(key)
            if (delay !== undefined) yield* Effect.sleep(delay)
            return yield* effect
          }).pipe(
            Effect.onExit((exit) =>
              Ref.update(inFlight, (n) => n - 1).pipe(
                Effect.zipRight(
                  Effect.forEach(
                    keys,
                    (each) => append({ _tag: "CallEnd", operation, key: each, call, ok: exit._tag === "Success" }),
                    { discard: true }
                  )
                )
              )
            )
          )
        })

      const provider: CloudProviderService = {
        ...inner,
        getState: (scope, resources, declared) =>
          observe("read", [...resources.keys()].join(","), inner.getState(scope, resources, declared)),
        apply: (request) =>
          observe(
            request.operation,
            request.key,
            inner.apply(request),
            (request.along ?? []).map((made) => made.key)
          ),
        destroy: (scope, key, stored) => observe("delete", key, inner.destroy(scope, key, stored))
      }
      const writeChanges = store.writeChanges
      const state: State.StateStoreService = {
        ...store,
        write: (next) => Effect.tap(store.write(next), (written) => append({ _tag: "Write", state: written })),
        // The engine hands the store what changed: each such write is recorded as the state it left.
        ...(writeChanges === undefined
          ? {}
          : {
              writeChanges: (from: State.StateVersion, changes: State.StateChanges) =>
                Effect.tap(writeChanges(from, changes), () =>
                  Effect.flatMap(store.read, (written) => append({ _tag: "Write", state: Option.getOrThrow(written) }))
                )
            })
      }
      const recorder: RecorderService = {
        events: Ref.get(log),
        maxInFlight: Ref.get(most),
        reset: Effect.all([Ref.set(log, []), Ref.set(most, 0)], { discard: true })
      }
      return Context.make(CloudProvider, provider).pipe(
        Context.add(Fake.FakeCloud, fake),
        Context.add(State.StateStore, state),
        Context.add(Recorder, recorder)
      )
    })
  ).pipe(Layer.provide(Fake.layer(options.fake)))

// ---------------------------------------------------------------------------------------------
// Reading the outcome
// ---------------------------------------------------------------------------------------------

/** The key a fake-cloud resource was created for, from its ownership tags. */
export const keyOf = (resource: Fake.CloudResource): ResourceKey => makeKey(resource.type, ownerOf(resource).name ?? "")

/** What the fake clouds hold, by the key each resource was created for. */
export const cloudByKey = Effect.gen(function* () {
  const fake = yield* Fake.FakeCloud
  const resources = yield* fake.resources
  const byKey = new Map(resources.map((item) => [keyOf(item), item] as const))
  assert.strictEqual(byKey.size, resources.length, "two cloud resources were created for the same key")
  return byKey as ReadonlyMap<ResourceKey, Fake.CloudResource>
})

export const readState = Effect.gen(function* () {
  const store = yield* State.StateStore
  return Option.getOrElse(yield* store.read, () => State.emptyState(project))
})

/** A desired value with its references replaced by what the fake clouds hold. */
export const resolveIn = (value: Json, cloud: ReadonlyMap<ResourceKey, Fake.CloudResource>): Json => {
  if (isReference(value)) {
    const held = cloud.get(value.$ref)
    assert.isDefined(held, `nothing in the cloud for ${value.$ref}`)
    const found = value.attribute === "id" ? held!.id : held!.attributes[value.attribute]
    assert.isDefined(found, `${value.$ref} has no ${value.attribute}`)
    return found!
  }
  if (Array.isArray(value)) return value.map((item: Json) => resolveIn(item, cloud))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([field, item]) => [field, resolveIn(item as Json, cloud)]))
  }
  return value
}

/** The cloud shows `inputs` for every field it reports (it does not report all: a disk's OS, a server's disk). */
const assertHolds = (held: Fake.CloudResource, inputs: Json, key: ResourceKey) => {
  const declared = inputs as Inputs
  const shown = Object.keys(held.inputs).filter((field) => field in declared)
  assert.deepStrictEqual(
    Object.fromEntries(shown.map((field) => [field, held.inputs[field]])),
    Object.fromEntries(shown.map((field) => [field, declared[field]])),
    `cloud inputs of ${key}`
  )
}

/**
 * The fake clouds and the state hold exactly `desired` for `stage`: every key, with the
 * desired inputs (references resolved against the cloud), the same ids, nothing else, no
 * pending operation left.
 */
export const assertConverged = (desired: ReadonlyArray<DesiredResource>, stage = "dev") =>
  Effect.gen(function* () {
    const cloud = yield* cloudByKey
    const state = yield* readState
    const wanted = desired.map((item) => item.key).sort()
    assert.deepStrictEqual([...cloud.keys()].sort(), wanted, "the cloud holds other keys than desired")
    assert.deepStrictEqual(
      [...State.resourcesOfStage(state, stage).keys()].sort(),
      wanted,
      "the state holds other keys than desired"
    )
    assert.deepStrictEqual(state.pending, [])
    for (const item of desired) {
      const held = cloud.get(item.key)!
      const stored = state.resources[item.key]!
      const inputs = resolveIn(item.inputs, cloud)
      assertHolds(held, inputs, item.key)
      assert.deepStrictEqual(stored.inputs, inputs, `state inputs of ${item.key}`)
      assert.strictEqual(stored.id, held.id, `state id of ${item.key}`)
      assert.strictEqual(stored.stage, stage)
      // Cloudflare keeps no tags: the fake's account belongs to the project, and names the key alone.
      const owner = item.provider === "cloudflare" ? { name: item.name } : { project, stage, name: item.name }
      assert.deepStrictEqual(ownerOf(held), owner)
    }
  })

// ---------------------------------------------------------------------------------------------
// Random configurations
// ---------------------------------------------------------------------------------------------

export interface SlotSpec {
  readonly zone: "tk1a" | "is1a"
  readonly size: 20 | 40 | 100
  /** A server on this slot's disk; without it the disk stands alone. */
  readonly server: { readonly memory: 1 | 2 | 4 | 8; readonly core: 1 | 2 } | undefined
}

export interface Spec {
  /** Slot `i` is disk `node-i` and maybe server `node-i`; fixed names make A→B transitions meet. */
  readonly slots: ReadonlyArray<SlotSpec | undefined>
  readonly records: ReadonlyArray<{ readonly host: string; readonly slot: number | undefined }>
  readonly buckets: ReadonlyArray<{ readonly name: string; readonly location: string }>
}

const slotArbitrary: FastCheck.Arbitrary<SlotSpec> = FastCheck.record({
  zone: FastCheck.constantFrom("tk1a" as const, "is1a" as const),
  size: FastCheck.constantFrom(20 as const, 40 as const, 100 as const),
  server: FastCheck.option(
    FastCheck.record({
      memory: FastCheck.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
      core: FastCheck.constantFrom(1 as const, 2 as const)
    }),
    { nil: undefined, freq: 4 }
  )
})

export const specArbitrary: FastCheck.Arbitrary<Spec> = FastCheck.record({
  slots: FastCheck.array(FastCheck.option(slotArbitrary, { nil: undefined }), { minLength: 8, maxLength: 8 }),
  records: FastCheck.uniqueArray(
    FastCheck.record({
      host: FastCheck.constantFrom("www", "api", "app", "db", "mail"),
      slot: FastCheck.option(FastCheck.nat(7), { nil: undefined, freq: 4 })
    }),
    { selector: (record) => record.host, maxLength: 4 }
  ),
  buckets: FastCheck.uniqueArray(
    FastCheck.record({
      name: FastCheck.constantFrom("assets", "logs", "media", "backup"),
      location: FastCheck.constantFrom("APAC", "WNAM", "WEUR")
    }),
    { selector: (item) => item.name, maxLength: 3 }
  )
})

export const slotName = (index: number) => `node-${index}`

/** The desired resources of a spec; a record aimed at a slot without a server gets a fixed address. */
export const toDesired = (spec: Spec): ReadonlyArray<DesiredResource> => {
  const result: Array<DesiredResource> = []
  spec.slots.forEach((slot, index) => {
    if (slot === undefined) return
    const name = slotName(index)
    result.push(disk(name, { zone: slot.zone, size: slot.size }))
    if (slot.server !== undefined) {
      result.push(server(name, { zone: slot.zone, memory: slot.server.memory, core: slot.server.core }))
    }
  })
  for (const record of spec.records) {
    const slot = record.slot === undefined ? undefined : spec.slots[record.slot]
    result.push(
      slot?.server !== undefined && record.slot !== undefined
        ? dnsA(record.host, { server: slotName(record.slot) })
        : dnsA(record.host, { ip: "198.51.100.7" })
    )
  }
  for (const item of spec.buckets) result.push(bucket(item.name, { location: item.location }))
  return result
}
