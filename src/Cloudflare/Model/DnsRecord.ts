/**
 * A DNS record (`dns`): what it is declared with, and which changes need a new one.
 */
import * as Schema from "effect/Schema"
import type { DeclaredInputs, ReplaceFields } from "../../Resource.js"

export const DnsRecordInputs = Schema.Struct({
  zone: Schema.String,
  name: Schema.String,
  type: Schema.String,
  content: Schema.String,
  proxied: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  ttl: Schema.optionalWith(Schema.Number, { default: () => 1 }),
  priority: Schema.optional(Schema.Number)
})
export type DnsRecordInputs = typeof DnsRecordInputs.Type

export const dnsRecordReplaceFields: ReplaceFields<DnsRecordInputs> = ["zone", "name", "type"]

/** Cloudflare holds every input of a record. */
export const dnsRecordUnobservedFields: ReadonlyArray<keyof DnsRecordInputs> = []

export type DeclaredDnsRecord = DeclaredInputs<typeof DnsRecordInputs.Encoded>

/** What `fleetflow output` shows besides the ID: the record's full name, type and content (attributes, never inputs). */
export const dnsRecordOutputFields: ReadonlyArray<string> = ["fqdn", "type", "content"]
