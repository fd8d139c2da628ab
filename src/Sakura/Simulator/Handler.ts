/**
 * What a command handler is: given the run's context and the simulated cloud, it prints
 * some values and leaves the cloud changed (or not), or fails the way usacloud fails.
 */
import type * as Effect from "effect/Effect"
import type { Context } from "./Context.js"
import type { SimulatorDocument } from "./Document.js"
import type { Failure } from "./Failure.js"

export type Json = Record<string, unknown>

export interface Result {
  readonly values: ReadonlyArray<Json>
  readonly document: SimulatorDocument
  /** When usacloud would stop waiting; `now` when it does not wait. */
  readonly until?: number
  /** Printed after the wait, instead of the values, when the wait ends in usacloud's timeout. */
  readonly failAfterWait?: string
  /** A failure that leaves the changes made before it (usacloud runs each target on its own). */
  readonly error?: string
}

export type Handler = (context: Context, document: SimulatorDocument) => Effect.Effect<Result, Failure>

/** A result that prints `values` and changes nothing. */
export const unchanged = (document: SimulatorDocument, values: ReadonlyArray<Json>): Result => ({ values, document })
