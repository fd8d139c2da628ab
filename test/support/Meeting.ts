/**
 * Round trips a test can see without timing: calls that should go out together each wait at a
 * meeting until all of them have arrived, so calls made one after another never finish, and
 * `together` fails naming the calls that did arrive.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"

export interface Meeting {
  /** Waits until every name of the meeting has arrived. */
  readonly arrive: (name: string) => Effect.Effect<void>
  readonly arrived: Effect.Effect<ReadonlyArray<string>>
  /** Whether `name` is one of the meeting's. */
  readonly expects: (name: string) => boolean
}

/** A meeting of `names`: each waits at `arrive` until all of them have arrived. */
export const meeting = (names: ReadonlyArray<string>): Effect.Effect<Meeting> =>
  Effect.gen(function* () {
    const arrived = yield* Ref.make(new Set<string>())
    const all = yield* Deferred.make<void>()
    const arrive = (name: string) =>
      Effect.gen(function* () {
        const now = yield* Ref.updateAndGet(arrived, (set) => new Set([...set, name]))
        if (names.every((each) => now.has(each))) yield* Deferred.succeed(all, undefined)
        yield* Deferred.await(all)
      })
    return {
      arrive,
      arrived: Effect.map(Ref.get(arrived), (set) => [...set].sort()),
      expects: (name) => names.includes(name)
    }
  })

/** `effect`, failed as "made one after another" (naming who arrived) when the meeting never completes. */
export const together = <A, E, R>(effect: Effect.Effect<A, E, R>, meeting: Meeting) =>
  effect.pipe(
    Effect.timeoutFail({
      duration: "5 seconds",
      onTimeout: () => new Error("timed out")
    }),
    Effect.catchIf(
      (error): error is Error => error instanceof Error && error.message === "timed out",
      () =>
        Effect.flatMap(meeting.arrived, (arrived) =>
          Effect.dieMessage(`calls made one after another; arrived: ${arrived.join(", ")}`)
        )
    )
  )
