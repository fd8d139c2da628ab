/**
 * The provider's batched reads, for `getState` (by the state's ids) and `find` (by the names
 * the file declares): one bucket list per account and jurisdiction, the custom domains of the
 * buckets asked about, one record list per zone, and one worker list and one Pages project
 * list per account, all at once. What the state records most likely exists: its own reads (a
 * bucket's CORS rules, a Worker's routes and bindings, its zone's records) go beside the lists,
 * so that a plan with nothing new waits for one round trip.
 */
import * as Effect from "effect/Effect"
import type { ProviderError, Wanted } from "../../Provider.js"
import type { Inputs, Observed, ResourceKey, ResourceType, StoredResource } from "../../Resource.js"
import type { CloudflareApiService, DnsRecord, PagesProject } from "../Api.js"
import * as Buckets from "./Buckets.js"
import { nameOf, orFail } from "./Common.js"
import * as Pages from "./Pages.js"
import * as Records from "./Records.js"
import * as WorkerState from "./WorkerState.js"

type Found = ReadonlyArray<readonly [ResourceKey, Observed]>

/** A Pages project to look for in its account's list, by name. */
interface NamedLookup<A> {
  readonly key: ResourceKey
  readonly name: string
  readonly observe: (item: A) => Observed
}

interface Lookups {
  readonly buckets: ReadonlyArray<Buckets.BucketLookup>
  readonly domains: ReadonlyArray<Buckets.DomainLookup>
  readonly records: ReadonlyArray<Records.RecordLookup>
  readonly workers: ReadonlyArray<WorkerState.WorkerLookup>
  readonly projects: ReadonlyArray<NamedLookup<PagesProject>>
}

/** One list per account: a project the list lacks is not there. */
const named = <A extends { readonly name: string }>(
  list: Effect.Effect<ReadonlyArray<A>, ProviderError>,
  lookups: ReadonlyArray<NamedLookup<A>>
): Effect.Effect<Found, ProviderError> =>
  lookups.length === 0
    ? Effect.succeed([])
    : Effect.map(list, (items) => {
        const byName = new Map(items.map((item) => [item.name, item] as const))
        return lookups.flatMap(({ key, name, observe }) => {
          const item = byName.get(name)
          return item === undefined ? [] : [[key, observe(item)] as const]
        })
      })

const readAll = (
  api: CloudflareApiService,
  lookups: Lookups
): Effect.Effect<ReadonlyMap<ResourceKey, Observed>, ProviderError> => {
  const reads = [
    Buckets.read(api, lookups.buckets),
    Buckets.readDomains(api, lookups.domains),
    Records.read(api, lookups.records),
    WorkerState.read(api, lookups.workers),
    named(orFail()(api.pages.list), lookups.projects)
  ]
  return Effect.map(Effect.all(reads, { concurrency: "unbounded" }), (found) => new Map(found.flat()))
}

/** What exists now of the resources the state holds, by their ids. */
export const getState = (
  api: CloudflareApiService,
  resources: ReadonlyMap<ResourceKey, StoredResource>,
  declared: ReadonlyMap<ResourceKey, Inputs> | undefined
): Effect.Effect<ReadonlyMap<ResourceKey, Observed>, ProviderError> => {
  const ofType = (type: ResourceType) => [...resources].filter(([, resource]) => resource.type === type)
  const adopted = (resource: StoredResource) => resource.attributes.adopted === true
  return readAll(api, {
    buckets: ofType("r2").map(([key, resource]) => ({
      key,
      name: nameOf(resource),
      jurisdiction: Buckets.jurisdictionOf(resource),
      adopted: adopted(resource),
      cors: Buckets.managesCors(resource.inputs) || Buckets.managesCors(declared?.get(key)),
      recorded: true,
      inputs: { ...declared?.get(key), ...resource.inputs }
    })),
    domains: ofType("r2-domain").flatMap(([key, resource]) =>
      typeof resource.inputs.bucket === "string"
        ? [
            {
              key,
              bucket: resource.inputs.bucket,
              domain: resource.id,
              jurisdiction: Buckets.jurisdictionOf(resource),
              inputs: { ...declared?.get(key), ...resource.inputs }
            }
          ]
        : []
    ),
    records: ofType("dns").flatMap(([key, resource]) => {
      const zone = Records.zoneOf(resource)
      if (zone === undefined) return []
      const pick = (records: Records.ZoneRecords) => records.withId(resource.id)
      const { zoneId } = resource.attributes
      return [
        {
          key,
          zone,
          pick,
          adopted: adopted(resource),
          inputs: resource.inputs,
          zoneId: typeof zoneId === "string" ? zoneId : undefined
        }
      ]
    }),
    workers: ofType("worker").map(([key, resource]) => ({
      key,
      name: nameOf(resource),
      attributes: resource.attributes,
      inputs: { recorded: resource.inputs, declared: declared?.get(key) }
    })),
    projects: ofType("pages").map(([key, resource]) => ({
      key,
      name: nameOf(resource),
      observe: (project: PagesProject) => Pages.observe(project, resource.attributes, resource.inputs)
    }))
  })
}

/**
 * Resources by name, since Cloudflare keeps no owner on them: buckets, workers and projects
 * are unique in the account, a custom domain on its bucket, a record by name and type in its zone.
 */
export const find = (
  api: CloudflareApiService,
  wanted: ReadonlyArray<Wanted>
): Effect.Effect<ReadonlyMap<ResourceKey, Observed>, ProviderError> =>
  Effect.gen(function* () {
    const ofType = (type: ResourceType) => wanted.filter((item) => item.type === type)
    const nameIn = (item: Wanted) => (typeof item.inputs.name === "string" ? item.inputs.name : item.name)
    const ambiguous: Array<readonly [Wanted, ReadonlyArray<DnsRecord>]> = []
    const found = yield* readAll(api, {
      buckets: ofType("r2").map((item) => ({
        key: item.key,
        name: nameIn(item),
        jurisdiction: Buckets.jurisdictionOf(item),
        adopted: false,
        cors: Buckets.managesCors(item.inputs),
        recorded: false,
        inputs: item.inputs
      })),
      domains: ofType("r2-domain").flatMap((item) =>
        typeof item.inputs.bucket === "string"
          ? [
              {
                key: item.key,
                bucket: item.inputs.bucket,
                domain: typeof item.inputs.domain === "string" ? item.inputs.domain : item.name,
                jurisdiction: Buckets.jurisdictionOf(item),
                inputs: item.inputs
              }
            ]
          : []
      ),
      records: ofType("dns").flatMap((item) => {
        const identity = Records.identityOf(item.name, item.inputs)
        if (identity === undefined) return []
        const pick = (records: Records.ZoneRecords) => {
          const matched = Records.match(records, identity)
          if (matched.ambiguous.length > 0) ambiguous.push([item, matched.ambiguous])
          return matched.record
        }
        return [{ key: item.key, zone: identity.zone, pick, adopted: false, inputs: item.inputs }]
      }),
      workers: ofType("worker").map((item) => ({
        key: item.key,
        name: nameIn(item),
        attributes: { name: nameIn(item) }
      })),
      projects: ofType("pages").map((item) => ({
        key: item.key,
        name: nameIn(item),
        observe: (project: PagesProject) => Pages.observe(project, {}, item.inputs)
      }))
    })
    yield* Effect.forEach(ambiguous, ([item, records]) =>
      Effect.logWarning(
        `${item.key}: the zone holds ${records.length} records of this name and type and none has the declared content (${records
          .map((record) => `${record.id}: ${record.content}`)
          .join(", ")}); it is left out, not guessed`
      )
    )
    return found
  })
