/**
 * The state as a local folder's files hold it: `state.json` with the journal's lines replayed
 * over it. A write appends one journal line, or rewrites `state.json` in full (the file it
 * replaces kept as the backup) and empties the journal.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Crash from "../../Crash.js"
import * as AtomicFile from "../AtomicFile.js"
import { decodeEntry, decodeState, encodeState } from "../Decode.js"
import type { PendingOperation, ScaleCounts, StateFile } from "../Document.js"
import * as Journal from "../Journal.js"
import { StateCorrupt, type StateError, type StateIoError } from "../Store.js"
import { ensureFolder, type Files, fileMode, ioError, onFiles, readText, stampsOf, syncFolder } from "./Files.js"

const warnedOfBackup = new WeakSet<Files>()

/**
 * No `state.json` but a backup: the state was most likely removed by hand, and a plan from no state
 * would create every resource again. Said once per store.
 */
const warnIfOnlyBackup = (files: Files): Effect.Effect<void> =>
  Effect.gen(function* () {
    if (warnedOfBackup.has(files)) return
    // Whether it is there is enough: it is not read (a large state's backup is megabytes).
    if ((yield* AtomicFile.stampOf(files.backupPath)) === undefined) return
    warnedOfBackup.add(files)
    yield* Effect.logWarning(
      `${files.statePath} does not exist, but its backup ${files.backupPath} does: if the state was lost, ` +
        "copy the backup back, or run `fleetflow state recover` to rebuild it from the clouds, before anything else"
    )
  })

/**
 * The state as `state.json` and the journal hold it. `base` is the serial of `state.json`,
 * `lines` how many journal lines apply to it, `validLength` where the last complete line ends.
 * `state.resources` is the store's own record, changed in place by `writeChanges`: it is
 * copied on the way in and out.
 */
export interface Snapshot {
  readonly state: StateFile
  /** How many resources `state` holds. */
  readonly count: number
  readonly base: number
  readonly lines: number
  readonly validLength: number
  /** The journal has bytes after its last complete line (a write a crash cut short). */
  readonly torn: boolean
  /** The files' identity when the snapshot was taken (`stampsOf`). */
  readonly stamp: string
}

export type JournalLine = Journal.Entry<PendingOperation, typeof ScaleCounts.Type>

/** `state.json` does not read: the error says whether the backup does. */
const corrupt = (files: Files, detail: string): Effect.Effect<never, StateCorrupt> =>
  Effect.gen(function* () {
    const { backupPath, statePath } = files
    const backup = yield* readText(files, backupPath).pipe(
      Effect.map((text) => Option.map(text, (content) => decodeState(content))),
      Effect.catchAll((error) => Effect.succeed(Option.some(Either.left(error.detail))))
    )
    if (Option.isNone(backup)) return yield* new StateCorrupt({ path: statePath, detail })
    return yield* Either.match(backup.value, {
      onLeft: (backupDetail) => new StateCorrupt({ path: statePath, detail, backup: backupPath, backupDetail }),
      onRight: (state) => new StateCorrupt({ path: statePath, detail, backup: backupPath, backupSerial: state.serial })
    })
  })

/**
 * The state the files hold. While they are still what this process read or wrote last (`lastKnown`,
 * same stamps), it is taken from there without reading or decoding them: a plan reads the state
 * twice (for the recorded scale, then for the plan), and a large one took as long to decode again.
 */
export const readSnapshot = (
  files: Files,
  lastKnown: Ref.Ref<Option.Option<Snapshot>>
): Effect.Effect<Option.Option<Snapshot>, StateError> =>
  Effect.gen(function* () {
    const { journalPath, statePath } = files
    const cached = yield* Ref.get(lastKnown)
    const stamp = yield* stampsOf(files)
    if (Option.isSome(cached) && cached.value.stamp === stamp) return cached
    const text = yield* readText(files, statePath)
    if (Option.isNone(text)) {
      yield* warnIfOnlyBackup(files)
      return Option.none()
    }
    const base = decodeState(text.value)
    if (Either.isLeft(base)) return yield* corrupt(files, base.left)
    const journal = Option.getOrElse(yield* readText(files, journalPath), () => "")
    const replayed = Journal.replay(base.right, journal, decodeEntry)
    if (Either.isLeft(replayed)) {
      return yield* new StateCorrupt({
        path: journalPath,
        detail:
          `${replayed.left}. ${statePath} (serial ${base.right.serial}) holds the state without the journal's ` +
          "changes: move the journal away to use it, then run `fleetflow plan` (or `fleetflow state recover`)"
      })
    }
    const snapshot = Option.some({
      state: replayed.right.state,
      count: Object.keys(replayed.right.state.resources).length,
      base: base.right.serial,
      lines: replayed.right.applied,
      validLength: replayed.right.validLength,
      torn: Buffer.byteLength(journal) > replayed.right.validLength,
      stamp
    })
    yield* Ref.set(lastKnown, snapshot)
    return snapshot
  })

/** `state.json` rewritten in full (the file it replaces kept as the backup), the journal emptied. */
export const rewrite = (
  files: Files,
  previous: Option.Option<Snapshot>,
  written: StateFile,
  count: number
): Effect.Effect<Omit<Snapshot, "stamp">, StateIoError> =>
  Effect.gen(function* () {
    const { backupPath, statePath } = files
    const text = yield* encodeState(statePath, written)
    yield* ensureFolder(files)
    if (Option.isSome(previous)) {
      yield* onFiles(files)(AtomicFile.preserveAtomic(statePath, backupPath, () => text, { mode: fileMode })).pipe(
        Effect.mapError(ioError(backupPath, "write"))
      )
      yield* Crash.point("state-backup-kept")
    }
    yield* onFiles(files)(
      AtomicFile.writeFileAtomic(statePath, text, { mode: fileMode, beforeRename: Crash.point("state-temp-written") })
    ).pipe(Effect.mapError(ioError(statePath, "write")))
    yield* Crash.point("state-renamed")
    // Its lines name the old base now and would be passed over; removing it keeps it short.
    yield* removeJournal(files)
    return { state: written, count, base: written.serial, lines: 0, validLength: 0, torn: false }
  })

/** The journal removed: none of its lines applies to `state.json` any more. */
export const removeJournal = (files: Files): Effect.Effect<void, StateIoError> =>
  files.fs.remove(files.journalPath).pipe(
    Effect.catchIf(AtomicFile.isNotFound, () => Effect.void),
    Effect.mapError(ioError(files.journalPath, "remove"))
  )

/** One line appended to the journal in one write, and synced; a torn tail a crash left is cut off first. */
export const append = (
  files: Files,
  previous: Snapshot,
  entry: JournalLine
): Effect.Effect<Pick<Snapshot, "lines" | "validLength" | "torn">, StateIoError> =>
  Effect.gen(function* () {
    const bytes = new TextEncoder().encode(`${JSON.stringify(entry)}\n`)
    const fresh = previous.validLength === 0 && !previous.torn
    const torn = yield* Crash.due("journal-torn")
    yield* AtomicFile.appendDurably(files.journalPath, torn ? bytes.subarray(0, Math.floor(bytes.length / 2)) : bytes, {
      mode: fileMode,
      cut: previous.torn ? previous.validLength : undefined,
      // The crash suite's torn write: half the line reached the file, and the process dies.
      beforeSync: torn ? Crash.kill : Effect.void
    }).pipe(Effect.mapError(ioError(files.journalPath, "write")))
    if (fresh) yield* syncFolder(files)
    yield* Crash.point("journal-appended")
    return { lines: previous.lines + 1, validLength: previous.validLength + bytes.length, torn: false }
  })
