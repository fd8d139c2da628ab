/**
 * Where the simulated cloud lives: in memory for tests, or in a JSON file that several
 * simulator processes share. The file is changed only under an exclusive lock file
 * (`<store>.lock`, see `Simulation/StoreLock.ts`).
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import * as DocumentStore from "../../Simulation/DocumentStore.js"
import { empty, SimulatorDocument } from "./Document.js"

export class SimulatorStoreError extends Data.TaggedError("SimulatorStoreError")<
  DocumentStore.Problem<"corrupt" | "unreadable" | "unwritable" | "locked">
> {}

export type SimulatorStore = DocumentStore.DocumentStore<SimulatorDocument, SimulatorStoreError>

/** A store in memory. `initial` fills in what the empty cloud lacks. */
export const memory = (initial: Partial<SimulatorDocument> = {}): Effect.Effect<SimulatorStore> =>
  DocumentStore.memory<SimulatorDocument>({ ...empty, ...initial })

/** A store in the JSON file at `path`; a missing file is an empty cloud. */
export const file = (path: string): Effect.Effect<SimulatorStore, never, FileSystem.FileSystem> =>
  DocumentStore.file(path, {
    schema: SimulatorDocument,
    empty,
    names: { what: "a usacloud simulator store", fresh: "an empty cloud" },
    error: (problem) => new SimulatorStoreError(problem),
    locked: (problem) => new SimulatorStoreError(problem)
  })
