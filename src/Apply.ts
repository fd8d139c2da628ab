/**
 * The apply engine: runs a plan's actions in dependency order with bounded parallelism,
 * records an intent before every provider call and the state after every completed one,
 * and turns a failure into a PartialApplyError that says what succeeded, what failed and
 * what never started, so the caller can continue, roll back or abort.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { remainingPaths } from "./Apply/CriticalPath.js"
import { execute, type RunOptions, type StepContext } from "./Apply/Execute.js"
import * as Slots from "./Apply/Slots.js"
import type { StateWriter } from "./Apply/StateWriter.js"
import { Step, verbOf } from "./Apply/Step.js"
import { Create, Update } from "./Plan.js"
import type * as Progress from "./Progress.js"
import { CloudProvider, ProviderError } from "./Provider.js"
import type { StoredResource } from "./Resource.js"
import type * as State from "./State.js"

export type { RunOptions } from "./Apply/Execute.js"
export { type Edit, makeStateWriter, type StateWriter } from "./Apply/StateWriter.js"
export { Operation, Step, steps } from "./Apply/Step.js"

export const StepFailure = Schema.Struct({ step: Step, error: ProviderError })

/**
 * The state store failed during the apply: what the state holds stops at the last write that
 * went through, and the actions whose result was not recorded are settled later from their intents.
 */
export const StoreFailure = Schema.Struct({
  message: Schema.String,
  /** What to do about it, worded for the store. */
  whenBack: Schema.String,
  /** Actions that had started and whose result the state does not record. */
  inFlight: Schema.Number
})
export type StoreFailure = typeof StoreFailure.Type

/** What an apply did before it stopped on a failure. Goes into `--json` output as it is. */
export class PartialApplyError extends Schema.TaggedError<PartialApplyError>()("PartialApplyError", {
  /** What was decided after the first failure. */
  decision: Schema.Literal("abort", "continue", "rollback"),
  succeeded: Schema.Array(Step),
  failed: Schema.Array(StepFailure),
  notStarted: Schema.Array(Step),
  /** Steps whose effect a rollback undid, newest first. */
  rolledBack: Schema.Array(Step),
  /** Set when the state store failed: the state then holds less than what exists. */
  store: Schema.optional(StoreFailure)
}) {
  override get message() {
    const failed = this.failed.map((failure) => `${failure.step.operation} ${failure.step.key}`).join(", ")
    return `apply stopped: ${failed} failed; ${this.succeeded.length} succeeded, ${this.notStarted.length} not started`
  }
}

export interface RunResult {
  /** In the order they completed. */
  readonly succeeded: ReadonlyArray<{ readonly step: Step; readonly previous: StoredResource | undefined }>
  readonly failed: ReadonlyArray<{ readonly step: Step; readonly error: ProviderError }>
  readonly notStarted: ReadonlyArray<Step>
  readonly storeFailure?: StoreFailure | undefined
}

type Outcome =
  | { readonly _tag: "Succeeded"; readonly previous: StoredResource | undefined }
  | { readonly _tag: "Failed"; readonly error: ProviderError; readonly store?: State.StateError }
  | { readonly _tag: "NotStarted" }

/**
 * Runs steps in dependency order, at most `parallelism` at a time, the ready step with the longest
 * path behind it first; `failedBefore` are step ids that count as failed already.
 */
export const run = (
  writer: StateWriter,
  all: ReadonlyArray<Step>,
  options: RunOptions,
  failedBefore: ReadonlySet<string> = new Set()
) =>
  Effect.gen(function* () {
    const context: StepContext = { provider: yield* CloudProvider, writer, options }
    const batched = (step: Step) => context.provider.batches?.(step.action.type) === true
    const { carriedBy, carriedOf } = carriage(all)
    const slots = yield* Slots.make(
      all,
      options.parallelism,
      remainingPaths(all),
      failedBefore,
      (step) => batched(step) || carriedBy(step) !== undefined
    )
    const stopped = yield* Ref.make(false)
    const outcomes = new Map<string, Deferred.Deferred<Outcome>>()
    for (const step of all) outcomes.set(step.id, yield* Deferred.make<Outcome>())
    // Appended to in place: copying the list at every completion made long applies quadratic.
    const completed: Array<{ step: Step; previous: StoredResource | undefined }> = []

    const runStep = (step: Step) =>
      Effect.gen(function* () {
        if (carriedBy(step) !== undefined) return
        const carried = carriedOf(step)
        const settle = (settled: Step, outcome: Outcome) =>
          Effect.zipRight(
            Deferred.succeed(outcomes.get(settled.id)!, outcome),
            slots.settled(settled, outcome._tag === "Succeeded")
          )
        const decide = (outcome: Outcome) =>
          Effect.zipRight(
            Effect.forEach(carried, (other) => settle(other, carriedOutcome(other, step, outcome))),
            settle(step, outcome)
          )
        const deps = yield* Effect.forEach(step.after, (id) => {
          if (failedBefore.has(id)) return Effect.succeed<Outcome>({ _tag: "NotStarted" })
          const deferred = outcomes.get(id)
          return deferred === undefined
            ? Effect.succeed<Outcome>({ _tag: "Succeeded", previous: undefined })
            : Deferred.await(deferred)
        })
        if (deps.some((outcome) => outcome._tag !== "Succeeded") || (yield* Ref.get(stopped))) {
          yield* slots.leave(step)
          return yield* decide({ _tag: "NotStarted" })
        }
        // A started action runs to its end even when the run is interrupted, so what it did in
        // the cloud is recorded and reported; an interrupt only stops new actions from starting.
        const attempt = Effect.uninterruptibleMask((restore) =>
          Effect.gen(function* () {
            if (yield* Ref.get(stopped)) return yield* decide({ _tag: "NotStarted" })
            const together = [...carried, step]
            yield* report(options, together, (reporter, one) => reporter.started(one.key, verbOf(one)))
            const result = yield* Effect.either(execute(context, step, restore, carried))
            if (result._tag === "Right") {
              // Made first, so that a rollback, newest first, undoes the carrier before what it carried.
              for (const other of carried) completed.push({ step: other, previous: undefined })
              completed.push({ step, previous: result.right })
              yield* report(options, together, (reporter, one) =>
                Effect.flatMap(writer.resource(one.key), (resource) =>
                  reporter.finished(
                    one.key,
                    verbOf(one),
                    resource === undefined ? { _tag: "Done" } : { _tag: "Done", id: resource.id }
                  )
                )
              )
              return yield* decide({ _tag: "Succeeded", previous: result.right })
            }
            const error = asProviderError(step, result.left)
            yield* report(options, together, (reporter, one) =>
              reporter.finished(one.key, verbOf(one), {
                _tag: "Failed",
                message: one === step ? error.message : failedAlong(one, step, error).message
              })
            )
            // With the store failing, what a new action did could not be recorded either.
            const store = result.left._tag === "ProviderError" ? undefined : result.left
            if (options.stopOnFailure || store !== undefined) yield* Ref.set(stopped, true)
            return yield* decide({ _tag: "Failed", error, ...(store === undefined ? {} : { store }) })
          })
        )
        // Parallelism bounds the requests in flight. Calls the provider gathers into shared requests
        // (bounded by the provider) wait for their batch without a slot: holding one would cap a
        // batch at `parallelism` calls. Each still records its intent before and its result after.
        yield* batched(step) ? attempt : slots.withSlot(step, attempt)
      }).pipe(Effect.onInterrupt(() => slots.leave(step)))

    yield* Effect.forEach(all, runStep, { concurrency: "unbounded", discard: true })
    return yield* resultOf(all, outcomes, completed)
  })

/**
 * Which steps of a run another's call makes (`Step.carriedBy`): such a step is run and settled by
 * its carrier. One whose carrier is not in the run (it ran before) is a step like any.
 */
const carriage = (all: ReadonlyArray<Step>) => {
  const ids = new Set(all.map((step) => step.id))
  const carriedBy = (step: Step) =>
    step.carriedBy !== undefined && ids.has(step.carriedBy) ? step.carriedBy : undefined
  const carried = new Map<string, Array<Step>>()
  for (const step of all) {
    const carrier = carriedBy(step)
    if (carrier !== undefined) carried.set(carrier, [...(carried.get(carrier) ?? []), step])
  }
  return { carriedBy, carriedOf: (step: Step): ReadonlyArray<Step> => carried.get(step.id) ?? [] }
}

/** Tells the run's reporter, if any, about each resource a call works on. */
const report = (
  options: RunOptions,
  steps: ReadonlyArray<Step>,
  each: (reporter: Progress.Reporter, step: Step) => Effect.Effect<void>
) =>
  options.reporter === undefined
    ? Effect.void
    : Effect.forEach(steps, (step) => each(options.reporter!, step), { discard: true })

const resultOf = (
  all: ReadonlyArray<Step>,
  outcomes: ReadonlyMap<string, Deferred.Deferred<Outcome>>,
  completed: RunResult["succeeded"]
) =>
  Effect.gen(function* () {
    const failed: Array<{ step: Step; error: ProviderError }> = []
    const notStarted: Array<Step> = []
    const storeErrors: Array<State.StateError> = []
    for (const step of all) {
      const outcome = yield* Deferred.await(outcomes.get(step.id)!)
      if (outcome._tag === "Failed") failed.push({ step, error: outcome.error })
      if (outcome._tag === "Failed" && outcome.store !== undefined) storeErrors.push(outcome.store)
      if (outcome._tag === "NotStarted") notStarted.push(step)
    }
    const result: RunResult = {
      succeeded: [...completed],
      failed,
      notStarted,
      storeFailure: storeFailureOf(storeErrors)
    }
    return result
  })

const storeFailureOf = (errors: ReadonlyArray<State.StateError>): StoreFailure | undefined => {
  const [first] = errors
  if (first === undefined) return undefined
  const whenBack =
    first._tag === "StateIoError"
      ? first.whenBack
      : "Run `fleetflow up` again; the intents recorded before each call let it settle what ran."
  return { message: first.message, whenBack, inFlight: errors.length }
}

/** What a carried create's outcome is: its carrier's, the error told once, on the carrier. */
const carriedOutcome = (carried: Step, carrier: Step, outcome: Outcome): Outcome =>
  outcome._tag === "Succeeded"
    ? { _tag: "Succeeded", previous: undefined }
    : outcome._tag === "Failed"
      ? { ...outcome, error: failedAlong(carried, carrier, outcome.error) }
      : outcome

/** A create another's call makes failed with that call: its error is told once, on the carrier. */
const failedAlong = (carried: Step, carrier: Step, error: ProviderError): ProviderError =>
  new ProviderError({
    provider: error.provider,
    operation: carried.operation,
    key: carried.key,
    reason: error.reason,
    message: `made in one call with ${carrier.key}, which failed: see its error`
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
          rolledBack,
          ...(result.storeFailure === undefined ? {} : { store: result.storeFailure })
        })
      )

/**
 * Undoes what a run did, newest first: a created resource is destroyed, an updated one
 * is put back to its previous inputs, a deleted one is created again from them.
 */
export const rollback = (writer: StateWriter, result: RunResult, options: RunOptions) =>
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
    return yield* run(writer, chained, { ...options, stopOnFailure: true, parallelism: 1 })
  })
