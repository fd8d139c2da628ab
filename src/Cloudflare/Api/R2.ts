/** R2 over the REST API: the account's buckets, their CORS rules and their custom domains. */
import * as Effect from "effect/Effect"
import * as Errors from "./Errors.js"
import * as Schemas from "./Schemas.js"
import { type Call, maxPages, quoted, type Result, type Transport } from "./Transport.js"

/** R2 calls for a bucket in a jurisdiction ("eu", "fedramp") send it in `cf-r2-jurisdiction`. */
export interface InJurisdiction {
  readonly jurisdiction?: string | undefined
}

export interface BucketCreateSpec extends InJurisdiction {
  readonly name: string
  /** "weur" | "eeur" | "apac" | "wnam" | "enam" | "oc" */
  readonly locationHint?: string | undefined
  /** "Standard" | "InfrequentAccess" */
  readonly storageClass?: string | undefined
}

export interface DomainCreateSpec {
  readonly domain: string
  readonly zoneId: string
  /** Default true. */
  readonly enabled?: boolean | undefined
  /** "1.0" | "1.1" | "1.2" | "1.3" */
  readonly minTLS?: string | undefined
}

export interface DomainUpdate {
  readonly enabled?: boolean | undefined
  readonly minTLS?: string | undefined
}

export interface R2 {
  readonly buckets: {
    /** Every bucket of the account (in one jurisdiction), in as few calls as the API allows: one up to 1000. */
    readonly list: (options?: InJurisdiction) => Result<ReadonlyArray<Schemas.Bucket>>
    readonly get: (name: string, options?: InJurisdiction) => Result<Schemas.Bucket>
    /** An existing name fails with reason `exists`. */
    readonly create: (spec: BucketCreateSpec) => Result<Schemas.Bucket>
    /** Changes the class new objects get ("Standard" | "InfrequentAccess"); the objects there keep theirs. */
    readonly setStorageClass: (name: string, storageClass: string, options?: InJurisdiction) => Result<Schemas.Bucket>
    /** A bucket that holds objects fails with reason `conflict` (code 10008). */
    readonly delete: (name: string, options?: InJurisdiction) => Result<void>
  }
  readonly cors: {
    /** No CORS configuration reads as no rules. */
    readonly get: (bucket: string, options?: InJurisdiction) => Result<ReadonlyArray<Schemas.CorsRule>>
    readonly put: (bucket: string, rules: ReadonlyArray<Schemas.CorsRule>, options?: InJurisdiction) => Result<void>
    readonly delete: (bucket: string, options?: InJurisdiction) => Result<void>
  }
  /** Custom domains of a bucket. */
  readonly domains: {
    readonly list: (bucket: string, options?: InJurisdiction) => Result<ReadonlyArray<Schemas.CustomDomain>>
    readonly get: (bucket: string, domain: string, options?: InJurisdiction) => Result<Schemas.CustomDomain>
    readonly create: (bucket: string, spec: DomainCreateSpec, options?: InJurisdiction) => Result<Schemas.CustomDomain>
    readonly update: (
      bucket: string,
      domain: string,
      changes: DomainUpdate,
      options?: InJurisdiction
    ) => Result<Schemas.CustomDomain>
    readonly delete: (bucket: string, domain: string, options?: InJurisdiction) => Result<void>
  }
}

/** R2 buckets come 1000 a page (the API's maximum). */
export const bucketsPerPage = 1000

const bucketSubject = (name: string, options?: InJurisdiction) =>
  options?.jurisdiction === undefined ? quoted(name) : `${quoted(name)} (jurisdiction ${options.jurisdiction})`

const domainSubject = (bucket: string, domain: string, options?: InJurisdiction) =>
  `${quoted(domain)} of bucket ${bucketSubject(bucket, options)}`

const bucketPath = (account: string, bucket: string, ...rest: ReadonlyArray<string>) => [
  "accounts",
  account,
  "r2",
  "buckets",
  bucket,
  ...rest
]

/** A call about one bucket of the account, in its jurisdiction. */
const bucketCall =
  (transport: Transport) =>
  <A, I>(
    operation: string,
    subject: string,
    options: InJurisdiction | undefined,
    build: (account: string) => Omit<Call<A, I>, "operation" | "subject" | "jurisdiction">
  ): Result<A> =>
    Effect.flatMap(transport.accountId(operation), (account) =>
      transport.result({
        operation,
        subject,
        jurisdiction: options?.jurisdiction,
        ...build(account)
      })
    )

/** Every bucket, following `result_info.cursor`. */
const listBuckets = (transport: Transport, options?: InJurisdiction): Result<ReadonlyArray<Schemas.Bucket>> =>
  Effect.gen(function* () {
    const operation = "r2 bucket list"
    const account = yield* transport.accountId(operation)
    const all: Array<Schemas.Bucket> = []
    let cursor: string | undefined
    for (let page = 1; ; page++) {
      const answer = yield* transport.run({
        operation,
        method: "GET",
        path: ["accounts", account, "r2", "buckets"],
        query: { per_page: bucketsPerPage, cursor },
        jurisdiction: options?.jurisdiction,
        result: Schemas.BucketList,
        idempotent: true
      })
      all.push(...answer.result.buckets)
      const next = answer.info?.cursor
      if (next === undefined || next === "" || next === cursor || answer.result.buckets.length === 0) return all
      if (page >= maxPages) {
        return yield* Errors.make(operation, "failed", `${operation}: more than ${maxPages} pages`)
      }
      cursor = next
    }
  })

/** What Cloudflare answered to a create, completed with what was asked where the answer is silent. */
const createdBucket = (spec: BucketCreateSpec, created: typeof Schemas.CreatedBucket.Type): Schemas.Bucket => {
  const location = created?.location ?? spec.locationHint?.toUpperCase()
  const storageClass = created?.storageClass ?? spec.storageClass
  const jurisdiction = created?.jurisdiction ?? spec.jurisdiction
  return {
    name: created?.name ?? spec.name,
    ...(location === undefined ? {} : { location }),
    ...(storageClass === undefined ? {} : { storageClass }),
    ...(jurisdiction === undefined ? {} : { jurisdiction })
  }
}

const buckets = (transport: Transport): R2["buckets"] => {
  const call = bucketCall(transport)
  return {
    list: (options) => listBuckets(transport, options),
    get: (name, options) =>
      call("r2 bucket get", bucketSubject(name, options), options, (account) => ({
        method: "GET",
        path: bucketPath(account, name),
        result: Schemas.Bucket,
        idempotent: true
      })),
    create: (spec) =>
      Effect.map(
        call("r2 bucket create", bucketSubject(spec.name, spec), spec, (account) => ({
          method: "POST",
          path: ["accounts", account, "r2", "buckets"],
          body: {
            name: spec.name,
            ...(spec.locationHint === undefined ? {} : { locationHint: spec.locationHint }),
            ...(spec.storageClass === undefined ? {} : { storageClass: spec.storageClass })
          },
          result: Schemas.CreatedBucket,
          idempotent: false
        })),
        (created) => createdBucket(spec, created)
      ),
    // The API's "Patch Bucket" takes the class in the `cf-r2-storage-class` header (wrangler's
    // `r2 bucket update storage-class`, packages/wrangler/src/r2/helpers.ts).
    setStorageClass: (name, storageClass, options) =>
      Effect.map(
        call("r2 bucket update", bucketSubject(name, options), options, (account) => ({
          method: "PATCH",
          path: bucketPath(account, name),
          headers: { "cf-r2-storage-class": storageClass },
          result: Schemas.CreatedBucket,
          idempotent: true
        })),
        (patched) => createdBucket({ name, storageClass, jurisdiction: options?.jurisdiction }, patched)
      ),
    delete: (name, options) =>
      Effect.asVoid(
        call("r2 bucket delete", bucketSubject(name, options), options, (account) => ({
          method: "DELETE",
          path: bucketPath(account, name),
          result: Schemas.Ignored,
          idempotent: true
        }))
      )
  }
}

const cors = (transport: Transport): R2["cors"] => {
  const call = bucketCall(transport)
  return {
    get: (bucket, options) =>
      call("r2 bucket cors get", bucketSubject(bucket, options), options, (account) => ({
        method: "GET",
        path: bucketPath(account, bucket, "cors"),
        result: Schemas.CorsPolicy,
        idempotent: true
      })).pipe(
        Effect.map((policy) => policy.rules),
        // A bucket without CORS answers 404 with its own code; a missing bucket is 10006.
        Effect.catchIf(
          (error) => error.reason === "not-found" && error.code !== undefined && error.code !== 10006,
          () => Effect.succeed([])
        )
      ),
    put: (bucket, rules, options) =>
      Effect.asVoid(
        call("r2 bucket cors put", bucketSubject(bucket, options), options, (account) => ({
          method: "PUT",
          path: bucketPath(account, bucket, "cors"),
          body: { rules },
          result: Schemas.Ignored,
          idempotent: true
        }))
      ),
    delete: (bucket, options) =>
      Effect.asVoid(
        call("r2 bucket cors delete", bucketSubject(bucket, options), options, (account) => ({
          method: "DELETE",
          path: bucketPath(account, bucket, "cors"),
          result: Schemas.Ignored,
          idempotent: true
        }))
      )
  }
}

const changedDomain = (
  domain: string,
  fallback: Partial<Schemas.CustomDomain>,
  changed: typeof Schemas.ChangedDomain.Type
): Schemas.CustomDomain => {
  const merged = { ...fallback, ...changed }
  return Object.fromEntries(
    Object.entries({ ...merged, domain: changed?.domain ?? domain }).filter(([, value]) => value !== undefined)
  ) as Schemas.CustomDomain
}

const domains = (transport: Transport): R2["domains"] => {
  const call = bucketCall(transport)
  return {
    list: (bucket, options) =>
      Effect.map(
        call("r2 bucket domain list", bucketSubject(bucket, options), options, (account) => ({
          method: "GET",
          path: bucketPath(account, bucket, "domains", "custom"),
          result: Schemas.CustomDomainList,
          idempotent: true
        })),
        (list) => list.domains
      ),
    get: (bucket, domain, options) =>
      call("r2 bucket domain get", domainSubject(bucket, domain, options), options, (account) => ({
        method: "GET",
        path: bucketPath(account, bucket, "domains", "custom", domain),
        result: Schemas.CustomDomain,
        idempotent: true
      })),
    create: (bucket, spec, options) =>
      Effect.map(
        call("r2 bucket domain add", domainSubject(bucket, spec.domain, options), options, (account) => ({
          method: "POST",
          path: bucketPath(account, bucket, "domains", "custom"),
          body: {
            domain: spec.domain,
            zoneId: spec.zoneId,
            enabled: spec.enabled ?? true,
            ...(spec.minTLS === undefined ? {} : { minTLS: spec.minTLS })
          },
          result: Schemas.ChangedDomain,
          idempotent: false
        })),
        (created) =>
          changedDomain(
            spec.domain,
            { zoneId: spec.zoneId, enabled: spec.enabled ?? true, minTLS: spec.minTLS },
            created
          )
      ),
    update: (bucket, domain, changes, options) =>
      Effect.map(
        call("r2 bucket domain update", domainSubject(bucket, domain, options), options, (account) => ({
          method: "PUT",
          path: bucketPath(account, bucket, "domains", "custom", domain),
          body: {
            ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }),
            ...(changes.minTLS === undefined ? {} : { minTLS: changes.minTLS })
          },
          result: Schemas.ChangedDomain,
          idempotent: true
        })),
        (updated) => changedDomain(domain, changes, updated)
      ),
    delete: (bucket, domain, options) =>
      Effect.asVoid(
        call("r2 bucket domain remove", domainSubject(bucket, domain, options), options, (account) => ({
          method: "DELETE",
          path: bucketPath(account, bucket, "domains", "custom", domain),
          result: Schemas.Ignored,
          idempotent: true
        }))
      )
  }
}

export const make = (transport: Transport): R2 => ({
  buckets: buckets(transport),
  cors: cors(transport),
  domains: domains(transport)
})
