/**
 * The exclusive lock file (`<store>.lock`) a file store is changed under. It holds the
 * writer's pid and host; a writer waits for it with backoff, and breaks a lock whose
 * process on this host is gone.
 */
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Crypto from "node:crypto"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { createFileExclusive } from "../State/AtomicFile.js"

const LockInfo = Schema.Struct({
  token: Schema.String,
  pid: Schema.Int,
  host: Schema.String,
  created: Schema.Number
})
type LockInfo = typeof LockInfo.Type
const decodeLock = Schema.decodeUnknownOption(Schema.parseJson(LockInfo))

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** A lock file nobody can have written completely is given this long before it counts as stale. */
const unreadableLockGrace = Duration.seconds(10)
export const lockWait = Duration.minutes(2)

export class LockBusy extends Data.TaggedError("LockBusy")<{ readonly holder: string }> {}

/** Milliseconds since `file` was written; 0 when it is not there. */
const ageOf = (fs: FileSystem.FileSystem, file: string) =>
  fs.stat(file).pipe(
    Effect.map((stat) => Option.match(stat.mtime, { onNone: () => 0, onSome: (date) => Date.now() - date.getTime() })),
    Effect.orElseSucceed(() => 0)
  )

/**
 * Removes the lock when its holder is gone, so the next attempt can take it. Breakers take
 * `<lock>.break` first and remove the lock only if it is still the stale one they saw: a
 * lock cannot be replaced while it exists, so what they remove is never a live lock.
 */
const breakIfStale = (fs: FileSystem.FileSystem, lockPath: string) =>
  Effect.gen(function* () {
    const text = yield* fs.readFileString(lockPath).pipe(Effect.option)
    if (Option.isNone(text)) return
    const info = decodeLock(text.value)
    if (Option.isNone(info)) {
      if ((yield* ageOf(fs, lockPath)) < Duration.toMillis(unreadableLockGrace)) return
    } else if (info.value.host !== Os.hostname() || isRunning(info.value.pid)) {
      return
    }
    const breaker = `${lockPath}.break`
    if ((yield* ageOf(fs, breaker)) > Duration.toMillis(unreadableLockGrace)) {
      yield* fs.remove(breaker).pipe(Effect.ignore)
    }
    const mine = yield* createFileExclusive(breaker, String(process.pid)).pipe(
      Effect.provideService(FileSystem.FileSystem, fs),
      Effect.orElseSucceed(() => false)
    )
    if (!mine) return
    yield* Effect.gen(function* () {
      const again = yield* fs.readFileString(lockPath).pipe(Effect.option)
      if (Option.isSome(again) && again.value === text.value) yield* fs.remove(lockPath).pipe(Effect.ignore)
    }).pipe(Effect.ensuring(fs.remove(breaker).pipe(Effect.ignore)))
  })

/** Takes the lock of the store at `path`, waiting up to `lockWait`; succeeds with the token that releases it. */
export const acquire = (
  fs: FileSystem.FileSystem,
  path: string
): Effect.Effect<string, LockBusy | PlatformError.PlatformError> =>
  Effect.gen(function* () {
    const lockPath = `${path}.lock`
    const info: LockInfo = { token: Crypto.randomUUID(), pid: process.pid, host: Os.hostname(), created: Date.now() }
    // A folder that cannot be made is the reason to report, not the lock file then missing in it.
    yield* fs.makeDirectory(NodePath.dirname(path), { recursive: true })
    const attempt = Effect.gen(function* () {
      const created = yield* createFileExclusive(lockPath, JSON.stringify(info)).pipe(
        Effect.provideService(FileSystem.FileSystem, fs)
      )
      if (created) return info.token
      yield* breakIfStale(fs, lockPath)
      const holder = yield* fs.readFileString(lockPath).pipe(Effect.orElseSucceed(() => "(unreadable)"))
      return yield* new LockBusy({ holder })
    })
    return yield* attempt.pipe(
      Effect.retry({
        while: (error) => error._tag === "LockBusy",
        schedule: Schedule.exponential(Duration.millis(2), 1.5).pipe(
          Schedule.union(Schedule.spaced(Duration.millis(50))),
          Schedule.jittered,
          Schedule.upTo(lockWait)
        )
      })
    )
  })

/** Removes the lock of the store at `path` if it is still the one `token` took. */
export const release = (fs: FileSystem.FileSystem, path: string, token: string) =>
  Effect.gen(function* () {
    const lockPath = `${path}.lock`
    const text = yield* fs.readFileString(lockPath).pipe(Effect.option)
    const info = Option.flatMap(text, (text) => decodeLock(text))
    if (Option.isSome(info) && info.value.token === token) yield* fs.remove(lockPath).pipe(Effect.ignore)
  })
