/**
 * The versions of the state a store keeps besides the current one, for `fleetflow state history`
 * and `state rollback`. A service of its own: a store that keeps every version (PostgreSQL)
 * provides it beside `StateStore`; one that keeps only the last (the local folder) does not.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { StateFile } from "./Document.js"
import type { StateError } from "./Store.js"

/** One kept version of the state, for `fleetflow state history`. */
export const StateHistoryEntry = Schema.Struct({
  lineage: Schema.String,
  serial: Schema.NonNegativeInt,
  /** ISO 8601. */
  written_at: Schema.String,
  /** `user@host (pid N)`. */
  written_by: Schema.String,
  /** The command that held the lock for the write, when it held one. */
  operation: Schema.optional(Schema.String),
  /** How many resources that version records. */
  resources: Schema.NonNegativeInt
})
export type StateHistoryEntry = typeof StateHistoryEntry.Type

export interface StateVersionsService {
  /** Every version kept, newest first. */
  readonly history: Effect.Effect<ReadonlyArray<StateHistoryEntry>, StateError>
  /** The state at `serial` in the current lineage; `None` when that version is not kept. */
  readonly readVersion: (serial: number) => Effect.Effect<Option.Option<StateFile>, StateError>
}

/** Absent from the context when the store keeps no versions: look it up with `Effect.serviceOption`. */
export class StateVersions extends Context.Tag("fleetflow/StateVersions")<StateVersions, StateVersionsService>() {}
