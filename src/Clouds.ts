/**
 * The providers of the real clouds, as the CLI runs them without `--sandbox`: Sakura Cloud
 * through the usacloud binary (`FLEETFLOW_USACLOUD`, else `usacloud` on PATH). Cloudflare has
 * no provider yet: a stage that declares a Cloudflare resource is refused when it is planned.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { CloudProvider, type CloudProviderService, combineServices, ProviderError } from "./Provider.js"
import type { ResourceKey, ResourceType } from "./Resource.js"
import * as ProcessTransport from "./Sakura/ProcessTransport.js"
import * as SakuraProvider from "./Sakura/Provider.js"

export interface Settings {
  /** The usacloud profile: `profile` in the sakura-cloud provider block. */
  readonly profile?: string | undefined
}

export const cloudflareTypes: ReadonlyArray<ResourceType> = ["r2", "r2-domain", "worker", "pages", "dns"]

const cloudflareNotBuilt = (operation: string, keys: ReadonlyArray<ResourceKey>) => {
  const shown = `${keys.slice(0, 3).join(", ")}${keys.length > 3 ? ", …" : ""}`
  return new ProviderError({
    provider: "cloudflare",
    operation,
    reason: "invalid",
    message: `Cloudflare support is not built yet, and this stage declares Cloudflare resources (${shown})`,
    hint: "Run it against the built-in sandbox cloud with --sandbox (or FLEETFLOW_SANDBOX=1)."
  })
}

/** Stands in for the Cloudflare provider: refuses every Cloudflare resource with one clear error. */
export const cloudflarePending: CloudProviderService = {
  name: "cloudflare",
  handles: cloudflareTypes,
  replaceFields: () => [],
  getState: (_scope, resources) => Effect.fail(cloudflareNotBuilt("read", [...resources.keys()])),
  plan: (desired) =>
    Effect.fail(
      cloudflareNotBuilt(
        "plan",
        desired.map((resource) => resource.key)
      )
    ),
  apply: (request) => Effect.fail(cloudflareNotBuilt(request.operation, [request.key])),
  destroy: (_scope, key) => Effect.fail(cloudflareNotBuilt("delete", [key]))
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
    getState: (scope, resources) =>
      resources.size === 0
        ? service.getState(scope, resources)
        : Effect.zipRight(check, service.getState(scope, resources)),
    plan: (desired, current) =>
      desired.length === 0 ? service.plan(desired, current) : Effect.zipRight(check, service.plan(desired, current)),
    apply: (request) => Effect.zipRight(check, service.apply(request)),
    destroy: (scope, key, resource) => Effect.zipRight(check, service.destroy(scope, key, resource))
  }
}

/** Sakura Cloud through the usacloud binary, with Cloudflare refused until its provider exists. */
export const layer = (settings: Settings = {}): Layer.Layer<CloudProvider, never, CommandExecutor.CommandExecutor> =>
  Layer.effect(
    CloudProvider,
    Effect.gen(function* () {
      const binary = yield* ProcessTransport.binary
      const sakura = yield* Effect.provide(
        CloudProvider,
        SakuraProvider.layer({ profile: settings.profile }).pipe(Layer.provide(ProcessTransport.layer))
      )
      const combined = combineServices([requireUsacloud(sakura, binary), cloudflarePending])
      // Refused before anything else is checked, whatever the other resources planned with them.
      return {
        ...combined,
        plan: (desired, current) => {
          const cloudflare = desired.filter((resource) => cloudflareTypes.includes(resource.type))
          return cloudflare.length > 0
            ? Effect.fail(
                cloudflareNotBuilt(
                  "plan",
                  cloudflare.map((resource) => resource.key)
                )
              )
            : combined.plan(desired, current)
        }
      } satisfies CloudProviderService
    })
  )
