/**
 * R2 buckets (`r2`) with their CORS rules, and their custom domains (`r2-domain`). A bucket has
 * no tags to mark an owner, so a create answered "exists" adopts the bucket of that name in
 * the account: an earlier attempt of this project made it, or it was there before. A bucket
 * that still holds objects is never deleted: Cloudflare refuses, and the error says to empty it.
 */
import * as Effect from "effect/Effect"
import { type ApplyRequest, ProviderError } from "../../Provider.js"
import type { Inputs, Json, Observed, ResourceKey, StoredResource } from "../../Resource.js"
import { type Bucket, type CloudflareApiService, type CorsRule, type CustomDomain, toProviderError } from "../Api.js"
import { BucketDomainInputs, BucketInputs, type Cors } from "../Model.js"
import { groupBy, named } from "../../Grouping.js"
import * as Together from "../../Together.js"
import { type Clients, decodeInputs, ignoreNotFound, nameOf, orFail, providerName } from "./Common.js"

const decodeBucket = decodeInputs(BucketInputs, "an R2 bucket")
const decodeDomain = decodeInputs(BucketDomainInputs, "an R2 custom domain")

/** The CORS input as R2's rules (R2's own shape, not S3's). */
export const corsRules = (cors: Cors): ReadonlyArray<CorsRule> => [
  {
    allowed: {
      origins: [...cors.allowedOrigins],
      methods: [...cors.allowedMethods],
      ...(cors.allowedHeaders.length === 0 ? {} : { headers: [...cors.allowedHeaders] })
    },
    ...(cors.exposeHeaders.length === 0 ? {} : { exposeHeaders: [...cors.exposeHeaders] }),
    ...(cors.maxAge === undefined ? {} : { maxAgeSeconds: cors.maxAge })
  }
]

/** R2's rules as the CORS input reads (the first rule; FleetFlow writes one). */
const corsInput = (rules: ReadonlyArray<CorsRule>): Json | undefined => {
  const rule = rules[0]
  if (rule === undefined) return undefined
  return {
    allowedOrigins: [...rule.allowed.origins],
    allowedMethods: [...rule.allowed.methods],
    allowedHeaders: [...(rule.allowed.headers ?? [])],
    exposeHeaders: [...(rule.exposeHeaders ?? [])],
    ...(rule.maxAgeSeconds === undefined ? {} : { maxAge: rule.maxAgeSeconds })
  }
}

/** The jurisdiction a bucket (stored, or declared) lives in: R2 calls for it must name it. */
export const jurisdictionOf = (resource: {
  readonly inputs: Inputs
  readonly attributes?: Inputs | undefined
}): string | undefined => {
  const value = resource.inputs.jurisdiction ?? resource.attributes?.jurisdiction
  return typeof value === "string" && value !== "" ? value : undefined
}

/** `seen` spelled as `given` when they mean the same whatever the case ("apac" and "APAC"); absent: `null`. */
const caseless = (seen: string | undefined, given: Json | undefined): Json =>
  seen === undefined ? null : typeof given === "string" && given.toUpperCase() === seen.toUpperCase() ? given : seen

/**
 * The inputs a bucket holds, for the fields FleetFlow manages on it (those `inputs` give): its
 * location and default storage class, and with `rules` read, its CORS rules. A field the file
 * leaves to Cloudflare is not reported, so whatever Cloudflare chose is no change.
 */
const bucketInputs = (bucket: Bucket, rules: ReadonlyArray<CorsRule> | undefined, inputs: Inputs): Inputs => ({
  ...(inputs.location === undefined ? {} : { location: caseless(bucket.location, inputs.location) }),
  ...(inputs.storageClass === undefined ? {} : { storageClass: bucket.storageClass ?? null }),
  ...(rules === undefined ? {} : { cors: corsInput(rules) ?? null })
})

/** The bucket as FleetFlow records it; with `inputs`, what it holds of them is reported for drift. */
export const observe = (
  bucket: Bucket,
  rules: ReadonlyArray<CorsRule> | undefined,
  adopted: boolean,
  inputs?: Inputs
): Observed => {
  const seen = inputs === undefined ? {} : bucketInputs(bucket, rules, inputs)
  return {
    id: bucket.name,
    attributes: {
      name: bucket.name,
      ...(bucket.location === undefined ? {} : { location: bucket.location }),
      ...(bucket.storageClass === undefined ? {} : { storageClass: bucket.storageClass }),
      ...(bucket.jurisdiction === undefined || bucket.jurisdiction === "default"
        ? {}
        : { jurisdiction: bucket.jurisdiction }),
      ...(adopted ? { adopted: true } : {})
    },
    ...(Object.keys(seen).length === 0 ? {} : { inputs: seen })
  }
}

/**
 * What a custom domain holds of the inputs: whether it is enabled (unset in the inputs means
 * enabled, so an enabled domain reports nothing then) and, when the inputs give one, its
 * minimum TLS version, spelled as they spell it ("1.2" or 1.2).
 */
const domainInputs = (domain: CustomDomain, inputs: Inputs): Inputs => ({
  ...(domain.enabled === undefined
    ? {}
    : { enabled: domain.enabled && inputs.enabled === undefined ? null : domain.enabled }),
  ...(inputs.minTls === undefined
    ? {}
    : {
        minTls:
          domain.minTLS === undefined ? null : String(inputs.minTls) === domain.minTLS ? inputs.minTls : domain.minTLS
      })
})

export const observeDomain = (bucket: string, domain: CustomDomain, inputs?: Inputs): Observed => ({
  id: domain.domain,
  attributes: {
    bucket,
    domain: domain.domain,
    ...(domain.zoneId === undefined ? {} : { zoneId: domain.zoneId }),
    ...(domain.enabled === undefined ? {} : { enabled: domain.enabled }),
    ...(domain.minTLS === undefined ? {} : { minTls: domain.minTLS })
  },
  ...(inputs === undefined ? {} : { inputs: domainInputs(domain, inputs) })
})

/**
 * Whether FleetFlow manages a bucket's CORS rules: only when its inputs (declared or recorded)
 * have a `cors` block, as Terraform keeps a bucket's CORS configuration a resource of its own.
 */
export const managesCors = (inputs: Inputs | undefined): boolean => inputs?.cors !== undefined

/** A bucket to read: by name, in its jurisdiction; its CORS rules only when FleetFlow manages them. */
export interface BucketLookup {
  readonly key: ResourceKey
  readonly name: string
  readonly jurisdiction: string | undefined
  readonly adopted: boolean
  readonly cors: boolean
  /** The state records it, so it most likely exists: its CORS rules are read beside the list, not after it. */
  readonly recorded: boolean
  /** The inputs the bucket's are reported against (see `observe`). */
  readonly inputs: Inputs
}

/** The buckets there are: one bucket list per jurisdiction, and one CORS read per bucket found whose CORS is managed. */
export const read = (
  api: CloudflareApiService,
  lookups: ReadonlyArray<BucketLookup>
): Effect.Effect<ReadonlyArray<readonly [ResourceKey, Observed]>, ProviderError> =>
  Effect.map(
    Effect.forEach(
      groupBy(lookups, (lookup) => lookup.jurisdiction),
      ([jurisdiction, group]) =>
        Effect.gen(function* () {
          const corsOf = ({ key, name }: BucketLookup) => orFail(key)(api.r2.cors.get(name, { jurisdiction }))
          const [listed, readAhead] = yield* Together.ahead(
            orFail()(api.r2.buckets.list({ jurisdiction })),
            Effect.forEach(
              group.filter((lookup) => lookup.cors && lookup.recorded),
              (lookup) => Effect.map(Effect.either(corsOf(lookup)), (read) => [lookup.key, read] as const),
              { concurrency: 8 }
            )
          )
          const early = new Map(yield* readAhead)
          // By name, and an effect only for a CORS read: a plan looks up thousands of buckets.
          const found = group.flatMap((lookup) => {
            const [bucket] = named(listed, lookup.name)
            return bucket === undefined ? [] : [[lookup, bucket] as const]
          })
          const rules = new Map(
            yield* Effect.forEach(
              found.filter(([lookup]) => lookup.cors),
              ([lookup]) => Effect.map(early.get(lookup.key) ?? corsOf(lookup), (read) => [lookup.key, read] as const),
              { concurrency: 8 }
            )
          )
          return found.map(
            ([{ adopted, inputs, key }, bucket]) => [key, observe(bucket, rules.get(key), adopted, inputs)] as const
          )
        }),
      { concurrency: "unbounded" }
    ),
    (groups) => groups.flat()
  )

/** Custom domains to read: by domain, on their bucket. */
export interface DomainLookup {
  readonly key: ResourceKey
  readonly bucket: string
  readonly domain: string
  readonly jurisdiction: string | undefined
  /** The inputs the domain's are reported against (see `observeDomain`). */
  readonly inputs: Inputs
}

/** The custom domains there are: one domain list per bucket; a bucket that is gone has none. */
export const readDomains = (
  api: CloudflareApiService,
  lookups: ReadonlyArray<DomainLookup>
): Effect.Effect<ReadonlyArray<readonly [ResourceKey, Observed]>, ProviderError> =>
  Effect.map(
    Effect.forEach(
      groupBy(lookups, (lookup) => lookup.bucket),
      ([bucket, group]) =>
        api.r2.domains.list(bucket, { jurisdiction: group[0]?.jurisdiction }).pipe(
          Effect.catchIf(
            (error) => error.reason === "not-found",
            () => Effect.succeed([])
          ),
          orFail(),
          Effect.map((listed) =>
            group.flatMap(({ domain, inputs, key }) => {
              const found = listed.find((candidate) => candidate.domain === domain)
              return found === undefined ? [] : [[key, observeDomain(bucket, found, inputs)] as const]
            })
          )
        ),
      { concurrency: 8 }
    ),
    (groups) => groups.flat()
  )

/** Puts the CORS rules the inputs ask for, or removes them when the inputs have none and the state had some. */
const syncCors = (clients: Clients, key: ResourceKey, inputs: BucketInputs, hadCors: boolean) => {
  const options = { jurisdiction: inputs.jurisdiction }
  if (inputs.cors !== undefined)
    return orFail(key)(clients.write.r2.cors.put(inputs.name, corsRules(inputs.cors), options))
  if (!hadCors) return Effect.void
  return orFail(key)(ignoreNotFound(clients.write.r2.cors.delete(inputs.name, options)))
}

export const create = (clients: Clients, request: ApplyRequest): Effect.Effect<Observed, ProviderError> =>
  Effect.gen(function* () {
    const inputs = yield* decodeBucket("create", request.key, request.inputs)
    const options = { jurisdiction: inputs.jurisdiction }
    const created = yield* clients.write.r2.buckets
      .create({
        name: inputs.name,
        jurisdiction: inputs.jurisdiction,
        locationHint: inputs.location?.toLowerCase(),
        storageClass: inputs.storageClass
      })
      .pipe(
        Effect.map((bucket) => ({ bucket, adopted: false })),
        Effect.catchIf(
          (error) => error.reason === "exists",
          () =>
            // Bucket names are unique per account: the one there is adopted, whoever made it.
            Effect.map(clients.write.r2.buckets.get(inputs.name, options), (bucket) => ({ bucket, adopted: true }))
        ),
        orFail(request.key)
      )
    if (created.adopted && request.adopting !== true) {
      yield* Effect.logInfo(
        `R2 bucket "${inputs.name}" already exists in the account: FleetFlow adopts it and manages it from now on`
      )
    }
    // An adopted bucket's CORS rules are FleetFlow's only if the file declares them.
    yield* syncCors(clients, request.key, inputs, false)
    return observe(created.bucket, undefined, created.adopted)
  })

export const update = (clients: Clients, request: ApplyRequest): Effect.Effect<Observed, ProviderError> =>
  Effect.gen(function* () {
    const inputs = yield* decodeBucket("update", request.key, request.inputs)
    yield* syncCors(clients, request.key, inputs, request.current?.inputs.cors !== undefined)
    const options = { jurisdiction: inputs.jurisdiction }
    const current = yield* orFail(request.key)(clients.write.r2.buckets.get(inputs.name, options))
    const { storageClass } = inputs
    // The default storage class changes in place; the objects keep theirs.
    const bucket =
      storageClass === undefined || current.storageClass === storageClass
        ? current
        : yield* orFail(request.key)(clients.write.r2.buckets.setStorageClass(inputs.name, storageClass, options))
    return observe(bucket, undefined, request.current?.attributes.adopted === true)
  })

export const destroy = (clients: Clients, key: ResourceKey, resource: StoredResource) => {
  const name = nameOf(resource)
  return clients.write.r2.buckets.delete(name, { jurisdiction: jurisdictionOf(resource) }).pipe(
    ignoreNotFound,
    Effect.mapError((error) =>
      error.code === 10008
        ? new ProviderError({
            provider: providerName,
            operation: `cloudflare ${error.operation}`,
            key,
            reason: "conflict",
            code: 10008,
            message: `R2 bucket "${name}" is not empty, and Cloudflare deletes only empty buckets`,
            hint: `Empty the bucket first (delete its objects, e.g. in the dashboard or with \`wrangler r2 object delete ${name}/<key>\`), then run again.`
          })
        : toProviderError(error, key)
    )
  )
}

export const createDomain = (clients: Clients, request: ApplyRequest): Effect.Effect<Observed, ProviderError> =>
  Effect.gen(function* () {
    const inputs = yield* decodeDomain("create", request.key, request.inputs)
    const minTLS = inputs.minTls === undefined ? undefined : String(inputs.minTls)
    const options = { jurisdiction: inputs.jurisdiction }
    const zone = yield* orFail(request.key)(clients.write.zones.byName(inputs.zone))
    const domain = yield* clients.write.r2.domains
      .create(inputs.bucket, { domain: inputs.domain, zoneId: zone.id, minTLS, enabled: inputs.enabled }, options)
      .pipe(
        Effect.catchIf(
          (error) => error.reason === "exists" || error.reason === "conflict",
          (error) =>
            // An earlier attempt may have added it: the domain on this bucket is taken over.
            clients.write.r2.domains
              .get(inputs.bucket, inputs.domain, options)
              .pipe(
                Effect.flatMap((existing) =>
                  existing.zoneId !== undefined && existing.zoneId !== zone.id
                    ? Effect.fail(error)
                    : clients.write.r2.domains.update(
                        inputs.bucket,
                        inputs.domain,
                        { enabled: inputs.enabled, minTLS },
                        options
                      )
                ),
                Effect.catchIf(
                  (other) => other.reason === "not-found",
                  () => Effect.fail(error)
                )
              )
        ),
        orFail(request.key)
      )
    return observeDomain(inputs.bucket, domain)
  })

export const updateDomain = (clients: Clients, request: ApplyRequest): Effect.Effect<Observed, ProviderError> =>
  Effect.gen(function* () {
    const inputs = yield* decodeDomain("update", request.key, request.inputs)
    const minTLS = inputs.minTls === undefined ? undefined : String(inputs.minTls)
    const domain = yield* orFail(request.key)(
      clients.write.r2.domains.update(
        inputs.bucket,
        inputs.domain,
        { enabled: inputs.enabled, minTLS },
        { jurisdiction: inputs.jurisdiction }
      )
    )
    return observeDomain(inputs.bucket, domain)
  })

export const destroyDomain = (clients: Clients, key: ResourceKey, resource: StoredResource) => {
  const bucket =
    typeof resource.inputs.bucket === "string" ? resource.inputs.bucket : String(resource.attributes.bucket)
  return orFail(key)(
    ignoreNotFound(clients.write.r2.domains.delete(bucket, resource.id, { jurisdiction: jurisdictionOf(resource) }))
  )
}
