/**
 * How often each injected fault has fired, and the shape in which the sandbox and the fakes
 * show what the simulated clouds hold (`CloudResource`). Two backends share one store: a JSON
 * file for `--sandbox` and a Ref for the fakes.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as SynchronizedRef from "effect/SynchronizedRef"
import { randomUUID } from "node:crypto"
import * as NodePath from "node:path"
import { Inputs, ResourceType } from "../Resource.js"
import * as ParseIssues from "../ParseIssues.js"

/** One resource as a simulated cloud holds it. */
export const CloudResource = Schema.Struct({
  id: Schema.String,
  type: ResourceType,
  /** The name the cloud knows it by (a DNS record's FQDN, a bucket's name). */
  name: Schema.String,
  /** The inputs it was last applied with. */
  inputs: Inputs,
  /** Outputs: `ip`, `status`, `hostname`, `url`, `fqdn`, `location`, ... */
  attributes: Inputs,
  /** User tags and the ownership tags `fleetflow-project=`, `fleetflow-stage=`, `fleetflow-name=`. */
  tags: Schema.Array(Schema.String),
  createdAt: Schema.String,
  updatedAt: Schema.String
})
export type CloudResource = typeof CloudResource.Type

/** `cloud.json`: what the clouds themselves hold is in their simulators' stores. */
export const CloudDocument = Schema.Struct({
  version: Schema.Literal(1),
  /** How many calls each fault rule (by its spec) has affected. */
  faults: Schema.Record({ key: Schema.String, value: Schema.Int })
})
export type CloudDocument = typeof CloudDocument.Type

export const empty: CloudDocument = { version: 1, faults: {} }

export class SandboxStoreError extends Data.TaggedError("SandboxStoreError")<{
  readonly path: string
  readonly reason: "corrupt" | "unreadable" | "unwritable"
  readonly message: string
}> {}

export interface CloudStore {
  readonly load: Effect.Effect<CloudDocument, SandboxStoreError>
  /**
   * Runs `f` on the current document and keeps the document it returns, one call at a
   * time. A failing `f` changes nothing; returning the same document skips the write.
   */
  readonly modify: <A, E>(
    f: (document: CloudDocument) => Effect.Effect<readonly [A, CloudDocument], E>
  ) => Effect.Effect<A, E | SandboxStoreError>
}

/** A store in memory, for fakes. It cannot fail. */
export const memory = (initial: CloudDocument = empty) =>
  Effect.gen(function* () {
    const ref = yield* SynchronizedRef.make(initial)
    return {
      load: SynchronizedRef.get(ref),
      modify: <A, E>(f: (document: CloudDocument) => Effect.Effect<readonly [A, CloudDocument], E>) =>
        SynchronizedRef.modifyEffect(ref, (document) => f(document))
    } satisfies CloudStore
  })

const decode = Schema.decodeUnknown(Schema.parseJson(CloudDocument))

/** The first few problems, each at its place in the document; the schema itself would drown them. */
const describe = (error: ParseResult.ParseError): string => ParseIssues.describe(error)

// The engine applies actions in parallel; every store on one file in this process shares one permit.
const writers = new Map<string, Effect.Semaphore>()
const writerFor = (path: string): Effect.Semaphore => {
  const key = NodePath.resolve(path)
  const existing = writers.get(key)
  if (existing !== undefined) return existing
  const semaphore = Effect.unsafeMakeSemaphore(1)
  writers.set(key, semaphore)
  return semaphore
}

/**
 * A store in a JSON file, decoded on every load and replaced atomically on every change
 * (temp file in the same folder, fsync, rename), so a reader never sees half a file.
 * A missing file is an empty cloud; a file that does not decode is an error, never empty.
 */
export const file = (fs: FileSystem.FileSystem, path: string): CloudStore => {
  const directory = NodePath.dirname(path)
  const writer = writerFor(path)

  const load = Effect.gen(function* () {
    const text = yield* fs.readFileString(path).pipe(
      Effect.map((text): string | undefined => text),
      Effect.catchIf(
        (error) => error._tag === "SystemError" && error.reason === "NotFound",
        () => Effect.succeed(undefined)
      ),
      Effect.mapError(
        (error) =>
          new SandboxStoreError({ path, reason: "unreadable", message: `cannot read ${path}: ${error.message}` })
      )
    )
    if (text === undefined) return empty
    return yield* decode(text).pipe(
      Effect.mapError(
        (error) =>
          new SandboxStoreError({
            path,
            reason: "corrupt",
            message: `${path} is not a valid sandbox cloud store (${describe(error)}); remove it to start from an empty sandbox cloud`
          })
      )
    )
  })

  const save = (document: CloudDocument) => {
    const temp = NodePath.join(directory, `.${NodePath.basename(path)}.${randomUUID()}.tmp`)
    return Effect.gen(function* () {
      yield* fs.makeDirectory(directory, { recursive: true })
      yield* Effect.scoped(
        Effect.gen(function* () {
          const handle = yield* fs.open(temp, { flag: "wx" })
          yield* handle.writeAll(new TextEncoder().encode(`${JSON.stringify(document, null, 2)}\n`))
          yield* handle.sync
        })
      )
      yield* fs.rename(temp, path)
    }).pipe(
      Effect.onError(() => fs.remove(temp).pipe(Effect.ignore)),
      Effect.mapError(
        (error) =>
          new SandboxStoreError({ path, reason: "unwritable", message: `cannot write ${path}: ${error.message}` })
      )
    )
  }

  return {
    load,
    modify: <A, E>(f: (document: CloudDocument) => Effect.Effect<readonly [A, CloudDocument], E>) =>
      writer.withPermits(1)(
        Effect.gen(function* () {
          const before = yield* load
          const [result, after] = yield* f(before)
          if (after !== before) yield* save(after)
          return result
        })
      )
  }
}
