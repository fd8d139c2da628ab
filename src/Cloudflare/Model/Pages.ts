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

export const pagesReplaceFields: ReplaceFields<PagesInputs> = ["name", "productionBranch"]

export type DeclaredPages = DeclaredInputs<typeof PagesInputs.Encoded>
