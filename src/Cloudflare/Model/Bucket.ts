/**
 * An R2 bucket (`r2`) with its CORS rules: what it is declared with, and which changes need a new one.
 */
import * as Schema from "effect/Schema"
import type { DeclaredInputs, ReplaceFields } from "../../Resource.js"

/** The `cors` input as the configuration writes it. */
export const Cors = Schema.Struct({
  allowedOrigins: Schema.Array(Schema.String),
  allowedMethods: Schema.Array(Schema.String),
  allowedHeaders: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  exposeHeaders: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  maxAge: Schema.optional(Schema.Number)
})
export type Cors = typeof Cors.Type

export const BucketInputs = Schema.Struct({
  name: Schema.String,
  location: Schema.optional(Schema.String),
  jurisdiction: Schema.optional(Schema.String),
  storageClass: Schema.optional(Schema.String),
  cors: Schema.optional(Cors)
})
export type BucketInputs = typeof BucketInputs.Type

/** The default storage class changes in place (the API's PATCH); a bucket cannot move. */
export const bucketReplaceFields: ReplaceFields<BucketInputs> = ["name", "location", "jurisdiction"]

/** Cloudflare holds every input of a bucket. */
export const bucketUnobservedFields: ReadonlyArray<keyof BucketInputs> = []

export type DeclaredBucket = DeclaredInputs<typeof BucketInputs.Encoded>

/** What `fleetflow output` shows besides the ID: the bucket's name and location (attributes, never inputs). */
export const bucketOutputFields: ReadonlyArray<string> = ["name", "location"]
