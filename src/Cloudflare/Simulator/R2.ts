/**
 * R2 under `/accounts/{account}/r2/buckets`: buckets, their CORS policy, custom domains and
 * objects. A jurisdiction (`cf-r2-jurisdiction: eu`) is a separate namespace of bucket names.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { minTlsVersions, r2StorageClasses } from "../Model.js"
import { type Bucket, type CloudflareDocument, CorsRule, type CustomDomain } from "./Document.js"
import { answer, type ApiFailure, type Call, decodeBody, fail, type Handler, isoDate, locate } from "./Envelope.js"

export const codes = {
  /** A body or parameter R2 does not accept (the simulator's choice of code). */
  invalid: 10040,
  invalidName: 10005,
  noSuchBucket: 10006,
  bucketExists: 10004,
  notEmpty: 10008,
  noSuchKey: 10007,
  /** No CORS policy on the bucket. */
  noCors: 10059,
  /** The simulator's choice of code: no such custom domain on the bucket. */
  noSuchDomain: 10064,
  /** The simulator's choice of code: the domain is already a custom domain of some bucket. */
  domainTaken: 10065,
  /** An unknown zone ID, as the API answers any unknown identifier. */
  unknownZone: 7003
} as const

const locations = ["apac", "eeur", "enam", "weur", "wnam", "oc"]
const jurisdictions = ["default", "eu", "fedramp"]
const storageClasses: ReadonlyArray<string> = r2StorageClasses

const validName = (name: string) => /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name)

const checkedJurisdiction = (call: Call): Effect.Effect<string, ApiFailure> => {
  const jurisdiction = (call.headers["cf-r2-jurisdiction"] || "default").toLowerCase()
  return jurisdictions.includes(jurisdiction)
    ? Effect.succeed(jurisdiction)
    : fail(400, codes.invalid, `The jurisdiction '${jurisdiction}' is not valid (eu or fedramp).`)
}

export const bucketView = (bucket: Bucket) => ({
  name: bucket.name,
  creation_date: isoDate(bucket.createdOn),
  location: bucket.location,
  storage_class: bucket.storageClass,
  ...(bucket.jurisdiction === "default" ? {} : { jurisdiction: bucket.jurisdiction })
})

const domainView = (domain: CustomDomain) => ({
  domain: domain.domain,
  enabled: domain.enabled,
  status: { ownership: "active", ssl: "active" },
  minTLS: domain.minTLS,
  zoneId: domain.zoneId,
  zoneName: domain.zoneName
})

const sameBucket = (bucket: Bucket, account: string, jurisdiction: string, name: string) =>
  bucket.accountId === account && bucket.jurisdiction === jurisdiction && bucket.name === name

/** The bucket the path names in the call's jurisdiction, and a way to replace it. */
const findBucket = (call: Call, document: CloudflareDocument) =>
  Effect.gen(function* () {
    const account = call.params.account ?? ""
    const name = call.params.bucket ?? ""
    const jurisdiction = yield* checkedJurisdiction(call)
    const { item, replace } = yield* locate(
      document,
      "buckets",
      (item) => sameBucket(item, account, jurisdiction, name),
      () => fail(404, codes.noSuchBucket, "The specified bucket does not exist.")
    )
    return { bucket: item, replace }
  })

export const listBuckets: Handler = (call, document) =>
  Effect.gen(function* () {
    const jurisdiction = yield* checkedJurisdiction(call)
    const contains = call.query.get("name_contains") ?? ""
    const buckets = document.buckets
      .filter((bucket) => bucket.accountId === call.params.account && bucket.jurisdiction === jurisdiction)
      .filter((bucket) => bucket.name.includes(contains))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    // Without per_page the whole list comes back in one answer; with it, pages follow `cursor`.
    const perPageText = call.query.get("per_page")
    if (perPageText === null) return yield* answer({ buckets: buckets.map(bucketView) }, document)
    const perPage = Number(perPageText)
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 1000) {
      return yield* fail(400, codes.invalid, "per_page must be between 1 and 1000")
    }
    const cursor = call.query.get("cursor") ?? ""
    const after = buckets.filter((bucket) => cursor === "" || bucket.name > cursor)
    const page = after.slice(0, perPage)
    const last = page.at(-1)
    return yield* answer(
      { buckets: page.map(bucketView) },
      document,
      after.length > perPage && last !== undefined ? { cursor: last.name, per_page: perPage } : { per_page: perPage }
    )
  })

const CreateBucket = Schema.Struct({
  name: Schema.String,
  locationHint: Schema.optional(Schema.String),
  storageClass: Schema.optional(Schema.String)
})

export const createBucket: Handler = (call, document) =>
  Effect.gen(function* () {
    const account = call.params.account ?? ""
    const jurisdiction = yield* checkedJurisdiction(call)
    const body = yield* decodeBody(call, CreateBucket, codes.invalid)
    if (!validName(body.name)) return yield* fail(400, codes.invalidName, "The specified bucket name is not valid.")
    const hint = body.locationHint?.toLowerCase()
    if (hint !== undefined && !locations.includes(hint)) {
      return yield* fail(400, codes.invalid, `The location hint '${body.locationHint}' is not valid.`)
    }
    const storageClass = body.storageClass ?? "Standard"
    if (!storageClasses.includes(storageClass)) {
      return yield* fail(400, codes.invalid, `The storage class '${storageClass}' is not valid.`)
    }
    if (document.buckets.some((bucket) => sameBucket(bucket, account, jurisdiction, body.name))) {
      return yield* fail(409, codes.bucketExists, "The bucket you tried to create already exists, and you own it.")
    }
    const bucket: Bucket = {
      accountId: account,
      jurisdiction,
      name: body.name,
      location: (hint ?? (jurisdiction === "eu" ? "weur" : "wnam")).toUpperCase(),
      storageClass,
      createdOn: call.now,
      domains: [],
      objects: []
    }
    return yield* answer(bucketView(bucket), { ...document, buckets: [...document.buckets, bucket] })
  })

export const getBucket: Handler = (call, document) =>
  Effect.flatMap(findBucket(call, document), ({ bucket }) => answer(bucketView(bucket), document))

/** Changes the default storage class, as `cf-r2-storage-class` asks. */
export const patchBucket: Handler = (call, document) =>
  Effect.gen(function* () {
    const { bucket, replace } = yield* findBucket(call, document)
    const storageClass = call.headers["cf-r2-storage-class"]
    if (storageClass === undefined || !storageClasses.includes(storageClass)) {
      return yield* fail(400, codes.invalid, "cf-r2-storage-class must be Standard or InfrequentAccess.")
    }
    const next = { ...bucket, storageClass }
    return yield* answer(bucketView(next), replace(next))
  })

export const deleteBucket: Handler = (call, document) =>
  Effect.gen(function* () {
    const { bucket } = yield* findBucket(call, document)
    if (bucket.objects.length > 0) {
      return yield* fail(409, codes.notEmpty, "The bucket you tried to delete is not empty.")
    }
    return yield* answer({}, { ...document, buckets: document.buckets.filter((item) => item !== bucket) })
  })

export const getCors: Handler = (call, document) =>
  Effect.gen(function* () {
    const { bucket } = yield* findBucket(call, document)
    if (bucket.cors === undefined) return yield* fail(404, codes.noCors, "The CORS configuration does not exist.")
    return yield* answer({ rules: bucket.cors }, document)
  })

const PutCors = Schema.Struct({ rules: Schema.Array(CorsRule) })

export const putCors: Handler = (call, document) =>
  Effect.gen(function* () {
    const { bucket, replace } = yield* findBucket(call, document)
    const { rules } = yield* decodeBody(call, PutCors, codes.invalid)
    return yield* answer({}, replace({ ...bucket, cors: rules }))
  })

export const deleteCors: Handler = (call, document) =>
  Effect.gen(function* () {
    const { bucket, replace } = yield* findBucket(call, document)
    const { cors: _, ...rest } = bucket
    return yield* answer({}, replace(rest))
  })

const MinTls = Schema.Literal(...minTlsVersions)

const AddDomain = Schema.Struct({
  domain: Schema.String.pipe(Schema.minLength(1)),
  zoneId: Schema.String,
  minTLS: Schema.optional(MinTls),
  enabled: Schema.Boolean
})

const UpdateDomain = Schema.Struct({
  domain: Schema.optional(Schema.String),
  minTLS: Schema.optional(MinTls),
  enabled: Schema.optional(Schema.Boolean)
})

const inZone = (domain: string, zone: string) => domain === zone || domain.endsWith(`.${zone}`)

export const listDomains: Handler = (call, document) =>
  Effect.flatMap(findBucket(call, document), ({ bucket }) =>
    answer({ domains: bucket.domains.map(domainView) }, document)
  )

export const addDomain: Handler = (call, document) =>
  Effect.gen(function* () {
    const { bucket, replace } = yield* findBucket(call, document)
    const body = yield* decodeBody(call, AddDomain, codes.invalid)
    const domain = body.domain.toLowerCase()
    const zone = document.zones.find((item) => item.id === body.zoneId && item.accountId === bucket.accountId)
    if (zone === undefined) {
      return yield* fail(
        400,
        codes.unknownZone,
        `Could not route to /zones/${body.zoneId}, perhaps your object identifier is invalid?`
      )
    }
    if (!inZone(domain, zone.name)) {
      return yield* fail(400, codes.invalid, `The domain ${domain} is not in the zone ${zone.name}.`)
    }
    const holder = document.buckets.find((item) => item.domains.some((entry) => entry.domain === domain))
    if (holder !== undefined) {
      return yield* fail(409, codes.domainTaken, `The domain ${domain} is already connected to a bucket.`)
    }
    const entry: CustomDomain = {
      domain,
      zoneId: zone.id,
      zoneName: zone.name,
      enabled: body.enabled,
      minTLS: body.minTLS ?? "1.0"
    }
    return yield* answer(
      { domain, enabled: entry.enabled, minTLS: entry.minTLS },
      replace({ ...bucket, domains: [...bucket.domains, entry] })
    )
  })

const findDomain = (call: Call, document: CloudflareDocument) =>
  Effect.gen(function* () {
    const found = yield* findBucket(call, document)
    const name = (call.params.domain ?? "").toLowerCase()
    const domain = found.bucket.domains.find((entry) => entry.domain === name)
    if (domain === undefined) {
      return yield* fail(404, codes.noSuchDomain, `The custom domain ${name} does not exist on this bucket.`)
    }
    return { ...found, domain }
  })

export const getDomain: Handler = (call, document) =>
  Effect.flatMap(findDomain(call, document), ({ domain }) => answer(domainView(domain), document))

export const updateDomain: Handler = (call, document) =>
  Effect.gen(function* () {
    const { bucket, domain, replace } = yield* findDomain(call, document)
    const body = yield* decodeBody(call, UpdateDomain, codes.invalid)
    const next: CustomDomain = {
      ...domain,
      ...(body.minTLS === undefined ? {} : { minTLS: body.minTLS }),
      ...(body.enabled === undefined ? {} : { enabled: body.enabled })
    }
    return yield* answer(
      { domain: next.domain, enabled: next.enabled, minTLS: next.minTLS },
      replace({ ...bucket, domains: bucket.domains.map((entry) => (entry === domain ? next : entry)) })
    )
  })

export const removeDomain: Handler = (call, document) =>
  Effect.gen(function* () {
    const { bucket, domain, replace } = yield* findDomain(call, document)
    return yield* answer(
      { domain: domain.domain },
      replace({ ...bucket, domains: bucket.domains.filter((entry) => entry !== domain) })
    )
  })

export const putObject: Handler = (call, document) =>
  Effect.gen(function* () {
    const { bucket, replace } = yield* findBucket(call, document)
    const key = call.params.key ?? ""
    const object = { key, size: call.body.byteLength, uploaded: call.now }
    const objects = [...bucket.objects.filter((item) => item.key !== key), object]
    return yield* answer({ key, size: object.size, uploaded: isoDate(call.now) }, replace({ ...bucket, objects }))
  })

export const getObject: Handler = (call, document) =>
  Effect.gen(function* () {
    const { bucket } = yield* findBucket(call, document)
    const object = bucket.objects.find((item) => item.key === call.params.key)
    if (object === undefined) return yield* fail(404, codes.noSuchKey, "The specified key does not exist.")
    return yield* answer({ key: object.key, size: object.size, uploaded: isoDate(object.uploaded) }, document)
  })

export const deleteObject: Handler = (call, document) =>
  Effect.gen(function* () {
    const { bucket, replace } = yield* findBucket(call, document)
    return yield* answer(
      {},
      replace({ ...bucket, objects: bucket.objects.filter((item) => item.key !== call.params.key) })
    )
  })
