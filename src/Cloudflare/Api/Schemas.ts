/**
 * The Cloudflare v4 REST API's JSON: the envelope every answer comes in, and one schema per
 * result. Results are decoded into camelCase types holding only the fields FleetFlow reads, so
 * an answer that differs in any other field (another API version, a stand-in) still reads. A
 * field FleetFlow needs is required, and its absence is an error that names it; one it can do
 * without reads as absent. The envelope asks only what classifying an answer takes.
 */
import * as Schema from "effect/Schema"

// The key is a literal type parameter: typed `string`, the encoded side would get an index signature.
const optionalField = <const Key extends string, S extends Schema.Schema.AnyNoContext>(key: Key, schema: S) =>
  Schema.optional(schema).pipe(Schema.fromKey(key))

/** Absent or `null` reads as absent. */
const nullable = <S extends Schema.Schema.AnyNoContext>(schema: S) => Schema.optionalWith(schema, { nullable: true })

const nullableField = <const Key extends string, S extends Schema.Schema.AnyNoContext>(key: Key, schema: S) =>
  nullable(schema).pipe(Schema.fromKey(key))

/** One entry of `errors` (or `messages`); the code is absent on a few endpoints' messages. */
export const ApiMessage = Schema.Struct({
  code: Schema.optional(Schema.Number),
  message: Schema.optionalWith(Schema.String, { default: () => "" })
})
export type ApiMessage = typeof ApiMessage.Type

/** Page-based (`page`, `total_pages`) or cursor-based (`cursor`) pagination. */
export const ResultInfo = Schema.Struct({
  perPage: nullableField("per_page", Schema.Number),
  totalCount: nullableField("total_count", Schema.Number),
  totalPages: nullableField("total_pages", Schema.Number),
  cursor: nullable(Schema.String)
})
export type ResultInfo = typeof ResultInfo.Type

/** `{ success, errors, result, result_info }`; `result` is decoded by each operation. */
export const Envelope = Schema.Struct({
  success: Schema.Boolean,
  errors: Schema.optionalWith(Schema.Array(ApiMessage), { default: () => [], nullable: true }),
  result: Schema.optional(Schema.Unknown),
  resultInfo: optionalField("result_info", Schema.NullOr(ResultInfo))
})
export type Envelope = typeof Envelope.Type

/** Answers whose result nobody reads (deletes): any result is accepted. */
export const Ignored = Schema.Unknown

// ---------------------------------------------------------------------------------------------
// R2

export const Bucket = Schema.Struct({
  name: Schema.String,
  /** "WNAM", "EEUR", …; Cloudflare's spelling is kept. */
  location: Schema.optional(Schema.String),
  storageClass: optionalField("storage_class", Schema.String),
  jurisdiction: Schema.optional(Schema.String)
})
export type Bucket = typeof Bucket.Type

export const BucketList = Schema.Struct({
  buckets: Schema.Array(Bucket)
})

/** What a create answers: the bucket, or (some API versions and fakes) nothing useful. */
export const CreatedBucket = Schema.NullishOr(Schema.partial(Bucket))

export const CorsRule = Schema.Struct({
  allowed: Schema.Struct({
    origins: Schema.Array(Schema.String),
    methods: Schema.Array(Schema.String),
    headers: Schema.optional(Schema.Array(Schema.String))
  }),
  exposeHeaders: Schema.optional(Schema.Array(Schema.String)),
  maxAgeSeconds: Schema.optional(Schema.Number)
})
export type CorsRule = typeof CorsRule.Type

export const CorsPolicy = Schema.Struct({
  rules: Schema.optionalWith(Schema.Array(CorsRule), { default: () => [], nullable: true })
})

export const CustomDomain = Schema.Struct({
  domain: Schema.String,
  enabled: Schema.optional(Schema.Boolean),
  /** "1.0" | "1.1" | "1.2" | "1.3" */
  minTLS: Schema.optional(Schema.String),
  zoneId: Schema.optional(Schema.String)
})
export type CustomDomain = typeof CustomDomain.Type

export const CustomDomainList = Schema.Struct({
  domains: Schema.optionalWith(Schema.Array(CustomDomain), { default: () => [], nullable: true })
})

/** What an add or an update answers: the domain, or less. */
export const ChangedDomain = Schema.NullishOr(Schema.partial(CustomDomain))

// ---------------------------------------------------------------------------------------------
// Zones and DNS

export const Zone = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  /** "active" | "pending" | "initializing" | "moved" | … */
  status: Schema.optional(Schema.String)
})
export type Zone = typeof Zone.Type

export const DnsRecord = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  /** The full name (FQDN). */
  name: Schema.String,
  content: Schema.String,
  /** Seconds; 1 is "automatic". */
  ttl: Schema.optional(Schema.Number),
  proxied: Schema.optional(Schema.Boolean),
  /** MX, SRV and URI records only. */
  priority: Schema.optional(Schema.Number)
})
export type DnsRecord = typeof DnsRecord.Type

const records = Schema.optionalWith(Schema.Array(DnsRecord), { default: () => [], nullable: true })

/** The records each part of a batch produced (deleted, patched, replaced, created). */
export const BatchResult = Schema.Struct({
  deletes: records,
  patches: records,
  puts: records,
  posts: records
})
export type BatchResult = typeof BatchResult.Type

// ---------------------------------------------------------------------------------------------
// Workers, Pages and KV: read here, written by wrangler

/**
 * One entry of the account's Workers script list; its `id` is the worker's name. The entry holds
 * the deployed version's compatibility settings (the API schema's script response; cloudflare-rs's
 * `WorkerScript` reads them too).
 */
export const WorkerScript = Schema.Struct({
  id: Schema.String,
  /** Of the version deployed; "" or absent when none was given. */
  compatibilityDate: nullableField("compatibility_date", Schema.String),
  compatibilityFlags: nullableField("compatibility_flags", Schema.Array(Schema.String))
})
export type WorkerScript = typeof WorkerScript.Type

/** A binding of the deployed version; the field its value is in depends on its type. */
export const WorkerBinding = Schema.Struct({
  /** "r2_bucket" | "kv_namespace" | "plain_text" | "secret_text" | … */
  type: Schema.String,
  name: Schema.String,
  bucketName: optionalField("bucket_name", Schema.String),
  namespaceId: optionalField("namespace_id", Schema.String),
  text: Schema.optional(Schema.String)
})
export type WorkerBinding = typeof WorkerBinding.Type

/** `GET …/workers/scripts/{name}/settings`: what the deployed version runs with. */
export const WorkerSettings = Schema.Struct({
  bindings: Schema.optionalWith(Schema.Array(WorkerBinding), { default: () => [], nullable: true })
})
export type WorkerSettings = typeof WorkerSettings.Type

/** `GET …/workers/scripts/{name}/routes`: one route that runs the script, in whichever zone. */
export const WorkerRoute = Schema.Struct({
  pattern: Schema.String
})
export type WorkerRoute = typeof WorkerRoute.Type

/** `GET …/workers/scripts/{name}/subdomain`: whether the script answers on workers.dev. */
export const WorkerSubdomain = Schema.Struct({
  enabled: Schema.Boolean
})
export type WorkerSubdomain = typeof WorkerSubdomain.Type

export const PagesProject = Schema.Struct({
  name: Schema.String,
  /** `<name>.pages.dev`, or with a suffix when that name was taken. */
  subdomain: nullable(Schema.String),
  productionBranch: nullableField("production_branch", Schema.String)
})
export type PagesProject = typeof PagesProject.Type

export const KvNamespace = Schema.Struct({
  id: Schema.String,
  title: Schema.String
})
export type KvNamespace = typeof KvNamespace.Type
