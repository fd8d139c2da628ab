/**
 * A Sakura Cloud disk (`disk`): what it is declared with, which changes need a new one, and
 * which fields Sakura Cloud cannot report.
 */
import * as Schema from "effect/Schema"
import type { DeclaredInputs, ReplaceFields } from "../../Resource.js"
import { Tags, type UnobservedFields, Zone } from "./Vocabulary.js"

export const DiskInputs = Schema.Struct({
  zone: Zone,
  /** Another name in the cloud than the resource's; unset, the resource's name. */
  name: Schema.optional(Schema.String),
  size: Schema.Int.pipe(Schema.positive()),
  plan: Schema.optionalWith(Schema.Literal("ssd", "hdd"), { default: () => "ssd" as const }),
  connection: Schema.optionalWith(Schema.Literal("virtio", "ide"), { default: () => "virtio" as const }),
  /** An OS name (`ubuntu-24.04`) or usacloud OS type (`ubuntu2404`). */
  os: Schema.optional(Schema.String),
  /** An archive name or ID. */
  archive: Schema.optional(Schema.String),
  tags: Tags,
  description: Schema.optional(Schema.String)
})
export type DiskInputs = typeof DiskInputs.Type

/** Sakura Cloud changes a disk's name, tags, description and connection in place, nothing else. */
export const diskReplaceFields: ReplaceFields<DiskInputs> = ["zone", "size", "plan", "os", "archive"]

export const diskUnobservedFields: UnobservedFields<DiskInputs> = []

export type DeclaredDisk = DeclaredInputs<typeof DiskInputs.Encoded>

/** What `fleetflow output` shows besides the ID: its zone and whether it is ready (attributes, never inputs). */
export const diskOutputFields: ReadonlyArray<string> = ["zone", "status"]
