/**
 * Desired vs current → actions, and the dependency graph that orders them.
 */
import * as Schema from "effect/Schema"
import { Inputs, Json, ProviderName, ResourceType } from "./Resource.js"

/** A value that is only known once another resource has been applied. */
export const Unknown = Schema.Struct({ $unknown: Schema.String })
export type Unknown = typeof Unknown.Type

export const FieldChange = Schema.Struct({
  field: Schema.String,
  /** Absent when the field is new. */
  before: Schema.optional(Json),
  /** Absent when the field is removed; `{ $unknown }` when known only after apply. */
  after: Schema.optional(Schema.Union(Unknown, Json)),
  forcesReplace: Schema.Boolean
})
export type FieldChange = typeof FieldChange.Type

const actionFields = {
  key: Schema.String,
  provider: ProviderName,
  type: ResourceType,
  name: Schema.String,
  /** Keys that must be applied before this action starts. */
  dependsOn: Schema.Array(Schema.String),
  changes: Schema.Array(FieldChange)
}

/** `+` a new resource. `inputs` may hold references, resolved when the action runs. */
export class Create extends Schema.TaggedClass<Create>()("Create", { ...actionFields, inputs: Inputs }) {}
/** `~` changed in place. */
export class Update extends Schema.TaggedClass<Update>()("Update", { ...actionFields, inputs: Inputs, id: Schema.String }) {}
/** `-/+` destroyed, then created again. */
export class Replace extends Schema.TaggedClass<Replace>()("Replace", {
  ...actionFields,
  inputs: Inputs,
  id: Schema.String
}) {}
/** `-` destroyed. */
export class Delete extends Schema.TaggedClass<Delete>()("Delete", { ...actionFields, id: Schema.String }) {}
/** Nothing to do. */
export class NoOp extends Schema.TaggedClass<NoOp>()("NoOp", { ...actionFields, id: Schema.String }) {}

export const Action = Schema.Union(Create, Update, Replace, Delete, NoOp)
export type Action = typeof Action.Type
