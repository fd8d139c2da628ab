/**
 * Crash-safe file operations for the state folder. A reader sees a file's old content or
 * its new content, never a mix, whenever the writing process dies.
 */
import * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as NodePath from "node:path"

export interface WriteOptions {
  /** Permission bits of the new file (before the umask). */
  readonly mode?: number
}

const tempPattern = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/

/**
 * A fresh name beside `target`, so that `rename` stays within one file system. The pid in
 * the name tells `removeLeftovers` whether its writer is still running.
 */
export const tempPathFor = (target: string): string =>
  NodePath.join(
    NodePath.dirname(target),
    `.${NodePath.basename(target)}.${process.pid}.${Crypto.randomBytes(6).toString("hex")}.tmp`
  )

/**
 * The identity of the file at `path` (inode, size, modification time), undefined when it does not
 * exist: a file replaced by a rename has another inode even when its size and time are the same.
 * Taken with a synchronous `stat`: it is asked before and after every state and simulator write,
 * and a round trip through the thread pool cost more than the write's own fsync.
 */
export const stampOf = (path: string): Effect.Effect<string | undefined> =>
  Effect.sync(() => {
    try {
      const info = Fs.statSync(path)
      return `${info.ino}:${info.size}:${info.mtimeMs}`
    } catch {
      return undefined
    }
  })

export const isNotFound = (error: PlatformError.PlatformError): boolean =>
  error._tag === "SystemError" && error.reason === "NotFound"

export const isAlreadyExists = (error: PlatformError.PlatformError): boolean =>
  error._tag === "SystemError" && error.reason === "AlreadyExists"

const reasonOf = (code: string | undefined): PlatformError.SystemErrorReason => {
  switch (code) {
    case "ENOENT":
      return "NotFound"
    case "EEXIST":
      return "AlreadyExists"
    case "EACCES":
    case "EPERM":
      return "PermissionDenied"
    case "EISDIR":
    case "ENOTDIR":
    case "ELOOP":
      return "BadResource"
    case "EBUSY":
      return "Busy"
    default:
      return "Unknown"
  }
}

const systemError = (method: string, path: string, error: unknown): PlatformError.SystemError => {
  const cause = error as NodeJS.ErrnoException
  return new PlatformError.SystemError({
    reason: reasonOf(cause.code),
    module: "FileSystem",
    method,
    pathOrDescriptor: path,
    ...(cause.syscall === undefined ? {} : { syscall: cause.syscall }),
    description: cause.message,
    cause
  })
}

/**
 * A Node file system call made synchronously, failing as the platform's file system fails. The durable
 * writes of the state and the simulators are small system calls in a row, each of which cost more as a
 * round trip through the thread pool than it takes: an apply's every step waits for two of them.
 */
export const syncCall = <A>(
  method: string,
  path: string,
  call: () => A
): Effect.Effect<A, PlatformError.PlatformError> =>
  Effect.try({ try: call, catch: (error) => systemError(method, path, error) })

/**
 * How long this process's fsyncs take. A flush in place measures the disk; one on the thread pool also
 * counts the wait for the event loop, so it can only show that the disk is fast, and every sixteenth
 * flush is made in place to measure the disk again.
 */
const flushes = { lastMillis: 0, sinceMeasured: 0 }
/** From this, an fsync goes to the thread pool; below it, the round trip would cost more than the flush. */
const slowFlushMillis = 1
const measureEvery = 16

/**
 * Makes what was written to `descriptor` durable. A disk that flushes in a fraction of a millisecond is
 * flushed in place. One that takes longer (a spinning disk, a network volume) is flushed on the thread
 * pool, and the steps of an apply go on meanwhile: those that end during a flush share the next write
 * (the state writer's group commit), where flushing in place stopped every step for each write in turn.
 * With 15 ms per fsync, the apply of 100 independent resources went from 3.6 s to 2.7 s (BENCHMARKS.md).
 * A flush on the thread pool is not interrupted: the descriptor stays open until it ends.
 */
const flush = (descriptor: number, path: string): Effect.Effect<void, PlatformError.PlatformError> =>
  Effect.suspend(() => {
    if (flushes.lastMillis < slowFlushMillis || ++flushes.sinceMeasured >= measureEvery) {
      return syncCall("sync", path, () => {
        const started = performance.now()
        Fs.fsyncSync(descriptor)
        flushes.lastMillis = performance.now() - started
        flushes.sinceMeasured = 0
      })
    }
    return Effect.async<void, PlatformError.PlatformError>((resume) => {
      const started = performance.now()
      Fs.fsync(descriptor, (error) => {
        flushes.lastMillis = performance.now() - started
        resume(error === null ? Effect.void : Effect.fail(systemError("sync", path, error)))
      })
    }).pipe(Effect.uninterruptible)
  })

/** Runs `use` with `path` opened with `flags`, and closes it whatever happens. */
const withDescriptor = <A>(
  path: string,
  flags: string,
  mode: number | undefined,
  use: (descriptor: number) => Effect.Effect<A, PlatformError.PlatformError>
) =>
  Effect.acquireUseRelease(
    syncCall("open", path, () => Fs.openSync(path, flags, mode)),
    use,
    (descriptor) => Effect.sync(() => Fs.closeSync(descriptor))
  )

/** Writes all of `data` at the descriptor's position. */
const writeAll = (descriptor: number, path: string, data: Uint8Array) =>
  syncCall("write", path, () => {
    for (let written = 0; written < data.length; ) written += Fs.writeSync(descriptor, data, written)
  })

/** Makes renames and removals inside `directory` survive a power loss. */
export const syncDirectory = (directory: string): Effect.Effect<void, PlatformError.PlatformError> =>
  withDescriptor(directory, "r", undefined, (descriptor) => flush(descriptor, directory)).pipe(
    // Windows cannot open a directory for fsync; NTFS orders the rename itself.
    Effect.catchAll((error) => (process.platform === "win32" ? Effect.void : Effect.fail(error)))
  )

const writeDurably = (path: string, data: Uint8Array, options: WriteOptions) =>
  withDescriptor(path, "wx", options.mode, (descriptor) =>
    Effect.zipRight(writeAll(descriptor, path, data), flush(descriptor, path))
  )

/**
 * Appends `data` to `path` and syncs it, the file first cut back to `cut` bytes when given; `beforeSync`
 * runs once the bytes are written (a kill point).
 */
export const appendDurably = (
  path: string,
  data: Uint8Array,
  options: WriteOptions & { readonly cut?: number | undefined; readonly beforeSync?: Effect.Effect<void> }
): Effect.Effect<void, PlatformError.PlatformError> =>
  Effect.gen(function* () {
    const { cut } = options
    if (cut !== undefined) yield* syncCall("truncate", path, () => Fs.truncateSync(path, cut))
    yield* withDescriptor(path, "a", options.mode, (descriptor) =>
      Effect.gen(function* () {
        yield* writeAll(descriptor, path, data)
        yield* options.beforeSync ?? Effect.void
        yield* flush(descriptor, path)
      })
    )
  })

/** The text of `path`, or none when there is no such file. */
export const readIfExists = (
  path: string
): Effect.Effect<Option.Option<string>, PlatformError.PlatformError, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    fs.readFileString(path).pipe(
      Effect.map(Option.some),
      Effect.catchIf(isNotFound, () => Effect.succeedNone)
    )
  )

export interface AtomicWriteOptions extends WriteOptions {
  /** Runs once the data is durable under the temp name, before it takes the target's (a kill point). */
  readonly beforeRename?: Effect.Effect<void>
}

/**
 * Replaces `path` with `data`: write a temp file in the same folder, fsync it, rename it
 * over `path`, fsync the folder. A failure or interruption removes the temp file.
 */
export const writeFileAtomic = (
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {}
): Effect.Effect<void, PlatformError.PlatformError> =>
  Effect.suspend(() => {
    const { beforeRename = Effect.void, ...fileOptions } = options
    const temp = tempPathFor(path)
    return Effect.gen(function* () {
      yield* writeDurably(temp, typeof data === "string" ? new TextEncoder().encode(data) : data, fileOptions)
      yield* beforeRename
      yield* syncCall("rename", temp, () => Fs.renameSync(temp, path))
      yield* syncDirectory(NodePath.dirname(path))
    }).pipe(
      Effect.onExit((exit) =>
        exit._tag === "Success" ? Effect.void : Effect.sync(() => Fs.rmSync(temp, { force: true }))
      )
    )
  })

/**
 * Makes `target` hold what `source` holds now, atomically: a hard link under a temp name
 * renamed over `target`, so no byte is copied; the caller then replaces `source` by rename,
 * which leaves `target` with the old content. File systems without hard links get a copy.
 */
export const preserveAtomic = (
  source: string,
  target: string,
  content: () => string,
  options: WriteOptions = {}
): Effect.Effect<void, PlatformError.PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const temp = tempPathFor(target)
    const linked = yield* fs.link(source, temp).pipe(
      Effect.zipRight(fs.rename(temp, target)),
      Effect.as(true),
      Effect.catchAll(() => Effect.ignore(fs.remove(temp)).pipe(Effect.as(false)))
    )
    if (!linked) yield* writeFileAtomic(target, content(), options)
  })

/**
 * Creates `path` holding `data` unless it already exists; `false` when it does. The content
 * is written and synced under a temp name and then hard-linked into place, so `path` is never
 * seen empty or half-written. File systems without hard links fall back to an exclusive create.
 */
export const createFileExclusive = (
  path: string,
  data: string,
  options: WriteOptions = {}
): Effect.Effect<boolean, PlatformError.PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const bytes = new TextEncoder().encode(data)
    const temp = tempPathFor(path)
    const created = yield* Effect.gen(function* () {
      yield* writeDurably(temp, bytes, options)
      return yield* fs.link(temp, path).pipe(
        Effect.as(true),
        Effect.catchAll((error) => {
          if (isAlreadyExists(error)) return Effect.succeed(false)
          return fs.writeFile(path, bytes, { flag: "wx", ...options }).pipe(
            Effect.as(true),
            Effect.catchIf(isAlreadyExists, () => Effect.succeed(false))
          )
        })
      )
    }).pipe(Effect.ensuring(Effect.ignore(fs.remove(temp))))
    if (created) yield* syncDirectory(NodePath.dirname(path))
    return created
  })

/**
 * Removes temp files that writers in `directory` left behind when they were killed: those
 * named after a process that `isRunning` says is gone.
 */
export const removeLeftovers = (
  directory: string,
  isRunning: (pid: number) => boolean
): Effect.Effect<ReadonlyArray<string>, PlatformError.PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const names = yield* fs.readDirectory(directory)
    const leftovers = names.filter((name) => {
      const pid = tempPattern.exec(name)?.[1]
      return pid !== undefined && !isRunning(Number(pid))
    })
    yield* Effect.forEach(leftovers, (name) => fs.remove(NodePath.join(directory, name), { force: true }), {
      discard: true
    })
    return leftovers
  })
