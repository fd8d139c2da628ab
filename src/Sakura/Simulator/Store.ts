/**
 * Where the simulated cloud lives: in memory for tests, or in a JSON file that several
 * simulator processes share. The file is decoded on every load, replaced atomically on
 * every change, and changed only under an exclusive lock file (`<store>.lock`) holding the
 * writer's pid: a writer waits for the lock with backoff, and breaks a lock whose process
 * on this host is gone (see `StoreLock.ts`).
 */
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as NodePath from "node:path"
import { readDocument, writeFileAtomic } from "../../State/AtomicFile.js"
import { empty, SimulatorDocument } from "./Document.js"
import * as StoreLock from "./StoreLock.js"

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

// Several stores on one file in this process queue here instead of racing for the lock file.
const permits = new Map<string, Effect.Semaphore>()
const permitFor = (path: string): Effect.Semaphore => {
  const existing = permits.get(path)
  if (existing !== undefined) return existing
  const semaphore = Effect.unsafeMakeSemaphore(1)
  permits.set(path, semaphore)
  return semaphore
}

const makeFileStore = (fs: FileSystem.FileSystem, path: string): SimulatorStore => {
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
      Effect.provideService(FileSystem.FileSystem, fs),
      Effect.mapError(failWith("unwritable", "cannot write"))
    )

  const acquire = StoreLock.acquire(fs, path).pipe(
    Effect.mapError((error) =>
      error._tag === "LockBusy"
        ? new SimulatorStoreError({
            path,
            reason: "locked",
            message: `${path}.lock was held for more than ${Duration.format(StoreLock.lockWait)} (holder: ${error.holder})`
          })
        : failWith("unwritable", "cannot lock")(error)
    )
  )

  const permit = permitFor(NodePath.resolve(path))

  return {
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
          (token) => StoreLock.release(fs, path, token)
        )
      )
  }
}

/** A store in the JSON file at `path`; a missing file is an empty cloud. */
export const file = (path: string): SimulatorStore => {
  const fs = Effect.runSync(Effect.provide(FileSystem.FileSystem, NodeFileSystem.layer))
  return makeFileStore(fs, path)
}
