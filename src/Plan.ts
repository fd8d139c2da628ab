/**
 * Desired vs current → actions, and the dependency graph that orders them.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Drift, Existing } from "./Plan/Found.js"
import { waits } from "./Plan/Waits.js"
import type { CloudProviderService } from "./Provider.js"
import {
  attributeOf,
  equalJson,
  type DesiredResource,
  Inputs,
  isReference,
  Json,
  ProviderName,
  type ResourceKey,
  ResourceType,
  showReference,
  type StoredResource
} from "./Resource.js"

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
  changes: Schema.Array(FieldChange),
  /**
   * Keys whose action must finish first though this one does not use them: the delete that frees a
   * name this create takes, the update of a dependent that stops using what this delete removes.
   */
  waitsFor: Schema.optional(Schema.Array(Schema.String))
}

/** `+` a new resource. `inputs` may hold references, resolved when the action runs. */
export class Create extends Schema.TaggedClass<Create>()("Create", { ...actionFields, inputs: Inputs }) {}
/** `~` changed in place. */
export class Update extends Schema.TaggedClass<Update>()("Update", {
  ...actionFields,
  inputs: Inputs,
  id: Schema.String
}) {}
/** `-/+` destroyed, then created again. */
export class Replace extends Schema.TaggedClass<Replace>()("Replace", {
  ...actionFields,
  inputs: Inputs,
  id: Schema.String
}) {}
/** `-` destroyed; or, when `keep`, forgotten and left in its cloud (one FleetFlow used but did not make). */
export class Delete extends Schema.TaggedClass<Delete>()("Delete", {
  ...actionFields,
  id: Schema.String,
  keep: Schema.optional(Schema.Boolean)
}) {}
/** Nothing to do. */
export class NoOp extends Schema.TaggedClass<NoOp>()("NoOp", { ...actionFields, id: Schema.String }) {}

export { Drift, Existing } from "./Plan/Found.js"

export const Action = Schema.Union(Create, Update, Replace, Delete, NoOp)
export type Action = typeof Action.Type

export const Summary = Schema.Struct({
  add: Schema.Number,
  change: Schema.Number,
  destroy: Schema.Number,
  /** Resources FleetFlow stops managing and leaves in their cloud; absent when none. */
  forget: Schema.optional(Schema.Number),
  /** Creates that take over what their cloud holds already as the file declares it (see `existing`), apart from `add`; absent when none. */
  adopt: Schema.optional(Schema.Number)
})
export type Summary = typeof Summary.Type

/** Everything `up` would do for one stage, bound to the state serial it was computed from. */
export class Plan extends Schema.Class<Plan>("Plan")({
  project: Schema.String,
  stage: Schema.String,
  lineage: Schema.optional(Schema.String),
  serial: Schema.Number,
  actions: Schema.Array(Action),
  summary: Summary,
  /** Changes made outside FleetFlow that the refresh found; the actions bring them back to the file. */
  drift: Schema.optionalWith(Schema.Array(Drift), { default: () => [] }),
  /** Resources to create that exist already outside the state, and what `up` does about them. */
  existing: Schema.optionalWith(Schema.Array(Existing), { default: () => [] })
}) {}

export const isUnknown = (value: unknown): value is Unknown =>
  typeof value === "object" && value !== null && typeof (value as Record<string, unknown>).$unknown === "string"

export const changesOf = (plan: Plan): ReadonlyArray<Action> => plan.actions.filter((action) => action._tag !== "NoOp")

export const hasChanges = (plan: Plan): boolean => changesOf(plan).length > 0

/** The counts of `actions`; a create of a key in `adopted` takes over what exists (see `Existing`). */
export const summarize = (
  actions: ReadonlyArray<Action>,
  adopted: { readonly has: (key: ResourceKey) => boolean } = new Set()
): Summary => {
  let add = 0
  let change = 0
  let destroy = 0
  let forget = 0
  for (const action of actions) {
    if (action._tag === "Create") add++
    else if (action._tag === "Update") change++
    else if (action._tag === "Replace") {
      add++
      destroy++
    } else if (action._tag === "Delete") {
      if (action.keep === true) forget++
      else destroy++
    }
  }
  const adopt = actions.filter((action) => action._tag === "Create" && adopted.has(action.key)).length
  return { add: add - adopt, change, destroy, ...(forget === 0 ? {} : { forget }), ...(adopt === 0 ? {} : { adopt }) }
}

/** The keys of the creates that adopt what exists (see `Existing`), each with the ID it takes over. */
export const adoptedOf = (plan: Plan): ReadonlyMap<ResourceKey, string> =>
  new Map(plan.existing.flatMap((item) => (item.resolution === "adopt" ? [[item.key, item.id] as const] : [])))

/**
 * Actions the engine builds from values that are typed already are not validated again: the
 * recursive `Json` schema costs a hundred microseconds per action on large plans.
 */
const trusted = true

/** Whether `value` holds a node that `matches`; walked without copying, it runs on every input of every plan. */
const holds = (value: unknown, matches: (value: unknown) => boolean): boolean => {
  if (matches(value)) return true
  if (Array.isArray(value)) {
    for (const item of value) if (holds(item, matches)) return true
    return false
  }
  if (typeof value === "object" && value !== null) {
    for (const field in value) if (holds((value as Record<string, unknown>)[field], matches)) return true
  }
  return false
}

const containsUnknown = (value: unknown): boolean => holds(value, isUnknown)

/** Adds `field`'s change to `changes` when its desired value differs from, or is not yet known like, the current one. */
const compareField = (
  changes: Array<FieldChange>,
  field: string,
  current: Inputs,
  desired: Inputs,
  replaceFields: ReadonlyArray<string>
) => {
  const before = current[field]
  const after = desired[field]
  if (!containsUnknown(after) && equalJson(before, after)) return
  changes.push({
    field,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
    forcesReplace: replaceFields.includes(field)
  })
}

/**
 * The diff of one resource: field by field over its inputs, `replaceFields` (its type's)
 * deciding between an update in place and a replacement.
 */
export const diffResource = (
  desired: DesiredResource,
  current: StoredResource | undefined,
  replaceFields: ReadonlyArray<string>
): Action => {
  const base = {
    key: desired.key,
    provider: desired.provider,
    type: desired.type,
    name: desired.name,
    dependsOn: desired.dependsOn
  }
  if (current === undefined) {
    const changes = Object.entries(desired.inputs).map(([field, after]) => ({ field, after, forcesReplace: false }))
    return new Create({ ...base, changes, inputs: desired.inputs }, trusted)
  }
  const changes: Array<FieldChange> = []
  // The current fields, then the desired ones it lacks: the order a set of both would give.
  for (const field of Object.keys(current.inputs)) {
    compareField(changes, field, current.inputs, desired.inputs, replaceFields)
  }
  for (const field of Object.keys(desired.inputs)) {
    if (!Object.hasOwn(current.inputs, field))
      compareField(changes, field, current.inputs, desired.inputs, replaceFields)
  }
  const fields_ = { ...base, changes, id: current.id }
  if (changes.length === 0) return new NoOp(fields_, trusted)
  if (changes.some((change) => change.forcesReplace))
    return new Replace({ ...fields_, inputs: desired.inputs }, trusted)
  return new Update({ ...fields_, inputs: desired.inputs }, trusted)
}

export class PlanError extends Data.TaggedError("PlanError")<{
  readonly message: string
  readonly key?: ResourceKey | undefined
}> {}

/** Groups keys into levels: every key's dependencies sit in earlier levels. */
export const levels = (
  nodes: ReadonlyArray<{ readonly key: ResourceKey; readonly dependsOn: ReadonlyArray<ResourceKey> }>
): Effect.Effect<ReadonlyArray<ReadonlyArray<ResourceKey>>, PlanError> =>
  Effect.suspend(() => {
    const known = new Set(nodes.map((node) => node.key))
    const waiting = new Map<ResourceKey, number>()
    // Most resources depend on nothing: only those that do are given a list of their own.
    const edges = nodes.map((node) => ({
      key: node.key,
      dependsOn:
        node.dependsOn.length === 0
          ? node.dependsOn
          : [...new Set(node.dependsOn.filter((dep) => known.has(dep) && dep !== node.key))]
    }))
    for (const edge of edges) waiting.set(edge.key, edge.dependsOn.length)
    const dependents = dependentsIn(edges.map((edge) => [edge.key, edge] as const))
    const result: Array<Array<ResourceKey>> = []
    let ready: Array<ResourceKey> = []
    waiting.forEach((count, key) => {
      if (count === 0) ready.push(key)
    })
    let placed = 0
    while (ready.length > 0) {
      result.push(ready.sort())
      placed += ready.length
      const next: Array<ResourceKey> = []
      for (const key of ready) {
        for (const dependent of dependents.get(key) ?? []) {
          const count = waiting.get(dependent)! - 1
          waiting.set(dependent, count)
          if (count === 0) next.push(dependent)
        }
      }
      ready = next
    }
    if (placed < known.size) {
      const cycle = [...waiting].filter(([, count]) => count > 0).map(([key]) => key)
      return Effect.fail(new PlanError({ message: `dependency cycle between ${cycle.join(", ")}` }))
    }
    return Effect.succeed(result)
  })

/** Each action's dependencies and the actions it waits for. */
const precedence = (actions: ReadonlyArray<Action>) =>
  actions.map((action) =>
    action.waitsFor === undefined ? action : { key: action.key, dependsOn: [...action.dependsOn, ...action.waitsFor] }
  )

/** The plan with its actions in an order a person can follow: by dependency level, then by key. */
export const ordered = (plan: Plan): Effect.Effect<Plan, PlanError> =>
  Effect.map(levels(precedence(plan.actions)), (groups) => {
    const byKey = new Map(plan.actions.map((action) => [action.key, action]))
    const actions = groups.flatMap((group) => group.map((key) => byKey.get(key)!))
    return new Plan({ ...plan, actions }, trusted)
  })

/** For each key, the stored resources that depend on it. */
export const dependentsIn = (
  resources: Iterable<readonly [ResourceKey, { readonly dependsOn: ReadonlyArray<ResourceKey> }]>
): ReadonlyMap<ResourceKey, ReadonlyArray<ResourceKey>> => {
  const result = new Map<ResourceKey, Array<ResourceKey>>()
  for (const [key, resource] of resources) {
    for (const dep of resource.dependsOn) {
      const list = result.get(dep)
      if (list === undefined) result.set(dep, [key])
      else list.push(key)
    }
  }
  return result
}

/** Whether an update gives its resource a new ID: references to the ID are then unknown until it ran. */
type RenewsId = (action: Update) => boolean

const resolveForPlan = (
  value: Json,
  current: ReadonlyMap<ResourceKey, StoredResource>,
  planned: ReadonlyMap<ResourceKey, Action>,
  renewsId: RenewsId
): Json | Unknown => {
  if (isReference(value)) {
    const action = planned.get(value.$ref)
    const stored = current.get(value.$ref)
    const pending =
      action === undefined ||
      action._tag === "Create" ||
      action._tag === "Replace" ||
      action._tag === "Delete" ||
      (action._tag === "Update" && value.attribute === "id" && renewsId(action))
    const known = attributeOf(stored, value.attribute)
    return pending || known === undefined ? { $unknown: showReference(value) } : known
  }
  if (Array.isArray(value)) return value.map((item: Json) => resolveForPlan(item, current, planned, renewsId)) as Json
  if (typeof value === "object" && value !== null) {
    const resolved: Record<string, Json | Unknown> = {}
    for (const field of Object.keys(value)) {
      resolved[field] = resolveForPlan((value as Record<string, Json>)[field]!, current, planned, renewsId)
    }
    return resolved as Json
  }
  return value
}

export interface MakeOptions {
  readonly project: string
  readonly stage: string
  readonly lineage?: string | undefined
  readonly serial: number
  readonly desired: ReadonlyArray<DesiredResource>
  /** This stage's resources as the state (refreshed) holds them. */
  readonly current: ReadonlyMap<ResourceKey, StoredResource>
  /** What the provider says of its types: fields that replace or renew an ID, kept and claimed resources. */
  readonly provider: Pick<CloudProviderService, "replaceFields" | "newIdFields" | "keeps" | "claims">
  readonly drift?: ReadonlyArray<Drift> | undefined
}

/**
 * The plan for one stage. Resources are diffed level by level so a reference to a
 * resource that is about to be created or replaced shows as known after apply.
 * The provider's `check` is the caller's (`Fleet.plan` runs it beside the reads).
 */
export const make = (options: MakeOptions): Effect.Effect<Plan, PlanError> =>
  Effect.gen(function* () {
    const { current, desired, provider } = options
    const byKey = new Map(desired.map((resource) => [resource.key, resource]))
    const planned = new Map<ResourceKey, Action>()
    const renewsId: RenewsId = (action) => {
      const fields = provider.newIdFields(action.type)
      return fields.length > 0 && action.changes.some((change) => fields.includes(change.field))
    }
    for (const level of yield* levels(desired)) {
      for (const key of level) {
        const resource = byKey.get(key)!
        const replaceFields = provider.replaceFields(resource.type)
        // Most inputs refer to nothing; resolving would only copy them.
        if (!holds(resource.inputs, isReference)) {
          planned.set(key, diffResource(resource, current.get(key), replaceFields))
          continue
        }
        const resolved = { ...resource, inputs: resolveForPlan(resource.inputs, current, planned, renewsId) as Inputs }
        // The action applies the declared inputs: their references are resolved when it runs (a no-op has none).
        const action = diffResource(resolved, current.get(key), replaceFields)
        planned.set(key, action._tag === "NoOp" ? action : withFields(action, { inputs: resource.inputs }))
      }
    }
    const deletes: Array<readonly [ResourceKey, StoredResource]> = []
    for (const entry of current) if (!byKey.has(entry[0])) deletes.push(entry)
    const deleted = new Set(deletes.map(([key]) => key))
    const dependentsOf = dependentsIn(deletes)
    for (const [key, resource] of deletes) {
      planned.set(
        key,
        new Delete(
          {
            key,
            provider: resource.provider,
            type: resource.type,
            name: resource.name,
            id: resource.id,
            dependsOn: (dependentsOf.get(key) ?? []).filter((other) => deleted.has(other)),
            ...(provider.keeps(resource) ? { keep: true } : {}),
            changes: Object.entries(resource.inputs).map(([field, before]) => ({ field, before, forcesReplace: false }))
          },
          trusted
        )
      )
    }
    const made = [...planned.values()]
    const waiting = waits(made, current, provider.claims)
    const actions = made.map((action) => {
      const waitsFor = waiting.get(action.key)
      return waitsFor === undefined ? action : withFields(action, { waitsFor })
    })
    return new Plan(
      {
        project: options.project,
        stage: options.stage,
        lineage: options.lineage,
        serial: options.serial,
        actions,
        summary: summarize(actions),
        drift: options.drift ?? []
      },
      trusted
    )
  })

/** `action` rebuilt with other declared inputs (an action that has them) or with the actions it waits for. */
const withFields = (
  action: Action,
  fields: { readonly inputs?: Inputs; readonly waitsFor?: ReadonlyArray<ResourceKey> }
): Action => {
  const { inputs: _inputs, ...others } = fields
  switch (action._tag) {
    case "Create":
      return new Create({ ...action, ...fields }, trusted)
    case "Update":
      return new Update({ ...action, ...fields }, trusted)
    case "Replace":
      return new Replace({ ...action, ...fields }, trusted)
    case "Delete":
      return new Delete({ ...action, ...others }, trusted)
    case "NoOp":
      return new NoOp({ ...action, ...others }, trusted)
  }
}
