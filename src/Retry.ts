/**
 * The retry policy (seed defaults: 3 attempts, 1s initial delay, 30s cap, ×2) as a
 * Schedule applied only to transient errors.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"

export const RetryPolicy = Schema.Struct({
  /** Attempts in all, the first one included. */
  maxAttempts: Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)),
  initialDelay: Schema.DurationFromMillis,
  maxDelay: Schema.DurationFromMillis,
  multiplier: Schema.Number.pipe(Schema.greaterThanOrEqualTo(1))
})
export type RetryPolicy = typeof RetryPolicy.Type

export const defaultPolicy: RetryPolicy = {
  maxAttempts: 3,
  initialDelay: Duration.seconds(1),
  maxDelay: Duration.seconds(30),
  multiplier: 2
}

/**
 * For clients under the engine: one call per attempt, since the engine already retries a
 * provider's `apply` and `destroy` with the policy; retrying in both would multiply attempts.
 */
export const singleAttempt: RetryPolicy = { ...defaultPolicy, maxAttempts: 1 }

/** Exponential, capped at `maxDelay`, bounded by `maxAttempts`, jittered. */
export const schedule = (policy: RetryPolicy) =>
  Schedule.exponential(policy.initialDelay, policy.multiplier).pipe(
    Schedule.modifyDelay((delay) => Duration.min(delay, policy.maxDelay)),
    Schedule.intersect(Schedule.recurs(policy.maxAttempts - 1)),
    Schedule.jittered
  )

/** Retries `effect` while its error is transient, as the policy says. */
export const retryTransient =
  <E>(policy: RetryPolicy, isTransient: (error: E) => boolean) =>
  <A, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.retry(effect, { schedule: schedule(policy), while: (error) => isTransient(error) })
