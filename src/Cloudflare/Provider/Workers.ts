/**
 * Workers (`worker`), deployed and deleted by wrangler. The configuration is generated from
 * KDL (merged over the source folder's own, when it has one) into a private folder, so the
 * operator's files are never touched. A deploy replaces whatever the account holds under the
 * name, so running it again after a failure is safe.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as NodePath from "node:path"
import { type ApplyRequest, ProviderError } from "../../Provider.js"
import type { Observed, ResourceKey, StoredResource } from "../../Resource.js"
import * as Together from "../../Together.js"
import { type CloudflareApiService, type CloudflareError, toProviderError } from "../Api.js"
import { WorkerInputs } from "../Model.js"
import * as Wrangler from "../Wrangler.js"
import { decodeInputs, ignoreNotFound, nameOf, orFail, providerName } from "./Common.js"
import * as WorkerConfig from "./WorkerConfig.js"

export interface Deps {
  readonly api: CloudflareApiService
  readonly wrangler: Wrangler.WranglerService
  readonly fs: FileSystem.FileSystem
}

const decodeWorker = decodeInputs(WorkerInputs, "a worker")

const sourceProblem = (operation: string, key: ResourceKey) => (error: WorkerConfig.WorkerSourceError) =>
  new ProviderError({
    provider: providerName,
    operation: `worker ${operation}`,
    key,
    reason: "invalid",
    message: error.message,
    ...(error.hint === undefined ? {} : { hint: error.hint })
  })

const fromWrangler = (key: ResourceKey) => (error: Wrangler.WranglerError) => Wrangler.toProviderError(error, key)

/** KV namespace IDs for the titles the bindings name; one list call, and none when no binding needs it. */
const kvNamespaceIds = (deps: Deps, key: ResourceKey, inputs: WorkerInputs) =>
  Effect.gen(function* () {
    const named = inputs.bindings.flatMap((binding) => (binding.type === "kv" ? [binding.namespace] : []))
    const ids = new Map(named.filter(WorkerConfig.looksLikeNamespaceId).map((id) => [id, id] as const))
    if (named.every((name) => ids.has(name))) return ids
    const namespaces = yield* orFail(key)(deps.api.kv.list)
    for (const namespace of namespaces) if (!ids.has(namespace.title)) ids.set(namespace.title, namespace.id)
    return ids
  })

/** The workers.dev address as `url` (when the worker has one), and the routes it answers on. */
const observed = (name: string, deployed: Wrangler.DeployResult): Observed => {
  const workersDev = deployed.urls.find((target) => target.includes(".workers.dev"))
  return {
    id: name,
    attributes: {
      name,
      ...(workersDev === undefined
        ? {}
        : { url: workersDev.startsWith("http") ? workersDev : `https://${workersDev}` }),
      ...(deployed.versionId === undefined ? {} : { versionId: deployed.versionId }),
      targets: deployed.urls.filter((target) => target !== workersDev)
    }
  }
}

const refused = (key: ResourceKey, message: string, hint: string) =>
  new ProviderError({ provider: providerName, operation: "worker deploy", key, reason: "invalid", message, hint })

/** A Cloudflare failure as the provider reports it; "not found" becomes `missing`'s refusal. */
const unlessMissing =
  (key: ResourceKey, missing: () => ProviderError) =>
  <A>(effect: Effect.Effect<A, CloudflareError>): Effect.Effect<A, ProviderError> =>
    effect.pipe(Effect.mapError((error) => (error.reason === "not-found" ? missing() : toProviderError(error, key))))

/**
 * wrangler would create a bucket a binding names and the account lacks; FleetFlow creates only
 * what the file declares, so such a binding is refused instead.
 */
const checkBuckets = (deps: Deps, key: ResourceKey, inputs: WorkerInputs) =>
  Effect.forEach(
    inputs.bindings.flatMap((binding) => (binding.type === "r2" ? [binding] : [])),
    (binding) =>
      unlessMissing(key, () =>
        refused(
          key,
          `worker "${inputs.name}": binding ${binding.name} names the R2 bucket "${binding.bucket}", which the account does not have`,
          `Declare it (r2-bucket "${binding.bucket}") in the same stage, or create it first.`
        )
      )(deps.api.r2.buckets.get(binding.bucket)),
    { concurrency: 4, discard: true }
  )

/** The zones a route pattern's host could belong to, longest first: `a.b.example.com` → `b.example.com`, `example.com`. */
const zoneCandidates = (pattern: string): ReadonlyArray<string> => {
  const host = (pattern.split("/")[0] ?? "").replace(/^\*\.?/, "").replace(/:\d+$/, "")
  const labels = host.split(".").filter((label) => label !== "")
  return labels.slice(0, -1).map((_, index) => labels.slice(index).join("."))
}

/**
 * wrangler uploads the script before it looks for a route's zone, so a route in a zone the
 * account lacks would leave a worker behind that no state records: the zones are checked first.
 */
const checkRouteZones = (deps: Deps, key: ResourceKey, inputs: WorkerInputs) =>
  Effect.forEach(
    inputs.routes,
    (route) => {
      const missing = () =>
        refused(
          key,
          `worker "${inputs.name}": no zone of the account holds the route ${route.pattern}${route.zone === undefined ? "" : ` (zone ${route.zone})`}`,
          "Add the domain to Cloudflare, give the token Zone: Read on it, or correct the route's zone."
        )
      if (route.zone !== undefined) return Effect.asVoid(unlessMissing(key, missing)(deps.api.zones.byName(route.zone)))
      // Asked together: one round trip, where asking the longest first would wait for each miss in turn.
      return Effect.forEach(
        zoneCandidates(route.pattern),
        (candidate) =>
          deps.api.zones.byName(candidate).pipe(
            Effect.as(true),
            Effect.catchIf(
              (error) => error.reason === "not-found",
              () => Effect.succeed(false)
            ),
            Effect.mapError((error) => toProviderError(error, key))
          ),
        { concurrency: "unbounded" }
      ).pipe(Effect.flatMap((found) => (found.includes(true) ? Effect.void : Effect.fail(missing()))))
    },
    { concurrency: 4, discard: true }
  )

/** wrangler leaves a worker's routes alone when the configuration has none; FleetFlow's file says there are none. */
const clearRoutes = (deps: Deps, key: ResourceKey, name: string, config: Readonly<Record<string, unknown>>) => {
  const routes = config.routes ?? config.route
  const none = routes === undefined || (Array.isArray(routes) && routes.length === 0)
  return none ? orFail(key)(ignoreNotFound(deps.api.workers.setRoutes(name, []))) : Effect.void
}

/** wrangler names the generated configuration, a file gone by the time anyone reads the message. */
const generatedConfigNamed = (error: Wrangler.WranglerError, origin: string): Wrangler.WranglerError =>
  new Wrangler.WranglerError({
    ...error,
    message: error.message.replace(
      /\S*fleetflow-worker-[^/\s]*\/wrangler\.json/g,
      `the wrangler configuration FleetFlow generated (from KDL and ${origin})`
    )
  })

/** Creates or updates: one `wrangler deploy` with the generated configuration. */
export const deploy = (deps: Deps, request: ApplyRequest): Effect.Effect<Observed, ProviderError> =>
  Effect.gen(function* () {
    const inputs = yield* decodeWorker(request.operation, request.key, request.inputs)
    const source = NodePath.resolve(request.directory ?? ".", inputs.source)
    const inspected = yield* WorkerConfig.inspectSource(source).pipe(
      Effect.provideService(FileSystem.FileSystem, deps.fs),
      Effect.mapError(sourceProblem(request.operation, request.key))
    )
    // Three reads that do not depend on each other: the deploy waits for one round trip, not three. When
    // several refuse the worker, the first of them in this order is reported, whichever answered first.
    const [, , namespaceIds] = yield* Together.all([
      checkBuckets(deps, request.key, inputs),
      checkRouteZones(deps, request.key, inputs),
      kvNamespaceIds(deps, request.key, inputs)
    ])
    const config = yield* WorkerConfig.build({
      inputs,
      folder: inspected.folder,
      entry: inspected.entry,
      folderConfig: inspected.config,
      kvNamespaceIds: namespaceIds
    }).pipe(Effect.mapError(sourceProblem(request.operation, request.key)))
    const deployed = yield* Effect.scoped(
      Effect.gen(function* () {
        const folder = yield* deps.fs.makeTempDirectoryScoped({ prefix: "fleetflow-worker-" })
        const configPath = NodePath.join(folder, "wrangler.json")
        yield* deps.fs.writeFileString(configPath, `${JSON.stringify(config, null, 2)}\n`)
        return yield* deps.wrangler.deploy({ cwd: inspected.folder, configPath, name: inputs.name })
      }).pipe(
        Effect.catchTag("SystemError", "BadArgument", (error) =>
          Effect.fail(
            new ProviderError({
              provider: providerName,
              operation: `worker ${request.operation}`,
              key: request.key,
              reason: "failed",
              message: `the wrangler configuration could not be written: ${error.message}`
            })
          )
        )
      )
    ).pipe(
      Effect.mapError((error) =>
        error._tag === "WranglerError"
          ? fromWrangler(request.key)(generatedConfigNamed(error, inspected.config?.path ?? source))
          : error
      )
    )
    yield* clearRoutes(deps, request.key, inputs.name, config)
    return observed(inputs.name, deployed)
  })

/** `wrangler delete`; a worker that is already gone counts as deleted. */
export const destroy = (deps: Deps, key: ResourceKey, resource: StoredResource): Effect.Effect<void, ProviderError> =>
  deps.wrangler.deleteWorker(nameOf(resource)).pipe(
    Effect.catchIf(
      (error) => error.reason === "not-found",
      () => Effect.void
    ),
    Effect.mapError(fromWrangler(key))
  )
