/**
 * The provider calls a plan expands into: a Replace is a delete followed by a create, and each
 * call names the calls that must succeed before it starts.
 */
import * as Schema from "effect/Schema"
import { Action, adoptedOf, dependentsIn, type Plan } from "../Plan.js"
import type * as Progress from "../Progress.js"
import type { ResourceKey, ResourceType, StoredResource } from "../Resource.js"

export const Operation = Schema.Literal("create", "update", "delete")
export type Operation = typeof Operation.Type

/** One provider call the engine makes: a Replace is a delete followed by a create. */
export const Step = Schema.Struct({
  id: Schema.String,
  operation: Operation,
  key: Schema.String,
  action: Action,
  /** Step ids that must succeed first. */
  after: Schema.Array(Schema.String),
  /** The create step whose provider call makes this resource too (`CloudProviderService.createsTogether`). */
  carriedBy: Schema.optional(Schema.String),
  /** A create that takes over what its cloud holds already, as the plan said (`Plan.Existing`). */
  adopts: Schema.optional(Schema.Literal(true))
})
export type Step = typeof Step.Type

const stepId = (operation: Operation, key: ResourceKey) => `${operation}:${key}`

/**
 * The step of `waited` that an action's `waitsFor` means: the delete of a resource that frees a name,
 * else the update or create of a dependent that stops using what a delete removes.
 */
const waitedStep = (waited: Action | undefined): string | undefined => {
  if (waited === undefined || waited._tag === "NoOp") return undefined
  if (waited._tag === "Delete" || waited._tag === "Replace") return stepId("delete", waited.key)
  return stepId(waited._tag === "Update" ? "update" : "create", waited.key)
}

/** Whether one create of `dependent` makes a new `dependency` too (the provider's `createsTogether`). */
export type Together = (dependency: ResourceType, dependent: ResourceType) => boolean

/**
 * Expands a plan into provider calls and the order between them. A create that `together` lets a
 * dependent's create make is carried by that create's step, when nothing else waits for it.
 */
export const steps = (
  plan: Plan,
  stored: ReadonlyMap<ResourceKey, StoredResource>,
  together: Together = () => false
): ReadonlyArray<Step> => {
  const creates = new Set<ResourceKey>()
  const deletes = new Set<ResourceKey>()
  const byKey = new Map<ResourceKey, Action>()
  for (const action of plan.actions) {
    byKey.set(action.key, action)
    if (action._tag === "Create" || action._tag === "Replace") creates.add(action.key)
    if (action._tag === "Delete" || action._tag === "Replace") deletes.add(action.key)
  }
  const applied = new Set(
    plan.actions.filter((action) => action._tag !== "NoOp" && action._tag !== "Delete").map((action) => action.key)
  )
  const dependentsOf = dependentsIn([...stored].filter(([key]) => deletes.has(key)))
  /** The steps an action's delete (`forDelete`) or its create or update waits for. */
  const waitsOf = (action: Action, forDelete: boolean) =>
    (action.waitsFor ?? []).flatMap((key) => {
      const waited = byKey.get(key)
      const freesName = waited?._tag === "Delete" || waited?._tag === "Replace"
      const step = freesName === forDelete ? undefined : waitedStep(waited)
      return step === undefined ? [] : [step]
    })
  const adopted = adoptedOf(plan)
  const result: Array<Step> = []
  for (const action of plan.actions) {
    if (action._tag === "NoOp") continue
    if (action._tag === "Delete" || action._tag === "Replace") {
      // A resource goes before the resources it depends on, as in the state.
      const dependents = dependentsOf.get(action.key) ?? []
      result.push({
        id: stepId("delete", action.key),
        operation: "delete",
        key: action.key,
        action,
        after: [...dependents.map((other) => stepId("delete", other)), ...waitsOf(action, true)]
      })
    }
    if (action._tag !== "Delete") {
      const operation: Operation = action._tag === "Update" ? "update" : "create"
      const after = action.dependsOn
        .filter((dep) => applied.has(dep))
        .map((dep) => stepId(creates.has(dep) ? "create" : "update", dep))
      if (action._tag === "Replace") after.push(stepId("delete", action.key))
      after.push(...waitsOf(action, false))
      const adopts = action._tag === "Create" && adopted.has(action.key) ? { adopts: true as const } : {}
      result.push({ id: stepId(operation, action.key), operation, key: action.key, action, after, ...adopts })
    }
  }
  return carry(result, together)
}

/**
 * Lets each plain create whose only waiter is a plain create that `together` allows be made by
 * that create's call: the waiter takes over what the carried step waited for.
 */
const carry = (all: ReadonlyArray<Step>, together: Together): ReadonlyArray<Step> => {
  const waiters = new Map<string, Array<Step>>()
  for (const step of all) {
    for (const id of new Set(step.after)) {
      const list = waiters.get(id)
      if (list === undefined) waiters.set(id, [step])
      else list.push(step)
    }
  }
  const plainCreate = (step: Step | undefined): step is Step => step?.action._tag === "Create"
  // One carried step per carrier, and no carrier carried itself.
  const carrierOf = new Map<string, string>()
  const carriedOf = new Map<string, Step>()
  for (const step of all) {
    const [waiter, ...others] = waiters.get(step.id) ?? []
    if (
      plainCreate(step) &&
      others.length === 0 &&
      plainCreate(waiter) &&
      !carriedOf.has(step.id) &&
      !carriedOf.has(waiter.id) &&
      !carrierOf.has(waiter.id) &&
      together(step.action.type, waiter.action.type)
    ) {
      carrierOf.set(step.id, waiter.id)
      carriedOf.set(waiter.id, step)
    }
  }
  if (carrierOf.size === 0) return all
  return all.map((step) => {
    const carrier = carrierOf.get(step.id)
    if (carrier !== undefined) return { ...step, carriedBy: carrier }
    const carried = carriedOf.get(step.id)
    if (carried === undefined) return step
    const after = step.after.flatMap((id) => (id === carried.id ? carried.after : [id]))
    return { ...step, after: [...new Set(after)] }
  })
}

/** How progress names a step. */
export const verbOf = (step: Step): Progress.Verb =>
  step.action._tag === "Replace" ? "replace" : step.adopts === true ? "adopt" : step.operation
