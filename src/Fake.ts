/**
 * Fake clouds for tests: the sandbox's composition in memory — the real Sakura and Cloudflare
 * providers over the usacloud and Cloudflare API simulators, Workers and Pages deployed by
 * wrangler's calls made in process — with a `FakeCloud` service to look inside, see the calls
 * made, and inject faults.
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
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as CloudflareSimulator from "./Cloudflare/Simulator.js"
import { CloudProvider } from "./Provider.js"
import * as SakuraSimulator from "./Sakura/Simulator.js"
import type { Output as UsacloudOutput } from "./Sakura/Transport.js"
import * as CloudflareApi from "./Sandbox/CloudflareApi.js"
import type { Call } from "./Sandbox/FaultInjection.js"
import type { FaultRule } from "./Sandbox/Faults.js"
import type { SandboxOptions } from "./Sandbox/Options.js"
import * as Providers from "./Sandbox/Providers.js"
import * as Store from "./Sandbox/Store.js"
import * as Usacloud from "./Sandbox/Usacloud.js"

export type { Call } from "./Sandbox/FaultInjection.js"
export { FaultRule } from "./Sandbox/Faults.js"
export { CloudResource } from "./Sandbox/Store.js"

export interface FakeCloudService {
  /** What the fake clouds hold now. */
  readonly resources: Effect.Effect<ReadonlyArray<Store.CloudResource>>
  /** Every call made so far, in order; a batched read logs one `read` per key. */
  readonly calls: Effect.Effect<ReadonlyArray<Call>>
  /** The requests the Cloudflare API simulator has answered, in the order it answered them. */
  readonly cloudflareRequests: Effect.Effect<ReadonlyArray<CloudflareSimulator.RequestEntry>>
  /**
   * A change made outside FleetFlow, as the dashboard or another tool would make it: one request to
   * the Cloudflare API (`path` below `/client/v4`), with the account's token; `zones` exist first.
   */
  readonly cloudflareApi: (request: OutsideRequest) => Effect.Effect<CloudflareSimulator.SimulatorResponse>
  /** A change made outside FleetFlow, as an operator would make it: one usacloud run (`args` without `usacloud`). */
  readonly usacloud: (args: ReadonlyArray<string>) => Effect.Effect<UsacloudOutput>
  readonly injectFault: (rule: FaultRule) => Effect.Effect<void>
  /** Removes every fault rule and forgets how often they fired. */
  readonly clearFaults: Effect.Effect<void>
}

export interface OutsideRequest {
  readonly method: string
  readonly path: string
  readonly body?: unknown
  readonly zones?: ReadonlyArray<string> | undefined
}

export class FakeCloud extends Context.Tag("fleetflow/FakeCloud")<FakeCloud, FakeCloudService>() {}

export interface FakeOptions extends SandboxOptions {
  /** What the clouds hold at the start: the simulators' documents (a usacloud cloud, a Cloudflare account). */
  readonly initial?: {
    readonly usacloud?: Partial<SakuraSimulator.SimulatorDocument>
    readonly cloudflare?: Partial<CloudflareSimulator.CloudflareDocument>
  }
}

/** A fresh pair of fake clouds, providing `CloudProvider` and `FakeCloud`. */
export const layer = (options: FakeOptions = {}): Layer.Layer<CloudProvider | FakeCloud> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const usacloud = yield* SakuraSimulator.memoryStore(options.initial?.usacloud)
      const cloudflare = yield* CloudflareSimulator.memoryStore(options.initial?.cloudflare)
      const counts = yield* Store.memory()
      const faults = yield* Ref.make<ReadonlyArray<FaultRule>>(options.faults ?? [])
      // Appended in place, read as a copy: a refresh of 10,000 resources records 10,000 reads.
      const calls: Array<Call> = []
      const provider = yield* Providers.make(
        {
          usacloud,
          cloudflare,
          wrangler: yield* CloudflareApi.inProcessWrangler(cloudflare, fs, options),
          fs,
          faults: {
            store: counts,
            faults: Ref.get(faults),
            record: (call) =>
              Effect.sync(() => {
                calls.push(call)
              })
          }
        },
        options
      )
      const fake = FakeCloud.of({
        // Memory stores cannot fail.
        resources: Effect.orDie(
          Effect.map(
            Effect.all([Usacloud.inspect(usacloud), CloudflareApi.inspect(cloudflare)]),
            ([sakura, cloudflare]) => [...sakura, ...cloudflare]
          )
        ),
        calls: Effect.sync(() => calls.slice()),
        cloudflareRequests: Effect.orDie(CloudflareSimulator.requests(cloudflare)),
        cloudflareApi: (request) =>
          Effect.orDie(
            CloudflareSimulator.handle(
              {
                method: request.method,
                url: `/client/v4${request.path}`,
                headers: { authorization: `Bearer ${CloudflareApi.token}`, "content-type": "application/json" },
                body: request.body === undefined ? undefined : JSON.stringify(request.body)
              },
              cloudflare,
              { token: CloudflareApi.token, accountId: CloudflareApi.accountId, zones: request.zones ?? [] }
            )
          ),
        usacloud: (args) => Effect.orDie(SakuraSimulator.run(args, {}, usacloud)),
        injectFault: (rule) => Ref.update(faults, (rules) => [...rules, rule]),
        clearFaults: Effect.zipRight(
          Ref.set(faults, []),
          counts.modify((document) => Effect.succeed([undefined, { ...document, faults: {} }] as const))
        )
      })
      return Context.make(CloudProvider, provider).pipe(Context.add(FakeCloud, fake))
    })
  ).pipe(Layer.provide(NodeFileSystem.layer))
