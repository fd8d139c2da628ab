/**
 * A Pages project (`pages`): what it is declared with, and which changes need a new one.
 */
import * as Schema from "effect/Schema"
import type { DeclaredInputs, ReplaceFields } from "../../Resource.js"

export const PagesInputs = Schema.Struct({
  name: Schema.String,
  /** Relative to the configuration's folder. */
  directory: Schema.String,
  directoryHash: Schema.optional(Schema.String),
  productionBranch: Schema.String,
  branch: Schema.optional(Schema.String)
})
export type PagesInputs = typeof PagesInputs.Type

/**
 * The API's PATCH of a project could change its production branch in place, but Pages projects
 * are written by wrangler, which has no command for it: a new branch is a new project.
 */
export const pagesReplaceFields: ReplaceFields<PagesInputs> = ["name", "productionBranch"]

/** What Cloudflare does not hold of a Pages project. */
export const pagesUnobservedFields: ReadonlyArray<keyof PagesInputs> = [
  // A path on the operator's machine.
  "directory",
  // FleetFlow's hash of the folder's files; Cloudflare keeps each asset under a hash of its own.
  "directoryHash",
  // The branch a deployment is labelled with, not a setting of the project.
  "branch"
]

export type DeclaredPages = DeclaredInputs<typeof PagesInputs.Encoded>

/** What `fleetflow output` shows besides the ID: the project's address and its latest deployment's (attributes, never inputs). */
export const pagesOutputFields: ReadonlyArray<string> = ["url", "deploymentUrl"]
