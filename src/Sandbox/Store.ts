/**
 * How often each injected fault has fired, and the shape in which the sandbox and the fakes
 * show what the simulated clouds hold (`CloudResource`): in a JSON file for `--sandbox`, in
 * memory for the fakes.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Inputs, ResourceType } from "../Resource.js"
import * as DocumentStore from "../Simulation/DocumentStore.js"

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

export class SandboxStoreError extends Data.TaggedError("SandboxStoreError")<DocumentStore.Problem> {}

export type CloudStore = DocumentStore.DocumentStore<CloudDocument, SandboxStoreError>

/** A store in memory, for fakes. It cannot fail. */
export const memory = (
  initial: CloudDocument = empty
): Effect.Effect<DocumentStore.DocumentStore<CloudDocument, never>> => DocumentStore.memory(initial)

/**
 * A store in a JSON file, decoded on every load and replaced atomically on every change, so a
 * reader never sees half a file. A missing file is an empty cloud; a file that does not decode,
 * a blank one included, is an error, never empty.
 */
export const file = (path: string): Effect.Effect<CloudStore, never, FileSystem.FileSystem> =>
  DocumentStore.file(path, {
    schema: CloudDocument,
    empty,
    blank: "corrupt",
    names: { what: "a valid sandbox cloud store", fresh: "an empty sandbox cloud" },
    error: (problem) => new SandboxStoreError(problem),
    indent: 2
  })
