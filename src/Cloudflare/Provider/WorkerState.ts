/**
 * What the account holds of the Workers the state records: one script list for all (it holds
 * their compatibility settings), and per Worker, its bindings and routes when FleetFlow manages
 * some. A Worker's inputs are reported in the model's shape, spelled as the state spells what
 * means the same (a KV namespace by title or ID). FleetFlow manages the bindings the file names
 * and, when the file gives some, the routes and flags: a source folder's own wrangler
 * configuration may add others, which are the folder's, not drift.
 */
import * as Effect from "effect/Effect"
import type { ProviderError } from "../../Provider.js"
import { type Inputs, isUnset, type Json, type Observed, type ResourceKey } from "../../Resource.js"
import type { CloudflareApiService, KvNamespace, WorkerBinding, WorkerRoute, WorkerScript } from "../Api.js"
import * as Together from "../../Together.js"
import { orFail } from "./Common.js"
import { looksLikeNamespaceId } from "./WorkerConfig.js"

/** A Worker to look for in its account's list, by name. */
export interface WorkerLookup {
  readonly key: ResourceKey
  readonly name: string
  /** The attributes to report it with. */
  readonly attributes: Observed["attributes"]
  /** What the state recorded and the file declares; without them (`find`), only the Worker's presence is reported. */
  readonly inputs?: { readonly recorded: Inputs; readonly declared: Inputs | undefined } | undefined
}

type Namespaces = Effect.Effect<ReadonlyArray<KvNamespace>, ProviderError>

const recordsOf = (value: Json | undefined): ReadonlyArray<Readonly<Record<string, Json>>> =>
  Array.isArray(value)
    ? value.filter((item): item is Readonly<Record<string, Json>> => typeof item === "object" && item !== null)
    : []

/** The routes there are: the recorded entry for a pattern it has, in its order, then the others. */
const observedRoutes = (routes: ReadonlyArray<WorkerRoute>, recorded: Json | undefined): Json => {
  const patterns = new Set(routes.map((route) => route.pattern))
  const kept = recordsOf(recorded).filter((route) => typeof route.pattern === "string" && patterns.has(route.pattern))
  const known = new Set(kept.map((route) => route.pattern))
  const added = routes
    .map((route) => route.pattern)
    .filter((pattern) => !known.has(pattern))
    .sort()
  return [...kept, ...added.map((pattern) => ({ pattern }))]
}

/** The namespace a KV binding names, spelled as `given` (a title or an ID) when it is the same one. */
const namespaceOf = (id: string, given: Json | undefined, namespaces: Namespaces) =>
  Effect.gen(function* () {
    if (typeof given !== "string" || given === id) return id
    if (looksLikeNamespaceId(given)) return id
    const titled = (yield* namespaces).find((namespace) => namespace.id === id)
    return titled?.title ?? id
  })

/** A binding of the deployed version in the model's shape; one of a type FleetFlow does not declare reads as missing. */
const bindingOf = (binding: WorkerBinding, recorded: Readonly<Record<string, Json>>, namespaces: Namespaces) =>
  Effect.gen(function* () {
    const { name } = binding
    if (binding.type === "r2_bucket" && binding.bucketName !== undefined) {
      return [{ type: "r2", name, bucket: binding.bucketName }]
    }
    if (binding.type === "kv_namespace" && binding.namespaceId !== undefined) {
      return [{ type: "kv", name, namespace: yield* namespaceOf(binding.namespaceId, recorded.namespace, namespaces) }]
    }
    if (binding.type === "plain_text" && binding.text !== undefined) return [{ type: "var", name, value: binding.text }]
    return []
  })

/** The recorded bindings as the Worker has them now, in the recorded order; one it lacks is left out. */
const observedBindings = (bindings: ReadonlyArray<WorkerBinding>, recorded: Json | undefined, namespaces: Namespaces) =>
  Effect.map(
    Effect.forEach(recordsOf(recorded), (entry) => {
      const binding = bindings.find((candidate) => candidate.name === entry.name)
      return binding === undefined ? Effect.succeed([]) : bindingOf(binding, entry, namespaces)
    }),
    (found): Json => found.flat()
  )

/** Whether a recorded KV binding names its namespace by title: the titles are then listed. */
const namesByTitle = (recorded: Json | undefined) =>
  recordsOf(recorded).some(
    (entry) => entry.type === "kv" && typeof entry.namespace === "string" && !looksLikeNamespaceId(entry.namespace)
  )

/** Whether FleetFlow manages a field: the state recorded it or the file declares it. */
const managedIn =
  ({ declared, recorded }: NonNullable<WorkerLookup["inputs"]>) =>
  (field: string) =>
    !isUnset(recorded[field]) || !isUnset(declared?.[field])

/** What a Worker's own reads say of its inputs; the script list adds its compatibility settings. */
const readInputs = (
  api: CloudflareApiService,
  lookup: WorkerLookup & { readonly inputs: NonNullable<WorkerLookup["inputs"]> },
  namespaces: Namespaces
): Effect.Effect<Inputs, ProviderError> =>
  Effect.gen(function* () {
    const { recorded } = lookup.inputs
    const manages = managedIn(lookup.inputs)
    const nothing = Effect.succeed({})
    // A Worker's reads do not depend on each other: made together, they take one round trip.
    const [routes, bindings, workersDev] = yield* Effect.all(
      [
        manages("routes")
          ? Effect.map(orFail(lookup.key)(api.workers.routes(lookup.name)), (routes) => ({
              routes: observedRoutes(routes, recorded.routes)
            }))
          : nothing,
        isUnset(recorded.bindings)
          ? nothing
          : Effect.zipLeft(
              orFail(lookup.key)(api.workers.settings(lookup.name)),
              namesByTitle(recorded.bindings) ? namespaces : Effect.void,
              { concurrent: true }
            ).pipe(
              Effect.flatMap((settings) => observedBindings(settings.bindings, recorded.bindings, namespaces)),
              Effect.map((bindings) => ({ bindings }))
            ),
        manages("workersDev")
          ? Effect.map(orFail(lookup.key)(api.workers.subdomain(lookup.name)), (subdomain) => ({
              workersDev: subdomain.enabled
            }))
          : nothing
      ],
      { concurrency: "unbounded" }
    )
    return { ...routes, ...bindings, ...workersDev }
  })

const withCompatibility = (
  inputs: Inputs,
  script: WorkerScript,
  given: NonNullable<WorkerLookup["inputs"]>
): Inputs => {
  const manages = managedIn(given)
  const date = script.compatibilityDate ?? ""
  return {
    ...inputs,
    ...(manages("compatibilityDate") ? { compatibilityDate: date === "" ? null : date } : {}),
    ...(manages("compatibilityFlags") ? { compatibilityFlags: [...(script.compatibilityFlags ?? [])] } : {})
  }
}

/** The Workers there are: one script list, and each found Worker's bindings and routes when FleetFlow manages them. */
export const read = (
  api: CloudflareApiService,
  lookups: ReadonlyArray<WorkerLookup>
): Effect.Effect<ReadonlyArray<readonly [ResourceKey, Observed]>, ProviderError> =>
  lookups.length === 0
    ? Effect.succeed([])
    : Effect.gen(function* () {
        // Read once, and only if a KV binding names its namespace by title.
        const namespaces = yield* Effect.cached(orFail()(api.kv.list))
        // The Workers the state records most likely exist: their own reads go beside the list, not after it.
        const [listed, readAhead] = yield* Together.ahead(
          orFail()(api.workers.list),
          Effect.forEach(
            lookups.flatMap(({ inputs, ...lookup }) => (inputs === undefined ? [] : [{ ...lookup, inputs }])),
            (lookup) =>
              Effect.map(Effect.either(readInputs(api, lookup, namespaces)), (read) => [lookup.key, read] as const),
            { concurrency: 8 }
          )
        )
        const early = new Map(yield* readAhead)
        const scripts = new Map(listed.map((script) => [script.id, script] as const))
        const found = yield* Effect.forEach(lookups, (lookup) => {
          const script = scripts.get(lookup.name)
          if (script === undefined) return Effect.succeed([])
          const { inputs } = lookup
          const observed: Observed = { id: script.id, attributes: lookup.attributes }
          if (inputs === undefined) return Effect.succeed([[lookup.key, observed] as const])
          return Effect.map(early.get(lookup.key)!, (seen) => [
            [lookup.key, { ...observed, inputs: withCompatibility(seen, script, inputs) }] as const
          ])
        })
        return found.flat()
      })
