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
import { type Inputs, referencesIn, type ResourceKey, resolveInputs, type StoredResource } from "../Resource.js"
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

/** Clears this step's intent, and those an earlier, interrupted run left for the same key. */
const settle =
  (key: ResourceKey, intent: string) =>
  (pending: ReadonlyArray<State.PendingOperation>): ReadonlyArray<State.PendingOperation> =>
    pending.filter((operation) => operation.id !== intent && operation.key !== key)

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

/**
 * Records the intent before the provider call. A failure the provider reports clears it
 * (nothing happened); only a crash or an interruption leaves it for the next run.
 */
const withIntent = <A>(
  context: StepContext,
  step: Step,
  inputs: Inputs | undefined,
  effect: Effect.Effect<A, ProviderError>,
  restore: Restore
): Effect.Effect<readonly [A, string], ProviderError | State.StateError> =>
  Effect.gen(function* () {
    const { options, writer } = context
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
    yield* writer.commit({ pending: (recorded) => [...recorded, pending] })
    yield* Crash.point("intent-recorded")
    const clear = writer.commit({ pending: (recorded) => recorded.filter((operation) => operation.id !== id) })
    return yield* call(context, step, effect, restore).pipe(
      Effect.tapError(() => clear),
      Effect.onInterrupt(() => Effect.ignore(clear)),
      Effect.tap(() => Crash.point("call-returned")),
      Effect.map((result) => [result, id] as const)
    )
  })

/** Runs one step and records its result; gives what the state held for its key before. */
export const execute = (
  context: StepContext,
  step: Step,
  restore: Restore
): Effect.Effect<StoredResource | undefined, ProviderError | State.StateError> =>
  Effect.gen(function* () {
    const { options, provider, writer } = context
    const previous = yield* writer.resource(step.key)
    if (step.operation === "delete") {
      if (previous === undefined) return undefined
      const [, intent] = yield* withIntent(
        context,
        step,
        undefined,
        provider.destroy(options, step.key, previous),
        restore
      )
      yield* writer.commit({ remove: [step.key], pending: settle(step.key, intent) })
      return previous
    }
    const action = step.action
    if (!("inputs" in action)) return previous
    const inputs = yield* resolveInputs(step.key, action.inputs, yield* writer.resources).pipe(
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
      context,
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
    yield* writer.commit({ put: [[step.key, resource]], pending: settle(step.key, intent) })
    return previous
  })
