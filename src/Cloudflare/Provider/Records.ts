/**
 * DNS records (`dns`): the zone is looked up by name (once per client), a record is created
 * with its content already resolved by the engine, changed in place with PATCH, and deleted by
 * its ID. A create answered "exists" adopts the identical record that is there (same type,
 * name and content), which is what an earlier attempt that lost its answer leaves behind.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { ApplyRequest, ProviderError } from "../../Provider.js"
import type { Observed, ResourceKey, StoredResource } from "../../Resource.js"
import type { CloudflareApiService, DnsRecord, RecordInput } from "../Api.js"
import { type Clients, decodeInputs, ignoreNotFound, orFail } from "./Common.js"

export const replaceFields: ReadonlyArray<string> = ["zone", "name", "type"]

export const RecordInputs = Schema.Struct({
  zone: Schema.String,
  name: Schema.String,
  type: Schema.String,
  content: Schema.String,
  proxied: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  ttl: Schema.optionalWith(Schema.Number, { default: () => 1 }),
  priority: Schema.optional(Schema.Number)
})
export type RecordInputs = typeof RecordInputs.Type

const decode = decodeInputs(RecordInputs, "a DNS record")

const fqdn = (name: string) => name.trim().toLowerCase().replace(/\.$/, "")

/** The zone a stored record lives in, by name. */
export const zoneOf = (resource: StoredResource): string | undefined =>
  typeof resource.inputs.zone === "string" ? resource.inputs.zone : undefined

export const observe = (record: DnsRecord, zoneId: string, adopted: boolean): Observed => ({
  id: record.id,
  attributes: {
    recordId: record.id,
    fqdn: record.name,
    zoneId,
    type: record.type,
    content: record.content,
    ...(adopted ? { adopted: true } : {})
  }
})

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
  fqdn(record.name) === fqdn(inputs.name) &&
  record.content.toLowerCase().replace(/\.$/, "") === inputs.content.toLowerCase().replace(/\.$/, "")

/** Creates the record, or adopts the identical one the API says is there. */
const createIn = (api: CloudflareApiService, zoneId: string, inputs: RecordInputs) =>
  api.dns.records.create(zoneId, body(inputs)).pipe(
    Effect.map((record) => ({ record, adopted: false })),
    Effect.catchIf(
      (error) => error.reason === "exists",
      (error) =>
        Effect.flatMap(api.dns.records.list(zoneId, { type: inputs.type, name: fqdn(inputs.name) }), (records) => {
          const same = records.find((record) => sameContent(record, inputs))
          return same === undefined ? Effect.fail(error) : Effect.succeed({ record: same, adopted: true })
        })
    )
  )

export const create = (clients: Clients, request: ApplyRequest): Effect.Effect<Observed, ProviderError> =>
  Effect.gen(function* () {
    const inputs = yield* decode("create", request.key, request.inputs)
    const zone = yield* orFail(request.key)(clients.write.zones.byName(inputs.zone))
    const { record, adopted } = yield* orFail(request.key)(createIn(clients.write, zone.id, inputs))
    if (adopted) {
      yield* Effect.logInfo(
        `DNS record ${inputs.type} "${inputs.name}" with this content already exists: FleetFlow adopts it`
      )
    }
    return observe(record, zone.id, adopted)
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
    return observe(record, zoneId, adopted)
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
    yield* orFail(key)(ignoreNotFound(clients.write.dns.records.delete(zoneId, resource.id)))
  })

const ignoreNotFoundZone = <A, E extends { readonly reason: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catchIf(
    effect as Effect.Effect<A | undefined, E, R>,
    (error) => error.reason === "not-found",
    () => Effect.succeed(undefined)
  )
