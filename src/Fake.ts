/**
 * Fake clouds for tests: the sandbox's simulated Sakura Cloud and Cloudflare in memory,
 * with a `FakeCloud` service to look inside, see the calls made, and inject faults.
 *
 * ```ts
 * const program = Effect.gen(function* () {
 *   const provider = yield* CloudProvider
 *   yield* provider.apply(request)
 *   const fake = yield* FakeCloud
 *   assert.strictEqual((yield* fake.resources).length, 1)
 * }).pipe(Effect.provide(Fake.layer()))
 * ```
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { CloudProvider } from "./Provider.js"
import * as Sandbox from "./Sandbox.js"
import type { FaultRule } from "./Sandbox/Faults.js"
import type { SandboxOptions } from "./Sandbox/Options.js"
import type { Call } from "./Sandbox/Simulation.js"
import * as Store from "./Sandbox/Store.js"

export type { Call } from "./Sandbox/Simulation.js"
export { CloudResource } from "./Sandbox/Store.js"
export { FaultRule } from "./Sandbox/Faults.js"

export interface FakeCloudService {
  /** What the fake clouds hold now. */
  readonly resources: Effect.Effect<ReadonlyArray<Store.CloudResource>>
  /** Every call made so far, in order; a batched read logs one `read` per key. */
  readonly calls: Effect.Effect<ReadonlyArray<Call>>
  readonly injectFault: (rule: FaultRule) => Effect.Effect<void>
  /** Removes every fault rule and forgets how often they fired. */
  readonly clearFaults: Effect.Effect<void>
}

export class FakeCloud extends Context.Tag("fleetflow/FakeCloud")<FakeCloud, FakeCloudService>() {}

export interface FakeOptions extends SandboxOptions {
  /** What the clouds hold at the start. */
  readonly initial?: ReadonlyArray<Store.CloudResource>
}

/** A fresh pair of fake clouds, providing `CloudProvider` and `FakeCloud`. */
export const layer = (options: FakeOptions = {}): Layer.Layer<CloudProvider | FakeCloud> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const store = yield* Store.memory(Store.fromResources(options.initial ?? []))
      const faults = yield* Ref.make<ReadonlyArray<FaultRule>>(options.faults ?? [])
      // Appended in place, read as a copy: a refresh of 10,000 resources records 10,000 reads.
      const calls: Array<Call> = []
      const provider = Sandbox.make(store, options, {
        faults: Ref.get(faults),
        record: (call) =>
          Effect.sync(() => {
            calls.push(call)
          })
      })
      const fake = FakeCloud.of({
        resources: Effect.map(store.load, (document) => Store.resourcesOf(document)),
        calls: Effect.sync(() => calls.slice()),
        injectFault: (rule) => Ref.update(faults, (rules) => [...rules, rule]),
        clearFaults: Effect.zipRight(
          Ref.set(faults, []),
          store.modify((document) => Effect.succeed([undefined, { ...document, faults: {} }] as const))
        )
      })
      return Context.make(CloudProvider, provider).pipe(Context.add(FakeCloud, fake))
    })
  )
