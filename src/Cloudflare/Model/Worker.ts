/**
 * A Worker (`worker`): what it is declared with, and which changes need a new one.
 */
import * as Schema from "effect/Schema"
import type { DeclaredInputs, ReplaceFields } from "../../Resource.js"

export const Binding = Schema.Union(
  Schema.Struct({ type: Schema.Literal("r2"), name: Schema.String, bucket: Schema.String }),
  Schema.Struct({ type: Schema.Literal("kv"), name: Schema.String, namespace: Schema.String }),
  Schema.Struct({ type: Schema.Literal("var"), name: Schema.String, value: Schema.String })
)
export type Binding = typeof Binding.Type

export const WorkerInputs = Schema.Struct({
  name: Schema.String,
  /** Relative to the configuration's folder. */
  source: Schema.String,
  sourceHash: Schema.optional(Schema.String),
  routes: Schema.optionalWith(
    Schema.Array(Schema.Struct({ pattern: Schema.String, zone: Schema.optional(Schema.String) })),
    { default: () => [] }
  ),
  compatibilityDate: Schema.optional(Schema.String),
  compatibilityFlags: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  bindings: Schema.optionalWith(Schema.Array(Binding), { default: () => [] }),
  /** Published on `<name>.<account>.workers.dev` too; unset, as wrangler decides. */
  workersDev: Schema.optional(Schema.Boolean)
})
export type WorkerInputs = typeof WorkerInputs.Type

export const workerReplaceFields: ReplaceFields<WorkerInputs> = ["name"]

/** What Cloudflare does not hold of a Worker. */
export const workerUnobservedFields: ReadonlyArray<keyof WorkerInputs> = [
  // A path on the operator's machine.
  "source",
  // FleetFlow's hash of the source files; Cloudflare holds the modules wrangler bundled from them.
  "sourceHash"
]

export type DeclaredWorker = DeclaredInputs<typeof WorkerInputs.Encoded>

/** What `fleetflow output` shows besides the ID: its workers.dev address and the routes it answers on (attributes, never inputs). */
export const workerOutputFields: ReadonlyArray<string> = ["url", "targets"]
