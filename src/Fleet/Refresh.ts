/**
 * The refresh before a plan: what the clouds report for the stage's resources, laid over what
 * the state recorded, and what changed outside FleetFlow.
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { groupBy } from "../Grouping.js"
import type * as Plan from "../Plan.js"
import type * as Progress from "../Progress.js"
import { CloudProvider, type ProviderError, type Scope } from "../Provider.js"
import {
  type DesiredResource,
  equalJson,
  type Inputs,
  isUnset,
  providerOf,
  refreshedInputs,
  type ResourceKey,
  sameInput,
  type StoredResource
} from "../Resource.js"

export interface Refreshed {
  /** The stage's resources as they are now. */
  readonly current: ReadonlyMap<ResourceKey, StoredResource>
  /** Keys the clouds no longer have (deleted outside FleetFlow). */
  readonly vanished: ReadonlyArray<ResourceKey>
  readonly drift: ReadonlyArray<Plan.Drift>
}

/** The fields the cloud reports with other values than the state recorded. */
const driftOf = (key: ResourceKey, recorded: Inputs, seen: Inputs): Plan.Drift | undefined => {
  let drifted = false
  for (const field in seen) {
    if (!sameInput(recorded[field], seen[field])) {
      drifted = true
      break
    }
  }
  if (!drifted) return undefined
  const changes = Object.keys(seen)
    .sort()
    .flatMap((field) => {
      const before = recorded[field]
      const after = seen[field]
      if (sameInput(before, after)) return []
      return [
        {
          field,
          ...(before === undefined ? {} : { before }),
          ...(after === undefined || after === null ? {} : { after })
        }
      ]
    })
  return changes.length === 0 ? undefined : { key, kind: "changed", changes }
}

/** Whether `refreshedInputs(recorded, seen)` would hold what `recorded` holds. */
const keepsInputs = (recorded: Inputs, seen: Inputs | undefined): boolean => {
  if (seen === undefined) return true
  for (const field in seen) {
    const value = seen[field]
    if (isUnset(value) && isUnset(recorded[field])) continue
    if (value === null || !Object.hasOwn(recorded, field) || !equalJson(recorded[field], value)) return false
  }
  return true
}

/**
 * What the clouds report for `stored`, read a cloud at a time, all at once, as one read would: each cloud reads
 * its resources in a few batched lists, so a cloud's answer is when its resources are known, and what progress
 * can count.
 */
const readClouds = (
  provider: Context.Tag.Service<CloudProvider>,
  scope: Scope,
  stored: ReadonlyMap<ResourceKey, StoredResource>,
  declared: ReadonlyMap<ResourceKey, Inputs>,
  progress: Progress.RefreshReporter | undefined
) =>
  Effect.gen(function* () {
    if (progress === undefined) return yield* provider.getState(scope, stored, declared)
    const byCloud = groupBy(stored, ([, resource]) => providerOf[resource.type])
    yield* progress.started(stored.size, byCloud.size)
    const answers = yield* Effect.forEach(
      byCloud.values(),
      (group) => Effect.tap(provider.getState(scope, new Map(group), declared), () => progress.read(group.length)),
      { concurrency: "unbounded" }
    )
    yield* progress.finished
    return new Map(answers.flatMap((answer) => [...answer]))
  })

/**
 * `stored` (a stage's resources as the state holds them), with what the clouds report now when
 * `refresh` is on; the keys the clouds no longer have (deleted outside FleetFlow); and what
 * changed outside FleetFlow.
 */
export const currentResources = (
  stored: ReadonlyMap<ResourceKey, StoredResource>,
  scope: Scope,
  desired: ReadonlyArray<DesiredResource>,
  refresh: boolean,
  progress?: Progress.RefreshReporter | undefined
): Effect.Effect<Refreshed, ProviderError, CloudProvider> =>
  Effect.gen(function* () {
    if (!refresh || stored.size === 0) return { current: stored, vanished: [], drift: [] }
    const provider = yield* CloudProvider
    const declared = new Map(desired.map((resource) => [resource.key, resource.inputs]))
    const observed = yield* readClouds(provider, scope, stored, declared, progress)
    const current = new Map<ResourceKey, StoredResource>()
    const vanished: Array<ResourceKey> = []
    const drift: Array<Plan.Drift> = []
    for (const [key, resource] of stored) {
      const seen = observed.get(key)
      if (seen === undefined) {
        vanished.push(key)
        drift.push({ key, kind: "deleted", changes: [] })
        continue
      }
      const changed = seen.inputs === undefined ? undefined : driftOf(key, resource.inputs, seen.inputs)
      if (changed !== undefined) drift.push(changed)
      // What the clouds report is what the state holds: the stored resource is kept rather than
      // copied, which is most of the memory a large refresh would allocate.
      if (
        seen.id === resource.id &&
        equalJson(resource.attributes, seen.attributes) &&
        keepsInputs(resource.inputs, seen.inputs)
      ) {
        current.set(key, resource)
        continue
      }
      current.set(key, {
        ...resource,
        id: seen.id,
        attributes: seen.attributes,
        inputs: refreshedInputs(resource.inputs, seen.inputs)
      })
    }
    return { current, vanished, drift }
  })
