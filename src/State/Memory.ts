/**
 * The state in memory, with the same checks as the local store: lineage and serial on write,
 * an exclusive lock. For tests and for applications that keep state elsewhere.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { copyOf, type StateChanges, type StateFile, type StateVersion } from "./Document.js"
import { checkEnvelope, encodeState } from "./Decode.js"
import * as Journal from "./Journal.js"
import { lockedError, makeLockInfo, waitForLock } from "./Lock.js"
import {
  checkReplace,
  checkWrite,
  type CurrentLock,
  type LockInfo,
  LockNotFound,
  StateConflict,
  type StateError,
  type StateLocked,
  StateStore,
  type StateStoreService
} from "./Store.js"

export const makeMemory = (initial?: StateFile): Effect.Effect<StateStoreService> =>
  Effect.gen(function* () {
    const location = "memory"
    // Its resources record is the store's own, changed in place by `writeChanges`.
    const stored = yield* Ref.make(Option.map(Option.fromNullable(initial), copyOf))
    const held = yield* Ref.make(Option.none<LockInfo>())
    const semaphore = yield* Effect.makeSemaphore(1)
    const asCurrent = (lock: LockInfo): CurrentLock => ({ ...lock, stale: false })

    const write = (next: StateFile): Effect.Effect<StateFile, StateError> =>
      semaphore.withPermits(1)(
        Effect.gen(function* () {
          yield* checkWrite(location, yield* Ref.get(stored), next)
          const written: StateFile = { ...next, serial: next.serial + 1 }
          yield* encodeState(location, written)
          yield* Ref.set(stored, Option.some(copyOf(written)))
          return written
        })
      )

    const writeChanges = (from: StateVersion, changes: StateChanges): Effect.Effect<StateVersion, StateError> =>
      semaphore.withPermits(1)(
        Effect.gen(function* () {
          const current = yield* Ref.get(stored)
          if (Option.isNone(current)) return yield* new StateConflict({ path: location, expected: from })
          yield* checkWrite(location, current, from)
          yield* checkEnvelope(location, { ...current.value, scale: changes.scale })
          const written = Journal.applyOwned(current.value, from.serial + 1, changes)
          yield* Ref.set(stored, Option.some(written))
          return { lineage: written.lineage, serial: written.serial }
        })
      )

    const replace = (state: StateFile): Effect.Effect<StateFile, StateError> =>
      semaphore.withPermits(1)(
        Effect.gen(function* () {
          yield* checkReplace(location, yield* Ref.get(stored), state)
          yield* encodeState(location, state)
          yield* Ref.set(stored, Option.some(copyOf(state)))
          return state
        })
      )

    const acquire = (info: LockInfo): Effect.Effect<LockInfo, StateLocked> =>
      Effect.flatten(
        Ref.modify(held, (current): readonly [Effect.Effect<LockInfo, StateLocked>, Option.Option<LockInfo>] =>
          Option.isSome(current)
            ? [Effect.fail(lockedError(location, asCurrent(current.value))), current]
            : [Effect.succeed(info), Option.some(info)]
        )
      )

    const release = (info: LockInfo): Effect.Effect<void> =>
      Ref.update(held, (current) => (Option.isSome(current) && current.value.id === info.id ? Option.none() : current))

    const forceUnlock = (id: string): Effect.Effect<LockInfo, LockNotFound> =>
      Effect.flatten(
        Ref.modify(held, (current): readonly [Effect.Effect<LockInfo, LockNotFound>, Option.Option<LockInfo>] => {
          if (Option.isNone(current)) return [Effect.fail(new LockNotFound({ path: location, id })), current]
          if (current.value.id !== id) {
            return [Effect.fail(new LockNotFound({ path: location, id, current: current.value })), current]
          }
          return [Effect.succeed(current.value), Option.none()]
        })
      )

    return StateStore.of({
      location,
      read: Effect.map(Ref.get(stored), (state) => Option.map(state, (found) => copyOf(found))),
      write,
      writeChanges,
      lock: (operation, lockOptions) =>
        waitForLock(
          Effect.acquireRelease(
            Effect.flatMap(makeLockInfo(operation, undefined), (info) => acquire(info)),
            (info) => release(info)
          ),
          lockOptions
        ),
      currentLock: Effect.map(Ref.get(held), (lock) => Option.map(lock, (info) => asCurrent(info))),
      forceUnlock,
      replace
    })
  })

export const layerMemory = (initial?: StateFile): Layer.Layer<StateStore> =>
  Layer.effect(StateStore, makeMemory(initial))
