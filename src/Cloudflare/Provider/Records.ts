/**
 * DNS records (`dns`): the zone is looked up by name (once per client), a record is created
 * with its content already resolved by the engine, changed in place with PATCH, and deleted by
 * its ID. A create answered "exists" adopts the identical record that is there (same type,
 * name and content), which is what an earlier attempt that lost its answer leaves behind.
 */
import * as Effect from "effect/Effect"
import type { ApplyRequest, ProviderError } from "../../Provider.js"
import type { Inputs, Json, Observed, ResourceKey, StoredResource } from "../../Resource.js"
import type { CloudflareApiService, DnsRecord, RecordInput } from "../Api.js"
import { DnsRecordInputs, type DnsRecordInputs as RecordInputs } from "../Model.js"
import { groupBy, withId } from "../../Grouping.js"
import * as Together from "../../Together.js"
import { type Clients, decodeInputs, ignoreNotFound, orFail } from "./Common.js"

const decode = decodeInputs(DnsRecordInputs, "a DNS record")

const fqdn = (name: string) => name.trim().toLowerCase().replace(/\.$/, "")

/** The full name a record's `name` stands for in `zone`, as Cloudflare reads it: `@` is the apex, a relative name gets the zone. */
export const qualify = (name: string, zone: string): string => {
  const full = fqdn(name)
  const apex = fqdn(zone)
  if (full === "@" || full === "") return apex
  return full === apex || full.endsWith(`.${apex}`) ? full : `${full}.${apex}`
}

const sameValue = (a: string, b: string) => a.toLowerCase().replace(/\.$/, "") === b.toLowerCase().replace(/\.$/, "")

/** The zone a stored record lives in, by name. */
export const zoneOf = (resource: StoredResource): string | undefined =>
  typeof resource.inputs.zone === "string" ? resource.inputs.zone : undefined

/** `seen` when it means what `given` (a string input) means, spelled as `given` is; `seen` otherwise. */
const spelledAs = (seen: string, given: Json | undefined, same: (a: string, b: string) => boolean): string =>
  typeof given === "string" && same(seen, given) ? given : seen

/**
 * The inputs the record holds, in the model's shape and spelled as `inputs` (recorded, or
 * declared) spell what means the same: a record that an operator renamed, retyped or pointed
 * elsewhere reads as changed, one that only differs in case or a final dot does not. A
 * priority is FleetFlow's only when the inputs give one (the API gives MX records one anyway).
 */
export const observedInputs = (record: DnsRecord, inputs: Inputs): Inputs => {
  const zone = typeof inputs.zone === "string" ? inputs.zone : ""
  return {
    name: spelledAs(record.name, inputs.name, (seen, given) => fqdn(seen) === qualify(given, zone)),
    type: spelledAs(record.type, inputs.type, (seen, given) => seen.toUpperCase() === given.toUpperCase()),
    content: spelledAs(record.content, inputs.content, sameValue),
    // A proxied record's TTL is Cloudflare's ("automatic") whatever was asked.
    ...(record.ttl === undefined || record.proxied === true ? {} : { ttl: record.ttl }),
    ...(record.proxied === undefined ? {} : { proxied: record.proxied }),
    ...(inputs.priority === undefined ? {} : { priority: record.priority ?? null })
  }
}

/** The record as FleetFlow records it; with `inputs`, what it holds of them (see `observedInputs`). */
export const observe = (record: DnsRecord, zoneId: string, adopted: boolean, inputs?: Inputs): Observed => ({
  id: record.id,
  attributes: {
    recordId: record.id,
    fqdn: record.name,
    zoneId,
    type: record.type,
    content: record.content,
    ...(adopted ? { adopted: true } : {})
  },
  ...(inputs === undefined ? {} : { inputs: observedInputs(record, inputs) })
})

/**
 * A zone's list, indexed by id and by name and type when first asked: a plan looks up each of
 * thousands of records in it, and scanning the list for each was quadratic.
 */
export interface ZoneRecords {
  readonly withId: (id: string) => DnsRecord | undefined
  readonly named: (fqdn: string, type: string) => ReadonlyArray<DnsRecord>
}

const nameAndType = (fqdn: string, type: string) => `${type}\u0000${fqdn}`

export const indexRecords = (records: ReadonlyArray<DnsRecord>): ZoneRecords => {
  let names: Map<string, Array<DnsRecord>> | undefined
  return {
    withId: (id) => withId(records, id),
    named: (name, type) => {
      names ??= groupBy(records, (record) => nameAndType(fqdn(record.name), record.type.toUpperCase()))
      return names.get(nameAndType(name, type)) ?? []
    }
  }
}

/** Records to read in one zone: `pick` chooses a record of the zone's list, or none. */
export interface RecordLookup {
  readonly key: ResourceKey
  readonly zone: string
  readonly pick: (records: ZoneRecords) => DnsRecord | undefined
  readonly adopted: boolean
  /** The inputs the record's are reported against: what the state recorded, or the file declares. */
  readonly inputs: Inputs
  /** The zone's ID the state recorded: its records are listed beside the zone's lookup, not after it. */
  readonly zoneId?: string | undefined
}

/**
 * The records there are: one zone lookup and one record list per zone, the list beside the lookup when
 * the state knows the zone's ID; a zone that is gone has none.
 */
export const read = (
  api: CloudflareApiService,
  lookups: ReadonlyArray<RecordLookup>
): Effect.Effect<ReadonlyArray<readonly [ResourceKey, Observed]>, ProviderError> => {
  const zones = groupBy(lookups, (lookup) => lookup.zone)
  return Effect.map(
    Effect.forEach(
      zones,
      ([zoneName, group]) =>
        Effect.gen(function* () {
          const list = (zoneId: string) => orFail()(api.dns.records.list(zoneId))
          const recorded = group.find((lookup) => lookup.zoneId !== undefined)?.zoneId
          const [zone, listedAhead] = yield* Together.ahead(
            orFail()(ignoreNotFoundZone(api.zones.byName(zoneName))),
            recorded === undefined ? Effect.succeed([]) : list(recorded)
          )
          if (zone === undefined) return []
          // A zone made again since has another ID: its records are listed anew.
          const listed = indexRecords(zone.id === recorded ? yield* listedAhead : yield* list(zone.id))
          return group.flatMap(({ adopted, inputs, key, pick }) => {
            const record = pick(listed)
            if (record === undefined) return []
            return [[key, observe(record, zone.id, adopted, inputs)] as const]
          })
        }),
      { concurrency: "unbounded" }
    ),
    (groups) => groups.flat()
  )
}

/** What a declared record is looked for by: its full name, type and, when the inputs hold it, content. */
export interface RecordIdentity {
  readonly fqdn: string
  readonly type: string
  readonly content: string | undefined
}

/** The identity of a declared record (`name` is `<fqdn>/<TYPE>`); undefined without a zone. */
export const identityOf = (name: string, inputs: Inputs): (RecordIdentity & { readonly zone: string }) | undefined => {
  if (typeof inputs.zone !== "string") return undefined
  const slash = name.lastIndexOf("/")
  const given = typeof inputs.name === "string" ? inputs.name : slash < 0 ? name : name.slice(0, slash)
  const type = typeof inputs.type === "string" ? inputs.type : slash < 0 ? "" : name.slice(slash + 1)
  return {
    zone: inputs.zone,
    fqdn: qualify(given, inputs.zone),
    type: type.toUpperCase(),
    content: typeof inputs.content === "string" ? inputs.content : undefined
  }
}

/**
 * The record of `records` a declared one is: the only one of its name and type, else the one
 * that also has its content. Several and none of them with its content: `ambiguous`.
 */
export const match = (
  records: ZoneRecords,
  wanted: RecordIdentity
): { readonly record: DnsRecord | undefined; readonly ambiguous: ReadonlyArray<DnsRecord> } => {
  const candidates = records.named(wanted.fqdn, wanted.type)
  if (candidates.length <= 1) return { record: candidates[0], ambiguous: [] }
  const { content } = wanted
  const same = content === undefined ? undefined : candidates.find((record) => sameValue(record.content, content))
  return same === undefined ? { record: undefined, ambiguous: candidates } : { record: same, ambiguous: [] }
}

const body = (inputs: RecordInputs): RecordInput => ({
  type: inputs.type,
  name: inputs.name,
  content: inputs.content,
  ttl: inputs.ttl,
  proxied: inputs.proxied,
  ...(inputs.priority === undefined ? {} : { priority: inputs.priority })
})

const sameContent = (record: DnsRecord, inputs: RecordInputs) =>
  record.type.toUpperCase() === inputs.type.toUpperCase() &&
  fqdn(record.name) === qualify(inputs.name, inputs.zone) &&
  sameValue(record.content, inputs.content)

/** Creates the record, or adopts the identical one the API says is there. */
const createIn = (api: CloudflareApiService, zoneId: string, inputs: RecordInputs) =>
  api.dns.records.create(zoneId, body(inputs)).pipe(
    Effect.map((record) => ({ record, adopted: false })),
    Effect.catchIf(
      (error) => error.reason === "exists",
      (error) =>
        Effect.flatMap(
          api.dns.records.list(zoneId, { type: inputs.type, name: qualify(inputs.name, inputs.zone) }),
          (records) => {
            const same = records.find((record) => sameContent(record, inputs))
            return same === undefined ? Effect.fail(error) : Effect.succeed({ record: same, adopted: true })
          }
        )
    )
  )

export const create = (clients: Clients, request: ApplyRequest): Effect.Effect<Observed, ProviderError> =>
  Effect.gen(function* () {
    const inputs = yield* decode("create", request.key, request.inputs)
    const zone = yield* orFail(request.key)(clients.write.zones.byName(inputs.zone))
    const { record, adopted } = yield* orFail(request.key)(createIn(clients.write, zone.id, inputs))
    if (adopted && request.adopting !== true) {
      yield* Effect.logInfo(
        `DNS record ${inputs.type} "${inputs.name}" with this content already exists: FleetFlow adopts it`
      )
    }
    return observe(record, zone.id, adopted, request.inputs)
  })

export const update = (clients: Clients, request: ApplyRequest): Effect.Effect<Observed, ProviderError> =>
  Effect.gen(function* () {
    const inputs = yield* decode("update", request.key, request.inputs)
    const stored = request.current?.attributes.zoneId
    const zoneId =
      typeof stored === "string" ? stored : (yield* orFail(request.key)(clients.write.zones.byName(inputs.zone))).id
    const id = request.current?.id
    const changes = {
      content: inputs.content,
      ttl: inputs.ttl,
      proxied: inputs.proxied,
      ...(inputs.priority === undefined ? {} : { priority: inputs.priority })
    }
    const updated =
      id === undefined
        ? createIn(clients.write, zoneId, inputs)
        : clients.write.dns.records.update(zoneId, id, changes).pipe(
            Effect.map((record) => ({ record, adopted: request.current?.attributes.adopted === true })),
            // Deleted outside FleetFlow since the last read: made again.
            Effect.catchIf(
              (error) => error.reason === "not-found",
              () => createIn(clients.write, zoneId, inputs)
            )
          )
    const { record, adopted } = yield* orFail(request.key)(updated)
    return observe(record, zoneId, adopted, request.inputs)
  })

export const destroy = (clients: Clients, key: ResourceKey, resource: StoredResource) =>
  Effect.gen(function* () {
    const stored = resource.attributes.zoneId
    const zoneName = zoneOf(resource)
    const zoneId =
      typeof stored === "string"
        ? stored
        : zoneName === undefined
          ? undefined
          : (yield* orFail(key)(ignoreNotFoundZone(clients.write.zones.byName(zoneName))))?.id
    // No zone, no record.
    if (zoneId === undefined) return
    yield* clients.write.dns.records.delete(zoneId, resource.id).pipe(
      ignoreNotFound,
      // The API routes nowhere for a zone ID it does not know: the record is gone only if its zone is.
      Effect.catchIf(
        (error) => error.code === 7003,
        (error) =>
          zoneName === undefined
            ? Effect.fail(error)
            : Effect.flatMap(ignoreNotFoundZone(clients.write.zones.byName(zoneName)), (zone) =>
                zone === undefined || zone.id !== zoneId ? Effect.void : Effect.fail(error)
              )
      ),
      orFail(key)
    )
  })

const ignoreNotFoundZone = <A, E extends { readonly reason: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catchIf(
    effect as Effect.Effect<A | undefined, E, R>,
    (error) => error.reason === "not-found",
    () => Effect.succeed(undefined)
  )
