/**
 * What the simulated Cloudflare account holds, as one JSON document: accounts, zones, R2
 * buckets (with their CORS rules, custom domains and objects), DNS records, the faults
 * injected while it runs and how often each has fired, the rate-limit state, and a log of
 * the requests it answered. Times are epoch milliseconds. The log keeps method, path, query
 * and status only: never a header or a body, which is where credentials travel.
 */
import * as Schema from "effect/Schema"

const Millis = Schema.Number

export const Account = Schema.Struct({
  id: Schema.String,
  name: Schema.String
})
export type Account = typeof Account.Type

export const Zone = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  accountId: Schema.String,
  createdOn: Millis
})
export type Zone = typeof Zone.Type

/** R2's own CORS rule shape (not S3's). */
export const CorsRule = Schema.Struct({
  id: Schema.optional(Schema.String),
  allowed: Schema.Struct({
    origins: Schema.Array(Schema.String),
    methods: Schema.Array(Schema.Literal("GET", "PUT", "POST", "DELETE", "HEAD")),
    headers: Schema.optional(Schema.Array(Schema.String))
  }),
  exposeHeaders: Schema.optional(Schema.Array(Schema.String)),
  maxAgeSeconds: Schema.optional(Schema.Int.pipe(Schema.nonNegative()))
})
export type CorsRule = typeof CorsRule.Type

export const CustomDomain = Schema.Struct({
  domain: Schema.String,
  zoneId: Schema.String,
  zoneName: Schema.String,
  enabled: Schema.Boolean,
  minTLS: Schema.String
})
export type CustomDomain = typeof CustomDomain.Type

export const StoredObject = Schema.Struct({
  key: Schema.String,
  size: Schema.Int.pipe(Schema.nonNegative()),
  uploaded: Millis
})
export type StoredObject = typeof StoredObject.Type

export const Bucket = Schema.Struct({
  accountId: Schema.String,
  /** `default` unless the bucket was created with `cf-r2-jurisdiction`. */
  jurisdiction: Schema.String,
  name: Schema.String,
  location: Schema.String,
  storageClass: Schema.String,
  createdOn: Millis,
  /** Absent until a CORS policy is put. */
  cors: Schema.optional(Schema.Array(CorsRule)),
  domains: Schema.Array(CustomDomain),
  objects: Schema.Array(StoredObject)
})
export type Bucket = typeof Bucket.Type

export const DnsRecord = Schema.Struct({
  id: Schema.String,
  zoneId: Schema.String,
  type: Schema.String,
  /** Fully qualified, lower case. */
  name: Schema.String,
  content: Schema.String,
  /** 1 is automatic. */
  ttl: Schema.Int,
  proxied: Schema.Boolean,
  comment: Schema.NullOr(Schema.String),
  tags: Schema.Array(Schema.String),
  priority: Schema.optional(Schema.Int),
  createdOn: Millis,
  modifiedOn: Millis
})
export type DnsRecord = typeof DnsRecord.Type

/** A rule that makes matching requests fail, rate-limited or hang. */
export const FaultRule = Schema.Struct({
  /** An HTTP method, or `*`. */
  method: Schema.String,
  /** A path under `/client/v4`; `*` stands for any run of characters, `/` included. */
  path: Schema.NonEmptyString,
  kind: Schema.Union(
    Schema.TaggedStruct("Status", {
      status: Schema.Int.pipe(Schema.between(400, 599)),
      code: Schema.optional(Schema.Int)
    }),
    Schema.TaggedStruct("RateLimit", { seconds: Schema.Int.pipe(Schema.positive()) }),
    Schema.TaggedStruct("Hang", {})
  ),
  /** How many matching requests it affects (rate limits: how many windows it opens); every one when absent. */
  times: Schema.optional(Schema.Int.pipe(Schema.positive()))
})
export type FaultRule = typeof FaultRule.Type

export const RequestEntry = Schema.Struct({
  method: Schema.String,
  /** Under `/client/v4`, e.g. `/zones/0123…/dns_records`. */
  path: Schema.String,
  /** The query string without `?`; empty when there is none. */
  query: Schema.String,
  status: Schema.Int,
  at: Millis
})
export type RequestEntry = typeof RequestEntry.Type

export const CloudflareDocument = Schema.Struct({
  accounts: Schema.Array(Account),
  zones: Schema.Array(Zone),
  buckets: Schema.Array(Bucket),
  records: Schema.Array(DnsRecord),
  /** Faults added while the simulator runs (`injectFaults`); those of the options are not stored. */
  faults: Schema.Array(FaultRule),
  /** How often each fault rule has fired, by `<source>:<index>:<rule>`. */
  fired: Schema.Record({ key: Schema.String, value: Schema.Int }),
  /** Every request is answered 429 until then. */
  rateLimitedUntil: Millis,
  /** The built-in limiter's current window. */
  window: Schema.Struct({ start: Millis, count: Schema.Int }),
  /** Hands out IDs. */
  sequence: Schema.Int,
  requests: Schema.Array(RequestEntry)
})
export type CloudflareDocument = typeof CloudflareDocument.Type

export const empty: CloudflareDocument = {
  accounts: [],
  zones: [],
  buckets: [],
  records: [],
  faults: [],
  fired: {},
  rateLimitedUntil: 0,
  window: { start: 0, count: 0 },
  sequence: 0,
  requests: []
}
