/**
 * `fleetflow state migrate`: copies the state from one store to another (a local folder to
 * PostgreSQL, or back) with its lineage and serial, so the copy is the same state and a write
 * based on it is accepted; it never overwrites another state.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { type StateFile, StateVersion } from "./Document.js"
import type { LockOptions, StateError, StateLocked, StateStoreService } from "./Store.js"

/** The target holds a state that the copy would overwrite. */
export class MigrateRefused extends Schema.TaggedError<MigrateRefused>()("MigrateRefused", {
  from: Schema.String,
  to: Schema.String,
  reason: Schema.Literal("other-lineage", "target-newer", "diverged"),
  source: StateVersion,
  target: StateVersion
}) {
  override get message(): string {
    const { from, source, target, to } = this
    const refuse = `refusing to copy the state of ${from} (lineage ${source.lineage}, serial ${source.serial}) to ${to}`
    if (this.reason === "other-lineage") {
      return (
        `${refuse}: it already holds another state (lineage ${target.lineage}, serial ${target.serial}). ` +
        "Is it another project's? Point the migration at an empty location, or remove that state there first."
      )
    }
    if (this.reason === "target-newer") {
      return (
        `${refuse}: it holds a later version of the same state (serial ${target.serial}). ` +
        "Commands have run against it since: migrate the other way if that is where the state lives now."
      )
    }
    return (
      `${refuse}: it holds a different state with the same serial, so both were written separately after ` +
      "they were last copied. Decide which one is right (`fleetflow plan` against each) and remove the other."
    )
  }
}

export interface MigrateResult {
  /** `copied`, `unchanged` (the target already held this version) or `empty` (no state to copy). */
  readonly outcome: "copied" | "unchanged" | "empty"
  readonly from: string
  readonly to: string
  /** The version the target holds afterwards; absent when there was nothing to copy. */
  readonly version?: StateVersion
}

export interface MigrateOptions {
  /** How long to wait for each store's lock. */
  readonly lock?: LockOptions
}

/**
 * Copies the state of `from` into `to`, holding both locks meanwhile. The source is left as it
 * is. Refused when `to` holds another lineage, a later serial, or different content at the same
 * serial; nothing happens when it already holds this version.
 */
export const migrate = (
  from: StateStoreService,
  to: StateStoreService,
  options: MigrateOptions = {}
): Effect.Effect<MigrateResult, MigrateRefused | StateLocked | StateError> =>
  Effect.scoped(
    Effect.gen(function* () {
      yield* from.lock("state migrate", options.lock)
      yield* to.lock("state migrate", options.lock)
      const source = yield* from.read
      const result = { from: from.location, to: to.location }
      if (Option.isNone(source)) return { ...result, outcome: "empty" } satisfies MigrateResult
      const version = versionOf(source.value)
      const target = yield* to.read
      if (Option.isSome(target)) {
        const refuse = (reason: MigrateRefused["reason"]) =>
          new MigrateRefused({ ...result, reason, source: version, target: versionOf(target.value) })
        if (target.value.lineage !== version.lineage) return yield* refuse("other-lineage")
        if (target.value.serial > version.serial) return yield* refuse("target-newer")
        if (target.value.serial === version.serial) {
          if (canonical(target.value) !== canonical(source.value)) return yield* refuse("diverged")
          return { ...result, outcome: "unchanged", version } satisfies MigrateResult
        }
      }
      yield* to.replace(source.value)
      return { ...result, outcome: "copied", version } satisfies MigrateResult
    })
  ).pipe(Effect.withSpan("State.migrate", { attributes: { from: from.location, to: to.location } }))

const versionOf = (state: StateFile): StateVersion => ({ lineage: state.lineage, serial: state.serial })

/** JSON with keys sorted: PostgreSQL's `jsonb` does not keep their order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    Predicate.isRecord(inner) && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner
  )
