/**
 * A Sakura Cloud server (`server`): what it is declared with, and which changes need a new one.
 */
import * as Schema from "effect/Schema"
import type { DeclaredInputs, ReplaceFields } from "../../Resource.js"
import { Tags, Zone } from "./Vocabulary.js"

/** What the deploy tooling reads about a server; kept in the inputs, never sent to the cloud. */
export const ServerMetadata = Schema.Struct({
  deployPath: Schema.optional(Schema.String),
  sshHost: Schema.optional(Schema.String),
  sshUser: Schema.optional(Schema.String),
  deployServices: Schema.optional(Schema.Array(Schema.String))
})

export const ServerInputs = Schema.Struct({
  zone: Zone,
  core: Schema.Int.pipe(Schema.positive()),
  memory: Schema.Int.pipe(Schema.positive()),
  commitment: Schema.optionalWith(Schema.Literal("standard", "dedicatedcpu"), { default: () => "standard" as const }),
  /** The disk's ID, resolved from the reference. */
  disk: Schema.String,
  /** SSH key IDs, or names of keys registered in Sakura Cloud. */
  sshKeys: Tags,
  /** Note IDs, or names of notes registered in Sakura Cloud. */
  startupScripts: Tags,
  startupScriptVars: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  tags: Tags,
  description: Schema.optional(Schema.String),
  hostname: Schema.optional(Schema.String),
  metadata: Schema.optional(ServerMetadata)
})
export type ServerInputs = typeof ServerInputs.Type

export const serverReplaceFields: ReplaceFields<ServerInputs> = ["zone", "disk"]

export type DeclaredServer = DeclaredInputs<typeof ServerInputs.Encoded>
