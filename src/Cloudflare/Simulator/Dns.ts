/**
 * Zones (`/zones`) and their DNS records (`/zones/{zone}/dns_records`), with the batch
 * endpoint applied as one transaction: deletes, then patches, then puts, then posts.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { CloudflareDocument, DnsRecord, Zone } from "./Document.js"
import {
  allocateId,
  answer,
  type ApiFailure,
  type Call,
  decodeBody,
  fail,
  type Handler,
  isoDate,
  pageOf,
  paginate
} from "./Envelope.js"

export const codes = {
  /** A record the API does not accept. */
  validation: 1004,
  invalidContent: 9005,
  /** A request body that is not JSON or not a record. */
  invalidBody: 9207,
  recordExists: 81057,
  identicalRecord: 81058,
  /** An A or AAAA record beside a CNAME of the same name, or the other way round. */
  cnameConflict: 81053,
  noSuchRecord: 81044,
  unknownZone: 7003
} as const

const recordTypes = ["A", "AAAA", "CNAME", "TXT", "MX", "NS", "CAA", "SRV", "PTR"]
const proxiable = ["A", "AAAA", "CNAME"]

const isIPv4 = (value: string) =>
  /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(value) && value.split(".").every((part) => Number(part) <= 255)

const isIPv6 = (value: string) => value.includes(":") && /^[0-9a-fA-F:.]+$/.test(value)

export const zoneView = (zone: Zone, document: CloudflareDocument) => ({
  id: zone.id,
  name: zone.name,
  status: "active",
  paused: false,
  type: "full",
  account: { id: zone.accountId, name: document.accounts.find((item) => item.id === zone.accountId)?.name ?? "" },
  name_servers: ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
  created_on: isoDate(zone.createdOn),
  modified_on: isoDate(zone.createdOn)
})

export const recordView = (record: DnsRecord, zone: Zone) => ({
  id: record.id,
  zone_id: zone.id,
  zone_name: zone.name,
  name: record.name,
  type: record.type,
  content: record.content,
  proxiable: proxiable.includes(record.type),
  proxied: record.proxied,
  ttl: record.ttl,
  settings: {},
  meta: {},
  comment: record.comment,
  tags: record.tags,
  ...(record.priority === undefined ? {} : { priority: record.priority }),
  created_on: isoDate(record.createdOn),
  modified_on: isoDate(record.modifiedOn)
})

export const listZones: Handler = (call, document) =>
  Effect.gen(function* () {
    const { page, perPage } = yield* pageOf(call, 20, 50, codes.validation)
    const name = call.query.get("name")?.toLowerCase()
    const account = call.query.get("account.id")
    const zones = document.zones.filter(
      (zone) => (name === undefined || zone.name === name) && (account === null || zone.accountId === account)
    )
    const { items, info } = paginate(zones, page, perPage)
    return yield* answer(
      items.map((zone) => zoneView(zone, document)),
      document,
      info
    )
  })

const findZone = (call: Call, document: CloudflareDocument): Effect.Effect<Zone, ApiFailure> => {
  const zone = document.zones.find((item) => item.id === call.params.zone)
  return zone === undefined
    ? fail(400, codes.unknownZone, `Could not route to ${call.path}, perhaps your object identifier is invalid?`)
    : Effect.succeed(zone)
}

export const getZone: Handler = (call, document) =>
  Effect.flatMap(findZone(call, document), (zone) => answer(zoneView(zone, document), document))

const fields = {
  type: Schema.String,
  name: Schema.String,
  content: Schema.String,
  ttl: Schema.optional(Schema.Int),
  proxied: Schema.optional(Schema.Boolean),
  comment: Schema.optional(Schema.NullOr(Schema.String)),
  tags: Schema.optional(Schema.Array(Schema.String)),
  priority: Schema.optional(Schema.Int.pipe(Schema.between(0, 65535)))
}
const RecordInput = Schema.Struct(fields)
type RecordInput = typeof RecordInput.Type
const patchFields = {
  type: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  content: Schema.optional(Schema.String),
  ttl: fields.ttl,
  proxied: fields.proxied,
  comment: fields.comment,
  tags: fields.tags,
  priority: fields.priority
}
const RecordPatch = Schema.Struct(patchFields)
type RecordPatch = typeof RecordPatch.Type
const Id = { id: Schema.String }

const Batch = Schema.Struct({
  deletes: Schema.optional(Schema.Array(Schema.Struct(Id))),
  patches: Schema.optional(Schema.Array(Schema.Struct({ ...Id, ...patchFields }))),
  puts: Schema.optional(Schema.Array(Schema.Struct({ ...Id, ...fields }))),
  posts: Schema.optional(Schema.Array(RecordInput))
})

/** `@`, a name relative to the zone and a fully qualified name, all as the FQDN. */
export const qualify = (name: string, zone: Zone): string => {
  const trimmed = name.trim().toLowerCase().replace(/\.$/, "")
  if (trimmed === "@" || trimmed === "") return zone.name
  return trimmed === zone.name || trimmed.endsWith(`.${zone.name}`) ? trimmed : `${trimmed}.${zone.name}`
}

/** The record `input` describes, checked on its own and against the zone's other records. */
const build = (
  input: RecordInput,
  base: { readonly id: string; readonly createdOn: number },
  zone: Zone,
  document: CloudflareDocument,
  now: number
): Effect.Effect<DnsRecord, ApiFailure> =>
  Effect.gen(function* () {
    const type = input.type.toUpperCase()
    if (!recordTypes.includes(type)) {
      return yield* fail(400, codes.validation, `DNS Validation Error: unsupported record type ${input.type}`)
    }
    const name = qualify(input.name, zone)
    const content = input.content.trim()
    if (type === "A" && !isIPv4(content)) {
      return yield* fail(400, codes.invalidContent, "Content for A record must be a valid IPv4 address.")
    }
    if (type === "AAAA" && !isIPv6(content)) {
      return yield* fail(400, codes.invalidContent, "Content for AAAA record must be a valid IPv6 address.")
    }
    if (content.length === 0) return yield* fail(400, codes.validation, "DNS Validation Error: content is empty")
    const ttl = input.ttl ?? 1
    if (ttl !== 1 && (ttl < 60 || ttl > 86400)) {
      return yield* fail(400, codes.validation, "DNS Validation Error: ttl must be 1 (automatic) or 60 to 86400")
    }
    const proxied = input.proxied ?? false
    if (proxied && !proxiable.includes(type)) {
      return yield* fail(400, codes.validation, `DNS Validation Error: a ${type} record cannot be proxied`)
    }
    const others = document.records.filter(
      (record) => record.zoneId === zone.id && record.id !== base.id && record.name === name
    )
    if (others.some((record) => record.type === type && record.content === content)) {
      return yield* fail(400, codes.identicalRecord, "An identical record already exists.")
    }
    const addressTypes = ["A", "AAAA"]
    const cnameClash =
      (type === "CNAME" && others.some((record) => addressTypes.includes(record.type))) ||
      (addressTypes.includes(type) && others.some((record) => record.type === "CNAME"))
    if (cnameClash) {
      return yield* fail(400, codes.cnameConflict, "An A, AAAA, or CNAME record with that host already exists.")
    }
    if (type === "CNAME" && others.some((record) => record.type === "CNAME")) {
      return yield* fail(400, codes.recordExists, "Record already exists.")
    }
    return {
      id: base.id,
      zoneId: zone.id,
      type,
      name,
      content,
      ttl,
      proxied,
      comment: input.comment ?? null,
      tags: input.tags ?? [],
      ...(input.priority === undefined ? {} : { priority: input.priority }),
      createdOn: base.createdOn,
      modifiedOn: now
    }
  })

const findRecord = (id: string, zone: Zone, document: CloudflareDocument): Effect.Effect<DnsRecord, ApiFailure> => {
  const record = document.records.find((item) => item.id === id && item.zoneId === zone.id)
  return record === undefined ? fail(404, codes.noSuchRecord, "Record does not exist.") : Effect.succeed(record)
}

const asInput = (record: DnsRecord): RecordInput => ({
  type: record.type,
  name: record.name,
  content: record.content,
  ttl: record.ttl,
  proxied: record.proxied,
  comment: record.comment,
  tags: record.tags,
  ...(record.priority === undefined ? {} : { priority: record.priority })
})

const withoutUndefined = (patch: RecordPatch): RecordPatch =>
  Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as RecordPatch

const replaceRecord = (document: CloudflareDocument, next: DnsRecord): CloudflareDocument => ({
  ...document,
  records: document.records.map((record) => (record.id === next.id ? next : record))
})

const create = (input: RecordInput, zone: Zone, document: CloudflareDocument, now: number) =>
  Effect.gen(function* () {
    const [id, allocated] = allocateId(document, "dns")
    const record = yield* build(input, { id, createdOn: now }, zone, allocated, now)
    return [record, { ...allocated, records: [...allocated.records, record] }] as const
  })

/** A PATCH keeps what it does not name; a PUT replaces the record (unnamed optional fields get their defaults). */
const update = (
  id: string,
  input: RecordPatch,
  mode: "patch" | "put",
  zone: Zone,
  document: CloudflareDocument,
  now: number
) =>
  Effect.gen(function* () {
    const existing = yield* findRecord(id, zone, document)
    const given = withoutUndefined(input)
    const kept = mode === "patch" ? asInput(existing) : {}
    const merged: RecordInput = {
      ...kept,
      ...given,
      type: input.type ?? existing.type,
      name: input.name ?? existing.name,
      content: input.content ?? existing.content
    }
    const record = yield* build(merged, existing, zone, document, now)
    return [record, replaceRecord(document, record)] as const
  })

const remove = (id: string, zone: Zone, document: CloudflareDocument) =>
  Effect.map(
    findRecord(id, zone, document),
    (record) => [record, { ...document, records: document.records.filter((item) => item !== record) }] as const
  )

export const listRecords: Handler = (call, document) =>
  Effect.gen(function* () {
    const zone = yield* findZone(call, document)
    const { page, perPage } = yield* pageOf(call, 100, 5000, codes.validation)
    const type = call.query.get("type")?.toUpperCase()
    const nameText = call.query.get("name") ?? call.query.get("name.exact")
    const name = nameText === null ? undefined : qualify(nameText, zone)
    const content = call.query.get("content") ?? call.query.get("content.exact")
    const records = document.records.filter(
      (record) =>
        record.zoneId === zone.id &&
        (type === undefined || record.type === type) &&
        (name === undefined || record.name === name) &&
        (content === null || record.content === content)
    )
    const { items, info } = paginate(records, page, perPage)
    return yield* answer(
      items.map((record) => recordView(record, zone)),
      document,
      info
    )
  })

export const getRecord: Handler = (call, document) =>
  Effect.gen(function* () {
    const zone = yield* findZone(call, document)
    const record = yield* findRecord(call.params.record ?? "", zone, document)
    return yield* answer(recordView(record, zone), document)
  })

export const createRecord: Handler = (call, document) =>
  Effect.gen(function* () {
    const zone = yield* findZone(call, document)
    const input = yield* decodeBody(call, RecordInput, codes.invalidBody)
    const [record, next] = yield* create(input, zone, document, call.now)
    return yield* answer(recordView(record, zone), next)
  })

const updateWith =
  (mode: "patch" | "put"): Handler =>
  (call, document) =>
    Effect.gen(function* () {
      const zone = yield* findZone(call, document)
      const input: RecordPatch =
        mode === "patch"
          ? yield* decodeBody(call, RecordPatch, codes.invalidBody)
          : yield* decodeBody(call, RecordInput, codes.invalidBody)
      const [record, next] = yield* update(call.params.record ?? "", input, mode, zone, document, call.now)
      return yield* answer(recordView(record, zone), next)
    })

export const patchRecord = updateWith("patch")
export const putRecord = updateWith("put")

export const deleteRecord: Handler = (call, document) =>
  Effect.gen(function* () {
    const zone = yield* findZone(call, document)
    const [record, next] = yield* remove(call.params.record ?? "", zone, document)
    return yield* answer({ id: record.id }, next)
  })

/**
 * The changes one batch may hold on the Free plan (3,500 on the others), deletes, patches, puts and
 * posts together (developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes).
 * Cloudflare does not document the error over it: a validation error here.
 */
export const batchLimit = 200

/**
 * One transaction, in Cloudflare's order whatever the body's: deletes, then patches, then puts,
 * then posts, each list in its own order. Each entry is checked as its single-record call is,
 * against the zone as the entries before it left it; the first failure is the answer and
 * nothing is applied.
 */
export const batchRecords: Handler = (call, document) =>
  Effect.gen(function* () {
    const zone = yield* findZone(call, document)
    const batch = yield* decodeBody(call, Batch, codes.invalidBody)
    const size = [batch.deletes, batch.patches, batch.puts, batch.posts].reduce(
      (sum, part) => sum + (part?.length ?? 0),
      0
    )
    if (size > batchLimit) {
      return yield* fail(
        400,
        codes.validation,
        `DNS Validation Error: a batch holds at most ${batchLimit} record changes on this zone's plan; it has ${size}`
      )
    }
    let current = document
    const done: Record<"deletes" | "patches" | "puts" | "posts", Array<DnsRecord>> = {
      deletes: [],
      patches: [],
      puts: [],
      posts: []
    }
    for (const { id } of batch.deletes ?? []) {
      const [record, next] = yield* remove(id, zone, current)
      done.deletes.push(record)
      current = next
    }
    for (const { id, ...patch } of batch.patches ?? []) {
      const [record, next] = yield* update(id, patch, "patch", zone, current, call.now)
      done.patches.push(record)
      current = next
    }
    for (const { id, ...put } of batch.puts ?? []) {
      const [record, next] = yield* update(id, put, "put", zone, current, call.now)
      done.puts.push(record)
      current = next
    }
    for (const post of batch.posts ?? []) {
      const [record, next] = yield* create(post, zone, current, call.now)
      done.posts.push(record)
      current = next
    }
    const view = (records: ReadonlyArray<DnsRecord>) => records.map((record) => recordView(record, zone))
    return yield* answer(
      {
        deletes: view(done.deletes),
        patches: view(done.patches),
        puts: view(done.puts),
        posts: view(done.posts)
      },
      current
    )
  })
