/**
 * A JSON document kept in memory or in a file, changed one change at a time: the simulated
 * clouds' stores and the sandbox's fault counts. A file is replaced atomically on every change;
 * a locked file is changed only under its lock file, so that several processes can share it
 * (see `StoreLock.ts`). A file is decoded again only when it is not the one this store read or
 * wrote last: decoding the whole cloud on every call made an `up` cost the square of its size.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as NodePath from "node:path"
import * as ParseIssues from "../ParseIssues.js"
import { readIfExists, stampOf, writeFileAtomic } from "../State/AtomicFile.js"
import * as StoreLock from "./StoreLock.js"

export interface DocumentStore<A, E> {
  readonly load: Effect.Effect<A, E>
  /**
   * Runs `f` on the current document and keeps the document it returns, one call at a time
   * (across processes for a locked file). A failing `f` changes nothing; returning the same
   * document skips the write.
   */
  readonly modify: <B, E2>(f: (document: A) => Effect.Effect<readonly [B, A], E2>) => Effect.Effect<B, E | E2>
}

/** Why a file store could not be used, for the store's own tagged error. */
export interface Problem<Reason extends string = "corrupt" | "unreadable" | "unwritable"> {
  readonly path: string
  readonly reason: Reason
  readonly message: string
}

/** A store in memory. It cannot fail. */
export const memory = <A>(initial: A): Effect.Effect<DocumentStore<A, never>> =>
  Effect.map(SynchronizedRef.make(initial), (ref) => ({
    load: SynchronizedRef.get(ref),
    modify: <B, E2>(f: (document: A) => Effect.Effect<readonly [B, A], E2>) =>
      SynchronizedRef.modifyEffect(ref, (document) => f(document))
  }))

export interface FileOptions<A, I, E> {
  readonly schema: Schema.Schema<A, I>
  /** What a missing file holds. */
  readonly empty: A
  /** A blank file holds `empty` too (the default), or is corrupt. */
  readonly blank?: "empty" | "corrupt"
  /** Name the file in the message for a corrupt one: "`path` is not `what`; remove it to start from `fresh`". */
  readonly names: { readonly what: string; readonly fresh: string }
  readonly error: (problem: Problem) => E
  /**
   * Given, the file is changed only under its lock file, so that several processes can share
   * it; a lock held longer than `StoreLock.lockWait` fails with this error.
   */
  readonly locked?: (problem: Problem<"locked">) => E
  /** The indentation of the JSON in the file; none by default. */
  readonly indent?: number
}

const read = <A, I, E>(path: string, options: FileOptions<A, I, E>) =>
  Effect.gen(function* () {
    const text = yield* readIfExists(path).pipe(
      Effect.mapError((error) =>
        options.error({ path, reason: "unreadable", message: `cannot read ${path}: ${error.message}` })
      )
    )
    if (Option.isNone(text)) return options.empty
    if (options.blank !== "corrupt" && text.value.trim().length === 0) return options.empty
    return yield* Schema.decodeUnknown(Schema.parseJson(options.schema))(text.value).pipe(
      Effect.mapError((error) =>
        options.error({
          path,
          reason: "corrupt",
          message: `${path} is not ${options.names.what} (${ParseIssues.describe(error)}); remove it to start from ${options.names.fresh}`
        })
      )
    )
  })

const write = <A, I, E>(path: string, options: FileOptions<A, I, E>, document: A) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    yield* fs.makeDirectory(NodePath.dirname(path), { recursive: true })
    yield* writeFileAtomic(path, `${JSON.stringify(document, null, options.indent)}\n`)
  }).pipe(
    Effect.mapError((error) =>
      options.error({ path, reason: "unwritable", message: `cannot write ${path}: ${error.message}` })
    )
  )

/** Runs `use` holding the lock file of the store at `path`. */
const withLock = <A, I, E, B, E2>(
  fs: FileSystem.FileSystem,
  path: string,
  options: FileOptions<A, I, E>,
  locked: (problem: Problem<"locked">) => E,
  use: Effect.Effect<B, E2>
): Effect.Effect<B, E | E2> =>
  Effect.acquireUseRelease(
    StoreLock.acquire(fs, path).pipe(
      Effect.mapError((error) =>
        error._tag === "LockBusy"
          ? locked({
              path,
              reason: "locked",
              message: `${path}.lock was held for more than ${Duration.format(StoreLock.lockWait)} (holder: ${error.holder})`
            })
          : options.error({ path, reason: "unwritable", message: `cannot lock ${path}: ${error.message}` })
      )
    ),
    () => use,
    (token) => StoreLock.release(fs, path, token)
  )

/** A change waiting for the next write, and where its caller waits for the outcome. */
interface Queued<A, E> {
  readonly change: (document: A) => Effect.Effect<readonly [unknown, A], unknown>
  readonly outcome: Deferred.Deferred<unknown, E | unknown>
}

/**
 * A store in the JSON file at `path`. The changes made through it take turns; the semaphore is
 * its own, so a process opens a file once and passes the store on (only the lock file makes two
 * stores on one file, or two processes, take turns). Changes that queue while a write is under
 * way go out together in the next write (group commit): writing the whole document once per
 * change made an `up` of a large fleet cost the square of its size. Each caller still returns only
 * once its change is on disk.
 */
export const file = <A, I, E>(
  path: string,
  options: FileOptions<A, I, E>
): Effect.Effect<DocumentStore<A, E>, never, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const permit = yield* Effect.makeSemaphore(1)
    let queue: Array<Queued<A, E>> = []
    // The file's stamp is taken before it is read: a change in between is seen at the next load.
    let known: { readonly stamp: string; readonly document: A } | undefined
    const load = Effect.gen(function* () {
      const stamp = yield* stampOf(path)
      if (known !== undefined && stamp !== undefined && stamp === known.stamp) return known.document
      const document = yield* Effect.provideService(read(path, options), FileSystem.FileSystem, fs)
      if (stamp !== undefined) known = { stamp, document }
      return document
    })
    const save = (document: A) =>
      Effect.gen(function* () {
        known = undefined
        yield* Effect.provideService(write(path, options, document), FileSystem.FileSystem, fs)
        const stamp = yield* stampOf(path)
        if (stamp !== undefined) known = { stamp, document }
      })
    const exclusive = <B, E2>(use: Effect.Effect<B, E2>): Effect.Effect<B, E | E2> =>
      options.locked === undefined ? use : withLock(fs, path, options, options.locked, use)
    /** Applies every queued change in turn and writes the result once; a change that fails is skipped. */
    const commit = (batch: ReadonlyArray<Queued<A, E>>) =>
      Effect.gen(function* () {
        const before = yield* load
        let document = before
        const applied: Array<readonly [Queued<A, E>, unknown]> = []
        for (const queued of batch) {
          const exit = yield* Effect.exit(queued.change(document))
          if (Exit.isFailure(exit)) yield* Deferred.failCause(queued.outcome, exit.cause)
          else {
            document = exit.value[1]
            applied.push([queued, exit.value[0]])
          }
        }
        if (document !== before) yield* save(document)
        return applied
      })
    const drain = Effect.gen(function* () {
      const batch = queue
      queue = []
      if (batch.length === 0) return
      const exit = yield* Effect.exit(exclusive(commit(batch)))
      if (Exit.isFailure(exit)) {
        for (const queued of batch) yield* Deferred.failCause(queued.outcome, exit.cause)
        return
      }
      for (const [queued, result] of exit.value) yield* Deferred.succeed(queued.outcome, result)
    })
    return {
      load,
      modify: <B, E2>(f: (document: A) => Effect.Effect<readonly [B, A], E2>) =>
        Effect.gen(function* () {
          const outcome = yield* Deferred.make<B, E | E2>()
          queue.push({ change: f, outcome } as unknown as Queued<A, E>)
          // Whoever holds the permit next writes every change queued by then, this one included or
          // already written; a batch once taken is finished even if its writer is interrupted.
          yield* permit.withPermits(1)(Effect.uninterruptible(drain))
          return yield* Deferred.await(outcome)
        })
    }
  })
