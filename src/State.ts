/**
 * The state: what FleetFlow created, from which inputs, and what it was about to do when it
 * stopped. `StateStore` keeps it (a local `.fleetflow/` folder by default), refuses stale
 * writers by lineage and serial, and holds the lock while a command mutates it.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as ParseResult from "effect/ParseResult"
import * as Record from "effect/Record"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { Inputs, type Json, type ResourceKey, StoredResource } from "./Resource.js"
import * as Crash from "./Crash.js"
import * as ParseIssues from "./ParseIssues.js"
import * as AtomicFile from "./State/AtomicFile.js"
import * as Journal from "./State/Journal.js"

// ---------------------------------------------------------------------------------------------
// The state file
// ---------------------------------------------------------------------------------------------

/** An intent recorded before a provider call, so a run killed mid-call can be finished or undone. */
export const PendingOperation = Schema.Struct({
  /** A UUID. */
  id: Schema.String,
  operation: Schema.Literal("create", "update", "delete"),
  key: Schema.String,
  stage: Schema.String,
  started_at: Schema.String,
  inputs: Schema.optional(Inputs),
  /** What the resource depends on, so one adopted after a crash is deleted in the right order. */
  dependsOn: Schema.optional(Schema.Array(Schema.String))
})
export type PendingOperation = typeof PendingOperation.Type

const ScaleCounts = Schema.Record({
  key: Schema.String,
  value: Schema.Record({ key: Schema.String, value: Schema.Int.pipe(Schema.positive()) })
})

/** `.fleetflow/state.json`. */
export const StateFile = Schema.Struct({
  version: Schema.Literal(1),
  /** A UUID fixed when the state is created; a write from another lineage is refused. */
  lineage: Schema.String,
  /** Bumped on every write; a write based on an older serial is refused. */
  serial: Schema.NonNegativeInt,
  project: Schema.String,
  /** Keyed `provider:type:name`. */
  resources: Schema.Record({ key: Schema.String, value: StoredResource }),
  pending: Schema.Array(PendingOperation),
  /**
   * The replica counts `fleetflow scale` chose, by stage, then by the base name of a server
   * declared with `scale`. Absent from files written before it existed; a server not listed
   * runs its `min`.
   */
  scale: Schema.optional(ScaleCounts)
})
export type StateFile = typeof StateFile.Type

export const emptyState = (project: string): StateFile => ({
  version: 1,
  lineage: Crypto.randomUUID(),
  serial: 0,
  project,
  resources: {},
  pending: []
})

export const putResource: {
  (key: ResourceKey, resource: StoredResource): (state: StateFile) => StateFile
  (state: StateFile, key: ResourceKey, resource: StoredResource): StateFile
} = dual(
  3,
  (state: StateFile, key: ResourceKey, resource: StoredResource): StateFile => ({
    ...state,
    resources: Record.set(state.resources, key, resource)
  })
)

export const removeResource: {
  (key: ResourceKey): (state: StateFile) => StateFile
  (state: StateFile, key: ResourceKey): StateFile
} = dual(
  2,
  (state: StateFile, key: ResourceKey): StateFile => ({ ...state, resources: Record.remove(state.resources, key) })
)

export const addPending: {
  (operation: PendingOperation): (state: StateFile) => StateFile
  (state: StateFile, operation: PendingOperation): StateFile
} = dual(
  2,
  (state: StateFile, operation: PendingOperation): StateFile => ({ ...state, pending: [...state.pending, operation] })
)

export const removePending: {
  (id: string): (state: StateFile) => StateFile
  (state: StateFile, id: string): StateFile
} = dual(
  2,
  (state: StateFile, id: string): StateFile => ({
    ...state,
    pending: state.pending.filter((operation) => operation.id !== id)
  })
)

/** The replica counts recorded for `stage`, by server base name; empty when none were chosen. */
export const scaleOf: {
  (stage: string): (state: StateFile) => Readonly<Record<string, number>>
  (state: StateFile, stage: string): Readonly<Record<string, number>>
} = dual(2, (state: StateFile, stage: string): Readonly<Record<string, number>> => state.scale?.[stage] ?? {})

/** Records `count` replicas of the scaled server `server` in `stage`. */
export const withScale: {
  (stage: string, server: string, count: number): (state: StateFile) => StateFile
  (state: StateFile, stage: string, server: string, count: number): StateFile
} = dual(
  4,
  (state: StateFile, stage: string, server: string, count: number): StateFile => ({
    ...state,
    scale: { ...state.scale, [stage]: { ...state.scale?.[stage], [server]: count } }
  })
)

export const resourcesOfStage: {
  (stage: string): (state: StateFile) => ReadonlyMap<ResourceKey, StoredResource>
  (state: StateFile, stage: string): ReadonlyMap<ResourceKey, StoredResource>
} = dual(2, (state: StateFile, stage: string): ReadonlyMap<ResourceKey, StoredResource> => {
  const result = new Map<ResourceKey, StoredResource>()
  for (const key of Object.keys(state.resources)) {
    const resource = state.resources[key]!
    if (resource.stage === stage) result.set(key, resource)
  }
  return result
})

// ---------------------------------------------------------------------------------------------
// The lock
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

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

export const StateVersion = Schema.Struct({ lineage: Schema.String, serial: Schema.Number })
export type StateVersion = typeof StateVersion.Type

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
  detail: Schema.String
}) {
  override get message(): string {
    return `cannot ${this.operation} ${this.path}: ${this.detail}`
  }
}

export type StateError = StateCorrupt | StateConflict | StateIoError

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

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

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
   * to the changes rather than to the state. `from` must be the stored lineage and serial; with
   * no state stored yet, the first version is written with `write`. Absent from stores that only
   * take whole states; a wrapper that intercepts `write` intercepts this too, or leaves it out.
   */
  readonly writeChanges?: (from: StateVersion, changes: StateChanges) => Effect.Effect<StateVersion, StateError>
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
  /** Every version kept, newest first. Absent from stores that keep only the last one (and a backup). */
  readonly history?: Effect.Effect<ReadonlyArray<StateHistoryEntry>, StateError>
  /** The state at `serial` in the current lineage; `None` when that version is not kept. */
  readonly readVersion?: (serial: number) => Effect.Effect<Option.Option<StateFile>, StateError>
}

/** What one write changes: the resources it sets or removes, and the intents and scale counts as they are after it. */
export type StateChanges = Journal.Changes<PendingOperation, typeof ScaleCounts.Type>

/** One kept version of the state, for `fleetflow state history`. */
export const StateHistoryEntry = Schema.Struct({
  lineage: Schema.String,
  serial: Schema.NonNegativeInt,
  /** ISO 8601. */
  written_at: Schema.String,
  /** `user@host (pid N)`. */
  written_by: Schema.String,
  /** The command that held the lock for the write, when it held one. */
  operation: Schema.optional(Schema.String),
  /** How many resources that version records. */
  resources: Schema.NonNegativeInt
})
export type StateHistoryEntry = typeof StateHistoryEntry.Type

export class StateStore extends Context.Tag("fleetflow/StateStore")<StateStore, StateStoreService>() {}

export interface LocalOptions {
  /** Recorded in the lock, so a holder can be told apart by version. */
  readonly version?: string
  /**
   * How many journal lines may pile up before `state.json` is rewritten in full (at least as
   * many as there are resources, so rewrites stay rare as the state grows). 0 rewrites it at
   * every write, with the previous version as the backup each time. Default 64.
   */
  readonly journalLines?: number
}

const fileMode = 0o600
const directoryMode = 0o700
const defaultPollInterval = Duration.millis(250)

/** @internal Refuses a write not based on the stored version. */
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

/** @internal Refuses a replace over another lineage or a later serial. */
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

const formatIssues = (error: ParseResult.ParseError): string => ParseIssues.describe(error)

const parseJson = (text: string): Either.Either<unknown, string> => {
  if (text.trim() === "") return Either.left("the file is empty")
  return Either.try({
    try: () => JSON.parse(text) as unknown,
    catch: (error) => `it is not valid JSON (${error instanceof Error ? error.message : String(error)})`
  })
}

/**
 * How deep a document may nest. Decoding recurses with it, and where the stack runs out depends
 * on how deep it already is and on what the JIT made of the decoder, so a document near that
 * edge could read once and fail the next time; refusing it up front gives the same answer
 * every time. States nest a few levels.
 */
const maximumNesting = 500

const nestsDeeperThan = (json: unknown, limit: number): boolean => {
  // Two stacks rather than an object per value: a large state holds hundreds of thousands.
  const values: Array<unknown> = [json]
  const depths: Array<number> = [0]
  while (values.length > 0) {
    const value = values.pop()
    const depth = depths.pop()!
    if (typeof value !== "object" || value === null) continue
    if (depth >= limit) return true
    if (Array.isArray(value)) {
      for (const item of value) {
        values.push(item)
        depths.push(depth + 1)
      }
    } else {
      for (const field in value) {
        values.push((value as Record<string, unknown>)[field])
        depths.push(depth + 1)
      }
    }
  }
  return false
}

/**
 * Decoding and describing what does not match both recurse with the document: one nested
 * thousands deep (valid JSON) overflows the stack, which must read as corrupt, not crash.
 * @internal
 */
export const decodeJson = <A, I>(schema: Schema.Schema<A, I>, json: unknown): Either.Either<A, string> => {
  if (nestsDeeperThan(json, maximumNesting)) return Either.left("it is nested too deeply")
  try {
    return Schema.decodeUnknownEither(schema)(json).pipe(Either.mapLeft((error) => formatIssues(error)))
  } catch (error) {
    // A sentence for the operator, never a stack (the overflow can come wrapped in a FiberFailure).
    if (String(error).includes("Maximum call stack")) return Either.left("it is nested too deeply")
    return Either.left(`it cannot be checked (${error instanceof Error ? error.message : String(error)})`)
  }
}

const isJson = (value: unknown): value is Json => {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return true
  }
  if (Array.isArray(value)) return value.every(isJson)
  if (typeof value !== "object") return false
  for (const field in value) if (!isJson((value as Record<string, unknown>)[field])) return false
  return true
}

/**
 * `Json` for a document `JSON.parse` made, where every value is JSON: it accepts what the
 * recursive union accepts there, without decoding each of the hundreds of thousands of values
 * a large state holds through it (most of the time a plan of 10,000 resources spent reading).
 */
const ParsedJson = Schema.declare(isJson, { identifier: "Json" })
const ParsedInputs = Schema.Record({ key: Schema.String, value: ParsedJson })

const ParsedStateFile = Schema.Struct({
  ...StateFile.fields,
  resources: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({
      ...StoredResource.fields,
      attributes: ParsedInputs,
      inputs: ParsedInputs,
      declared: Schema.optional(ParsedInputs)
    })
  })
})

const decodeState = (text: string): Either.Either<StateFile, string> =>
  Either.flatMap(parseJson(text), (json) =>
    decodeJson(ParsedStateFile, json).pipe(Either.mapLeft((issues) => `it does not match the state schema: ${issues}`))
  )

/**
 * The envelope is checked on every write; the resources are not, since the engine builds them
 * from decoded values, and checking the whole recursive schema each time made a large apply
 * quadratic in CPU. Reading decodes everything.
 */
const StateEnvelope = StateFile.omit("resources", "pending")

/** @internal */
export const checkEnvelope = (path: string, state: StateFile): Effect.Effect<void, StateIoError> =>
  Schema.validate(StateEnvelope)(state).pipe(
    Effect.asVoid,
    Effect.mapError(
      (error) => new StateIoError({ path, operation: "encode", detail: `the state is invalid: ${formatIssues(error)}` })
    )
  )

const encodeState = (path: string, state: StateFile): Effect.Effect<string, StateIoError> =>
  Effect.as(checkEnvelope(path, state), JSON.stringify(state, null, 2) + "\n")

/** @internal */
export const JournalEntry = Journal.entrySchema(PendingOperation, ScaleCounts)

/** @internal */
export const decodeEntry = (
  json: unknown
): Either.Either<Journal.Entry<PendingOperation, typeof ScaleCounts.Type>, string> =>
  Either.mapLeft(decodeJson(JournalEntry, json), (issues) => `is not a journal entry: ${issues}`)

const defaultJournalLines = 64

/** `state` with a resources record of its own, for a store that changes its record in place. */
const copyOf = (state: StateFile): StateFile => ({ ...state, resources: { ...state.resources } })

/** How many resources `resources`, holding `count`, holds once `changes` are applied. */
const countAfter = (
  resources: Readonly<Record<string, StoredResource>>,
  count: number,
  changes: StateChanges
): number => {
  let after = count
  for (const key in changes.set) if (!(key in resources)) after++
  for (const key of changes.remove) if (key in resources || key in changes.set) after--
  return after
}

const processAlive = (pid: number): boolean => {
  // 0 and negative pids address process groups, not a holder; an unknown holder counts as alive.
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: alive, owned by another user.
    return (error as NodeJS.ErrnoException).code !== "ESRCH"
  }
}

/** @internal */
export const userName = (): string => {
  try {
    return Os.userInfo().username
  } catch {
    // Containers often run under a uid with no passwd entry.
    return process.env.USER ?? process.env.LOGNAME ?? String(process.getuid?.() ?? "unknown")
  }
}

/** @internal */
export const makeLockInfo = (operation: string, version: string | undefined): Effect.Effect<LockInfo> =>
  Effect.map(Clock.currentTimeMillis, (now) => ({
    id: Crypto.randomUUID(),
    pid: process.pid,
    host: Os.hostname(),
    user: userName(),
    operation,
    created: new Date(now).toISOString(),
    ...(version === undefined ? {} : { version })
  }))

/** @internal */
export const lockInfoOf = (lock: CurrentLock): LockInfo => ({
  id: lock.id,
  pid: lock.pid,
  host: lock.host,
  user: lock.user,
  operation: lock.operation,
  created: lock.created,
  ...(lock.version === undefined ? {} : { version: lock.version })
})

/** @internal */
export const lockedError = (path: string, lock: CurrentLock): StateLocked =>
  new StateLocked({
    path,
    lock: lockInfoOf(lock),
    stale: lock.stale,
    ...(lock.unreadable === undefined ? {} : { unreadable: lock.unreadable })
  })

/**
 * Reads a lock file, keeping what can be read when it does not decode. An unreadable lock gets
 * an ID derived from its content, so `force-unlock` can name exactly that file.
 */
const parseLock = (text: string): CurrentLock => {
  const json = parseJson(text)
  const decoded = Either.flatMap(json, (value) => decodeJson(LockInfo, value))
  if (Either.isRight(decoded)) {
    const lock = decoded.right
    return { ...lock, stale: lock.host === Os.hostname() && !processAlive(lock.pid) }
  }
  const fields: { readonly [key: string]: unknown } =
    Either.isRight(json) && Predicate.isRecord(json.right) ? json.right : {}
  const field = (name: string) => {
    const value = fields[name]
    return typeof value === "string" && value !== "" ? value : "unknown"
  }
  const pid = fields.pid
  const id = field("id")
  return {
    id: id === "unknown" ? `unreadable-${Crypto.createHash("sha256").update(text).digest("hex").slice(0, 12)}` : id,
    pid: typeof pid === "number" && Number.isSafeInteger(pid) ? pid : 0,
    host: field("host"),
    user: field("user"),
    operation: field("operation"),
    created: field("created"),
    stale: false,
    unreadable: decoded.left
  }
}

/** @internal Retries a lock attempt while another live holder has it, until `timeout` passes. */
export const waitForLock = <R>(
  attempt: Effect.Effect<LockInfo, StateLocked | StateError, R>,
  options: LockOptions | undefined
): Effect.Effect<LockInfo, StateLocked | StateError, R> => {
  const timeout = Duration.decode(options?.timeout ?? Duration.zero)
  if (!Duration.greaterThan(timeout, Duration.zero)) return attempt
  return Effect.retry(attempt, {
    schedule: Schedule.spaced(options?.pollInterval ?? defaultPollInterval).pipe(Schedule.upTo(timeout)),
    // A stale lock never clears by itself: say so at once rather than after the timeout.
    while: (error) => error._tag === "StateLocked" && !error.stale
  })
}

/** The state in `directory` (a `.fleetflow` folder): `state.json`, `state.json.backup`, `lock.json`. */
export const makeLocal = (
  directory: string,
  options: LocalOptions = {}
): Effect.Effect<StateStoreService, never, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const folder = NodePath.resolve(directory)
    const statePath = NodePath.join(folder, "state.json")
    const backupPath = NodePath.join(folder, "state.json.backup")
    const lockPath = NodePath.join(folder, "lock.json")
    const journalPath = NodePath.join(folder, "state.journal")
    const semaphore = yield* Effect.makeSemaphore(1)
    /**
     * The state as `state.json` and the journal hold it. `base` is the serial of `state.json`,
     * `lines` how many journal lines apply to it, `validLength` where the last complete line ends.
     * `state.resources` is the store's own record, changed in place by `writeChanges`: it is
     * copied on the way in and out.
     */
    interface Snapshot {
      readonly state: StateFile
      /** How many resources `state` holds. */
      readonly count: number
      readonly base: number
      readonly lines: number
      readonly validLength: number
      /** The journal has bytes after its last complete line (a write a crash cut short). */
      readonly torn: boolean
      readonly stamp: string
    }
    // What this process wrote last, and the files' identity right after: while they are still
    // those (same inode, size and modification time) a write neither reads nor decodes them.
    const lastWritten = yield* Ref.make(Option.none<Snapshot>())
    const stampOf = (path: string) =>
      fs.stat(path).pipe(
        Effect.map((info) =>
          [
            Option.getOrElse(info.ino, () => 0),
            info.size,
            Option.match(info.mtime, { onNone: () => 0, onSome: (date) => date.getTime() })
          ].join(":")
        ),
        Effect.orElseSucceed(() => "")
      )
    const stampsOf = Effect.zipWith(stampOf(statePath), stampOf(journalPath), (state, journal) => `${state}|${journal}`)

    const provideFs = Effect.provideService(FileSystem.FileSystem, fs)
    const ioError = (path: string, operation: string) => (error: { readonly message: string }) =>
      new StateIoError({ path, operation, detail: error.message })

    const readText = (path: string): Effect.Effect<Option.Option<string>, StateIoError> =>
      AtomicFile.readIfExists(path).pipe(provideFs, Effect.mapError(ioError(path, "read")))

    const corrupt = (detail: string): Effect.Effect<never, StateCorrupt> =>
      Effect.gen(function* () {
        const backup = yield* readText(backupPath).pipe(
          Effect.map((text) => Option.map(text, (content) => decodeState(content))),
          Effect.catchAll((error) => Effect.succeed(Option.some(Either.left(error.detail))))
        )
        if (Option.isNone(backup)) return yield* new StateCorrupt({ path: statePath, detail })
        return yield* Either.match(backup.value, {
          onLeft: (backupDetail) => new StateCorrupt({ path: statePath, detail, backup: backupPath, backupDetail }),
          onRight: (state) =>
            new StateCorrupt({ path: statePath, detail, backup: backupPath, backupSerial: state.serial })
        })
      })

    const readSnapshot: Effect.Effect<Option.Option<Snapshot>, StateError> = Effect.gen(function* () {
      const cached = yield* Ref.get(lastWritten)
      const stamp = yield* stampsOf
      if (Option.isSome(cached) && cached.value.stamp === stamp) return cached
      const text = yield* readText(statePath)
      if (Option.isNone(text)) return Option.none()
      const base = decodeState(text.value)
      if (Either.isLeft(base)) return yield* corrupt(base.left)
      const journal = Option.getOrElse(yield* readText(journalPath), () => "")
      const replayed = Journal.replay(base.right, journal, decodeEntry)
      if (Either.isLeft(replayed)) {
        return yield* new StateCorrupt({
          path: journalPath,
          detail:
            `${replayed.left}. ${statePath} (serial ${base.right.serial}) holds the state without the journal's ` +
            "changes: move the journal away to use it, then run `fleetflow plan` (or `fleetflow state recover`)"
        })
      }
      return Option.some({
        state: replayed.right.state,
        count: Object.keys(replayed.right.state.resources).length,
        base: base.right.serial,
        lines: replayed.right.applied,
        validLength: replayed.right.validLength,
        torn: Buffer.byteLength(journal) > replayed.right.validLength,
        stamp
      })
    })

    const ensureFolder = Effect.gen(function* () {
      if (yield* fs.exists(folder)) return
      yield* fs.makeDirectory(folder, { recursive: true, mode: directoryMode })
      // State holds IP addresses: keep the whole folder out of git.
      yield* fs
        .writeFileString(NodePath.join(folder, ".gitignore"), "*\n", { flag: "wx", mode: 0o644 })
        .pipe(Effect.catchIf(AtomicFile.isAlreadyExists, () => Effect.void))
      yield* provideFs(AtomicFile.syncDirectory(NodePath.dirname(folder)))
      yield* Effect.logInfo(`created ${folder} for the state; it is git-ignored, since state holds IP addresses`)
    }).pipe(Effect.mapError(ioError(folder, "create")))

    /** `state.json` rewritten in full (the file it replaces kept as the backup), the journal emptied. */
    const rewrite = (previous: Option.Option<Snapshot>, written: StateFile, count: number) =>
      Effect.gen(function* () {
        const text = yield* encodeState(statePath, written)
        yield* ensureFolder
        if (Option.isSome(previous)) {
          yield* provideFs(AtomicFile.preserveAtomic(statePath, backupPath, () => text, { mode: fileMode })).pipe(
            Effect.mapError(ioError(backupPath, "write"))
          )
          Crash.point("state-backup-kept")
        }
        yield* provideFs(AtomicFile.writeFileAtomic(statePath, text, { mode: fileMode })).pipe(
          Effect.mapError(ioError(statePath, "write"))
        )
        // Its lines name the old base now and would be passed over; removing it keeps it short.
        yield* fs.remove(journalPath).pipe(
          Effect.catchIf(AtomicFile.isNotFound, () => Effect.void),
          Effect.mapError(ioError(journalPath, "remove"))
        )
        return { state: written, count, base: written.serial, lines: 0, validLength: 0, torn: false }
      })

    /**
     * Folds the journal into `state.json` (same serial), so the file is whole whenever no
     * command holds the lock; the file it replaces, the state before the command, is the backup.
     */
    const fold = semaphore.withPermits(1)(
      Effect.gen(function* () {
        const current = yield* readSnapshot
        if (Option.isNone(current) || (current.value.lines === 0 && !current.value.torn)) return
        const snapshot = yield* rewrite(current, current.value.state, current.value.count)
        yield* remember(snapshot)
      })
    )

    /** `snapshot` as what this store last wrote, with the files' stamps to notice another writer. */
    const remember = (snapshot: Omit<Snapshot, "stamp">) =>
      Effect.flatMap(stampsOf, (stamp) => Ref.set(lastWritten, Option.some({ ...snapshot, stamp })))

    /** One line appended to the journal and synced; a torn tail a crash left is cut off first. */
    const append = (previous: Snapshot, entry: Journal.Entry<PendingOperation, typeof ScaleCounts.Type>) =>
      Effect.gen(function* () {
        const line = `${JSON.stringify(entry)}\n`
        const bytes = new TextEncoder().encode(line)
        const fresh = previous.validLength === 0 && !previous.torn
        yield* Effect.scoped(
          Effect.gen(function* () {
            if (previous.torn) yield* fs.truncate(journalPath, previous.validLength)
            const handle = yield* fs.open(journalPath, { flag: "a", mode: fileMode })
            const half = Math.floor(bytes.length / 2)
            yield* handle.writeAll(bytes.subarray(0, half))
            Crash.point("journal-torn")
            yield* handle.writeAll(bytes.subarray(half))
            yield* handle.sync
          })
        ).pipe(Effect.mapError(ioError(journalPath, "write")))
        if (fresh) yield* provideFs(AtomicFile.syncDirectory(folder)).pipe(Effect.mapError(ioError(folder, "sync")))
        Crash.point("journal-appended")
        return { lines: previous.lines + 1, validLength: previous.validLength + bytes.length, torn: false }
      })

    /** Whether the next write rewrites `state.json` rather than appending to the journal. */
    const rewritesNext = (previous: Snapshot) => {
      const limit = options.journalLines ?? defaultJournalLines
      return limit === 0 || previous.lines >= Math.max(limit, previous.count)
    }

    // A failed write may have left the files half changed, or the snapshot's record changed in
    // place: the next one reads them again.
    const forgetOnFailure = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.tapError(effect, () => Ref.set(lastWritten, Option.none()))

    const write = (next: StateFile): Effect.Effect<StateFile, StateError> =>
      semaphore
        .withPermits(1)(
          // Once started, a write completes: it records work that has already happened in the cloud.
          Effect.uninterruptible(
            Effect.gen(function* () {
              const previous = yield* readSnapshot
              yield* checkWrite(
                statePath,
                Option.map(previous, (snapshot) => snapshot.state),
                next
              )
              const written: StateFile = { ...next, serial: next.serial + 1 }
              const own = copyOf(written)
              const count = Object.keys(own.resources).length
              if (Option.isNone(previous) || rewritesNext(previous.value)) {
                const snapshot = yield* rewrite(previous, own, count)
                yield* remember(snapshot)
                return written
              }
              yield* checkEnvelope(statePath, written)
              const appended = yield* append(
                previous.value,
                Journal.entryOf(previous.value.base, previous.value.state, written)
              )
              const snapshot = { ...previous.value, ...appended, state: own, count }
              yield* remember(snapshot)
              return written
            }).pipe(forgetOnFailure)
          )
        )
        .pipe(Effect.withSpan("StateStore.write", { attributes: { path: statePath, serial: next.serial } }))

    const writeChanges = (from: StateVersion, changes: StateChanges): Effect.Effect<StateVersion, StateError> =>
      semaphore
        .withPermits(1)(
          Effect.uninterruptible(
            Effect.gen(function* () {
              const previous = yield* readSnapshot
              if (Option.isNone(previous)) return yield* new StateConflict({ path: statePath, expected: from })
              yield* checkWrite(statePath, Option.some(previous.value.state), from)
              const stored = previous.value.state
              const count = countAfter(stored.resources, previous.value.count, changes)
              const written = Journal.applyOwned(stored, from.serial + 1, changes)
              yield* checkEnvelope(statePath, written)
              if (rewritesNext(previous.value)) {
                const snapshot = yield* rewrite(previous, written, count)
                yield* remember(snapshot)
              } else {
                const appended = yield* append(previous.value, Journal.entryFor(previous.value.base, written, changes))
                const snapshot = { ...previous.value, ...appended, state: written, count }
                yield* remember(snapshot)
              }
              return { lineage: written.lineage, serial: written.serial }
            }).pipe(forgetOnFailure)
          )
        )
        .pipe(Effect.withSpan("StateStore.writeChanges", { attributes: { path: statePath, serial: from.serial } }))

    const replace = (state: StateFile): Effect.Effect<StateFile, StateError> =>
      semaphore.withPermits(1)(
        Effect.uninterruptible(
          Effect.gen(function* () {
            const previous = yield* readSnapshot
            yield* checkReplace(
              statePath,
              Option.map(previous, (snapshot) => snapshot.state),
              state
            )
            const own = copyOf(state)
            const snapshot = yield* rewrite(previous, own, Object.keys(own.resources).length)
            yield* remember(snapshot)
            return state
          }).pipe(forgetOnFailure)
        )
      )

    const currentLock: Effect.Effect<Option.Option<CurrentLock>, StateIoError> = Effect.map(
      readText(lockPath),
      (text) => Option.map(text, (content) => parseLock(content))
    )

    const acquire = (info: LockInfo): Effect.Effect<LockInfo, StateLocked | StateError> =>
      Effect.gen(function* () {
        yield* ensureFolder
        const created = yield* provideFs(
          AtomicFile.createFileExclusive(lockPath, JSON.stringify(info, null, 2) + "\n", { mode: fileMode })
        ).pipe(Effect.mapError(ioError(lockPath, "create")))
        if (created) {
          // Holding the lock, no other fleetflow writes here: temp files of dead writers can go.
          yield* provideFs(AtomicFile.removeLeftovers(folder, processAlive)).pipe(
            Effect.catchAll((error) => Effect.logDebug(`could not clean ${folder}: ${error.message}`))
          )
          return info
        }
        const holder = yield* currentLock
        // Released between our attempt and our look: try again.
        if (Option.isNone(holder)) return yield* acquire(info)
        return yield* lockedError(lockPath, holder.value)
      })

    const release = (info: LockInfo): Effect.Effect<void> =>
      Effect.gen(function* () {
        const holder = yield* currentLock
        if (Option.isNone(holder) || holder.value.id !== info.id) {
          return yield* Effect.logWarning(
            `the state lock ${info.id} was removed by someone else (force-unlock?) while this command held it`
          )
        }
        yield* fold.pipe(
          Effect.catchAll((error) =>
            Effect.logWarning(`the state journal stays beside ${statePath} (${error.message}); it is read with it`)
          )
        )
        yield* fs.remove(lockPath).pipe(Effect.mapError(ioError(lockPath, "remove")))
        yield* provideFs(AtomicFile.syncDirectory(folder)).pipe(Effect.ignore)
      }).pipe(
        Effect.catchAll((error) =>
          Effect.logWarning(
            `could not release the state lock ${info.id} (${error.message}); run \`fleetflow force-unlock ${info.id}\``
          )
        )
      )

    const lock = (operation: string, lockOptions?: LockOptions) =>
      waitForLock(
        Effect.acquireRelease(
          Effect.flatMap(makeLockInfo(operation, options.version), (info) => acquire(info)),
          (info) => release(info)
        ),
        lockOptions
      ).pipe(Effect.withSpan("StateStore.lock", { attributes: { path: lockPath, operation } }))

    const forceUnlock = (id: string): Effect.Effect<LockInfo, LockNotFound | StateError> =>
      Effect.gen(function* () {
        const holder = yield* currentLock
        if (Option.isNone(holder)) return yield* new LockNotFound({ path: lockPath, id })
        if (holder.value.id !== id) {
          return yield* new LockNotFound({ path: lockPath, id, current: lockInfoOf(holder.value) })
        }
        yield* fs.remove(lockPath).pipe(Effect.mapError(ioError(lockPath, "remove")))
        yield* provideFs(AtomicFile.syncDirectory(folder)).pipe(Effect.mapError(ioError(folder, "sync")))
        return lockInfoOf(holder.value)
      })

    return StateStore.of({
      location: statePath,
      read: semaphore.withPermits(1)(
        Effect.map(readSnapshot, (snapshot) => Option.map(snapshot, (found) => copyOf(found.state)))
      ),
      write,
      writeChanges,
      lock,
      currentLock,
      forceUnlock,
      replace
    })
  })

/**
 * The state in memory, with the same checks as the local store: lineage and serial on write,
 * an exclusive lock. For tests and for applications that keep state elsewhere.
 */
export const makeMemory = (initial?: StateFile): Effect.Effect<StateStoreService> =>
  Effect.gen(function* () {
    const location = "memory"
    // Its resources record is the store's own, changed in place by `writeChanges`.
    const stored = yield* Ref.make(Option.map(Option.fromNullable(initial), copyOf))
    const held = yield* Ref.make(Option.none<LockInfo>())
    const semaphore = yield* Effect.makeSemaphore(1)
    const asCurrent = (lock: LockInfo): CurrentLock => ({ ...lock, stale: false })

    const write = (next: StateFile): Effect.Effect<StateFile, StateError> =>
      semaphore.withPermits(1)(
        Effect.gen(function* () {
          yield* checkWrite(location, yield* Ref.get(stored), next)
          const written: StateFile = { ...next, serial: next.serial + 1 }
          yield* encodeState(location, written)
          yield* Ref.set(stored, Option.some(copyOf(written)))
          return written
        })
      )

    const writeChanges = (from: StateVersion, changes: StateChanges): Effect.Effect<StateVersion, StateError> =>
      semaphore.withPermits(1)(
        Effect.gen(function* () {
          const current = yield* Ref.get(stored)
          if (Option.isNone(current)) return yield* new StateConflict({ path: location, expected: from })
          yield* checkWrite(location, current, from)
          yield* checkEnvelope(location, { ...current.value, scale: changes.scale })
          const written = Journal.applyOwned(current.value, from.serial + 1, changes)
          yield* Ref.set(stored, Option.some(written))
          return { lineage: written.lineage, serial: written.serial }
        })
      )

    const replace = (state: StateFile): Effect.Effect<StateFile, StateError> =>
      semaphore.withPermits(1)(
        Effect.gen(function* () {
          yield* checkReplace(location, yield* Ref.get(stored), state)
          yield* encodeState(location, state)
          yield* Ref.set(stored, Option.some(copyOf(state)))
          return state
        })
      )

    const acquire = (info: LockInfo): Effect.Effect<LockInfo, StateLocked> =>
      Effect.flatten(
        Ref.modify(held, (current): readonly [Effect.Effect<LockInfo, StateLocked>, Option.Option<LockInfo>] =>
          Option.isSome(current)
            ? [Effect.fail(lockedError(location, asCurrent(current.value))), current]
            : [Effect.succeed(info), Option.some(info)]
        )
      )

    const release = (info: LockInfo): Effect.Effect<void> =>
      Ref.update(held, (current) => (Option.isSome(current) && current.value.id === info.id ? Option.none() : current))

    const forceUnlock = (id: string): Effect.Effect<LockInfo, LockNotFound> =>
      Effect.flatten(
        Ref.modify(held, (current): readonly [Effect.Effect<LockInfo, LockNotFound>, Option.Option<LockInfo>] => {
          if (Option.isNone(current)) return [Effect.fail(new LockNotFound({ path: location, id })), current]
          if (current.value.id !== id) {
            return [Effect.fail(new LockNotFound({ path: location, id, current: current.value })), current]
          }
          return [Effect.succeed(current.value), Option.none()]
        })
      )

    return StateStore.of({
      location,
      read: Effect.map(Ref.get(stored), Option.map(copyOf)),
      write,
      writeChanges,
      lock: (operation, lockOptions) =>
        waitForLock(
          Effect.acquireRelease(
            Effect.flatMap(makeLockInfo(operation, undefined), (info) => acquire(info)),
            (info) => release(info)
          ),
          lockOptions
        ),
      currentLock: Effect.map(Ref.get(held), (lock) => Option.map(lock, (info) => asCurrent(info))),
      forceUnlock,
      replace
    })
  })

export const layerLocal = (
  directory: string,
  options?: LocalOptions
): Layer.Layer<StateStore, never, FileSystem.FileSystem> => Layer.effect(StateStore, makeLocal(directory, options))

export const layerMemory = (initial?: StateFile): Layer.Layer<StateStore> =>
  Layer.effect(StateStore, makeMemory(initial))
