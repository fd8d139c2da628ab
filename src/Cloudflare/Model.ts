/**
 * The Cloudflare resource types: for each, the inputs the provider decodes, the fields whose
 * change needs a new resource, the fields Cloudflare does not hold (so no refresh can see them
 * change), the attributes an operator reads (`fleetflow output`), and what the configuration
 * declares; and the cloud's vocabulary.
 */
import type { ResourceType } from "../Resource.js"
import { bucketOutputFields, bucketReplaceFields, bucketUnobservedFields, type DeclaredBucket } from "./Model/Bucket.js"
import {
  bucketDomainOutputFields,
  bucketDomainReplaceFields,
  bucketDomainUnobservedFields,
  type DeclaredBucketDomain
} from "./Model/BucketDomain.js"
import {
  type DeclaredDnsRecord,
  dnsRecordOutputFields,
  dnsRecordReplaceFields,
  dnsRecordUnobservedFields
} from "./Model/DnsRecord.js"
import { type DeclaredPages, pagesOutputFields, pagesReplaceFields, pagesUnobservedFields } from "./Model/Pages.js"
import { type DeclaredWorker, workerOutputFields, workerReplaceFields, workerUnobservedFields } from "./Model/Worker.js"

export * from "./Model/Bucket.js"
export * from "./Model/BucketDomain.js"
export * from "./Model/Claims.js"
export * from "./Model/DnsRecord.js"
export * from "./Model/Pages.js"
export * from "./Model/Vocabulary.js"
export * from "./Model/Worker.js"

/** What the configuration declares for each type. */
export interface Declared {
  readonly r2: DeclaredBucket
  readonly "r2-domain": DeclaredBucketDomain
  readonly worker: DeclaredWorker
  readonly pages: DeclaredPages
  readonly dns: DeclaredDnsRecord
}

/** The fields whose change needs a new resource, by type. */
export const replaceFields: Partial<Record<ResourceType, ReadonlyArray<string>>> = {
  r2: bucketReplaceFields,
  "r2-domain": bucketDomainReplaceFields,
  worker: workerReplaceFields,
  pages: pagesReplaceFields,
  dns: dnsRecordReplaceFields
} satisfies { readonly [Type in keyof Declared]: ReadonlyArray<string> }

/** The inputs Cloudflare does not hold, by type: kept only in FleetFlow's state, never compared with the cloud. */
export const unobservedFields = {
  r2: bucketUnobservedFields,
  "r2-domain": bucketDomainUnobservedFields,
  worker: workerUnobservedFields,
  pages: pagesUnobservedFields,
  dns: dnsRecordUnobservedFields
} satisfies { readonly [Type in keyof Declared]: ReadonlyArray<string> }

/** The attributes `fleetflow output` shows of each type, besides its ID. */
export const outputFields = {
  r2: bucketOutputFields,
  "r2-domain": bucketDomainOutputFields,
  worker: workerOutputFields,
  pages: pagesOutputFields,
  dns: dnsRecordOutputFields
} satisfies { readonly [Type in keyof Declared]: ReadonlyArray<string> }
