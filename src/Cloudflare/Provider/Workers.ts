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
import { type CloudflareApiService, toProviderError } from "../Api.js"
import * as Wrangler from "../Wrangler.js"
import { decodeInputs, nameOf, orFail, providerName } from "./Common.js"
import * as WorkerConfig from "./WorkerConfig.js"

export const replaceFields: ReadonlyArray<string> = ["name"]

export interface Deps {
  readonly api: CloudflareApiService
  readonly wrangler: Wrangler.WranglerService
  readonly fs: FileSystem.FileSystem
}

const decodeWorker = decodeInputs(WorkerConfig.WorkerInputs, "a worker")

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
const kvNamespaceIds = (deps: Deps, key: ResourceKey, inputs: WorkerConfig.WorkerInputs) =>
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

/**
 * wrangler would create a bucket a binding names and the account lacks; FleetFlow creates only
 * what the file declares, so such a binding is refused instead.
 */
const checkBuckets = (deps: Deps, key: ResourceKey, inputs: WorkerConfig.WorkerInputs) =>
  Effect.forEach(
    inputs.bindings.flatMap((binding) => (binding.type === "r2" ? [binding] : [])),
    (binding) =>
      deps.api.r2.buckets.get(binding.bucket).pipe(
        Effect.catchIf(
          (error) => error.reason === "not-found",
          () =>
            Effect.fail(
              new ProviderError({
                provider: providerName,
                operation: "worker deploy",
                key,
                reason: "invalid",
                message: `worker "${inputs.name}": binding ${binding.name} names the R2 bucket "${binding.bucket}", which the account does not have`,
                hint: `Declare it (r2-bucket "${binding.bucket}") in the same stage, or create it first.`
              })
            )
        ),
        Effect.mapError((error) => (error._tag === "CloudflareError" ? toProviderError(error, key) : error))
      ),
    { concurrency: 4, discard: true }
  )

/** Creates or updates: one `wrangler deploy` with the generated configuration. */
export const deploy = (deps: Deps, request: ApplyRequest): Effect.Effect<Observed, ProviderError> =>
  Effect.gen(function* () {
    const inputs = yield* decodeWorker(request.operation, request.key, request.inputs)
    const source = NodePath.resolve(request.directory ?? ".", inputs.source)
    const inspected = yield* WorkerConfig.inspectSource(source).pipe(
      Effect.provideService(FileSystem.FileSystem, deps.fs),
      Effect.mapError(sourceProblem(request.operation, request.key))
    )
    yield* checkBuckets(deps, request.key, inputs)
    const config = yield* WorkerConfig.build({
      inputs,
      folder: inspected.folder,
      entry: inspected.entry,
      folderConfig: inspected.config,
      kvNamespaceIds: yield* kvNamespaceIds(deps, request.key, inputs)
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
    ).pipe(Effect.mapError((error) => (error._tag === "WranglerError" ? fromWrangler(request.key)(error) : error)))
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
