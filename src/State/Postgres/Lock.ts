/**
 * The PostgreSQL store's lock: a session-level advisory lock the way Terraform's `pg` backend
 * takes it (the server drops it when the holder's connection ends, so a killed command cannot
 * leave it behind), and a row of `locks` saying who holds it, for messages and `force-unlock`.
 */
import type * as SqlConnection from "@effect/sql/SqlConnection"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { lockedError, lockInfoOf, makeLockInfo, waitForLock } from "../Lock.js"
import {
  type CurrentLock,
  type LockInfo,
  LockNotFound,
  type LockOptions,
  type StateError,
  StateIoError,
  type StateLocked
} from "../Store.js"
import { advisoryKey, type Database, query, queryOn } from "./Database.js"

const LockRow = Schema.Struct({
  id: Schema.String,
  pid: Schema.Int,
  host: Schema.String,
  username: Schema.String,
  operation: Schema.String,
  created: Schema.String,
  version: Schema.NullOr(Schema.String),
  backend_pid: Schema.Int
})
type LockRow = typeof LockRow.Type

const HolderRow = Schema.Struct({ pid: Schema.Int })
const FlagRow = Schema.Struct({ done: Schema.Boolean })

const lockOfRow = (row: LockRow): LockInfo => ({
  id: row.id,
  pid: row.pid,
  host: row.host,
  user: row.username,
  operation: row.operation,
  created: row.created,
  ...(row.version === null ? {} : { version: row.version })
})

/** What the lock of one store needs besides the database. */
export interface LockSettings {
  /** The lock this store holds, set while it holds it. */
  readonly held: Ref.Ref<Option.Option<LockInfo>>
  /** Recorded in the lock, so a holder can be told apart by version. */
  readonly version: string | undefined
  /** Runs while the lock is still held, before it is released; its failure is only logged. */
  readonly beforeRelease: Effect.Effect<void, StateError>
}

const stateKey = (database: Database) => advisoryKey("state", database.schemaName, database.project)

/** The ID `force-unlock` takes for a session holding the advisory lock with no row naming it. */
const sessionLockId = (backendPid: number) => `session-${backendPid}`

/** The session holding this project's advisory lock, as `pg_locks` shows it. */
const holderSession = (database: Database): Effect.Effect<Option.Option<number>, StateError> => {
  const { high, low } = stateKey(database)
  return Effect.map(
    query(
      database,
      database.sql`SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid::bigint = ${high} AND objid::bigint = ${low}`,
      HolderRow,
      "a row of pg_locks"
    ),
    (rows) => Option.fromNullable(rows[0]?.pid)
  )
}

const lockRow = (database: Database): Effect.Effect<Option.Option<LockRow>, StateError> => {
  const { project, schema, sql } = database
  return query(
    database,
    sql`SELECT id, pid, host, username, operation, created, version, backend_pid
      FROM ${schema}.locks WHERE project = ${project}`,
    LockRow,
    "the row of locks"
  ).pipe(Effect.map((rows) => Option.fromNullable(rows[0])))
}

const sessionLock = (backendPid: number): CurrentLock => ({
  id: sessionLockId(backendPid),
  pid: 0,
  host: "unknown",
  user: "unknown",
  operation: "unknown",
  created: "unknown",
  stale: false,
  unreadable: `PostgreSQL session ${backendPid} holds the advisory lock, but no fleetflow lock row names it`
})

/**
 * The lock as the tables show it: a row whose session no longer holds the advisory lock is a
 * dead holder's (stale); a session holding it with no row naming it is shown by its session.
 */
export const currentLock = (database: Database): Effect.Effect<Option.Option<CurrentLock>, StateError> =>
  Effect.gen(function* () {
    const row = yield* lockRow(database)
    const holder = yield* holderSession(database)
    if (Option.isSome(row)) {
      const live = Option.isSome(holder) && holder.value === row.value.backend_pid
      if (live || Option.isNone(holder)) return Option.some({ ...lockOfRow(row.value), stale: !live })
    }
    return Option.map(holder, sessionLock)
  })

const tryLock = (
  database: Database,
  connection: SqlConnection.Connection,
  info: LockInfo,
  retries = 3
): Effect.Effect<LockInfo, StateLocked | StateError> =>
  Effect.gen(function* () {
    const { location, project, schema, sql } = database
    const [result] = yield* queryOn(
      database,
      connection,
      sql`SELECT pg_try_advisory_lock(${stateKey(database).text}::bigint) AS done`,
      FlagRow,
      "pg_try_advisory_lock"
    )
    if (result?.done !== true) {
      const current = yield* currentLock(database)
      // Released between the attempt and the look: try again.
      if (Option.isNone(current) || current.value.stale) {
        if (retries > 0) return yield* tryLock(database, connection, info, retries - 1)
        return yield* Effect.fail<StateLocked>(lockedError(location, { ...sessionLock(0), stale: false }))
      }
      return yield* Effect.fail<StateLocked>(lockedError(location, current.value))
    }
    // The advisory lock is ours: a row still there is a dead holder's, and is replaced.
    const replaced = yield* queryOn(
      database,
      connection,
      sql`WITH previous AS (SELECT id, operation, username, host, pid FROM ${schema}.locks WHERE project = ${project})
        INSERT INTO ${schema}.locks (project, id, pid, host, username, operation, created, version, backend_pid)
        VALUES (${project}, ${info.id}, ${info.pid}, ${info.host}, ${info.user}, ${info.operation}, ${info.created},
          ${info.version ?? null}, pg_backend_pid())
        ON CONFLICT (project) DO UPDATE SET id = excluded.id, pid = excluded.pid, host = excluded.host,
          username = excluded.username, operation = excluded.operation, created = excluded.created,
          version = excluded.version, backend_pid = excluded.backend_pid
        RETURNING (SELECT id FROM previous) AS previous`,
      Schema.Struct({ previous: Schema.NullOr(Schema.String) }),
      "the row of locks"
    )
    const previous = replaced[0]?.previous ?? null
    if (previous !== null) {
      yield* Effect.logInfo(`replaced the stale state lock ${previous}: the session that took it has ended`)
    }
    return info
  })

const release = (
  database: Database,
  settings: LockSettings,
  connection: SqlConnection.Connection,
  info: LockInfo
): Effect.Effect<void> =>
  Effect.gen(function* () {
    const { project, schema, sql } = database
    yield* Ref.set(settings.held, Option.none())
    yield* settings.beforeRelease.pipe(
      Effect.catchAll((error) =>
        Effect.logWarning(`the state's last version stays stored as changes (${error.message}); it reads all the same`)
      )
    )
    const removed = yield* queryOn(
      database,
      connection,
      sql`DELETE FROM ${schema}.locks WHERE project = ${project} AND id = ${info.id} RETURNING id`,
      Schema.Struct({ id: Schema.String }),
      "the row of locks",
      "release the lock of"
    )
    if (removed.length === 0) {
      yield* Effect.logWarning(
        `the state lock ${info.id} was removed by someone else (force-unlock?) while this command held it`
      )
    }
    yield* queryOn(
      database,
      connection,
      sql`SELECT pg_advisory_unlock(${stateKey(database).text}::bigint) AS done`,
      FlagRow,
      "pg_advisory_unlock",
      "release the lock of"
    )
  }).pipe(
    Effect.catchAll((error) =>
      Effect.logWarning(
        `the state lock ${info.id} was not released in full (${error.message}); ` +
          "the server releases it with the connection, which this command now closes"
      )
    )
  )

/**
 * One attempt on a connection of its own: the connection stays reserved, holding the advisory
 * lock, until `outer` closes; a failed attempt gives it back at once.
 */
const attempt = (
  database: Database,
  settings: LockSettings,
  operation: string
): Effect.Effect<LockInfo, StateLocked | StateError, Scope.Scope> =>
  Effect.flatMap(Effect.scope, (outer) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const scope = yield* Scope.fork(outer, ExecutionStrategy.sequential)
        const exit = yield* restore(
          Effect.gen(function* () {
            const info = yield* makeLockInfo(operation, settings.version)
            const connection = yield* Scope.extend(database.sql.reserve, scope).pipe(
              Effect.mapError(database.ioError("lock"))
            )
            yield* tryLock(database, connection, info)
            yield* Scope.addFinalizer(scope, release(database, settings, connection, info))
            yield* Ref.set(settings.held, Option.some(info))
            return info
          })
        ).pipe(Effect.exit)
        if (Exit.isFailure(exit)) yield* Scope.close(scope, exit)
        return yield* exit
      })
    )
  )

export const lock = (
  database: Database,
  settings: LockSettings,
  operation: string,
  options?: LockOptions
): Effect.Effect<LockInfo, StateLocked | StateError, Scope.Scope> =>
  waitForLock(attempt(database, settings, operation), options).pipe(
    Effect.withSpan("StateStore.lock", { attributes: { location: database.location, operation } })
  )

/** Ends the session holding the advisory lock, and waits until the server has let go of it. */
const endSession = (database: Database, backendPid: number): Effect.Effect<void, StateError> =>
  Effect.gen(function* () {
    const failed = (detail: string) => new StateIoError({ path: database.location, operation: "force-unlock", detail })
    const [ended] = yield* query(
      database,
      database.sql`SELECT pg_terminate_backend(${backendPid}) AS done`,
      FlagRow,
      "pg_terminate_backend",
      "force-unlock"
    )
    if (ended?.done !== true) {
      return yield* failed(`PostgreSQL session ${backendPid}, which holds the lock, could not be ended`)
    }
    yield* holderSession(database).pipe(
      Effect.flatMap((holder) =>
        Option.isSome(holder) && holder.value === backendPid ? Effect.fail("held" as const) : Effect.void
      ),
      Effect.retry(Schedule.spaced(Duration.millis(50)).pipe(Schedule.upTo(Duration.seconds(10)))),
      Effect.catchIf(
        (error) => error === "held",
        () => failed(`PostgreSQL session ${backendPid} was told to end but still holds the lock after 10 s`)
      )
    )
  })

/**
 * Removes the lock whose ID is `id`. Its holder may still be running, so the PostgreSQL session
 * holding the advisory lock is ended (`pg_terminate_backend`: the same role, a superuser or a
 * member of `pg_signal_backend` may); otherwise removing the row alone would free nothing.
 */
export const forceUnlock = (database: Database, id: string): Effect.Effect<LockInfo, LockNotFound | StateError> =>
  Effect.gen(function* () {
    const { location, project, schema, sql } = database
    const row = yield* lockRow(database)
    const holder = yield* holderSession(database)
    if (Option.isSome(row) && row.value.id === id) {
      if (Option.isSome(holder) && holder.value === row.value.backend_pid) yield* endSession(database, holder.value)
      yield* sql`DELETE FROM ${schema}.locks WHERE project = ${project} AND id = ${id}`.pipe(
        Effect.mapError(database.ioError("force-unlock"))
      )
      return lockOfRow(row.value)
    }
    if (Option.isSome(holder) && id === sessionLockId(holder.value)) {
      yield* endSession(database, holder.value)
      return lockInfoOf(sessionLock(holder.value))
    }
    const current = yield* currentLock(database)
    return yield* new LockNotFound({
      path: location,
      id,
      ...(Option.isSome(current) ? { current: lockInfoOf(current.value) } : {})
    })
  })
