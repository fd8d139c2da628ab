/**
 * A startup script (`startup-script`), kept as a Sakura Cloud note: what it is declared with, and
 * which fields Sakura Cloud cannot report. Every change is made in place.
 */
import * as Schema from "effect/Schema"
import type { DeclaredInputs, ReplaceFields } from "../../Resource.js"
import { Tags, type UnobservedFields } from "./Vocabulary.js"

export const StartupScriptInputs = Schema.Struct({
  content: Schema.String.pipe(Schema.nonEmptyString()),
  /** The SHA-256 of `content`, so a plan compares scripts without their text. */
  contentHash: Schema.optional(Schema.String),
  /** Set for a script that ships with FleetFlow (`fleetflow-docker-setup`). */
  builtin: Schema.optional(Schema.String),
  tags: Tags,
  /** Another name in the cloud than the resource's; unset, the resource's name. */
  name: Schema.optional(Schema.String)
})
export type StartupScriptInputs = typeof StartupScriptInputs.Type

export const startupScriptReplaceFields: ReplaceFields<StartupScriptInputs> = []

export const startupScriptUnobservedFields: UnobservedFields<StartupScriptInputs> = [
  // Which of FleetFlow's own scripts this is: a note holds a name and a content, nothing more.
  "builtin"
]

export type DeclaredStartupScript = DeclaredInputs<typeof StartupScriptInputs.Encoded>

/** What `fleetflow output` shows besides the ID: its note's name and class (attributes, never inputs). */
export const startupScriptOutputFields: ReadonlyArray<string> = ["name", "class"]
