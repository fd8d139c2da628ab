/**
 * The state's history and its rollback: a store that keeps every version (PostgreSQL) lists them
 * and can make the state what an earlier one recorded, as a new version. No cloud changes.
 */
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Cancelled } from "../Fleet.js"
import { equalJson } from "../Resource.js"
import * as State from "../State.js"

/** `state history` and `state rollback` on a store that keeps only the last version. */
export class HistoryUnavailable extends Data.TaggedError("HistoryUnavailable")<{
  readonly command: string
  readonly location: string
}> {
  override get message() {
    return (
      `\`fleetflow state ${this.command}\` needs a store that keeps every version of the state; ` +
      `${this.location} keeps the last one and a backup (state.json.backup).\n` +
      `  Keep the state in PostgreSQL (\`state { backend "postgres" }\`, see the README) to have its history.`
    )
  }
}

export class UnknownSerial extends Data.TaggedError("UnknownSerial")<{
  readonly serial: number
  readonly current: number
}> {
  override get message() {
    return this.serial >= this.current
      ? `serial ${this.serial} is not an earlier version: the state is at serial ${this.current}`
      : `the state keeps no version with serial ${this.serial}\n  \`fleetflow state history\` lists the versions kept`
  }
}

export class PendingActions extends Data.TaggedError("PendingActions")<{ readonly keys: ReadonlyArray<string> }> {
  override get message() {
    return (
      `the state records actions a stopped command left unsettled (${this.keys.join(", ")})\n` +
      "  Run `fleetflow up` or `fleetflow state recover` first, so that the clouds and the state agree on them."
    )
  }
}

/** The store and the versions it keeps, or the error saying this store keeps none. */
const versioned = (command: string) =>
  Effect.gen(function* () {
    const store = yield* State.StateStore
    const versions = yield* Effect.serviceOption(State.StateVersions)
    if (Option.isNone(versions)) return yield* new HistoryUnavailable({ command, location: store.location })
    return { store, history: versions.value.history, readVersion: versions.value.readVersion }
  })

/** The versions the store keeps, newest first. */
export const history: Effect.Effect<
  ReadonlyArray<State.StateHistoryEntry>,
  HistoryUnavailable | State.StateError,
  State.StateStore
> = Effect.flatMap(versioned("history"), (store) => store.history)

/** Keys whose record differs between two states. */
const changedKeys = (from: State.StateFile, to: State.StateFile) => {
  const keys = new Set([...Object.keys(from.resources), ...Object.keys(to.resources)])
  return [...keys].filter((key) => !equalJson(from.resources[key], to.resources[key])).sort()
}

export interface RollbackOptions<R = never, E = never> {
  readonly lockTimeout?: Duration.DurationInput | undefined
  /** Asked with the keys whose record would change, once the serial is known to be restorable; false cancels. */
  readonly confirm: (changed: ReadonlyArray<string>) => Effect.Effect<boolean, E, R>
}

export interface RolledBack {
  /** Keys whose record changed. */
  readonly changed: ReadonlyArray<string>
  /** The serial of the version written. */
  readonly serial: number
}

/**
 * Makes the state what version `serial` recorded, written as a new version under the lock.
 * Refused for a serial that is not earlier, and while the state records unsettled actions.
 */
export const rollback = <R, E = never>(
  serial: number,
  options: RollbackOptions<R, E>
): Effect.Effect<
  RolledBack,
  HistoryUnavailable | UnknownSerial | PendingActions | Cancelled | State.StateError | State.StateLocked | E,
  State.StateStore | R
> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { store, readVersion } = yield* versioned(`rollback ${serial}`)
      yield* store.lock(
        "state rollback",
        options.lockTimeout === undefined ? undefined : { timeout: options.lockTimeout }
      )
      const current = yield* store.read
      const serialNow = Option.match(current, { onNone: () => 0, onSome: (state) => state.serial })
      if (Option.isNone(current) || serial >= serialNow) {
        return yield* new UnknownSerial({ serial, current: serialNow })
      }
      if (current.value.pending.length > 0) {
        return yield* new PendingActions({ keys: current.value.pending.map((pending) => pending.key) })
      }
      const earlier = yield* readVersion(serial)
      if (Option.isNone(earlier)) return yield* new UnknownSerial({ serial, current: serialNow })
      const changed = changedKeys(current.value, earlier.value)
      if (!(yield* options.confirm(changed)))
        return yield* new Cancelled({ reason: "Cancelled; the state was not changed." })
      const written = yield* store.write({
        ...earlier.value,
        lineage: current.value.lineage,
        serial: current.value.serial
      })
      return { changed, serial: written.serial }
    })
  )
