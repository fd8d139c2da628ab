/**
 * The state in a local folder (`.fleetflow/`): `state.json`, its journal of later writes,
 * `state.json.backup` (the version before the last full rewrite) and `lock.json`. Writes
 * append to the journal, which is folded into `state.json` when the lock is released.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type { StoredResource } from "../Resource.js"
import { checkEnvelope } from "./Decode.js"
import { copyOf, type StateChanges, type StateFile, type StateVersion } from "./Document.js"
import * as Journal from "./Journal.js"
import { type Files, filesOf, stampsOf } from "./Local/Files.js"
import * as LocalLock from "./Local/Lock.js"
import { append, readSnapshot, removeJournal, rewrite, type Snapshot } from "./Local/Snapshot.js"
import {
  checkReplace,
  checkWrite,
  StateConflict,
  type StateError,
  StateStore,
  type StateStoreService
} from "./Store.js"

export interface LocalOptions {
  /** Recorded in the lock, so a holder can be told apart by version. */
  readonly version?: string
  /**
   * How many journal lines may pile up before `state.json` is rewritten in full (at least as
   * many as there are resources, so rewrites stay rare as the state grows). 0 rewrites it at
   * every write, with the previous version as the backup each time. Default 64.
   */
  readonly journalLines?: number
}

const defaultJournalLines = 64

/** What the operations of one local store share. */
interface Local {
  readonly files: Files
  readonly journalLines: number
  /** One write (or read) of this store at a time. */
  readonly semaphore: Effect.Semaphore
  /**
   * What this process read or wrote last, with the files' identity then: while they are still
   * those (same inode, size and modification time) neither a read nor a write reads or decodes
   * them again. The store owns its state (a write may change it in place): a read gives a copy.
   */
  readonly lastKnown: Ref.Ref<Option.Option<Snapshot>>
}

/** How many resources `resources`, holding `count`, holds once `changes` are applied. */
const countAfter = (
  resources: Readonly<Record<string, StoredResource>>,
  count: number,
  changes: StateChanges
): number => {
  let after = count
  for (const key in changes.set) if (!(key in resources)) after++
  for (const key of changes.remove) if (key in resources || key in changes.set) after--
  return after
}

/** Whether the next write rewrites `state.json` rather than appending to the journal. */
const rewritesNext = (local: Local, previous: Snapshot) =>
  local.journalLines === 0 || previous.lines >= Math.max(local.journalLines, previous.count)

/** `snapshot` as what this store last wrote, with the files' stamps to notice another writer. */
const remember = (local: Local, snapshot: Omit<Snapshot, "stamp">) =>
  Effect.flatMap(stampsOf(local.files), (stamp) => Ref.set(local.lastKnown, Option.some({ ...snapshot, stamp })))

/**
 * One write of this store at a time, which completes once started (it records work that has
 * already happened in the cloud). A failed write may have left the files half changed, or the
 * snapshot's record changed in place: the next one reads them again.
 */
const exclusive = <A>(local: Local, effect: Effect.Effect<A, StateError>): Effect.Effect<A, StateError> =>
  local.semaphore.withPermits(1)(
    Effect.uninterruptible(Effect.tapError(effect, () => Ref.set(local.lastKnown, Option.none())))
  )

const write = (local: Local, next: StateFile): Effect.Effect<StateFile, StateError> =>
  exclusive(
    local,
    Effect.gen(function* () {
      const { statePath } = local.files
      const previous = yield* readSnapshot(local.files, local.lastKnown)
      yield* checkWrite(
        statePath,
        Option.map(previous, (snapshot) => snapshot.state),
        next
      )
      const written: StateFile = { ...next, serial: next.serial + 1 }
      const own = copyOf(written)
      const count = Object.keys(own.resources).length
      if (Option.isNone(previous) || rewritesNext(local, previous.value)) {
        yield* remember(local, yield* rewrite(local.files, previous, own, count))
        return written
      }
      yield* checkEnvelope(statePath, written)
      const line = Journal.entryOf(previous.value.base, previous.value.state, written)
      const appended = yield* append(local.files, previous.value, line)
      yield* remember(local, { ...previous.value, ...appended, state: own, count })
      return written
    })
  ).pipe(Effect.withSpan("StateStore.write", { attributes: { path: local.files.statePath, serial: next.serial } }))

const writeChanges = (
  local: Local,
  from: StateVersion,
  changes: StateChanges
): Effect.Effect<StateVersion, StateError> =>
  exclusive(
    local,
    Effect.gen(function* () {
      const { statePath } = local.files
      const previous = yield* readSnapshot(local.files, local.lastKnown)
      if (Option.isNone(previous)) return yield* new StateConflict({ path: statePath, expected: from })
      yield* checkWrite(statePath, Option.some(previous.value.state), from)
      const stored = previous.value.state
      const count = countAfter(stored.resources, previous.value.count, changes)
      const written = Journal.applyOwned(stored, from.serial + 1, changes)
      yield* checkEnvelope(statePath, written)
      if (rewritesNext(local, previous.value)) {
        yield* remember(local, yield* rewrite(local.files, previous, written, count))
      } else {
        const line = Journal.entryFor(previous.value.base, written, changes)
        const appended = yield* append(local.files, previous.value, line)
        yield* remember(local, { ...previous.value, ...appended, state: written, count })
      }
      return { lineage: written.lineage, serial: written.serial }
    })
  ).pipe(
    Effect.withSpan("StateStore.writeChanges", { attributes: { path: local.files.statePath, serial: from.serial } })
  )

const replace = (local: Local, state: StateFile): Effect.Effect<StateFile, StateError> =>
  exclusive(
    local,
    Effect.gen(function* () {
      const previous = yield* readSnapshot(local.files, local.lastKnown)
      yield* checkReplace(
        local.files.statePath,
        Option.map(previous, (snapshot) => snapshot.state),
        state
      )
      const own = copyOf(state)
      yield* remember(local, yield* rewrite(local.files, previous, own, Object.keys(own.resources).length))
      return state
    })
  )

/**
 * Folds the journal into `state.json` (same serial), so the file is whole whenever no
 * command holds the lock; the file it replaces, the state before the command, is the backup.
 */
const fold = (local: Local): Effect.Effect<void, StateError> =>
  local.semaphore.withPermits(1)(
    Effect.gen(function* () {
      const current = yield* readSnapshot(local.files, local.lastKnown)
      if (Option.isNone(current)) return
      if (current.value.lines === 0 && !current.value.torn) {
        // Only lines of an older base: a run was killed after renaming the state, before removing them.
        if (current.value.validLength === 0) return
        yield* removeJournal(local.files)
        return yield* remember(local, { ...current.value, validLength: 0 })
      }
      yield* remember(local, yield* rewrite(local.files, current, current.value.state, current.value.count))
    })
  )

/** The state in `directory` (a `.fleetflow` folder): `state.json`, `state.json.backup`, `lock.json`. */
export const makeLocal = (
  directory: string,
  options: LocalOptions = {}
): Effect.Effect<StateStoreService, never, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const files = filesOf(yield* FileSystem.FileSystem, directory)
    const local: Local = {
      files,
      journalLines: options.journalLines ?? defaultJournalLines,
      semaphore: yield* Effect.makeSemaphore(1),
      lastKnown: yield* Ref.make(Option.none<Snapshot>())
    }
    const lockSettings = { version: options.version, beforeRelease: fold(local) }
    return StateStore.of({
      location: files.statePath,
      read: local.semaphore.withPermits(1)(
        Effect.map(readSnapshot(files, local.lastKnown), (snapshot) =>
          Option.map(snapshot, (found) => copyOf(found.state))
        )
      ),
      write: (next) => write(local, next),
      writeChanges: (from, changes) => writeChanges(local, from, changes),
      lock: (operation, lockOptions) => LocalLock.lock(files, lockSettings, operation, lockOptions),
      currentLock: LocalLock.currentLock(files),
      forceUnlock: (id) => LocalLock.forceUnlock(files, id),
      replace: (state) => replace(local, state)
    })
  })

export const layerLocal = (
  directory: string,
  options?: LocalOptions
): Layer.Layer<StateStore, never, FileSystem.FileSystem> => Layer.effect(StateStore, makeLocal(directory, options))
