/**
 * The state document, `.fleetflow/state.json`: what FleetFlow created, from which inputs, and
 * the intents of actions a stopped command left unsettled; with the pure functions that change it.
 */
import * as Crypto from "node:crypto"
import { dual } from "effect/Function"
import * as Record from "effect/Record"
import * as Schema from "effect/Schema"
import { Inputs, type ResourceKey, StoredResource } from "../Resource.js"
import type * as Journal from "./Journal.js"

/** An intent recorded before a provider call, so a run killed mid-call can be finished or undone. */
export const PendingOperation = Schema.Struct({
  /** A UUID. */
  id: Schema.String,
  operation: Schema.Literal("create", "update", "delete"),
  key: Schema.String,
  stage: Schema.String,
  started_at: Schema.String,
  inputs: Schema.optional(Inputs),
  /** What the resource depends on, so one adopted after a crash is deleted in the right order. */
  dependsOn: Schema.optional(Schema.Array(Schema.String))
})
export type PendingOperation = typeof PendingOperation.Type

export const ScaleCounts = Schema.Record({
  key: Schema.String,
  value: Schema.Record({ key: Schema.String, value: Schema.Int.pipe(Schema.positive()) })
})

/** `.fleetflow/state.json`. */
export const StateFile = Schema.Struct({
  version: Schema.Literal(1),
  /** A UUID fixed when the state is created; a write from another lineage is refused. */
  lineage: Schema.String,
  /** Bumped on every write; a write based on an older serial is refused. */
  serial: Schema.NonNegativeInt,
  project: Schema.String,
  /** Keyed `provider:type:name`. */
  resources: Schema.Record({ key: Schema.String, value: StoredResource }),
  pending: Schema.Array(PendingOperation),
  /**
   * The replica counts `fleetflow scale` chose, by stage, then by the base name of a server
   * declared with `scale`. Absent from files written before it existed; a server not listed
   * runs its `min`.
   */
  scale: Schema.optional(ScaleCounts)
})
export type StateFile = typeof StateFile.Type

/** How a state a newer FleetFlow wrote is described; no backup can stand in for it. */
export const newerFormatDetail = (version: number): string =>
  `it was written by a newer FleetFlow (state format ${version}; this one reads format ${StateFile.fields.version.literals[0]}): upgrade FleetFlow to use it`

export const isNewerFormatDetail = (detail: string): boolean => detail.startsWith("it was written by a newer FleetFlow")

/** Which state (lineage) and which write of it (serial). */
export const StateVersion = Schema.Struct({ lineage: Schema.String, serial: Schema.Number })
export type StateVersion = typeof StateVersion.Type

/** What one write changes: the resources it sets or removes, and the intents and scale counts as they are after it. */
export type StateChanges = Journal.Changes<PendingOperation, typeof ScaleCounts.Type>

export const emptyState = (project: string): StateFile => ({
  version: 1,
  lineage: Crypto.randomUUID(),
  serial: 0,
  project,
  resources: {},
  pending: []
})

export const putResource: {
  (key: ResourceKey, resource: StoredResource): (state: StateFile) => StateFile
  (state: StateFile, key: ResourceKey, resource: StoredResource): StateFile
} = dual(
  3,
  (state: StateFile, key: ResourceKey, resource: StoredResource): StateFile => ({
    ...state,
    resources: Record.set(state.resources, key, resource)
  })
)

export const removeResource: {
  (key: ResourceKey): (state: StateFile) => StateFile
  (state: StateFile, key: ResourceKey): StateFile
} = dual(
  2,
  (state: StateFile, key: ResourceKey): StateFile => ({ ...state, resources: Record.remove(state.resources, key) })
)

export const addPending: {
  (operation: PendingOperation): (state: StateFile) => StateFile
  (state: StateFile, operation: PendingOperation): StateFile
} = dual(
  2,
  (state: StateFile, operation: PendingOperation): StateFile => ({ ...state, pending: [...state.pending, operation] })
)

export const removePending: {
  (id: string): (state: StateFile) => StateFile
  (state: StateFile, id: string): StateFile
} = dual(
  2,
  (state: StateFile, id: string): StateFile => ({
    ...state,
    pending: state.pending.filter((operation) => operation.id !== id)
  })
)

/** The replica counts recorded for `stage`, by server base name; empty when none were chosen. */
export const scaleOf: {
  (stage: string): (state: StateFile) => Readonly<Record<string, number>>
  (state: StateFile, stage: string): Readonly<Record<string, number>>
} = dual(2, (state: StateFile, stage: string): Readonly<Record<string, number>> => state.scale?.[stage] ?? {})

/** Records `count` replicas of the scaled server `server` in `stage`. */
export const withScale: {
  (stage: string, server: string, count: number): (state: StateFile) => StateFile
  (state: StateFile, stage: string, server: string, count: number): StateFile
} = dual(
  4,
  (state: StateFile, stage: string, server: string, count: number): StateFile => ({
    ...state,
    scale: { ...state.scale, [stage]: { ...state.scale?.[stage], [server]: count } }
  })
)

export const resourcesOfStage: {
  (stage: string): (state: StateFile) => ReadonlyMap<ResourceKey, StoredResource>
  (state: StateFile, stage: string): ReadonlyMap<ResourceKey, StoredResource>
} = dual(2, (state: StateFile, stage: string): ReadonlyMap<ResourceKey, StoredResource> => {
  const result = new Map<ResourceKey, StoredResource>()
  for (const key of Object.keys(state.resources)) {
    const resource = state.resources[key]!
    if (resource.stage === stage) result.set(key, resource)
  }
  return result
})

/** `state` with a resources record of its own, for a store that changes its record in place. */
export const copyOf = (state: StateFile): StateFile => ({ ...state, resources: { ...state.resources } })
