/**
 * Settling what an interrupted run left behind, and rebuilding a lost state, by asking the
 * clouds what they hold (`CloudProvider.find`: deterministic names and ownership tags).
 *
 * An intent is recorded before every provider call and cleared after it; one still there
 * means the run died mid-call. For each: a create or update whose resource exists is recorded
 * (adopted) as the clouds report it, one that does not exist is forgotten; a delete whose
 * resource still exists is finished, one already gone is removed from the state. Nothing is
 * ever created here, so nothing can be created twice.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { CloudProvider, type ProviderError, type Scope, type Wanted } from "./Provider.js"
import {
  type DesiredResource,
  type Inputs,
  type Observed,
  parseKey,
  providerOf,
  type ResourceKey,
  referencesIn,
  refreshedInputs,
  resolveInputs,
  sameInput,
  type StoredResource
} from "./Resource.js"
import * as State from "./State.js"

export interface Settled {
  /** Made by the interrupted run and found in the clouds: now in the state. */
  readonly adopted: ReadonlyArray<ResourceKey>
  /** Never made (the run died before the cloud did it): nothing to record. */
  readonly notMade: ReadonlyArray<ResourceKey>
  /** Deletes the interrupted run started, finished now (or found done). */
  readonly deleted: ReadonlyArray<ResourceKey>
  /** Deletes that still have to be finished (a plan does not change the clouds). */
  readonly toDelete: ReadonlyArray<ResourceKey>
}

export const nothingSettled: Settled = { adopted: [], notMade: [], deleted: [], toDelete: [] }

export const isEmpty = (settled: Settled): boolean =>
  settled.adopted.length + settled.notMade.length + settled.deleted.length + settled.toDelete.length === 0

const timestamp = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

/** A resource as the state records it, made from what a cloud reported for `key`. */
const recorded = (
  key: ResourceKey,
  stage: string,
  observed: Observed,
  inputs: Inputs,
  dependsOn: ReadonlyArray<ResourceKey>,
  at: string,
  declared?: Inputs | undefined
): StoredResource | undefined => {
  const parts = parseKey(key)
  if (parts === undefined) return undefined
  return {
    provider: providerOf[parts.type],
    type: parts.type,
    name: parts.name,
    stage,
    id: observed.id,
    attributes: observed.attributes,
    inputs,
    ...(declared === undefined || referencesIn(declared).length === 0 ? {} : { declared }),
    dependsOn: [...dependsOn],
    created_at: at,
    updated_at: at
  }
}

/**
 * The inputs to record for an interrupted update: the new ones when the fields the cloud reads
 * back show them applied, else the old ones, so the plan makes the update again.
 */
const updated = (before: Inputs, after: Inputs | undefined, seen: Inputs | undefined): Inputs => {
  if (after === undefined || seen === undefined) return before
  const changed = Object.keys(seen).filter((field) => !sameInput(before[field], after[field]))
  const applied = changed.length > 0 && changed.every((field) => sameInput(seen[field], after[field]))
  return applied ? after : before
}

const wantedOf = (key: ResourceKey, inputs: Inputs): Wanted | undefined => {
  const parts = parseKey(key)
  return parts === undefined ? undefined : { key, type: parts.type, name: parts.name, inputs }
}

export interface SettleOptions {
  /** Finish interrupted deletes now (`up`, `down`); a plan only reports them. */
  readonly finishDeletes: boolean
}

/**
 * The state with every intent of `scope.stage` settled against what the clouds hold, and
 * what was done. Intents of other stages are left for their own commands.
 */
export const settle = (
  state: State.StateFile,
  scope: Scope,
  desired: ReadonlyArray<DesiredResource>,
  options: SettleOptions
): Effect.Effect<{ readonly state: State.StateFile; readonly settled: Settled }, ProviderError, CloudProvider> =>
  Effect.gen(function* () {
    const pending = state.pending.filter((operation) => operation.stage === scope.stage)
    if (pending.length === 0) return { state, settled: nothingSettled }
    const provider = yield* CloudProvider
    const declared = new Map(desired.map((resource) => [resource.key, resource]))
    // The latest intent for each key decides what the run was doing to it.
    const latest = new Map(pending.map((operation) => [operation.key, operation]))
    const wanted = [...latest.values()].flatMap((operation) => {
      const inputs = operation.inputs ?? state.resources[operation.key]?.inputs ?? declared.get(operation.key)?.inputs
      const item = inputs === undefined ? undefined : wantedOf(operation.key, inputs)
      return item === undefined ? [] : [item]
    })
    const found = yield* provider.find(scope, wanted)
    const at = yield* timestamp
    let next: State.StateFile = {
      ...state,
      pending: state.pending.filter((operation) => operation.stage !== scope.stage)
    }
    const adopted: Array<ResourceKey> = []
    const notMade: Array<ResourceKey> = []
    const deleted: Array<ResourceKey> = []
    const toDelete: Array<ResourceKey> = []
    for (const operation of latest.values()) {
      const existing = state.resources[operation.key]
      const observed = found.get(operation.key)
      if (operation.operation === "delete") {
        if (existing === undefined) continue
        if (observed === undefined) {
          next = State.removeResource(next, operation.key)
          deleted.push(operation.key)
        } else if (options.finishDeletes) {
          yield* provider.destroy(scope, operation.key, { ...existing, id: observed.id })
          next = State.removeResource(next, operation.key)
          deleted.push(operation.key)
        } else {
          toDelete.push(operation.key)
        }
        continue
      }
      if (observed === undefined) {
        if (existing === undefined) notMade.push(operation.key)
        continue
      }
      const inputs =
        existing === undefined
          ? (operation.inputs ?? declared.get(operation.key)?.inputs ?? {})
          : updated(existing.inputs, operation.inputs, observed.inputs)
      const dependsOn = existing?.dependsOn ?? operation.dependsOn ?? declared.get(operation.key)?.dependsOn ?? []
      const resource = recorded(
        operation.key,
        scope.stage,
        observed,
        inputs,
        dependsOn,
        existing?.created_at ?? at,
        existing?.declared ?? declared.get(operation.key)?.inputs
      )
      if (resource === undefined) continue
      next = State.putResource(next, operation.key, resource)
      adopted.push(operation.key)
    }
    return { state: next, settled: { adopted, notMade, deleted, toDelete } }
  })

/** What `settle` did, for the operator; `recorded` when the state now holds it. */
export const describe = (settled: Settled, options: { readonly recorded: boolean }): string => {
  const lines = [
    options.recorded
      ? "An earlier run was interrupted; what it was doing has been settled with the clouds:"
      : "An earlier run was interrupted; this plan counts what the clouds hold (`fleetflow up` records it):"
  ]
  const list = (title: string, keys: ReadonlyArray<ResourceKey>) => {
    if (keys.length > 0) lines.push(title, ...keys.map((key) => `  ${key}`))
  }
  list(options.recorded ? "Made before it stopped, now recorded:" : "Made before it stopped:", settled.adopted)
  list("Never made (nothing to record):", settled.notMade)
  list("Deleted:", settled.deleted)
  list("Still to delete (`fleetflow up` finishes it):", settled.toDelete)
  return lines.join("\n")
}

export interface Recovered {
  readonly state: State.StateFile
  /** Declared resources found in the clouds, now in the state. */
  readonly found: ReadonlyArray<ResourceKey>
  /** Declared resources the clouds do not hold: `up` creates them. */
  readonly missing: ReadonlyArray<ResourceKey>
  /** Found, but their references could not be resolved against what was found. */
  readonly unresolved: ReadonlyArray<ResourceKey>
}

/**
 * Rebuilds the state of `scope.stage` from the clouds: every declared resource found by its
 * name and ownership tags is recorded with its declared inputs (references resolved against
 * what was found), so the next plan compares the file with what exists. Resources the state
 * already holds are kept as they are.
 */
export const rebuild = (
  state: State.StateFile,
  scope: Scope,
  desired: ReadonlyArray<DesiredResource>
): Effect.Effect<Recovered, ProviderError, CloudProvider> =>
  Effect.gen(function* () {
    const provider = yield* CloudProvider
    const unknown = desired.filter((resource) => state.resources[resource.key] === undefined)
    const found = yield* provider.find(
      scope,
      unknown.map((resource) => ({
        key: resource.key,
        type: resource.type,
        name: resource.name,
        inputs: resource.inputs
      }))
    )
    const at = yield* timestamp
    let next = state
    const recordedKeys: Array<ResourceKey> = []
    const unresolved: Array<ResourceKey> = []
    // Dependencies first, so references resolve against what was recorded before them.
    let remaining = unknown.filter((resource) => found.has(resource.key))
    while (remaining.length > 0) {
      const ready = remaining.filter((resource) =>
        resource.dependsOn.every(
          (key) => next.resources[key] !== undefined || !remaining.some((other) => other.key === key)
        )
      )
      if (ready.length === 0) {
        unresolved.push(...remaining.map((resource) => resource.key))
        break
      }
      for (const resource of ready) {
        const inputs = yield* Effect.either(resolveInputs(resource.key, resource.inputs, next.resources))
        const observed = found.get(resource.key)!
        const stored =
          inputs._tag === "Right"
            ? recorded(
                resource.key,
                scope.stage,
                observed,
                // What the cloud reads back is recorded as it is: a plan then shows what differs as a change to make, not as drift.
                refreshedInputs(inputs.right, observed.inputs),
                resource.dependsOn,
                at,
                resource.inputs
              )
            : undefined
        if (stored === undefined) {
          unresolved.push(resource.key)
          continue
        }
        next = State.putResource(next, resource.key, stored)
        recordedKeys.push(resource.key)
      }
      remaining = remaining.filter((resource) => !ready.includes(resource))
    }
    return {
      state: next,
      found: recordedKeys,
      missing: unknown.filter((resource) => !found.has(resource.key)).map((resource) => resource.key),
      unresolved
    }
  })
