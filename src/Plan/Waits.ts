/**
 * The waits the clouds require between actions that do not use each other: a create waits for the
 * delete that frees a name it takes (a DNS name changing type, a bucket given a name being freed),
 * and a delete waits for the update of a dependent that stops using what it removes (a worker moving
 * its binding to another bucket). A wait that would close a cycle is left out.
 */
import type { Claim, Inputs, ResourceKey, ResourceType } from "../Resource.js"
import { claimsConflict } from "../Resource.js"

/** An action as the waits need it: what it does, to what, declared with what. */
export interface Planned {
  readonly key: ResourceKey
  readonly _tag: "Create" | "Update" | "Replace" | "Delete" | "NoOp"
  readonly type: ResourceType
  readonly dependsOn: ReadonlyArray<ResourceKey>
  /** The desired inputs of a create, update or replacement. */
  readonly inputs?: Inputs | undefined
}

/** A resource as the state holds it before the apply. */
export interface Current {
  readonly type: ResourceType
  readonly inputs: Inputs
  readonly dependsOn: ReadonlyArray<ResourceKey>
}

export type ClaimsOf = (type: ResourceType, inputs: Inputs) => ReadonlyArray<Claim>

const frees = (action: Planned) => action._tag === "Delete" || action._tag === "Replace"
const takes = (action: Planned) => action._tag === "Create" || action._tag === "Replace"

/** Pairs `[waiter, waited]`: creates after the deletes that free their names. */
const nameWaits = (
  actions: ReadonlyArray<Planned>,
  current: ReadonlyMap<ResourceKey, Current>,
  claimsOf: ClaimsOf
): ReadonlyArray<readonly [ResourceKey, ResourceKey]> => {
  const holders = new Map<string, Array<{ readonly key: ResourceKey; readonly claims: ReadonlyArray<Claim> }>>()
  for (const action of actions) {
    const stored = frees(action) ? current.get(action.key) : undefined
    if (stored === undefined) continue
    const claims = claimsOf(stored.type, stored.inputs)
    for (const claim of claims) {
      const list = holders.get(claim.name) ?? []
      list.push({ key: action.key, claims })
      holders.set(claim.name, list)
    }
  }
  if (holders.size === 0) return []
  const pairs: Array<readonly [ResourceKey, ResourceKey]> = []
  for (const action of actions) {
    if (!takes(action) || action.inputs === undefined) continue
    const claims = claimsOf(action.type, action.inputs)
    const waited = new Set<ResourceKey>()
    for (const claim of claims) {
      for (const holder of holders.get(claim.name) ?? []) {
        if (holder.key !== action.key && claimsConflict(claims, holder.claims)) waited.add(holder.key)
      }
    }
    for (const key of waited) pairs.push([action.key, key])
  }
  return pairs
}

/** Pairs `[waiter, waited]`: deletes after the updates of dependents that stop using them. */
const releaseWaits = (
  actions: ReadonlyArray<Planned>,
  current: ReadonlyMap<ResourceKey, Current>
): ReadonlyArray<readonly [ResourceKey, ResourceKey]> => {
  const deleted = new Set(actions.filter(frees).map((action) => action.key))
  if (deleted.size === 0) return []
  const pairs: Array<readonly [ResourceKey, ResourceKey]> = []
  for (const action of actions) {
    if (action._tag !== "Update") continue
    for (const dep of current.get(action.key)?.dependsOn ?? []) {
      if (deleted.has(dep) && !action.dependsOn.includes(dep)) pairs.push([dep, action.key])
    }
  }
  return pairs
}

/** Whether `from` reaches `to` along `edges`. */
const reaches = (edges: ReadonlyMap<ResourceKey, ReadonlyArray<ResourceKey>>, from: ResourceKey, to: ResourceKey) => {
  const seen = new Set<ResourceKey>()
  const stack = [from]
  while (stack.length > 0) {
    const key = stack.pop()!
    if (key === to) return true
    if (seen.has(key)) continue
    seen.add(key)
    stack.push(...(edges.get(key) ?? []))
  }
  return false
}

/** For each action that must wait, the keys of the actions it waits for. */
export const waits = (
  actions: ReadonlyArray<Planned>,
  current: ReadonlyMap<ResourceKey, Current>,
  claimsOf: ClaimsOf
): ReadonlyMap<ResourceKey, ReadonlyArray<ResourceKey>> => {
  const pairs = [...nameWaits(actions, current, claimsOf), ...releaseWaits(actions, current)]
  const result = new Map<ResourceKey, Array<ResourceKey>>()
  if (pairs.length === 0) return result
  const edges = new Map<ResourceKey, Array<ResourceKey>>(actions.map((action) => [action.key, [...action.dependsOn]]))
  for (const [waiter, waited] of pairs) {
    if (reaches(edges, waited, waiter)) continue
    edges.get(waiter)?.push(waited)
    const list = result.get(waiter) ?? []
    if (!list.includes(waited)) list.push(waited)
    result.set(waiter, list)
  }
  return result
}
