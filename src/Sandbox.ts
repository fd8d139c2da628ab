/**
 * The sandbox: simulated Sakura Cloud and Cloudflare behind one `CloudProvider`, kept in
 * `<config dir>/.fleetflow/sandbox/` for `--sandbox`. Its Sakura half is the real Sakura
 * provider over the usacloud simulator (`usacloud.json`); its Cloudflare half is the real
 * Cloudflare provider over the Cloudflare API simulator (`cloudflare-api.json`), with Workers
 * and Pages deployed by the real wrangler. `cloud.json` keeps the fault rules' counts.
 * `make` (both halves simulated in memory, in one store) backs the fakes.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodePath from "node:path"
import { CloudProvider, type CloudProviderService, combineServices } from "./Provider.js"
import * as Cloudflare from "./Sandbox/Cloudflare.js"
import * as CloudflareApi from "./Sandbox/CloudflareApi.js"
import type { SandboxOptions } from "./Sandbox/Options.js"
import * as Sakura from "./Sandbox/Sakura.js"
import { type Runtime, withFaults } from "./Sandbox/Simulation.js"
import * as Store from "./Sandbox/Store.js"
import * as Usacloud from "./Sandbox/Usacloud.js"

export { FaultKind, FaultRule, FaultSpec, format as formatFault, Operation } from "./Sandbox/Faults.js"
export { DurationSpec, optionsFromEnv, type SandboxOptions, SandboxOptionsError } from "./Sandbox/Options.js"
export { type Call, ownerOf, replaceFieldsByType } from "./Sandbox/Simulation.js"
export { CloudResource, type CloudStore, SandboxStoreError } from "./Sandbox/Store.js"

/** The store of the fault rules' counts (and of the fakes' simulated clouds) inside a sandbox folder. */
export const storePath = (directory: string): string => NodePath.join(directory, "cloud.json")

/** Where the fakes hook into the simulation. */
export interface Hooks {
  /** The fault rules in force; default: `options.faults`. */
  readonly faults?: Runtime["faults"]
  readonly record?: Runtime["record"]
}

const runtimeOf = (store: Store.CloudStore, options: SandboxOptions, hooks: Hooks): Runtime => ({
  store,
  latency: options.latency ?? Duration.zero,
  bootTime: options.bootTime ?? Duration.zero,
  faults: hooks.faults ?? Effect.succeed(options.faults ?? []),
  record: hooks.record ?? (() => Effect.void)
})

/** Both clouds simulated over `store`, as one provider named "sandbox" (what the fakes run on). */
export const make = (
  store: Store.CloudStore,
  options: SandboxOptions = {},
  hooks: Hooks = {}
): CloudProviderService => {
  const runtime = runtimeOf(store, options, hooks)
  return { ...combineServices([Sakura.make(runtime), Cloudflare.make(runtime)]), name: "sandbox" }
}

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
      const fs = yield* FileSystem.FileSystem
      const runtime = runtimeOf(Store.file(fs, storePath(directory)), options, {})
      const sakura = withFaults(yield* Usacloud.provider(Usacloud.storePath(directory), options), runtime)
      const cloudflare = withFaults(
        yield* CloudflareApi.provider(CloudflareApi.storePath(directory), wranglerLogPath(directory), options),
        runtime
      )
      return { ...combineServices([sakura, cloudflare]), name: "sandbox" }
    })
  )

/** Everything the sandbox clouds in `directory` hold. */
export const inspect = (
  directory: string
): Effect.Effect<ReadonlyArray<Store.CloudResource>, Store.SandboxStoreError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const document = yield* Store.file(fs, storePath(directory)).load
    const sakura = yield* Usacloud.inspect(Usacloud.storePath(directory))
    const cloudflare = yield* CloudflareApi.inspect(CloudflareApi.storePath(directory))
    return [...sakura, ...cloudflare, ...Store.resourcesOf(document)]
  })
