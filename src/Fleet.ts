/**
 * The workflows behind the commands: plan a stage, bring it up, take it down. They need
 * a `CloudProvider` and a `StateStore`; what to ask the operator comes in as functions,
 * so the CLI, a test or another Effect app can answer.
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as EffectScope from "effect/Scope"
import * as Option from "effect/Option"
import * as Apply from "./Apply.js"
import type * as Config from "./Config.js"
import * as Plan from "./Plan.js"
import * as Saved from "./Plan/Saved.js"
import type * as Progress from "./Progress.js"
import * as Existing from "./Fleet/Existing.js"
import { AlreadyManaged, ImportFailed, NotDeclared, notHeldElsewhere } from "./Fleet/Import.js"
import { currentResources } from "./Fleet/Refresh.js"
import * as Targets from "./Fleet/Targets.js"
import * as Recover from "./Recover.js"
import { CloudProvider, type ProviderError } from "./Provider.js"
import {
  type DesiredResource,
  referencesIn,
  refreshedInputs,
  type ResourceKey,
  equalJson,
  resolveInputs,
  type StoredResource
} from "./Resource.js"
import type * as Retry from "./Retry.js"
import * as State from "./State.js"
import * as Together from "./Together.js"

export { ExistingResources } from "./Fleet/Existing.js"
export { AlreadyManaged, ImportFailed, NotDeclared } from "./Fleet/Import.js"
export { UnknownTarget } from "./Fleet/Targets.js"

/** A resource the configuration declares in one stage that the state holds for another. */
export class StageConflict extends Data.TaggedError("StageConflict")<{
  readonly key: ResourceKey
  readonly stage: string
  readonly owner: string
}> {
  override get message() {
    return (
      `${this.key} is declared in stage "${this.stage}" but the state holds it for stage "${this.owner}".\n` +
      "  A resource's name must differ between stages (the clouds know it by that name): rename it in one of them."
    )
  }
}

/** `--target` named a key the plan does not know. */
/** The operator said no. */
export class Cancelled extends Data.TaggedError("Cancelled")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

export interface Target {
  readonly config: Config.FleetConfig
  readonly stage: string
  readonly desired: ReadonlyArray<DesiredResource>
}

export interface PlanOptions {
  /** Read what exists before planning, so changes made outside show up. */
  readonly refresh: boolean
  readonly targets?: ReadonlyArray<string> | undefined
  /** Told how the refresh goes, as each cloud answers. */
  readonly refreshing?: Progress.RefreshReporter | undefined
  /** The plan is for an apply, whose scope this is: the providers may start in it the reads its creates need (`prepare`). */
  readonly applying?: EffectScope.Scope | undefined
}

export interface Planned {
  readonly plan: Plan.Plan
  readonly state: State.StateFile
  /** Resources the state holds that the clouds no longer have. */
  readonly vanished: ReadonlyArray<ResourceKey>
  /** Resources the refresh found changed (ids, attributes, read-back inputs), as they are now. */
  readonly refreshed: ReadonlyMap<ResourceKey, StoredResource>
}

const loadState = (project: string) =>
  Effect.gen(function* () {
    const store = yield* State.StateStore
    const stored = yield* store.read
    if (Option.isNone(stored)) return State.emptyState(project)
    return yield* State.checkProject(store.location, project, stored.value)
  })

const checkOwnership = (state: State.StateFile, target: Target) =>
  Effect.suspend(() => {
    for (const resource of target.desired) {
      const owner = state.resources[resource.key]?.stage
      if (owner !== undefined && owner !== target.stage) {
        return Effect.fail(new StageConflict({ key: resource.key, stage: target.stage, owner }))
      }
    }
    return Effect.void
  })

const scopeOf = (target: Target) => ({
  project: target.config.project,
  stage: target.stage,
  directory: target.config.directory
})

/**
 * Settles what an interrupted run left of this stage (see `Recover`) and records the result;
 * run under the lock, before planning.
 */
const settleInterrupted = (target: Target) =>
  Effect.gen(function* () {
    const store = yield* State.StateStore
    const state = yield* loadState(target.config.project)
    const { settled, state: next } = yield* Recover.settle(state, scopeOf(target), target.desired, {
      finishDeletes: true
    })
    if (Recover.isEmpty(settled) && next === state) return
    yield* store.write(next)
    if (!Recover.isEmpty(settled)) yield* Effect.logWarning(Recover.describe(settled, { recorded: true }))
  })

/** Why a plan could not be made. */
export type PlanFailure = State.StateError | StageConflict | Targets.UnknownTarget | Plan.PlanError | ProviderError

/** Why `up` or `down` stopped: a plan that could not be made, the lock, the operator, or a partial apply. */
export type ApplyFailure =
  | PlanFailure
  | State.StateLocked
  | Cancelled
  | Existing.ExistingResources
  | Saved.StalePlan
  | Apply.PartialApplyError

/** The plan for a stage against the current state; changes nothing, in the clouds or the state. */
export const plan = (
  target: Target,
  options: PlanOptions
): Effect.Effect<Planned, PlanFailure, CloudProvider | State.StateStore> =>
  Effect.gen(function* () {
    const provider = yield* CloudProvider
    const { config, stage } = target
    const loaded = yield* loadState(config.project)
    yield* checkOwnership(loaded, target)
    // What an interrupted run left is settled in memory here; `up` records it.
    const { state, settled } = yield* Recover.settle(loaded, scopeOf(target), target.desired, {
      finishDeletes: false
    })
    if (!Recover.isEmpty(settled)) yield* Effect.logWarning(Recover.describe(settled, { recorded: false }))
    const stored = State.resourcesOfStage(state, stage)
    const targets = options.targets ?? []
    // A targeted plan reads and checks only what the targets need: other clouds need no credentials.
    const wanted = targets.length === 0 ? undefined : yield* Targets.closure(targets, target.desired, stored, provider)
    const desired = wanted === undefined ? target.desired : target.desired.filter((item) => wanted.has(item.key))
    const read = Effect.gen(function* () {
      const refreshed = yield* currentResources(
        wanted === undefined ? stored : new Map([...stored].filter(([key]) => wanted.has(key))),
        scopeOf(target),
        desired,
        options.refresh,
        options.refreshing
      )
      if (options.applying !== undefined && provider.prepare !== undefined) {
        const creating = desired.filter((item) => !refreshed.current.has(item.key))
        if (creating.length > 0) yield* provider.prepare(scopeOf(target), creating, options.applying)
      }
      return refreshed
    })
    const planning = Effect.gen(function* () {
      const { current, vanished, drift } = yield* read
      const made = yield* Plan.make({
        project: config.project,
        stage,
        lineage: state.lineage,
        serial: state.serial,
        desired,
        current,
        provider,
        drift
      })
      const selected = targets.length === 0 ? made : Targets.select(made, targets)
      // Without a refresh nothing is read: what exists outside the state is not looked for either.
      const checked = options.refresh ? yield* Existing.withExisting(selected, scopeOf(target), provider) : selected
      return { checked, current, vanished }
    })
    // The credentials are checked while the clouds are read, and what the creates would meet is looked for:
    // the plan waits for the slower, not for both. Refused credentials fail both; the check's error says more.
    const [, { checked, current, vanished }] = yield* Together.all([provider.check(desired), planning])
    const refreshed = new Map<ResourceKey, StoredResource>()
    for (const [key, resource] of current) if (!equalJson(state.resources[key], resource)) refreshed.set(key, resource)
    return { plan: yield* Plan.ordered(checked), state, vanished, refreshed } satisfies Planned
  })

export type FailureChoice = "continue" | "rollback" | "abort"

export interface ApplyOptions<R = never> {
  readonly parallelism: number
  readonly retry?: Retry.RetryPolicy | undefined
  readonly reporter?: Progress.Reporter | undefined
  /** Asked once the plan is known and has changes; false cancels. */
  readonly confirm: (plan: Plan.Plan) => Effect.Effect<boolean, never, R>
  /** Asked when an action fails for good. */
  readonly onFailure: (error: Apply.PartialApplyError) => Effect.Effect<FailureChoice, never, R>
}

export interface Applied {
  readonly plan: Plan.Plan
  readonly result: Apply.RunResult
  readonly state: State.StateFile
}

const execute = <R>(
  target: Target,
  planned: Planned,
  options: ApplyOptions<R>
): Effect.Effect<Applied, ApplyFailure, CloudProvider | State.StateStore | R> =>
  Effect.gen(function* () {
    const { plan: made, state, vanished, refreshed } = planned
    const journal = yield* Apply.makeStateWriter(state)
    // What the refresh found is recorded where no action will record it: a resource that
    // already matches the file keeps the id, addresses and inputs the clouds report.
    const acting = new Set(Plan.changesOf(made).map((action) => action.key))
    const settled = [...refreshed].filter(([key]) => !acting.has(key))
    if (vanished.length > 0 || settled.length > 0) {
      yield* journal.commit({ remove: vanished, put: settled })
    }
    if (!Plan.hasChanges(made)) {
      const unchanged = { succeeded: [], failed: [], notStarted: [] }
      return { plan: made, result: unchanged, state: yield* journal.latest } satisfies Applied
    }
    if (!(yield* options.confirm(made))) return yield* new Cancelled({ reason: "Cancelled; nothing was changed." })
    const runOptions: Apply.RunOptions = {
      project: target.config.project,
      stage: target.stage,
      directory: target.config.directory,
      parallelism: options.parallelism,
      retry: options.retry ?? target.config.retry,
      stopOnFailure: true,
      reporter: options.reporter
    }
    const provider = yield* CloudProvider
    const all = Apply.steps(made, State.resourcesOfStage(state, target.stage), provider.createsTogether)
    const first = yield* Apply.run(journal, all, runOptions)
    const partial = Apply.toPartialError(first)
    if (Option.isNone(partial)) return { plan: made, result: first, state: yield* journal.latest }
    const choice = yield* options.onFailure(partial.value)
    if (choice === "abort") return yield* partial.value
    if (choice === "rollback") {
      const undone = yield* Apply.rollback(journal, first, runOptions)
      const rolledBack = undone.succeeded.map((entry) => entry.step)
      const remaining = first.succeeded.slice(0, first.succeeded.length - rolledBack.length)
      return yield* Option.getOrThrow(
        Apply.toPartialError(
          {
            succeeded: remaining,
            failed: [...first.failed, ...undone.failed],
            notStarted: [...first.notStarted, ...undone.notStarted],
            storeFailure: first.storeFailure ?? undone.storeFailure
          },
          "rollback",
          rolledBack
        )
      )
    }
    const failedIds = new Set(first.failed.map((failure) => failure.step.id))
    const rest = yield* Apply.run(journal, first.notStarted, { ...runOptions, stopOnFailure: false }, failedIds)
    const final: Apply.RunResult = {
      succeeded: [...first.succeeded, ...rest.succeeded],
      failed: [...first.failed, ...rest.failed],
      notStarted: rest.notStarted,
      storeFailure: first.storeFailure ?? rest.storeFailure
    }
    return yield* Option.getOrThrow(Apply.toPartialError(final, "continue"))
  })

/** Plans and applies a stage under the state lock. */
export interface RunOptions<R> extends ApplyOptions<R>, PlanOptions {
  readonly lockTimeout?: number | undefined
  /** A plan saved earlier: applied only if the state is the one it was made from and the fresh plan is it. */
  readonly reviewed?: Saved.Reviewed | undefined
}

export const up = <R>(
  target: Target,
  options: RunOptions<R>
): Effect.Effect<Applied, ApplyFailure, CloudProvider | State.StateStore | R> =>
  Effect.scoped(
    Effect.gen(function* () {
      const store = yield* State.StateStore
      yield* store.lock("up", lockOptions(options.lockTimeout))
      const { reviewed } = options
      if (reviewed !== undefined) yield* Saved.checkState(reviewed.file, reviewed.saved, yield* store.read)
      yield* settleInterrupted(target)
      const planned = yield* plan(target, { ...options, applying: yield* Effect.scope })
      yield* Existing.refuseDiffering(planned.plan)
      if (reviewed !== undefined) yield* Saved.checkPlan(reviewed.file, reviewed.saved, planned.plan)
      return yield* execute(target, planned, options)
    })
  )

/** Destroys every resource the state holds for the stage, dependents first. */
export const down = <R>(
  target: Target,
  options: RunOptions<R>
): Effect.Effect<Applied, ApplyFailure, CloudProvider | State.StateStore | R> =>
  Effect.scoped(
    Effect.gen(function* () {
      const store = yield* State.StateStore
      yield* store.lock("down", lockOptions(options.lockTimeout))
      yield* settleInterrupted(target)
      const planned = yield* plan({ ...target, desired: [] }, options)
      return yield* execute(target, planned, options)
    })
  )

const lockOptions = (timeoutMillis: number | undefined) =>
  timeoutMillis === undefined ? undefined : { timeout: Duration.millis(timeoutMillis) }

export interface LockedOptions {
  readonly lockTimeout?: number | undefined
}

/**
 * Adopts the existing resource `id` as the declared resource `key`: the clouds are asked for
 * it, and the state records it with its declared inputs, so the next plan shows how the file
 * and the resource differ. Nothing in the clouds changes.
 */
export interface Imported {
  readonly key: ResourceKey
  readonly resource: StoredResource
  /** The state's serial after the import was recorded. */
  readonly serial: number
}

export const importResource = (
  target: Target,
  key: ResourceKey,
  id: string,
  options: LockedOptions = {}
): Effect.Effect<
  Imported,
  State.StateError | State.StateLocked | AlreadyManaged | NotDeclared | ImportFailed | ProviderError,
  CloudProvider | State.StateStore
> =>
  Effect.scoped(
    Effect.gen(function* () {
      const store = yield* State.StateStore
      const provider = yield* CloudProvider
      yield* store.lock("import", lockOptions(options.lockTimeout))
      const state = yield* loadState(target.config.project)
      const held = state.resources[key]
      if (held !== undefined) return yield* new AlreadyManaged({ key, id: held.id })
      const declared = target.desired.find((resource) => resource.key === key)
      if (declared === undefined) return yield* new NotDeclared({ key, stage: target.stage })
      yield* notHeldElsewhere(state, declared, id)
      const inputs = yield* resolveInputs(key, declared.inputs, state.resources).pipe(
        Effect.mapError(
          (error) => new ImportFailed({ key, reason: `${error.message}; import the resources it refers to first` })
        )
      )
      const at = new Date(yield* Clock.currentTimeMillis).toISOString()
      const candidate: StoredResource = {
        provider: declared.provider,
        type: declared.type,
        name: declared.name,
        stage: target.stage,
        id,
        attributes: {},
        inputs,
        ...(referencesIn(declared.inputs).length === 0 ? {} : { declared: declared.inputs }),
        dependsOn: declared.dependsOn,
        created_at: at,
        updated_at: at
      }
      const observed = (yield* provider.getState(scopeOf(target), new Map([[key, candidate]]))).get(key)
      if (observed === undefined) {
        // Resources are looked for where the file puts them: one elsewhere is not found.
        const zone = typeof inputs.zone === "string" ? ` in zone ${inputs.zone}, the one the file declares` : ""
        return yield* new ImportFailed({ key, reason: `the clouds have no ${declared.type} with the ID ${id}${zone}` })
      }
      // Resources known by name (buckets, workers) are read by their declared name, whatever ID was given.
      if (observed.id !== id) {
        return yield* new ImportFailed({
          key,
          reason: `the clouds have no ${declared.type} with the ID ${id}; the one declared as ${key} has the ID ${observed.id}`
        })
      }
      if (provider.checkImport !== undefined) {
        yield* provider.checkImport(scopeOf(target), key, candidate, observed).pipe(
          Effect.catchIf(
            (error) => error.reason === "conflict",
            (error) => new ImportFailed({ key, reason: error.message, hint: error.hint })
          )
        )
      }
      // Recorded as the cloud reads it back: the next plan shows how it differs from the file as changes to make.
      const resource = {
        ...candidate,
        id: observed.id,
        attributes: observed.attributes,
        inputs: refreshedInputs(inputs, observed.inputs)
      }
      const saved = yield* store.write(State.putResource(state, key, resource))
      return { key, resource, serial: saved.serial }
    })
  )

/**
 * Rebuilds the stage's state from the clouds (see `Recover.rebuild`) after settling what an
 * interrupted run left: for a state file that was lost, or resources made by another checkout.
 */
export const recoverState = (
  target: Target,
  options: LockedOptions = {}
): Effect.Effect<
  Recover.Recovered,
  State.StateError | State.StateLocked | StageConflict | ProviderError,
  CloudProvider | State.StateStore
> =>
  Effect.scoped(
    Effect.gen(function* () {
      const store = yield* State.StateStore
      yield* store.lock("state recover", lockOptions(options.lockTimeout))
      yield* settleInterrupted(target)
      const state = yield* loadState(target.config.project)
      yield* checkOwnership(state, target)
      const recovered = yield* Recover.rebuild(state, scopeOf(target), target.desired)
      const saved = recovered.found.length === 0 ? recovered.state : yield* store.write(recovered.state)
      return { ...recovered, state: saved }
    })
  )
