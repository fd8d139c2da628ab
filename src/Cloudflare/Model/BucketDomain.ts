/**
 * A custom domain of an R2 bucket (`r2-domain`): what it is declared with, and which changes need a new one.
 */
import * as Schema from "effect/Schema"
import type { DeclaredInputs, ReplaceFields } from "../../Resource.js"

export const BucketDomainInputs = Schema.Struct({
  bucket: Schema.String,
  domain: Schema.String,
  zone: Schema.String,
  minTls: Schema.optional(Schema.Union(Schema.String, Schema.Number)),
  /** A domain FleetFlow manages serves the bucket unless the file says otherwise. */
  enabled: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  /** R2 calls about a bucket in a jurisdiction must name it. */
  jurisdiction: Schema.optional(Schema.String)
})
export type BucketDomainInputs = typeof BucketDomainInputs.Type

export const bucketDomainReplaceFields: ReplaceFields<BucketDomainInputs> = ["bucket", "domain", "zone", "jurisdiction"]

/** Cloudflare holds every input of a custom domain. */
export const bucketDomainUnobservedFields: ReadonlyArray<keyof BucketDomainInputs> = []

export type DeclaredBucketDomain = DeclaredInputs<typeof BucketDomainInputs.Encoded>

/** What `fleetflow output` shows besides the ID: the domain, the bucket it serves, and whether it is on (attributes, never inputs). */
export const bucketDomainOutputFields: ReadonlyArray<string> = ["domain", "bucket", "enabled"]
