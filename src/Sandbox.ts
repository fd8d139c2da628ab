/**
 * The sandbox: simulated Sakura Cloud and Cloudflare behind one `CloudProvider`, kept in
 * `<config dir>/.fleetflow/sandbox/` for `--sandbox`. Its Sakura half is the real Sakura
 * provider over the usacloud simulator (`usacloud.json`); its Cloudflare half is the real
 * Cloudflare provider over the Cloudflare API simulator (`cloudflare-api.json`), with Workers
 * and Pages deployed by the real wrangler. `cloud.json` keeps the fault rules' counts. The fakes
 * (`Fake.layer()`) are the same composition in memory.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodePath from "node:path"
import * as CloudflareSimulator from "./Cloudflare/Simulator.js"
import { CloudProvider } from "./Provider.js"
import * as SakuraSimulator from "./Sakura/Simulator.js"
import * as CloudflareApi from "./Sandbox/CloudflareApi.js"
import type { SandboxOptions } from "./Sandbox/Options.js"
import * as Providers from "./Sandbox/Providers.js"
import * as Store from "./Sandbox/Store.js"
import * as Usacloud from "./Sandbox/Usacloud.js"

export type { Call } from "./Sandbox/FaultInjection.js"
export { FaultKind, FaultRule, FaultSpec, format as formatFault, Operation } from "./Sandbox/Faults.js"
export { DurationSpec, optionsFromEnv, type SandboxOptions, SandboxOptionsError } from "./Sandbox/Options.js"
export { ownerOf } from "./Sandbox/Ownership.js"
export { CloudResource, type CloudStore, SandboxStoreError } from "./Sandbox/Store.js"

/** The store of the fault rules' counts inside a sandbox folder. */
export const storePath = (directory: string): string => NodePath.join(directory, "cloud.json")

/** The simulated Sakura Cloud's store (the usacloud simulator's) inside a sandbox folder. */
export const usacloudStorePath = Usacloud.storePath

/** The simulated Cloudflare API's store inside a sandbox folder. */
export const cloudflareApiStorePath = CloudflareApi.storePath

/** Where wrangler's logs are kept for the sandbox in `directory`. */
export const wranglerLogPath = (directory: string): string => NodePath.join(directory, "logs", "wrangler")

/**
 * The sandbox provider over the clouds in `directory` (e.g. `<config dir>/.fleetflow/sandbox`):
 * the real Sakura provider over the usacloud simulator and the real Cloudflare provider over
 * the Cloudflare API simulator, Workers and Pages through the real wrangler.
 */
export const layer = (
  directory: string,
  options: SandboxOptions = {}
): Layer.Layer<CloudProvider, never, FileSystem.FileSystem | CommandExecutor.CommandExecutor> =>
  Layer.scoped(
    CloudProvider,
    Effect.gen(function* () {
      const simulated: SandboxOptions = { ...options, log: options.log ?? false }
      const fs = yield* FileSystem.FileSystem
      // Each file is opened once: the wrangler server and the provider change it through one store.
      const cloudflare = yield* CloudflareSimulator.fileStore(CloudflareApi.storePath(directory))
      const clouds: Providers.Clouds = {
        usacloud: yield* SakuraSimulator.fileStore(Usacloud.storePath(directory)),
        cloudflare,
        wrangler: yield* CloudflareApi.realWrangler(cloudflare, wranglerLogPath(directory), simulated),
        fs,
        faults: {
          store: yield* Store.file(storePath(directory)),
          faults: Effect.succeed(options.faults ?? []),
          record: () => Effect.void
        }
      }
      return yield* Providers.make(clouds, simulated)
    })
  )

/** Everything the sandbox clouds in `directory` hold. */
export const inspect = (
  directory: string
): Effect.Effect<ReadonlyArray<Store.CloudResource>, Store.SandboxStoreError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const sakura = yield* Usacloud.inspect(yield* SakuraSimulator.fileStore(Usacloud.storePath(directory)))
    const cloudflare = yield* CloudflareApi.inspect(
      yield* CloudflareSimulator.fileStore(CloudflareApi.storePath(directory))
    )
    return [...sakura, ...cloudflare]
  })
