/**
 * Where the simulated cloud lives: in memory for tests, or in a JSON file that several
 * simulator processes share. The file is decoded on every load, replaced atomically on
 * every change, and changed only under an exclusive lock file (`<store>.lock`) holding the
 * writer's pid: a writer waits for the lock with backoff, and breaks a lock whose process
 * on this host is gone.
 */
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as Crypto from "node:crypto"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { createFileExclusive, readDocument, writeFileAtomic } from "../../State/AtomicFile.js"
import { empty, SimulatorDocument } from "./Document.js"

export class SimulatorStoreError extends Data.TaggedError("SimulatorStoreError")<{
  readonly path: string
  readonly reason: "corrupt" | "unreadable" | "unwritable" | "locked"
  readonly message: string
}> {}

export interface SimulatorStore {
  readonly load: Effect.Effect<SimulatorDocument, SimulatorStoreError>
  /**
   * Runs `f` on the current document and keeps the document it returns, one call at a time
   * (across processes for a file). A failing `f` changes nothing.
   */
  readonly modify: <A, E>(
    f: (document: SimulatorDocument) => Effect.Effect<readonly [A, SimulatorDocument], E>
  ) => Effect.Effect<A, E | SimulatorStoreError>
}

/** A store in memory. `initial` fills in what the empty cloud lacks. */
export const memory = (initial: Partial<SimulatorDocument> = {}): Effect.Effect<SimulatorStore> =>
  Effect.gen(function* () {
    const ref = yield* SynchronizedRef.make<SimulatorDocument>({ ...empty, ...initial })
    return {
      load: SynchronizedRef.get(ref),
      modify: <A, E>(f: (document: SimulatorDocument) => Effect.Effect<readonly [A, SimulatorDocument], E>) =>
        SynchronizedRef.modifyEffect(ref, (document) => f(document))
    }
  })

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
const lockWait = Duration.minutes(2)

class LockBusy extends Data.TaggedError("LockBusy")<{ readonly holder: string }> {}

// Several stores on one file in this process queue here instead of racing for the lock file.
const permits = new Map<string, Effect.Semaphore>()
const permitFor = (path: string): Effect.Semaphore => {
  const existing = permits.get(path)
  if (existing !== undefined) return existing
  const semaphore = Effect.unsafeMakeSemaphore(1)
  permits.set(path, semaphore)
  return semaphore
}

const makeFileStore = (fs: FileSystem.FileSystem, path: string) => {
  const lockPath = `${path}.lock`
  /** Milliseconds since `file` was written; 0 when it is not there. */
  const ageOf = (file: string) =>
    fs.stat(file).pipe(
      Effect.map((stat) =>
        Option.match(stat.mtime, { onNone: () => 0, onSome: (date) => Date.now() - date.getTime() })
      ),
      Effect.orElseSucceed(() => 0)
    )
  const provide = Effect.provideService(FileSystem.FileSystem, fs)
  const failWith = (reason: SimulatorStoreError["reason"], what: string) => (error: PlatformError.PlatformError) =>
    new SimulatorStoreError({ path, reason, message: `${what} ${path}: ${error.message}` })

  const load: Effect.Effect<SimulatorDocument, SimulatorStoreError> = readDocument(path, SimulatorDocument, empty, {
    what: "a usacloud simulator store",
    fresh: "an empty cloud"
  }).pipe(
    Effect.provideService(FileSystem.FileSystem, fs),
    Effect.mapError((problem) => new SimulatorStoreError({ path, ...problem }))
  )

  const save = (document: SimulatorDocument) =>
    writeFileAtomic(path, `${JSON.stringify(document)}\n`).pipe(
      provide,
      Effect.mapError(failWith("unwritable", "cannot write"))
    )

  /**
   * Removes the lock when its holder is gone, so the next attempt can take it. Breakers take
   * `<lock>.break` first and remove the lock only if it is still the stale one they saw: a
   * lock cannot be replaced while it exists, so what they remove is never a live lock.
   */
  const breakIfStale = Effect.gen(function* () {
    const text = yield* fs.readFileString(lockPath).pipe(Effect.option)
    if (Option.isNone(text)) return
    const info = decodeLock(text.value)
    if (Option.isNone(info)) {
      if ((yield* ageOf(lockPath)) < Duration.toMillis(unreadableLockGrace)) return
    } else if (info.value.host !== Os.hostname() || isRunning(info.value.pid)) {
      return
    }
    const breaker = `${lockPath}.break`
    if ((yield* ageOf(breaker)) > Duration.toMillis(unreadableLockGrace)) yield* fs.remove(breaker).pipe(Effect.ignore)
    const mine = yield* createFileExclusive(breaker, String(process.pid)).pipe(
      provide,
      Effect.orElseSucceed(() => false)
    )
    if (!mine) return
    yield* Effect.gen(function* () {
      const again = yield* fs.readFileString(lockPath).pipe(Effect.option)
      if (Option.isSome(again) && again.value === text.value) yield* fs.remove(lockPath).pipe(Effect.ignore)
    }).pipe(Effect.ensuring(fs.remove(breaker).pipe(Effect.ignore)))
  })

  const acquire = Effect.gen(function* () {
    const info: LockInfo = { token: Crypto.randomUUID(), pid: process.pid, host: Os.hostname(), created: Date.now() }
    yield* fs.makeDirectory(NodePath.dirname(path), { recursive: true }).pipe(Effect.ignore)
    const attempt = Effect.gen(function* () {
      const created = yield* createFileExclusive(lockPath, JSON.stringify(info)).pipe(provide)
      if (created) return info.token
      yield* breakIfStale
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
      }),
      Effect.mapError((error) =>
        error._tag === "LockBusy"
          ? new SimulatorStoreError({
              path,
              reason: "locked",
              message: `${lockPath} was held for more than ${Duration.format(lockWait)} (holder: ${error.holder})`
            })
          : failWith("unwritable", "cannot lock")(error)
      )
    )
  })

  const release = (token: string) =>
    Effect.gen(function* () {
      const text = yield* fs.readFileString(lockPath).pipe(Effect.option)
      const info = Option.flatMap(text, (text) => decodeLock(text))
      if (Option.isSome(info) && info.value.token === token) yield* fs.remove(lockPath).pipe(Effect.ignore)
    })

  const permit = permitFor(NodePath.resolve(path))

  const store: SimulatorStore = {
    load,
    modify: <A, E>(f: (document: SimulatorDocument) => Effect.Effect<readonly [A, SimulatorDocument], E>) =>
      permit.withPermits(1)(
        Effect.acquireUseRelease(
          acquire,
          () =>
            Effect.gen(function* () {
              const before = yield* load
              const [result, after] = yield* f(before)
              if (after !== before) yield* save(after)
              return result
            }),
          (token) => release(token)
        )
      )
  }
  return store
}

/** A store in the JSON file at `path`; a missing file is an empty cloud. */
export const file = (path: string): SimulatorStore => {
  const fs = Effect.runSync(Effect.provide(FileSystem.FileSystem, NodeFileSystem.layer))
  return makeFileStore(fs, path)
}
