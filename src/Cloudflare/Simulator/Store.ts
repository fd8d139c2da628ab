/**
 * Where the simulated account lives: in memory for tests, or in a JSON file that outlives
 * the process (the sandbox, a simulator server started by another process). Two processes
 * must not serve the same file at once.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import * as DocumentStore from "../../Simulation/DocumentStore.js"
import { CloudflareDocument, empty } from "./Document.js"

export class CloudflareStoreError extends Data.TaggedError("CloudflareStoreError")<DocumentStore.Problem> {}

export type CloudflareStore = DocumentStore.DocumentStore<CloudflareDocument, CloudflareStoreError>

/** A store in memory; `initial` fills in what the empty account lacks. */
export const memory = (initial: Partial<CloudflareDocument> = {}): Effect.Effect<CloudflareStore> =>
  DocumentStore.memory<CloudflareDocument>({ ...empty, ...initial })

/** A store in the JSON file at `path`; a missing or empty file is an empty account. */
export const file = (path: string): Effect.Effect<CloudflareStore, never, FileSystem.FileSystem> =>
  DocumentStore.file(path, {
    schema: CloudflareDocument,
    empty,
    names: { what: "a Cloudflare simulator store", fresh: "an empty account" },
    error: (problem) => new CloudflareStoreError(problem)
  })
