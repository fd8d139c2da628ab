/**
 * Running one step: the intent recorded before the provider call, the call retried as the
 * policy allows, and the result recorded in the state.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schedule from "effect/Schedule"
import * as Crash from "../Crash.js"
import type * as Progress from "../Progress.js"
import { type CloudProviderService, isTransient, ProviderError, type Scope } from "../Provider.js"
import type { Create, Replace, Update } from "../Plan.js"
import {
  type Inputs,
  type Observed,
  referencesIn,
  type ResourceKey,
  resolveInputs,
  type StoredResource
} from "../Resource.js"
import * as Retry from "../Retry.js"
import type * as State from "../State.js"
import type { StateWriter } from "./StateWriter.js"
import { type Step, verbOf } from "./Step.js"

export interface RunOptions extends Scope {
  readonly parallelism: number
  readonly retry: Retry.RetryPolicy
  /** Stop starting new steps after the first failure (abort-style) or keep going with what does not depend on it. */
  readonly stopOnFailure: boolean
  readonly reporter?: Progress.Reporter | undefined
}

/** What a step needs: the provider to call, the state to record in, the run's options. */
export interface StepContext {
  readonly provider: CloudProviderService
  readonly writer: StateWriter
  readonly options: RunOptions
}

/** Lets a step's retry wait be interrupted inside a step that is otherwise not. */
export type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

/**
 * One provider call with the retry policy; each retry is reported, the last failure is not.
 * The wait between attempts is the one place a started action may be interrupted: no call
 * is in flight then.
 */
const call = <A>(context: StepContext, step: Step, effect: Effect.Effect<A, ProviderError>, restore: Restore) =>
  Effect.gen(function* () {
    const { options } = context
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

/** One resource a step's call works on, with the inputs its intent records. */
interface Intended {
  readonly step: Step
  readonly inputs?: Inputs | undefined
}

/**
 * Records the intents before the provider call: one per resource it works on. A failure the
 * provider reports clears them (nothing happened); only a crash or an interruption leaves them
 * for the next run.
 */
const withIntent = <A>(
  context: StepContext,
  intended: ReadonlyArray<Intended>,
  effect: Effect.Effect<A, ProviderError>,
  restore: Restore
): Effect.Effect<readonly [A, ReadonlySet<string>], ProviderError | State.StateError> =>
  Effect.gen(function* () {
    const { options, writer } = context
    const started_at = yield* now
    const recorded = intended.map(
      ({ step, inputs }): State.PendingOperation => ({
        id: crypto.randomUUID(),
        operation: step.operation,
        key: step.key,
        stage: options.stage,
        started_at,
        ...(inputs === undefined ? {} : { inputs }),
        ...(step.operation === "delete" ? {} : { dependsOn: step.action.dependsOn })
      })
    )
    const ids = new Set(recorded.map((operation) => operation.id))
    yield* writer.commit({ pending: (pending) => [...pending, ...recorded] })
    yield* Crash.point("intent-recorded")
    const clear = writer.commit({ pending: (pending) => pending.filter((operation) => !ids.has(operation.id)) })
    const carrier = intended[intended.length - 1]!.step
    return yield* call(context, carrier, effect, restore).pipe(
      Effect.tapError(() => clear),
      Effect.onInterrupt(() => Effect.ignore(clear)),
      Effect.tap(() => Crash.point("call-returned")),
      Effect.map((result) => [result, ids] as const)
    )
  })

/** Clears the intents of `ids`, and those an earlier, interrupted run left for the same keys. */
const settle =
  (keys: ReadonlySet<ResourceKey>, ids: ReadonlySet<string>) =>
  (pending: ReadonlyArray<State.PendingOperation>): ReadonlyArray<State.PendingOperation> =>
    pending.filter((operation) => !ids.has(operation.id) && !keys.has(operation.key))

const unresolved = (step: Step) => (error: { readonly message: string }) =>
  new ProviderError({
    provider: "fleetflow",
    operation: step.operation,
    key: step.key,
    reason: "failed",
    message: error.message
  })

/** What the state records for a resource a step created or updated. */
const storedOf = (
  options: RunOptions,
  action: Create | Update | Replace,
  observed: Observed,
  inputs: Inputs,
  current: StoredResource | undefined,
  finished: string
): StoredResource => ({
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
})

const withInputs = (step: Step): (Create | Update | Replace) | undefined =>
  "inputs" in step.action ? step.action : undefined

/**
 * Runs one step and records its result; gives what the state held for its key before. `carried`
 * are the creates its call makes too (`Step.carriedBy`), recorded with it.
 */
export const execute = (
  context: StepContext,
  step: Step,
  restore: Restore,
  carried: ReadonlyArray<Step> = []
): Effect.Effect<StoredResource | undefined, ProviderError | State.StateError> =>
  Effect.gen(function* () {
    const { options, provider, writer } = context
    const previous = yield* writer.resource(step.key)
    if (step.operation === "delete") {
      if (previous === undefined) return undefined
      const [, ids] = yield* withIntent(context, [{ step }], provider.destroy(options, step.key, previous), restore)
      yield* writer.commit({ remove: [step.key], pending: settle(new Set([step.key]), ids) })
      return previous
    }
    const action = withInputs(step)
    if (action === undefined) return previous
    const resources = yield* writer.resources
    const along = yield* Effect.forEach(carried, (other) => {
      const made = withInputs(other)!
      return Effect.map(
        Effect.mapError(resolveInputs(other.key, made.inputs, resources), unresolved(other)),
        (inputs) => ({ step: other, action: made, inputs })
      )
    })
    // References to what the call makes along are resolved once it has made them.
    const later = new Set(carried.map((other) => other.key))
    const partly = yield* Effect.mapError(resolveInputs(step.key, action.inputs, resources, later), unresolved(step))
    const current = step.operation === "update" ? previous : undefined
    const [applied, ids] = yield* withIntent(
      context,
      [...along, { step, inputs: partly }],
      provider.apply({
        operation: step.operation,
        key: step.key,
        type: action.type,
        name: action.name,
        inputs: partly,
        current,
        project: options.project,
        directory: options.directory,
        stage: options.stage,
        ...(step.adopts === true ? { adopting: true } : {}),
        ...(along.length === 0
          ? {}
          : {
              along: along.map((made) => ({
                key: made.step.key,
                type: made.action.type,
                name: made.action.name,
                inputs: made.inputs
              }))
            })
      }),
      restore
    )
    const finished = yield* now
    const madeAlong: Array<readonly [ResourceKey, StoredResource]> = []
    for (const made of along) {
      const observed = applied.along?.get(made.step.key)
      if (observed === undefined) {
        return yield* new ProviderError({
          provider: provider.name,
          operation: "create",
          key: made.step.key,
          reason: "failed",
          message: `the call that created ${step.key} did not report ${made.step.key}`
        })
      }
      madeAlong.push([made.step.key, storedOf(options, made.action, observed, made.inputs, undefined, finished)])
    }
    const inputs =
      madeAlong.length === 0
        ? partly
        : yield* Effect.mapError(resolveInputs(step.key, partly, Object.fromEntries(madeAlong)), unresolved(step))
    const resource = storedOf(options, action, applied, inputs, current, finished)
    const keys = new Set([step.key, ...later])
    yield* writer.commit({ put: [...madeAlong, [step.key, resource]], pending: settle(keys, ids) })
    return previous
  })
