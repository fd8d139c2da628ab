/**
 * The providers of the real clouds, as the CLI runs them without `--sandbox`: Sakura Cloud
 * through the usacloud binary (`FLEETFLOW_USACLOUD`, else `usacloud` on PATH), and Cloudflare
 * through its REST API (`CLOUDFLARE_API_BASE_URL`, else the real one) and wrangler
 * (`FLEETFLOW_WRANGLER`, `wrangler` on PATH, else the project's own `node_modules`).
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as CloudflareProvider from "./Cloudflare/Provider.js"
import * as Wrangler from "./Cloudflare/Wrangler.js"
import { CloudProvider, type CloudProviderService, combineServices, ProviderError } from "./Provider.js"
import * as ProcessTransport from "./Sakura/ProcessTransport.js"
import * as SakuraProvider from "./Sakura/Provider.js"

export interface Settings {
  /** The usacloud profile: `profile` in the sakura-cloud provider block. */
  readonly profile?: string | undefined
  /** `account-id` in the cloudflare provider block. */
  readonly cloudflareAccountId?: string | undefined
  /** Where wrangler's debug logs are kept (e.g. `<config dir>/.fleetflow/logs/wrangler`). */
  readonly wranglerLogDirectory?: string | undefined
  /** `build-env` in the cloudflare provider block: variables wrangler and its builds get. */
  readonly cloudflareBuildEnv?: ReadonlyArray<string> | undefined
}

/**
 * `service`, checking first that `binary` can be run, when a call may need usacloud: a stage
 * without Sakura resources never asks for it.
 */
export const requireUsacloud = (service: CloudProviderService, binary: string): CloudProviderService => {
  const check = ProcessTransport.checkAvailable(binary).pipe(
    Effect.mapError((error) => {
      const [message = error.message, ...hint] = error.message.split("\n").map((line) => line.trim())
      return new ProviderError({
        provider: service.name,
        operation: "usacloud",
        reason: "failed",
        message,
        hint: hint.join("\n")
      })
    })
  )
  return {
    ...service,
    getState: (scope, resources, declared) =>
      resources.size === 0
        ? service.getState(scope, resources, declared)
        : Effect.zipRight(check, service.getState(scope, resources, declared)),
    find: (scope, wanted) =>
      wanted.length === 0 ? service.find(scope, wanted) : Effect.zipRight(check, service.find(scope, wanted)),
    check: (desired) =>
      desired.length === 0 ? service.check(desired) : Effect.zipRight(check, service.check(desired)),
    apply: (request) => Effect.zipRight(check, service.apply(request)),
    destroy: (scope, key, resource) => Effect.zipRight(check, service.destroy(scope, key, resource))
  }
}

/** The Cloudflare provider over the network: REST for reads, R2 and DNS; wrangler for Workers and Pages. */
export const cloudflareLayer = (
  settings: Settings = {}
): Layer.Layer<CloudProvider, never, CommandExecutor.CommandExecutor | FileSystem.FileSystem> =>
  CloudflareProvider.layerWithWrangler({ accountId: settings.cloudflareAccountId }).pipe(
    Layer.provide(
      Layer.merge(
        FetchHttpClient.layer,
        Wrangler.layer({
          accountId: settings.cloudflareAccountId,
          logDirectory: settings.wranglerLogDirectory,
          buildEnv: settings.cloudflareBuildEnv
        })
      )
    )
  )

/** Sakura Cloud through the usacloud binary, and Cloudflare. */
export const layer = (
  settings: Settings = {}
): Layer.Layer<CloudProvider, never, CommandExecutor.CommandExecutor | FileSystem.FileSystem> =>
  Layer.effect(
    CloudProvider,
    Effect.gen(function* () {
      const binary = yield* ProcessTransport.binary
      const sakura = yield* Effect.provide(
        CloudProvider,
        SakuraProvider.layer({ profile: settings.profile }).pipe(Layer.provide(ProcessTransport.layer))
      )
      const cloudflare = yield* Effect.provide(CloudProvider, cloudflareLayer(settings))
      return combineServices([requireUsacloud(sakura, binary), cloudflare])
    })
  )
