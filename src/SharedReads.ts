/**
 * Reads that several calls wait for, made once: each in a fiber of its own, so that a caller
 * interrupted while others wait (a sibling of a failed call, say) ends only its own wait. A read
 * that fails is forgotten, so that the next call reads again.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import type * as Scope from "effect/Scope"

/**
 * Starts a read shared by several calls in a fiber of its own: in `lifetime` when given (closing it
 * ends the read), else beyond the call that starts it, which may be interrupted while others wait.
 * Its outcome goes to `result`; one that fails or is ended is `forget`-ten, so that the next call
 * reads again, and those waiting for it are told.
 */
export const shareRead = <A, E>(
  read: Effect.Effect<A, E>,
  result: Deferred.Deferred<A, E>,
  forget: () => void,
  lifetime?: Scope.Scope
): Effect.Effect<void> => {
  const fill = Effect.flatMap(Effect.exit(read), (exit) => {
    if (Exit.isFailure(exit)) forget()
    return Deferred.done(result, exit)
  }).pipe(Effect.onInterrupt(() => Effect.zipRight(Effect.sync(forget), Deferred.interrupt(result))))
  return Effect.asVoid(lifetime === undefined ? Effect.forkDaemon(fill) : Effect.forkIn(fill, lifetime))
}

/** Reads by key, each started once (see `shareRead`) and kept until it fails or `clear` forgets them all. */
export interface SharedReads<A, E> {
  /** The outcome of the read of `id`, started now unless it already was. */
  readonly start: (
    id: string,
    read: Effect.Effect<A, E>,
    lifetime?: Scope.Scope
  ) => Effect.Effect<Deferred.Deferred<A, E>>
  /** Whether the read of `id` has started and not failed. */
  readonly has: (id: string) => boolean
  readonly clear: () => void
}

export const sharedReads = <A, E>(): SharedReads<A, E> => {
  const started = new Map<string, Deferred.Deferred<A, E>>()
  return {
    start: (id, read, lifetime) =>
      Effect.suspend(() => {
        const known = started.get(id)
        if (known !== undefined) return Effect.succeed(known)
        const entry = Deferred.unsafeMake<A, E>(FiberId.none)
        started.set(id, entry)
        const forget = () => (started.get(id) === entry ? started.delete(id) : undefined)
        return Effect.as(shareRead(read, entry, forget, lifetime), entry)
      }),
    has: (id) => started.has(id),
    clear: () => started.clear()
  }
}
