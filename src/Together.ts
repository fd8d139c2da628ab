/**
 * Effects run together instead of one after another. `all` fails as if they had run in turn: of
 * several failures, the first in the order given is reported, whichever came first. A caller puts
 * the clearest error first (a refused token before the reads it also fails), and its report does
 * not depend on timing. `ahead` starts a read before the answer that says whether it is wanted.
 */
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"

// biome-ignore lint/suspicious/noExplicitAny: any effect; the results are typed from each one below.
type Effects = ReadonlyArray<Effect.Effect<any, any, any>>

type Successes<T extends Effects> = { -readonly [K in keyof T]: Effect.Effect.Success<T[K]> }

export const all = <const T extends Effects>(
  effects: T
): Effect.Effect<Successes<T>, Effect.Effect.Error<T[number]>, Effect.Effect.Context<T[number]>> =>
  Effect.flatMap(Effect.forEach(effects, Effect.either, { concurrency: "unbounded" }), (results) =>
    // Each result in order: the first failure among them is the one reported.
    Effect.forEach(results, (result) => result)
  ) as Effect.Effect<Successes<T>, Effect.Effect.Error<T[number]>, Effect.Effect.Context<T[number]>>

/**
 * `read` started beside `decide`, whose answer says whether `read`'s result is wanted: a read of
 * something that most likely exists made ahead of the list that says so, to save the round trip
 * after it. Its outcome is yielded only where wanted, so its failure counts only there.
 */
export const ahead = <A, E, R, B, E2, R2>(
  decide: Effect.Effect<A, E, R>,
  read: Effect.Effect<B, E2, R2>
): Effect.Effect<readonly [A, Either.Either<B, E2>], E, R | R2> =>
  Effect.all([decide, Effect.either(read)], { concurrency: "unbounded" })
