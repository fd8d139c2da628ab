/**
 * A startup script (`startup-script`), kept as a Sakura Cloud note: what it is declared with.
 * Every change is made in place.
 */
import * as Schema from "effect/Schema"
import type { DeclaredInputs, ReplaceFields } from "../../Resource.js"
import { Tags } from "./Vocabulary.js"

export const StartupScriptInputs = Schema.Struct({
  content: Schema.String.pipe(Schema.nonEmptyString()),
  /** The SHA-256 of `content`, so a plan compares scripts without their text. */
  contentHash: Schema.optional(Schema.String),
  /** Set for a script that ships with FleetFlow (`fleetflow-docker-setup`). */
  builtin: Schema.optional(Schema.String),
  tags: Tags
})
export type StartupScriptInputs = typeof StartupScriptInputs.Type

export const startupScriptReplaceFields: ReplaceFields<StartupScriptInputs> = []

export type DeclaredStartupScript = DeclaredInputs<typeof StartupScriptInputs.Encoded>
