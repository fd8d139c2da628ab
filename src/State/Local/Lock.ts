/**
 * The local store's lock: `lock.json`, created exclusively and removed on release. A holder
 * killed before releasing it leaves it behind; it reads as stale once that process is gone.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import * as Os from "node:os"
import * as AtomicFile from "../AtomicFile.js"
import { decodeJson, parseJson } from "../Decode.js"
import { lockedError, lockInfoOf, makeLockInfo, waitForLock } from "../Lock.js"
import {
  type CurrentLock,
  LockInfo,
  LockNotFound,
  type LockOptions,
  type StateError,
  type StateIoError,
  type StateLocked
} from "../Store.js"
import { ensureFolder, type Files, fileMode, ioError, onFiles, readText, syncFolder } from "./Files.js"

const processAlive = (pid: number): boolean => {
  // 0 and negative pids address process groups, not a holder; an unknown holder counts as alive.
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: alive, owned by another user.
    return (error as NodeJS.ErrnoException).code !== "ESRCH"
  }
}

/**
 * Reads a lock file, keeping what can be read when it does not decode. An unreadable lock gets
 * an ID derived from its content, so `force-unlock` can name exactly that file.
 */
const parseLock = (text: string): CurrentLock => {
  const json = parseJson(text)
  const decoded = Either.flatMap(json, (value) => decodeJson(LockInfo, value))
  if (Either.isRight(decoded)) {
    const lock = decoded.right
    return { ...lock, stale: lock.host === Os.hostname() && !processAlive(lock.pid) }
  }
  const fields: { readonly [key: string]: unknown } =
    Either.isRight(json) && Predicate.isRecord(json.right) ? json.right : {}
  const field = (name: string) => {
    const value = fields[name]
    return typeof value === "string" && value !== "" ? value : "unknown"
  }
  const pid = fields.pid
  const id = field("id")
  return {
    id: id === "unknown" ? `unreadable-${Crypto.createHash("sha256").update(text).digest("hex").slice(0, 12)}` : id,
    pid: typeof pid === "number" && Number.isSafeInteger(pid) ? pid : 0,
    host: field("host"),
    user: field("user"),
    operation: field("operation"),
    created: field("created"),
    stale: false,
    unreadable: decoded.left
  }
}

export const currentLock = (files: Files): Effect.Effect<Option.Option<CurrentLock>, StateIoError> =>
  Effect.map(readText(files, files.lockPath), (text) => Option.map(text, (content) => parseLock(content)))

const acquire = (files: Files, info: LockInfo): Effect.Effect<LockInfo, StateLocked | StateError> =>
  Effect.gen(function* () {
    const { folder, lockPath } = files
    yield* ensureFolder(files)
    const created = yield* onFiles(files)(
      AtomicFile.createFileExclusive(lockPath, JSON.stringify(info, null, 2) + "\n", { mode: fileMode })
    ).pipe(Effect.mapError(ioError(lockPath, "create")))
    if (created) {
      // Holding the lock, no other fleetflow writes here: temp files of dead writers can go.
      yield* onFiles(files)(AtomicFile.removeLeftovers(folder, processAlive)).pipe(
        Effect.catchAll((error) => Effect.logDebug(`could not clean ${folder}: ${error.message}`))
      )
      return info
    }
    const holder = yield* currentLock(files)
    // Released between our attempt and our look: try again.
    if (Option.isNone(holder)) return yield* acquire(files, info)
    return yield* lockedError(lockPath, holder.value)
  })

/** Removes our lock file, after `beforeRelease` (which may fail: the lock goes all the same). */
const release = (files: Files, info: LockInfo, beforeRelease: Effect.Effect<void, StateError>): Effect.Effect<void> =>
  Effect.gen(function* () {
    const holder = yield* currentLock(files)
    if (Option.isNone(holder) || holder.value.id !== info.id) {
      return yield* Effect.logWarning(
        `the state lock ${info.id} was removed by someone else (force-unlock?) while this command held it`
      )
    }
    yield* beforeRelease.pipe(
      Effect.catchAll((error) =>
        Effect.logWarning(`the state journal stays beside ${files.statePath} (${error.message}); it is read with it`)
      )
    )
    yield* files.fs.remove(files.lockPath).pipe(Effect.mapError(ioError(files.lockPath, "remove")))
    yield* syncFolder(files).pipe(Effect.ignore)
  }).pipe(
    Effect.catchAll((error) =>
      Effect.logWarning(
        `could not release the state lock ${info.id} (${error.message}); run \`fleetflow force-unlock ${info.id}\``
      )
    )
  )

/** Holds `lock.json` until the scope closes; `beforeRelease` runs while it is still held. */
export const lock = (
  files: Files,
  settings: {
    readonly version: string | undefined
    readonly beforeRelease: Effect.Effect<void, StateError>
  },
  operation: string,
  options?: LockOptions
): Effect.Effect<LockInfo, StateLocked | StateError, Scope.Scope> =>
  waitForLock(
    Effect.acquireRelease(
      Effect.flatMap(makeLockInfo(operation, settings.version), (info) => acquire(files, info)),
      (info) => release(files, info, settings.beforeRelease)
    ),
    options
  ).pipe(Effect.withSpan("StateStore.lock", { attributes: { path: files.lockPath, operation } }))

export const forceUnlock = (files: Files, id: string): Effect.Effect<LockInfo, LockNotFound | StateError> =>
  Effect.gen(function* () {
    const { lockPath } = files
    const holder = yield* currentLock(files)
    if (Option.isNone(holder)) return yield* new LockNotFound({ path: lockPath, id })
    if (holder.value.id !== id) {
      return yield* new LockNotFound({ path: lockPath, id, current: lockInfoOf(holder.value) })
    }
    yield* files.fs.remove(lockPath).pipe(Effect.mapError(ioError(lockPath, "remove")))
    yield* syncFolder(files)
    return lockInfoOf(holder.value)
  })
