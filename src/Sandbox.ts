/**
 * The sandbox: simulated Sakura Cloud and Cloudflare clouds behind one `CloudProvider`,
 * kept in `<config dir>/.fleetflow/sandbox/cloud.json` for `--sandbox`. The two clouds
 * are separate provider services over one store, so either half can later give way to
 * the real provider over a simulated transport.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodePath from "node:path"
import { CloudProvider, type CloudProviderService, combineServices } from "./Provider.js"
import * as Cloudflare from "./Sandbox/Cloudflare.js"
import type { SandboxOptions } from "./Sandbox/Options.js"
import * as Sakura from "./Sandbox/Sakura.js"
import type { Runtime } from "./Sandbox/Simulation.js"
import * as Store from "./Sandbox/Store.js"

export { FaultKind, FaultRule, FaultSpec, format as formatFault, Operation } from "./Sandbox/Faults.js"
export { DurationSpec, optionsFromEnv, type SandboxOptions, SandboxOptionsError } from "./Sandbox/Options.js"
export { type Call, ownerOf, replaceFieldsByType } from "./Sandbox/Simulation.js"
export { CloudResource, type CloudStore, SandboxStoreError } from "./Sandbox/Store.js"

/** The store file inside a sandbox folder. */
export const storePath = (directory: string): string => NodePath.join(directory, "cloud.json")

/** Where the fakes hook into the simulation. */
export interface Hooks {
  /** The fault rules in force; default: `options.faults`. */
  readonly faults?: Runtime["faults"]
  readonly record?: Runtime["record"]
}

/** Both simulated clouds over `store`, as one provider named "sandbox". */
export const make = (
  store: Store.CloudStore,
  options: SandboxOptions = {},
  hooks: Hooks = {}
): CloudProviderService => {
  const runtime: Runtime = {
    store,
    latency: options.latency ?? Duration.zero,
    bootTime: options.bootTime ?? Duration.zero,
    faults: hooks.faults ?? Effect.succeed(options.faults ?? []),
    record: hooks.record ?? (() => Effect.void)
  }
  return { ...combineServices([Sakura.make(runtime), Cloudflare.make(runtime)]), name: "sandbox" }
}

/** The sandbox provider over the cloud store in `directory` (e.g. `<config dir>/.fleetflow/sandbox`). */
export const layer = (
  directory: string,
  options: SandboxOptions = {}
): Layer.Layer<CloudProvider, never, FileSystem.FileSystem> =>
  Layer.effect(
    CloudProvider,
    Effect.map(FileSystem.FileSystem, (fs) => make(Store.file(fs, storePath(directory)), options))
  )

/** Everything the sandbox cloud in `directory` holds. */
export const inspect = (
  directory: string
): Effect.Effect<ReadonlyArray<Store.CloudResource>, Store.SandboxStoreError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const document = yield* Store.file(fs, storePath(directory)).load
    return Store.resourcesOf(document)
  })
