/**
 * The files of a local state folder (`.fleetflow/`): `state.json`, its backup and journal, and
 * `lock.json`; with the file system they are on.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as NodePath from "node:path"
import * as AtomicFile from "../AtomicFile.js"
import { StateIoError } from "../Store.js"

export interface Files {
  readonly fs: FileSystem.FileSystem
  readonly folder: string
  readonly statePath: string
  readonly backupPath: string
  readonly lockPath: string
  readonly journalPath: string
}

export const fileMode = 0o600
const directoryMode = 0o700

export const filesOf = (fs: FileSystem.FileSystem, directory: string): Files => {
  const folder = NodePath.resolve(directory)
  return {
    fs,
    folder,
    statePath: NodePath.join(folder, "state.json"),
    backupPath: NodePath.join(folder, "state.json.backup"),
    lockPath: NodePath.join(folder, "lock.json"),
    journalPath: NodePath.join(folder, "state.journal")
  }
}

/** Runs a file operation of `AtomicFile` on the folder's file system. */
export const onFiles =
  (files: Files) =>
  <A, E>(effect: Effect.Effect<A, E, FileSystem.FileSystem>): Effect.Effect<A, E> =>
    Effect.provideService(effect, FileSystem.FileSystem, files.fs)

export const ioError = (path: string, operation: string) => (error: { readonly message: string }) =>
  new StateIoError({ path, operation, detail: error.message })

export const readText = (files: Files, path: string): Effect.Effect<Option.Option<string>, StateIoError> =>
  AtomicFile.readIfExists(path).pipe(onFiles(files), Effect.mapError(ioError(path, "read")))

/** Makes renames and removals in the folder survive a power loss. */
export const syncFolder = (files: Files): Effect.Effect<void, StateIoError> =>
  AtomicFile.syncDirectory(files.folder).pipe(onFiles(files), Effect.mapError(ioError(files.folder, "sync")))

/** The identity of `path`; empty when it does not exist. */
const stampOf = (path: string) => Effect.map(AtomicFile.stampOf(path), (stamp) => stamp ?? "")

/** The identity of `state.json` and its journal: while it stays the same, no other writer changed them. */
export const stampsOf = (files: Files): Effect.Effect<string> =>
  Effect.zipWith(stampOf(files.statePath), stampOf(files.journalPath), (state, journal) => `${state}|${journal}`)

export const ensureFolder = (files: Files): Effect.Effect<void, StateIoError> =>
  Effect.gen(function* () {
    const { folder, fs } = files
    const existed = yield* fs.exists(folder)
    if (!existed) yield* fs.makeDirectory(folder, { recursive: true, mode: directoryMode })
    else {
      // State holds IP addresses: a folder made by hand (0755, say) is closed to others as a new one is.
      const mode = (yield* fs.stat(folder)).mode & 0o777
      if (mode !== directoryMode) yield* fs.chmod(folder, directoryMode)
    }
    // ...and the whole folder stays out of git, even when its .gitignore was removed.
    yield* fs
      .writeFileString(NodePath.join(folder, ".gitignore"), "*\n", { flag: "wx", mode: 0o644 })
      .pipe(Effect.catchIf(AtomicFile.isAlreadyExists, () => Effect.void))
    if (existed) return
    yield* onFiles(files)(AtomicFile.syncDirectory(NodePath.dirname(folder)))
    yield* Effect.logInfo(`created ${folder} for the state; it is git-ignored, since state holds IP addresses`)
  }).pipe(Effect.mapError(ioError(files.folder, "create")))
