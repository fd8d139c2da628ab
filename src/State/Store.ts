/**
 * The state store's contract: the `StateStore` service every store (local folder, memory,
 * PostgreSQL) provides, the lock it holds, the errors it fails with, and the checks every
 * store makes before it writes.
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { isNewerFormatDetail, type StateChanges, type StateFile, StateVersion } from "./Document.js"

// The lock

/** `.fleetflow/lock.json`: who holds the state, and for what. */
export const LockInfo = Schema.Struct({
  /** A UUID; `fleetflow force-unlock <id>` names it. */
  id: Schema.String,
  pid: Schema.Int,
  host: Schema.String,
  user: Schema.String,
  /** The command holding it: `up`, `down`, ... */
  operation: Schema.String,
  /** ISO 8601. */
  created: Schema.String,
  /** The fleetflow version that took it. */
  version: Schema.optional(Schema.String)
})
export type LockInfo = typeof LockInfo.Type

/** The lock as found, with what can be told about its holder. */
export interface CurrentLock extends LockInfo {
  /** The holder ran on this host and is no longer running. */
  readonly stale: boolean
  /** Why the lock file could not be read in full; its fields then hold what could be. */
  readonly unreadable?: string
}

export interface LockOptions {
  /** How long to wait for a lock held by someone else; without it, fail at once. */
  readonly timeout?: Duration.DurationInput
  /** How often to look again while waiting (250 ms). */
  readonly pollInterval?: Duration.DurationInput
}

// Errors

/** The state file does not parse. It is never taken for an empty state. */
export class StateCorrupt extends Schema.TaggedError<StateCorrupt>()("StateCorrupt", {
  path: Schema.String,
  detail: Schema.String,
  /** The backup's path, when a backup file exists. */
  backup: Schema.optional(Schema.String),
  /** The backup's serial, when the backup itself reads. */
  backupSerial: Schema.optional(Schema.Number),
  /** Why the backup cannot be used, when it exists but does not read either. */
  backupDetail: Schema.optional(Schema.String)
}) {
  override get message(): string {
    const what =
      `the state file ${this.path} cannot be read: ${this.detail}. ` +
      "fleetflow does not treat it as empty, since that would create every resource again."
    // An older backup would forget what the newer FleetFlow recorded since.
    if (isNewerFormatDetail(this.detail)) return `${what} Nothing was changed.`
    if (this.backup === undefined) {
      return `${what} There is no backup to restore; repair the file by hand (or restore it from your own backups).`
    }
    if (this.backupSerial === undefined) {
      return (
        `${what} The backup ${this.backup} cannot be read either` +
        (this.backupDetail === undefined ? "" : ` (${this.backupDetail})`) +
        "; repair one of them by hand (or restore the state from your own backups)."
      )
    }
    return (
      `${what} The previous version (serial ${this.backupSerial}) is in ${this.backup}; check it, then restore it ` +
      `with \`cp ${this.backup} ${this.path}\` and run \`fleetflow plan\` to see what it misses.`
    )
  }
}

/** A write based on another version of the state than the one stored. */
export class StateConflict extends Schema.TaggedError<StateConflict>()("StateConflict", {
  path: Schema.String,
  /** The version the writer started from. */
  expected: StateVersion,
  /** The version stored; absent when there is no state file. */
  found: Schema.optional(StateVersion)
}) {
  override get message(): string {
    const refuse = `refusing to write the state ${this.path}`
    const rerun = "Run the command again to start from the current state."
    if (this.found === undefined) {
      return (
        `${refuse}: it was based on serial ${this.expected.serial}, but the file no longer exists ` +
        `(removed by hand or by another process?). ${rerun}`
      )
    }
    if (this.found.lineage !== this.expected.lineage) {
      return (
        `${refuse}: the stored state belongs to another lineage (${this.found.lineage}, ` +
        `this write has ${this.expected.lineage}); was the file replaced or copied from another project? ${rerun}`
      )
    }
    return (
      `${refuse}: it was based on serial ${this.expected.serial}, but the stored state is at serial ` +
      `${this.found.serial}, so another process changed it meanwhile. ${rerun}`
    )
  }
}

export class StateIoError extends Schema.TaggedError<StateIoError>()("StateIoError", {
  path: Schema.String,
  operation: Schema.String,
  detail: Schema.String,
  /** The server holding the state (`PostgreSQL`); absent for a file. */
  server: Schema.optional(Schema.String),
  /** The server could not be reached at all, rather than refusing what was asked. */
  unreachable: Schema.optional(Schema.Boolean)
}) {
  override get message(): string {
    if (this.server === undefined) return `cannot ${this.operation} ${this.path}: ${this.detail}`
    if (this.unreachable !== true) return `cannot ${this.operation} ${this.path}: ${this.server}: ${this.detail}`
    return this.operation === "connect to"
      ? `cannot connect to ${this.path}: ${this.server} could not be reached: ${this.detail}`
      : `${this.server} at ${this.path} could not be reached: ${this.detail}`
  }

  /** What to do about it in the middle of an apply. */
  get whenBack(): string {
    const back =
      this.server === undefined
        ? `When ${this.path} can be written again (space, permissions)`
        : `When ${this.server} is back`
    return `${back}, run \`fleetflow up\` again; the intents recorded before each call let it settle what ran.`
  }
}

/** The store holds the state of another project than the file's: nothing is planned or changed from it. */
export class StateOfAnotherProject extends Schema.TaggedError<StateOfAnotherProject>()("StateOfAnotherProject", {
  location: Schema.String,
  /** The project the state records. */
  recorded: Schema.String,
  /** The project the file declares. */
  declared: Schema.String
}) {
  override get message(): string {
    return (
      `${this.location} holds the state of project "${this.recorded}", but the file declares project "${this.declared}": ` +
      "FleetFlow does not plan or change another project's resources from it.\n" +
      `  If this folder was copied from project "${this.recorded}", move its state away to start "${this.declared}" with none; ` +
      `if the project was renamed, write project "${this.recorded}" back (its resources carry that name in their tags).`
    )
  }
}

export type StateError = StateCorrupt | StateConflict | StateIoError | StateOfAnotherProject

/** Fails when `state` records another project than `project`. */
export const checkProject = (
  location: string,
  project: string,
  state: StateFile
): Effect.Effect<StateFile, StateOfAnotherProject> =>
  state.project === project
    ? Effect.succeed(state)
    : Effect.fail(new StateOfAnotherProject({ location, recorded: state.project, declared: project }))

/** `store` as the store of `project`: a state of another project is neither read nor written. */
export const ofProject = (store: StateStoreService, project: string): StateStoreService => ({
  ...store,
  read: Effect.flatMap(store.read, (stored) =>
    Option.isNone(stored)
      ? Effect.succeed(stored)
      : Effect.map(checkProject(store.location, project, stored.value), Option.some)
  ),
  write: (state) => Effect.zipRight(checkProject(store.location, project, state), store.write(state))
})

/** Someone else holds the lock. */
export class StateLocked extends Schema.TaggedError<StateLocked>()("StateLocked", {
  path: Schema.String,
  lock: LockInfo,
  stale: Schema.Boolean,
  /** Why the lock file could not be read in full. */
  unreadable: Schema.optional(Schema.String)
}) {
  override get message(): string {
    const { created, host, id, operation, pid, user } = this.lock
    const unlock = `\`fleetflow force-unlock ${id}\``
    if (this.unreadable !== undefined) {
      return (
        `state is locked, lock ID ${id}, but the lock file ${this.path} cannot be read (${this.unreadable}); ` +
        `if no other fleetflow is running, run ${unlock}`
      )
    }
    const holder = `state is locked by ${user}@${host} (pid ${pid}, \`${operation}\`, since ${created}), lock ID ${id}`
    return this.stale
      ? `${holder}.\n  The lock is stale: process ${pid} on ${host} is gone. If no other fleetflow is running, run ${unlock}`
      : `${holder}.\n  Wait for it to finish (--lock-timeout waits for it), or, if that process is gone, run ${unlock}`
  }
}

/** `forceUnlock` found no lock, or one with another ID. */
export class LockNotFound extends Schema.TaggedError<LockNotFound>()("LockNotFound", {
  path: Schema.String,
  id: Schema.String,
  current: Schema.optional(LockInfo)
}) {
  override get message(): string {
    if (this.current === undefined) return `there is no lock with ID ${this.id}: the state is not locked`
    const { host, id, operation, pid, user } = this.current
    return (
      `there is no lock with ID ${this.id}; the current lock is ${id}, held by ${user}@${host} ` +
      `(pid ${pid}, \`${operation}\`); run \`fleetflow force-unlock ${id}\` if that is the one to remove`
    )
  }
}

// The store

export interface StateStoreService {
  /** Where the state lives, for messages: `/x/.fleetflow/state.json`. */
  readonly location: string
  /** `None` when there is no state yet. */
  readonly read: Effect.Effect<Option.Option<StateFile>, StateError>
  /**
   * Stores `state` with its serial bumped and returns what was stored. `state` must carry the
   * stored lineage and serial (serial 0 when there is no state yet). Writes from parallel
   * fibers run one at a time; the serial check guards against other processes.
   */
  readonly write: (state: StateFile) => Effect.Effect<StateFile, StateError>
  /**
   * Stores the stored state with `changes` applied and its serial bumped, and returns the new
   * version: what `write` does, for a writer that knows what it changed, at a cost proportional
   * to the changes rather than to the state (a store that keeps whole states applies them to the
   * state it holds). `from` must be the stored lineage and serial; with no state stored yet, the
   * first version is written with `write`. A wrapper that intercepts `write` intercepts this too.
   */
  readonly writeChanges: (from: StateVersion, changes: StateChanges) => Effect.Effect<StateVersion, StateError>
  /** Holds the lock until the scope closes, also on interruption. */
  readonly lock: (
    operation: string,
    options?: LockOptions
  ) => Effect.Effect<LockInfo, StateLocked | StateError, Scope.Scope>
  readonly currentLock: Effect.Effect<Option.Option<CurrentLock>, StateError>
  /** Removes the lock if its ID is `id`, whoever holds it. */
  readonly forceUnlock: (id: string) => Effect.Effect<LockInfo, LockNotFound | StateError>
  /**
   * Stores `state` as it is, lineage and serial included, to copy a state from another store
   * (`fleetflow state migrate`); `write` is for everything else. Refused when the stored state
   * belongs to another lineage or is at a later serial.
   */
  readonly replace: (state: StateFile) => Effect.Effect<StateFile, StateError>
}

export class StateStore extends Context.Tag("fleetflow/StateStore")<StateStore, StateStoreService>() {}

// The checks every store makes before it writes

/** Refuses a write not based on the stored version. */
export const checkWrite = (
  path: string,
  stored: Option.Option<StateVersion>,
  next: StateVersion
): Effect.Effect<void, StateConflict> => {
  const expected = { lineage: next.lineage, serial: next.serial }
  if (Option.isNone(stored)) {
    return next.serial === 0 ? Effect.void : Effect.fail(new StateConflict({ path, expected }))
  }
  const found = { lineage: stored.value.lineage, serial: stored.value.serial }
  return found.lineage === expected.lineage && found.serial === expected.serial
    ? Effect.void
    : Effect.fail(new StateConflict({ path, expected, found }))
}

/** Refuses a replace over another lineage or a later serial. */
export const checkReplace = (
  path: string,
  stored: Option.Option<StateVersion>,
  next: StateFile
): Effect.Effect<void, StateConflict> => {
  if (Option.isNone(stored)) return Effect.void
  const expected = { lineage: next.lineage, serial: next.serial }
  const found = { lineage: stored.value.lineage, serial: stored.value.serial }
  return found.lineage === expected.lineage && found.serial <= expected.serial
    ? Effect.void
    : Effect.fail(new StateConflict({ path, expected, found }))
}
