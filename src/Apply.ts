/**
 * The apply engine: runs a plan's actions in dependency order with bounded parallelism,
 * records an intent before every provider call and the state after every completed one,
 * and turns a failure into a PartialApplyError that says what succeeded, what failed and
 * what never started, so the caller can continue, roll back or abort.
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { Action, Create, dependentsIn, type Plan, Update } from "./Plan.js"
import type * as Progress from "./Progress.js"
import { CloudProvider, isTransient, ProviderError, type Scope } from "./Provider.js"
import {
  attributeOf,
  type Inputs,
  isReference,
  type Json,
  referencesIn,
  type ResourceKey,
  showReference,
  type StoredResource
} from "./Resource.js"
import * as Retry from "./Retry.js"
import * as Crash from "./Crash.js"
import * as State from "./State.js"

export const Operation = Schema.Literal("create", "update", "delete")
export type Operation = typeof Operation.Type

/** One provider call the engine makes: a Replace is a delete followed by a create. */
export const Step = Schema.Struct({
  id: Schema.String,
  operation: Operation,
  key: Schema.String,
  action: Action,
  /** Step ids that must succeed first. */
  after: Schema.Array(Schema.String)
})
export type Step = typeof Step.Type

export const StepFailure = Schema.Struct({ step: Step, error: ProviderError })

/** What an apply did before it stopped on a failure. Goes into `--json` output as it is. */
export class PartialApplyError extends Schema.TaggedError<PartialApplyError>()("PartialApplyError", {
  /** What was decided after the first failure. */
  decision: Schema.Literal("abort", "continue", "rollback"),
  succeeded: Schema.Array(Step),
  failed: Schema.Array(StepFailure),
  notStarted: Schema.Array(Step),
  /** Steps whose effect a rollback undid, newest first. */
  rolledBack: Schema.Array(Step)
}) {
  override get message() {
    const failed = this.failed.map((failure) => `${failure.step.operation} ${failure.step.key}`).join(", ")
    return `apply stopped: ${failed} failed; ${this.succeeded.length} succeeded, ${this.notStarted.length} not started`
  }
}

/** A reference whose target has no such attribute in state: the plan and the state disagree. */
export class UnresolvedReference extends Schema.TaggedError<UnresolvedReference>()("UnresolvedReference", {
  key: Schema.String,
  reference: Schema.String
}) {
  override get message() {
    return `${this.key} refers to ${this.reference}, which the state does not hold`
  }
}

const stepId = (operation: Operation, key: ResourceKey) => `${operation}:${key}`

/** Expands a plan into provider calls and the order between them. */
export const steps = (plan: Plan, stored: ReadonlyMap<ResourceKey, StoredResource>): ReadonlyArray<Step> => {
  const creates = new Set<ResourceKey>()
  const deletes = new Set<ResourceKey>()
  for (const action of plan.actions) {
    if (action._tag === "Create" || action._tag === "Replace") creates.add(action.key)
    if (action._tag === "Delete" || action._tag === "Replace") deletes.add(action.key)
  }
  const applied = new Set(
    plan.actions.filter((action) => action._tag !== "NoOp" && action._tag !== "Delete").map((action) => action.key)
  )
  const dependentsOf = dependentsIn([...stored].filter(([key]) => deletes.has(key)))
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
        after: dependents.map((other) => stepId("delete", other))
      })
    }
    if (action._tag !== "Delete") {
      const operation: Operation = action._tag === "Update" ? "update" : "create"
      const after = action.dependsOn
        .filter((dep) => applied.has(dep))
        .map((dep) => stepId(creates.has(dep) ? "create" : "update", dep))
      if (action._tag === "Replace") after.push(stepId("delete", action.key))
      result.push({ id: stepId(operation, action.key), operation, key: action.key, action, after })
    }
  }
  return result
}

const resolve = (
  key: ResourceKey,
  value: Json,
  resources: Readonly<Record<string, StoredResource>>
): Effect.Effect<Json, UnresolvedReference> => {
  if (isReference(value)) {
    const found = attributeOf(resources[value.$ref], value.attribute)
    return found === undefined
      ? Effect.fail(new UnresolvedReference({ key, reference: showReference(value) }))
      : Effect.succeed(found)
  }
  if (Array.isArray(value)) return Effect.forEach(value as ReadonlyArray<Json>, (item) => resolve(key, item, resources))
  if (typeof value === "object" && value !== null) {
    return Effect.map(
      Effect.forEach(Object.entries(value), ([field, item]) =>
        Effect.map(resolve(key, item as Json, resources), (resolved) => [field, resolved] as const)
      ),
      (entries) => Object.fromEntries(entries) as Json
    )
  }
  return Effect.succeed(value)
}

export const resolveInputs = (
  key: ResourceKey,
  inputs: Inputs,
  resources: Readonly<Record<string, StoredResource>>
): Effect.Effect<Inputs, UnresolvedReference> => Effect.map(resolve(key, inputs, resources), (json) => json as Inputs)

/** Clears this step's intent, and those an earlier, interrupted run left for the same key. */
const settle =
  (key: ResourceKey, intent: string) =>
  (pending: ReadonlyArray<State.PendingOperation>): ReadonlyArray<State.PendingOperation> =>
    pending.filter((operation) => operation.id !== intent && operation.key !== key)

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

export type Outcome =
  | { readonly _tag: "Succeeded"; readonly previous: StoredResource | undefined }
  | { readonly _tag: "Failed"; readonly error: ProviderError }
  | { readonly _tag: "NotStarted" }

export interface RunOptions extends Scope {
  readonly parallelism: number
  readonly retry: Retry.RetryPolicy
  /** Stop starting new steps after the first failure (abort-style) or keep going with what does not depend on it. */
  readonly stopOnFailure: boolean
  readonly reporter?: Progress.Reporter | undefined
}

export interface RunResult {
  /** In the order they completed. */
  readonly succeeded: ReadonlyArray<{ readonly step: Step; readonly previous: StoredResource | undefined }>
  readonly failed: ReadonlyArray<{ readonly step: Step; readonly error: ProviderError }>
  readonly notStarted: ReadonlyArray<Step>
}

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

const verbOf = (step: Step): Progress.Verb =>
  step.action._tag === "Replace" ? "replace" : step.operation === "create" ? "create" : step.operation

/** One change the engine records: the resources it puts or removes, and what it does to the intents. */
export interface Edit {
  readonly put?: ReadonlyArray<readonly [ResourceKey, StoredResource]>
  readonly remove?: ReadonlyArray<ResourceKey>
  readonly pending?: (pending: ReadonlyArray<State.PendingOperation>) => ReadonlyArray<State.PendingOperation>
}

/**
 * Keeps the latest state in memory and makes every change durable before `commit` returns.
 * Changes that arrive while a write is under way go to disk together in the next write (a
 * group commit), so parallel steps never lose each other's updates and do not queue one
 * write each. The state is changed in place and the store is handed only what changed since
 * the last write (`writeChanges`): copying the state, or handing it over whole, at every
 * change made an apply quadratic in the number of resources.
 */
export const makeJournal = (initial: State.StateFile) =>
  Effect.gen(function* () {
    const store = yield* State.StateStore
    const resources: Record<ResourceKey, StoredResource> = { ...initial.resources }
    let pending = initial.pending
    let version = 0
    // Changed since the last durable write: each key's resource as it is now, undefined once removed.
    let unwritten = new Map<ResourceKey, StoredResource | undefined>()
    const durable = yield* Ref.make({ version: 0, serial: initial.serial })
    const writer = yield* Effect.makeSemaphore(1)

    const stateAt = (serial: number): State.StateFile => ({ ...initial, serial, resources: { ...resources }, pending })
    const changesOf = (changed: ReadonlyMap<ResourceKey, StoredResource | undefined>): State.StateChanges => {
      const set: Record<ResourceKey, StoredResource> = {}
      const remove: Array<ResourceKey> = []
      for (const [key, resource] of changed) {
        if (resource === undefined) remove.push(key)
        else set[key] = resource
      }
      return { set, remove, pending, scale: initial.scale }
    }

    const record = (edit: Edit) =>
      Effect.sync(() => {
        for (const key of edit.remove ?? []) {
          delete resources[key]
          unwritten.set(key, undefined)
        }
        for (const [key, resource] of edit.put ?? []) {
          resources[key] = resource
          unwritten.set(key, resource)
        }
        if (edit.pending !== undefined) pending = edit.pending(pending)
        return ++version
      })
    // The next write, with what it takes in one step, so that the intents it records match the
    // resources it records; what it took is given back when it fails, behind what changed meanwhile.
    const takeWrite = (serial: number) =>
      Effect.sync(() => {
        const changed = unwritten
        unwritten = new Map()
        const write =
          serial > 0
            ? Effect.map(
                store.writeChanges({ lineage: initial.lineage, serial }, changesOf(changed)),
                (next) => next.serial
              )
            : Effect.map(store.write(stateAt(serial)), (next) => next.serial)
        return { changed, version, write }
      })
    const giveBack = (changed: ReadonlyMap<ResourceKey, StoredResource | undefined>) =>
      Effect.sync(() => {
        for (const [key, resource] of changed) if (!unwritten.has(key)) unwritten.set(key, resource)
      })

    const commit = (edit: Edit) =>
      Effect.gen(function* () {
        const mine = yield* record(edit)
        yield* writer.withPermits(1)(
          Effect.uninterruptible(
            Effect.gen(function* () {
              const written = yield* Ref.get(durable)
              if (written.version >= mine) return
              const { changed, version, write } = yield* takeWrite(written.serial)
              const serial = yield* write.pipe(Effect.onError(() => giveBack(changed)))
              yield* Ref.set(durable, { version, serial })
            })
          )
        )
      })

    return {
      /** The state as recorded so far, with the serial of the last durable write: a copy. */
      latest: Effect.map(Ref.get(durable), (written) => stateAt(written.serial)),
      /** One resource as recorded so far. */
      resource: (key: ResourceKey) => Effect.sync(() => resources[key]),
      /** The resources as recorded so far, changed in place by later commits: read what is needed at once. */
      resources: Effect.sync((): Readonly<Record<ResourceKey, StoredResource>> => resources),
      commit
    }
  })
export type Journal = Effect.Effect.Success<ReturnType<typeof makeJournal>>

/** Runs steps in dependency order; `failedBefore` are step ids that count as failed already. */
export const run = (
  journal: Journal,
  all: ReadonlyArray<Step>,
  options: RunOptions,
  failedBefore: ReadonlySet<string> = new Set()
) =>
  Effect.gen(function* () {
    const provider = yield* CloudProvider
    // A queue of tokens rather than a semaphore: a returned token wakes one waiting step, where a
    // semaphore's release wakes every waiter, which made an apply of thousands quadratic.
    const slots = Math.max(1, options.parallelism)
    const tokens = yield* Queue.bounded<true>(slots)
    yield* Queue.offerAll(
      tokens,
      Array.from({ length: slots }, () => true as const)
    )
    // Waiting for a slot can be interrupted; once taken, the slot is given back however the step ends.
    const withSlot = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(restore(Queue.take(tokens)), restore(effect).pipe(Effect.ensuring(Queue.offer(tokens, true))))
      )
    const stopped = yield* Ref.make(false)
    const outcomes = new Map<string, Deferred.Deferred<Outcome>>()
    for (const step of all) outcomes.set(step.id, yield* Deferred.make<Outcome>())
    // Appended to in place: copying the list at every completion made long applies quadratic.
    const completed: Array<{ step: Step; previous: StoredResource | undefined }> = []

    /**
     * One provider call with the retry policy; each retry is reported, the last failure is not.
     * The wait between attempts is the one place a started action may be interrupted: no call
     * is in flight then.
     */
    const call = <A>(step: Step, effect: Effect.Effect<A, ProviderError>, restore: Restore) =>
      Effect.gen(function* () {
        const driver = yield* Schedule.driver(Retry.schedule(options.retry))
        let attempt = 1
        while (true) {
          const result = yield* Effect.either(effect)
          if (Either.isRight(result)) return result.right
          const error = result.left
          if (!isTransient(error) || attempt >= options.retry.maxAttempts) return yield* Effect.fail(error)
          attempt++
          if (options.reporter !== undefined) {
            yield* options.reporter.finished(step.key, verbOf(step), {
              _tag: "Retrying",
              attempt,
              message: error.message
            })
          }
          yield* Crash.point("retry-wait")
          const waited = yield* Effect.either(restore(driver.next(error)))
          if (Either.isLeft(waited)) return yield* Effect.fail(error)
        }
      })

    /**
     * Records the intent before the provider call. A failure the provider reports clears it
     * (nothing happened); only a crash or an interruption leaves it for the next run.
     */
    const withIntent = <A>(
      step: Step,
      inputs: Inputs | undefined,
      effect: Effect.Effect<A, ProviderError>,
      restore: Restore
    ): Effect.Effect<readonly [A, string], ProviderError | State.StateError> =>
      Effect.gen(function* () {
        const id = crypto.randomUUID()
        const pending: State.PendingOperation = {
          id,
          operation: step.operation,
          key: step.key,
          stage: options.stage,
          started_at: yield* now,
          ...(inputs === undefined ? {} : { inputs }),
          ...(step.operation === "delete" ? {} : { dependsOn: step.action.dependsOn })
        }
        yield* journal.commit({ pending: (recorded) => [...recorded, pending] })
        yield* Crash.point("intent-recorded")
        const clear = journal.commit({ pending: (recorded) => recorded.filter((operation) => operation.id !== id) })
        return yield* call(step, effect, restore).pipe(
          Effect.tapError(() => clear),
          Effect.onInterrupt(() => Effect.ignore(clear)),
          Effect.tap(() => Crash.point("call-returned")),
          Effect.map((result) => [result, id] as const)
        )
      })

    const execute = (
      step: Step,
      restore: Restore
    ): Effect.Effect<StoredResource | undefined, ProviderError | State.StateError> =>
      Effect.gen(function* () {
        const previous = yield* journal.resource(step.key)
        if (step.operation === "delete") {
          if (previous === undefined) return undefined
          const [, intent] = yield* withIntent(step, undefined, provider.destroy(options, step.key, previous), restore)
          yield* journal.commit({ remove: [step.key], pending: settle(step.key, intent) })
          return previous
        }
        const action = step.action
        if (!("inputs" in action)) return previous
        const inputs = yield* resolveInputs(step.key, action.inputs, yield* journal.resources).pipe(
          Effect.mapError(
            (error) =>
              new ProviderError({
                provider: "fleetflow",
                operation: step.operation,
                key: step.key,
                reason: "failed",
                message: error.message
              })
          )
        )
        const current = step.operation === "update" ? previous : undefined
        const [observed, intent] = yield* withIntent(
          step,
          inputs,
          provider.apply({
            operation: step.operation,
            key: step.key,
            type: action.type,
            name: action.name,
            inputs,
            current,
            project: options.project,
            directory: options.directory,
            stage: options.stage
          }),
          restore
        )
        const finished = yield* now
        const resource: StoredResource = {
          provider: action.provider,
          type: action.type,
          name: action.name,
          stage: options.stage,
          id: observed.id,
          attributes: observed.attributes,
          inputs,
          ...(referencesIn(action.inputs).length === 0 ? {} : { declared: action.inputs }),
          dependsOn: action.dependsOn,
          created_at: current?.created_at ?? finished,
          updated_at: finished
        }
        yield* journal.commit({ put: [[step.key, resource]], pending: settle(step.key, intent) })
        return previous
      })

    const runStep = (step: Step) =>
      Effect.gen(function* () {
        const own = outcomes.get(step.id)!
        const deps = yield* Effect.forEach(step.after, (id) => {
          if (failedBefore.has(id)) return Effect.succeed<Outcome>({ _tag: "NotStarted" })
          const deferred = outcomes.get(id)
          return deferred === undefined
            ? Effect.succeed<Outcome>({ _tag: "Succeeded", previous: undefined })
            : Deferred.await(deferred)
        })
        if (deps.some((outcome) => outcome._tag !== "Succeeded") || (yield* Ref.get(stopped))) {
          return yield* Deferred.succeed(own, { _tag: "NotStarted" })
        }
        // A started action runs to its end even when the run is interrupted, so what it did in
        // the cloud is recorded and reported; an interrupt only stops new actions from starting.
        const attempt = Effect.uninterruptibleMask((restore) =>
          Effect.gen(function* () {
            if (yield* Ref.get(stopped)) return yield* Deferred.succeed(own, { _tag: "NotStarted" })
            const verb = verbOf(step)
            if (options.reporter !== undefined) yield* options.reporter.started(step.key, verb)
            const result = yield* Effect.either(execute(step, restore))
            if (result._tag === "Right") {
              completed.push({ step, previous: result.right })
              if (options.reporter !== undefined) {
                const id = (yield* journal.resource(step.key))?.id
                yield* options.reporter.finished(
                  step.key,
                  verb,
                  id === undefined ? { _tag: "Done" } : { _tag: "Done", id }
                )
              }
              return yield* Deferred.succeed(own, { _tag: "Succeeded", previous: result.right })
            }
            const error = asProviderError(step, result.left)
            if (options.reporter !== undefined) {
              yield* options.reporter.finished(step.key, verb, { _tag: "Failed", message: error.message })
            }
            if (options.stopOnFailure) yield* Ref.set(stopped, true)
            return yield* Deferred.succeed(own, { _tag: "Failed", error })
          })
        )
        yield* withSlot(attempt)
      })

    yield* Effect.forEach(all, runStep, { concurrency: "unbounded", discard: true })

    const failed: Array<{ step: Step; error: ProviderError }> = []
    const notStarted: Array<Step> = []
    for (const step of all) {
      const outcome = yield* Deferred.await(outcomes.get(step.id)!)
      if (outcome._tag === "Failed") failed.push({ step, error: outcome.error })
      if (outcome._tag === "NotStarted") notStarted.push(step)
    }
    const result: RunResult = { succeeded: [...completed], failed, notStarted }
    return result
  })

const asProviderError = (step: Step, error: ProviderError | State.StateError): ProviderError =>
  error._tag === "ProviderError"
    ? error
    : new ProviderError({
        provider: "fleetflow",
        operation: step.operation,
        key: step.key,
        reason: "failed",
        message: `could not record the state: ${error.message}`
      })

export const toPartialError = (
  result: RunResult,
  decision: PartialApplyError["decision"] = "abort",
  rolledBack: ReadonlyArray<Step> = []
): Option.Option<PartialApplyError> =>
  result.failed.length === 0
    ? Option.none()
    : Option.some(
        new PartialApplyError({
          decision,
          succeeded: result.succeeded.map((entry) => entry.step),
          failed: result.failed,
          notStarted: result.notStarted,
          rolledBack
        })
      )

/**
 * Undoes what a run did, newest first: a created resource is destroyed, an updated one
 * is put back to its previous inputs, a deleted one is created again from them.
 */
export const rollback = (journal: Journal, result: RunResult, options: RunOptions) =>
  Effect.gen(function* () {
    const undo: Array<Step> = []
    for (const { step, previous } of [...result.succeeded].reverse()) {
      if (step.operation === "create") {
        undo.push({ ...step, id: `undo-${step.id}`, operation: "delete", after: [] })
      } else if (previous !== undefined) {
        const fields = {
          key: step.key,
          provider: previous.provider,
          type: previous.type,
          name: previous.name,
          dependsOn: previous.dependsOn,
          changes: [],
          // Resolved again when the undo runs: what they referred to may have been re-created.
          inputs: previous.declared ?? previous.inputs
        }
        const restore = step.operation === "update" ? new Update({ ...fields, id: previous.id }) : new Create(fields)
        undo.push({
          id: `undo-${step.id}`,
          operation: restore._tag === "Update" ? "update" : "create",
          key: step.key,
          action: restore,
          after: []
        })
      }
    }
    // Undo strictly in reverse order of completion: each step waits for the one before it.
    const chained = undo.map((step, index) => (index === 0 ? step : { ...step, after: [undo[index - 1]!.id] }))
    return yield* run(journal, chained, { ...options, stopOnFailure: true, parallelism: 1 })
  })
