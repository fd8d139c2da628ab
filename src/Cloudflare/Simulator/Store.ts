/**
 * Where the simulated account lives: in memory for tests, or in a JSON file that outlives
 * the process (the sandbox, a simulator server started by another process). The file is
 * decoded on every load and replaced atomically on every change; changes in one process
 * are applied one at a time. Two processes must not serve the same file at once.
 */
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as NodePath from "node:path"
import { readDocument, writeFileAtomic } from "../../State/AtomicFile.js"
import { CloudflareDocument, empty } from "./Document.js"

export class CloudflareStoreError extends Data.TaggedError("CloudflareStoreError")<{
  readonly path: string
  readonly reason: "corrupt" | "unreadable" | "unwritable"
  readonly message: string
}> {}

export interface CloudflareStore {
  readonly load: Effect.Effect<CloudflareDocument, CloudflareStoreError>
  /** Runs `f` on the current document and keeps the one it returns, one call at a time. A failing `f` changes nothing. */
  readonly modify: <A, E>(
    f: (document: CloudflareDocument) => Effect.Effect<readonly [A, CloudflareDocument], E>
  ) => Effect.Effect<A, E | CloudflareStoreError>
}

/** A store in memory; `initial` fills in what the empty account lacks. */
export const memory = (initial: Partial<CloudflareDocument> = {}): Effect.Effect<CloudflareStore> =>
  Effect.map(SynchronizedRef.make<CloudflareDocument>({ ...empty, ...initial }), (ref) => ({
    load: SynchronizedRef.get(ref),
    modify: <A, E>(f: (document: CloudflareDocument) => Effect.Effect<readonly [A, CloudflareDocument], E>) =>
      SynchronizedRef.modifyEffect(ref, (document) => f(document))
  }))

// Several stores on one file in this process take turns here.
const permits = new Map<string, Effect.Semaphore>()
const permitFor = (path: string): Effect.Semaphore => {
  const existing = permits.get(path)
  if (existing !== undefined) return existing
  const semaphore = Effect.unsafeMakeSemaphore(1)
  permits.set(path, semaphore)
  return semaphore
}

/** A store in the JSON file at `path`; a missing or empty file is an empty account. */
export const file = (path: string): CloudflareStore => {
  const fs = Effect.runSync(Effect.provide(FileSystem.FileSystem, NodeFileSystem.layer))
  const failWith = (reason: CloudflareStoreError["reason"], what: string) => (error: PlatformError.PlatformError) =>
    new CloudflareStoreError({ path, reason, message: `${what} ${path}: ${error.message}` })

  const load: Effect.Effect<CloudflareDocument, CloudflareStoreError> = readDocument(path, CloudflareDocument, empty, {
    what: "a Cloudflare simulator store",
    fresh: "an empty account"
  }).pipe(
    Effect.provideService(FileSystem.FileSystem, fs),
    Effect.mapError((problem) => new CloudflareStoreError({ path, ...problem }))
  )

  const save = (document: CloudflareDocument) =>
    Effect.gen(function* () {
      yield* fs.makeDirectory(NodePath.dirname(path), { recursive: true })
      yield* writeFileAtomic(path, `${JSON.stringify(document)}\n`)
    }).pipe(Effect.provideService(FileSystem.FileSystem, fs), Effect.mapError(failWith("unwritable", "cannot write")))

  const permit = permitFor(NodePath.resolve(path))
  return {
    load,
    modify: <A, E>(f: (document: CloudflareDocument) => Effect.Effect<readonly [A, CloudflareDocument], E>) =>
      permit.withPermits(1)(
        Effect.gen(function* () {
          const before = yield* load
          const [result, after] = yield* f(before)
          if (after !== before) yield* save(after)
          return result
        })
      )
  }
}
