/**
 * What the simulated Cloudflare account holds, as one JSON document: accounts, zones, R2
 * buckets (with their CORS rules, custom domains and objects), DNS records, KV namespaces,
 * Workers (their versions and deployments) and their routes, Pages projects (their uploaded
 * assets and deployments), the faults
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

export const KvNamespace = Schema.Struct({
  id: Schema.String,
  accountId: Schema.String,
  title: Schema.String,
  createdOn: Millis
})
export type KvNamespace = typeof KvNamespace.Type

/**
 * A binding as the API reports it (`{name, type, ...}`: `text` for `plain_text`, `json`,
 * `namespace_id`, `bucket_name` and `jurisdiction`, ...). A `secret_text` binding keeps no text.
 */
export const WorkerBinding = Schema.Struct(
  { name: Schema.String, type: Schema.String },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)
export type WorkerBinding = typeof WorkerBinding.Type

/** A module of an upload: its size and digest, not its bytes. */
export const WorkerModule = Schema.Struct({
  name: Schema.String,
  contentType: Schema.String,
  size: Schema.Int.pipe(Schema.nonNegative()),
  sha256: Schema.String
})
export type WorkerModule = typeof WorkerModule.Type

export const WorkerVersion = Schema.Struct({
  /** A UUID. */
  id: Schema.String,
  number: Schema.Int,
  createdOn: Millis,
  /** `wrangler` when wrangler uploaded it (by its user agent), `api` otherwise. */
  source: Schema.String,
  mainModule: Schema.String,
  modules: Schema.Array(WorkerModule),
  bindings: Schema.Array(WorkerBinding),
  compatibilityDate: Schema.String,
  compatibilityFlags: Schema.Array(Schema.String),
  message: Schema.optional(Schema.String)
})
export type WorkerVersion = typeof WorkerVersion.Type

export const WorkerDeployment = Schema.Struct({
  /** A UUID. */
  id: Schema.String,
  createdOn: Millis,
  source: Schema.String,
  versions: Schema.Array(Schema.Struct({ versionId: Schema.String, percentage: Schema.Number })),
  message: Schema.optional(Schema.String)
})
export type WorkerDeployment = typeof WorkerDeployment.Type

/** A Worker script. What it runs is the version its last deployment names (at 100%). */
export const Worker = Schema.Struct({
  accountId: Schema.String,
  name: Schema.String,
  /** 32 hex digits. */
  tag: Schema.String,
  createdOn: Millis,
  modifiedOn: Millis,
  /** Reachable on `<name>.<account subdomain>.workers.dev`. */
  workersDev: Schema.Boolean,
  previewsEnabled: Schema.Boolean,
  logpush: Schema.Boolean,
  tags: Schema.Array(Schema.String),
  /** Oldest first. */
  versions: Schema.Array(WorkerVersion),
  /** Oldest first; the last one is live. */
  deployments: Schema.Array(WorkerDeployment)
})
export type Worker = typeof Worker.Type

/** A zone's Worker route; `script` is absent on a route that runs no Worker. */
export const WorkerRoute = Schema.Struct({
  id: Schema.String,
  zoneId: Schema.String,
  pattern: Schema.String,
  script: Schema.optional(Schema.String)
})
export type WorkerRoute = typeof WorkerRoute.Type

export const PagesAsset = Schema.Struct({
  hash: Schema.String,
  size: Schema.Int.pipe(Schema.nonNegative()),
  contentType: Schema.String
})
export type PagesAsset = typeof PagesAsset.Type

export const PagesDeployment = Schema.Struct({
  /** A UUID; its first 8 characters name the deployment's own URL. */
  id: Schema.String,
  branch: Schema.String,
  environment: Schema.Literal("production", "preview"),
  fileCount: Schema.Int.pipe(Schema.nonNegative()),
  /** A `_worker.js` or Functions bundle came with it. */
  hasWorker: Schema.Boolean,
  commitHash: Schema.optional(Schema.String),
  createdOn: Millis
})
export type PagesDeployment = typeof PagesDeployment.Type

const DeploymentConfig = Schema.Record({ key: Schema.String, value: Schema.Unknown })

export const PagesProject = Schema.Struct({
  /** A UUID. */
  id: Schema.String,
  accountId: Schema.String,
  name: Schema.String,
  productionBranch: Schema.String,
  createdOn: Millis,
  /** As the API echoes them, defaults filled in. */
  deploymentConfigs: Schema.Struct({ production: DeploymentConfig, preview: DeploymentConfig }),
  /** Files uploaded through `/pages/assets/upload`, by content hash. */
  assets: Schema.Array(PagesAsset),
  /** Oldest first. */
  deployments: Schema.Array(PagesDeployment)
})
export type PagesProject = typeof PagesProject.Type

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
  // Absent from documents written before Workers, Pages and KV were simulated.
  kvNamespaces: Schema.optionalWith(Schema.Array(KvNamespace), { default: () => [] }),
  workers: Schema.optionalWith(Schema.Array(Worker), { default: () => [] }),
  routes: Schema.optionalWith(Schema.Array(WorkerRoute), { default: () => [] }),
  pages: Schema.optionalWith(Schema.Array(PagesProject), { default: () => [] }),
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
  kvNamespaces: [],
  workers: [],
  routes: [],
  pages: [],
  faults: [],
  fired: {},
  rateLimitedUntil: 0,
  window: { start: 0, count: 0 },
  sequence: 0,
  requests: []
}
