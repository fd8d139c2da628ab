/**
 * A Sakura Cloud server (`server`): what it is declared with, which changes need a new one, and
 * which fields Sakura Cloud cannot report.
 */
import * as Schema from "effect/Schema"
import type { DeclaredInputs, ReplaceFields } from "../../Resource.js"
import { Tags, type UnobservedFields, Zone } from "./Vocabulary.js"

/** What the deploy tooling reads about a server; kept in the inputs, never sent to the cloud. */
export const ServerMetadata = Schema.Struct({
  deployPath: Schema.optional(Schema.String),
  sshHost: Schema.optional(Schema.String),
  sshUser: Schema.optional(Schema.String),
  deployServices: Schema.optional(Schema.Array(Schema.String))
})

export const ServerInputs = Schema.Struct({
  zone: Zone,
  /** Another name in the cloud than the resource's; unset, the resource's name. */
  name: Schema.optional(Schema.String),
  /** The power state: a stopped server is booted again. */
  status: Schema.optionalWith(Schema.Literal("up", "down"), { default: () => "up" as const }),
  core: Schema.Int.pipe(Schema.positive()),
  memory: Schema.Int.pipe(Schema.positive()),
  commitment: Schema.optionalWith(Schema.Literal("standard", "dedicatedcpu"), { default: () => "standard" as const }),
  /** The disk's ID, resolved from the reference. */
  disk: Schema.String,
  /** Where its NIC is connected; unset, the shared segment (its public address). */
  network: Schema.optional(Schema.Literal("shared", "disconnected")),
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

/** A plan change (core, memory, commitment) gives the server a new ID in Sakura Cloud. */
export const serverNewIdFields: ReplaceFields<ServerInputs> = ["core", "memory", "commitment"]

export const serverUnobservedFields: UnobservedFields<ServerInputs> = [
  // Written into the disk before the first boot; Sakura Cloud keeps no record of which keys,
  // which notes or which variables a disk was edited with.
  "sshKeys",
  "startupScripts",
  "startupScriptVars",
  // Read by the deploy tooling only; never sent to the cloud.
  "metadata"
]

export type DeclaredServer = DeclaredInputs<typeof ServerInputs.Encoded>

/** What `fleetflow output` shows besides the ID: its address, host name, zone and power state (attributes, never inputs). */
export const serverOutputFields: ReadonlyArray<string> = ["ip", "hostname", "zone", "status"]
