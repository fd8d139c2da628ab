/** DNS records of a zone over the REST API: listed in full, written one by one or in one batch. */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Schemas from "./Schemas.js"
import { quoted, type Result, type Transport } from "./Transport.js"

export interface RecordInput {
  readonly type: string
  /** The full name (FQDN) or a name relative to the zone. */
  readonly name: string
  readonly content: string
  /** Seconds; 1 is "automatic". */
  readonly ttl?: number | undefined
  readonly proxied?: boolean | undefined
  readonly comment?: string | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  readonly priority?: number | undefined
}

export type RecordChanges = Partial<RecordInput>

export interface RecordFilter {
  readonly type?: string | undefined
  /** The exact full name. */
  readonly name?: string | undefined
}

/** One transaction: Cloudflare applies deletes, then patches, then puts, then posts. */
export interface RecordBatch {
  readonly deletes?: ReadonlyArray<{ readonly id: string }> | undefined
  readonly patches?: ReadonlyArray<RecordChanges & { readonly id: string }> | undefined
  readonly puts?: ReadonlyArray<RecordInput & { readonly id: string }> | undefined
  readonly posts?: ReadonlyArray<RecordInput> | undefined
}

export interface Records {
  /** Every matching record of the zone, all pages followed (5000 a page). */
  readonly list: (zoneId: string, filter?: RecordFilter) => Result<ReadonlyArray<Schemas.DnsRecord>>
  readonly create: (zoneId: string, record: RecordInput) => Result<Schemas.DnsRecord>
  /** PATCH: only the fields given change. */
  readonly update: (zoneId: string, id: string, changes: RecordChanges) => Result<Schemas.DnsRecord>
  readonly delete: (zoneId: string, id: string) => Result<void>
  readonly batch: (zoneId: string, batch: RecordBatch) => Result<Schemas.BatchResult>
}

/** DNS records come 5000 a page (the API's maximum). */
export const recordsPerPage = 5000

/** The JSON body of a record: only the fields given. */
const recordBody = (record: RecordChanges & { readonly id?: string }) => {
  const body: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(record)) if (value !== undefined) body[key] = value
  return body
}

const recordPath = (zoneId: string, ...rest: ReadonlyArray<string>) => ["zones", zoneId, "dns_records", ...rest]

export const make = (transport: Transport): Records => ({
  list: (zoneId, filter) =>
    transport.listAll(
      {
        operation: "dns record list",
        subject: `in zone ${zoneId}`,
        path: recordPath(zoneId),
        query: { type: filter?.type, name: filter?.name },
        result: Schema.Array(Schemas.DnsRecord),
        idempotent: true
      },
      recordsPerPage
    ),
  create: (zoneId, record) =>
    transport.result({
      operation: "dns record create",
      subject: `${record.type} ${quoted(record.name)} in zone ${zoneId}`,
      method: "POST",
      path: recordPath(zoneId),
      body: recordBody(record),
      result: Schemas.DnsRecord,
      idempotent: false
    }),
  update: (zoneId, id, changes) =>
    transport.result({
      operation: "dns record update",
      subject: `${id} in zone ${zoneId}`,
      method: "PATCH",
      path: recordPath(zoneId, id),
      body: recordBody(changes),
      result: Schemas.DnsRecord,
      idempotent: true
    }),
  delete: (zoneId, id) =>
    Effect.asVoid(
      transport.result({
        operation: "dns record delete",
        subject: `${id} in zone ${zoneId}`,
        method: "DELETE",
        path: recordPath(zoneId, id),
        result: Schemas.Ignored,
        idempotent: true
      })
    ),
  batch: (zoneId, batch) =>
    transport.result({
      operation: "dns record batch",
      subject: `in zone ${zoneId}`,
      method: "POST",
      path: recordPath(zoneId, "batch"),
      body: {
        deletes: (batch.deletes ?? []).map((item) => ({ id: item.id })),
        patches: (batch.patches ?? []).map(recordBody),
        puts: (batch.puts ?? []).map(recordBody),
        posts: (batch.posts ?? []).map(recordBody)
      },
      result: Schemas.BatchResult,
      idempotent: false
    })
})
