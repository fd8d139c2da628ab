import * as Effect from "effect/Effect"

/**
 * The error `effect` fails with. A success is a short defect saying what was `expected`: a test
 * failing with a large value as its error (a whole stage's resources, a plan) left the test
 * runner formatting it without end instead of reporting the failure.
 */
export const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>, expected: string): Effect.Effect<E, never, R> =>
  Effect.flip(effect).pipe(Effect.catchAll(() => Effect.dieMessage(`expected ${expected}`)))
