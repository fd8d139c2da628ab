/**
 * What a plan found in the clouds beside its actions: changes made outside FleetFlow since the
 * last apply (drift), and what its creates would meet there already (existing resources).
 */
import * as Schema from "effect/Schema"
import { Json } from "../Resource.js"

/** A field whose value in the cloud (`after` for drift, `before` for an existing resource) is not the expected one. */
const FieldDifference = Schema.Struct({
  field: Schema.String,
  before: Schema.optional(Json),
  after: Schema.optional(Json)
})

/** What the refresh found changed outside FleetFlow: `changes` from the state (`before`) to the cloud (`after`). */
export const Drift = Schema.Struct({
  key: Schema.String,
  /** "changed", or "deleted" when the cloud no longer has it. */
  kind: Schema.Literal("changed", "deleted"),
  changes: Schema.Array(FieldDifference)
})
export type Drift = typeof Drift.Type

/** A resource the plan creates that its cloud holds already, though the state does not. */
export const Existing = Schema.Struct({
  key: Schema.String,
  id: Schema.String,
  /**
   * "adopt": it is what the file declares, and `up` takes it over; "refuse": it differs, and `up`
   * changes nothing until it is imported (`fleetflow import`) or removed.
   */
  resolution: Schema.Literal("adopt", "refuse"),
  /** Where it differs: the cloud's value (`before`) and the file's (`after`). */
  changes: Schema.Array(FieldDifference)
})
export type Existing = typeof Existing.Type
