/**
 * The state in PostgreSQL, for teams. One state per project (all its stages, like
 * `.fleetflow/state.json`), every version kept, and the lock a session-level advisory lock the
 * way Terraform's `pg` backend takes it: the server drops it when the holder's connection ends,
 * so a killed command cannot leave it behind.
 *
 * Tables, in the schema named by the settings (`fleetflow`), created on first use:
 * - `states`: one row per project, the current lineage and serial, and which full copy in
 *   `state_versions` the current state is replayed from;
 * - `state_versions`: every version written, either the whole state (`full_state`) or what the
 *   write changed (`changes`, a journal entry like `.fleetflow/state.journal` holds), so that
 *   recording one action does not send and store the whole state again;
 * - `locks`: who holds the advisory lock (id, pid, host, user, operation, when, and the
 *   PostgreSQL session holding it), for the "locked by" message and `force-unlock`.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlConnection from "@effect/sql/SqlConnection"
import type * as SqlError from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import * as Os from "node:os"
import {
  type CurrentLock,
  checkEnvelope,
  checkReplace,
  checkWrite,
  decodeEntry,
  decodeJson,
  type LockInfo,
  LockNotFound,
  type LockOptions,
  lockedError,
  lockInfoOf,
  makeLockInfo,
  StateCorrupt,
  type StateError,
  StateFile,
  type StateHistoryEntry,
  StateIoError,
  type StateLocked,
  StateStore,
  type StateStoreService,
  userName,
  waitForLock
} from "../State.js"
import * as Journal from "./Journal.js"

export interface PostgresSettings {
  /** `postgres://user:password@host:5432/database`: a secret, since it usually holds the password. */
  readonly url: Redacted.Redacted<string>
  /** The schema holding FleetFlow's tables; created on first use. Default `fleetflow`. */
  readonly schema?: string
  /** The project whose state this is: one state per project, holding all its stages. */
  readonly project: string
  /** Recorded in the lock, so a holder can be told apart by version. */
  readonly version?: string
  /**
   * How many versions may be stored as changes before the next one is stored whole (at least
   * as many as there are resources). 0 stores every version whole. Default 64.
   */
  readonly fullEvery?: number
  /** How long to wait for the server when connecting (10 s). */
  readonly connectTimeout?: Duration.DurationInput
}

/** A store in PostgreSQL: the `StateStore` contract, with every version kept. */
export interface PostgresStore extends StateStoreService {
  readonly history: Effect.Effect<ReadonlyArray<StateHistoryEntry>, StateError>
  readonly readVersion: (serial: number) => Effect.Effect<Option.Option<StateFile>, StateError>
}

const defaultSchema = "fleetflow"
const defaultFullEvery = 64

// ---------------------------------------------------------------------------------------------
// The connection string, kept out of messages
// ---------------------------------------------------------------------------------------------

const secretParameter = /pass|secret|token|key/i

/** The connection string with its password (and any secret-looking parameter) masked, for messages. */
export const maskUrl = (url: string): string => {
  if (!URL.canParse(url)) return "postgres://(a connection string that is not a URL, hidden)"
  const parsed = new URL(url)
  if (parsed.password !== "") parsed.password = "***"
  for (const name of [...parsed.searchParams.keys()]) {
    if (secretParameter.test(name)) parsed.searchParams.set(name, "***")
  }
  return parsed.toString()
}

/** Removes the connection string and its password from a driver's message, should one quote them. */
const scrubber = (url: string) => {
  const secrets = [url]
  if (URL.canParse(url)) {
    const password = new URL(url).password
    // A very short password would mask ordinary words; drivers do not quote it anyway.
    if (password.length >= 4) secrets.push(password, decodeURIComponent(password))
  }
  return (text: string): string => secrets.reduce((result, secret) => result.split(secret).join("***"), text)
}

const describeSqlError = (error: SqlError.SqlError): string => {
  const cause = error.cause
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return `${error.message}: ${cause.errors.map((inner) => String(inner instanceof Error ? inner.message : inner)).join("; ")}`
  }
  if (cause instanceof Error) {
    const code = (cause as { readonly code?: unknown }).code
    return `${error.message}: ${cause.message}${typeof code === "string" ? ` (${code})` : ""}`
  }
  return error.message
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

/** `bigint` columns come back as strings. */
const Int8 = Schema.Union(Schema.NonNegativeInt, Schema.compose(Schema.NumberFromString, Schema.NonNegativeInt))

const HeadRow = Schema.Struct({ lineage: Schema.String, serial: Int8, base: Int8, changes: Int8 })
type HeadRow = typeof HeadRow.Type

const VersionRow = Schema.Struct({
  serial: Int8,
  full_state: Schema.NullOr(Schema.Unknown),
  changes: Schema.NullOr(Schema.Unknown)
})

const HistoryRow = Schema.Struct({
  lineage: Schema.String,
  serial: Int8,
  written_at: Schema.DateFromSelf,
  written_by: Schema.String,
  operation: Schema.NullOr(Schema.String),
  resources: Int8
})

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

/** The ID `force-unlock` takes for a session holding the advisory lock with no row naming it. */
const sessionLockId = (backendPid: number) => `session-${backendPid}`

/** A signed 64-bit advisory lock key, and the two halves `pg_locks` shows it as. */
const advisoryKey = (purpose: string, ...parts: ReadonlyArray<string>) => {
  const key = Crypto.createHash("sha256")
    .update([`fleetflow-${purpose}`, ...parts].join("\u0000"))
    .digest()
    .readBigInt64BE(0)
  const unsigned = BigInt.asUintN(64, key)
  return { text: key.toString(), high: Number(unsigned >> 32n), low: Number(unsigned & 0xffffffffn) }
}

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

/**
 * The state of `settings.project` in PostgreSQL. Connects, and creates the schema and its
 * tables when they are missing; the connections close with the scope.
 */
export const makePostgres = (settings: PostgresSettings): Effect.Effect<PostgresStore, StateIoError, Scope.Scope> =>
  Effect.gen(function* () {
    const url = Redacted.value(settings.url)
    const scrub = scrubber(url)
    const schemaName = settings.schema ?? defaultSchema
    const project = settings.project
    const location = `${maskUrl(url)} (schema ${schemaName}, project ${project})`
    const fullEvery = settings.fullEvery ?? defaultFullEvery
    const stateKey = advisoryKey("state", schemaName, project)
    const writeKey = advisoryKey("write", schemaName, project)

    const ioError =
      (operation: string) =>
      (error: SqlError.SqlError): StateIoError =>
        new StateIoError({ path: location, operation, detail: scrub(describeSqlError(error)) })

    const context = yield* Layer.build(
      PgClient.layer({
        url: settings.url,
        applicationName: "fleetflow",
        maxConnections: 4,
        idleTimeout: Duration.seconds(30),
        connectTimeout: settings.connectTimeout ?? Duration.seconds(10)
      })
    ).pipe(Effect.mapError(ioError("connect to")))
    const sql = Context.get(context, SqlClient.SqlClient)
    const schema = sql(schemaName)

    /** Decodes rows; a row that does not decode is a state that cannot be trusted. */
    const decodeRows = <A, I>(rows: ReadonlyArray<unknown>, row: Schema.Schema<A, I>, what: string) =>
      Effect.forEach(rows, (value) =>
        Either.match(decodeJson(row, value), {
          onLeft: (issues) => Effect.fail(new StateCorrupt({ path: location, detail: `${what}: ${issues}` })),
          onRight: (decoded) => Effect.succeed(decoded)
        })
      )

    const query = <A, I>(
      statement: Statement.Statement<object>,
      row: Schema.Schema<A, I>,
      what: string,
      operation = "read"
    ) => Effect.flatMap(Effect.mapError(statement, ioError(operation)), (rows) => decodeRows(rows, row, what))

    /** Runs `statement` on the connection that holds the lock, not on one from the pool. */
    const onConnection = <A, I>(
      connection: SqlConnection.Connection,
      statement: Statement.Statement<object>,
      row: Schema.Schema<A, I>,
      what: string,
      operation = "lock"
    ) =>
      Effect.suspend(() => {
        const [text, parameters] = statement.compile()
        return connection.execute(text, parameters, undefined)
      }).pipe(
        Effect.mapError(ioError(operation)),
        Effect.flatMap((rows) => decodeRows(rows, row, what))
      )

    // -------------------------------------------------------------------------------------------
    // Tables
    // -------------------------------------------------------------------------------------------

    const tablesExist = Effect.map(
      sql<{ readonly done: boolean }>`SELECT
        to_regclass(${`${quote(schemaName)}.states`}) IS NOT NULL
        AND to_regclass(${`${quote(schemaName)}.state_versions`}) IS NOT NULL
        AND to_regclass(${`${quote(schemaName)}.locks`}) IS NOT NULL AS done`,
      (rows) => rows[0]?.done === true
    )

    // Two processes creating the same table at once can both fail `IF NOT EXISTS` on the catalog's
    // unique index: a transaction-scoped advisory lock makes them take turns.
    const createTables = sql.withTransaction(
      Effect.gen(function* () {
        yield* sql`SELECT pg_advisory_xact_lock(${advisoryKey("schema", schemaName).text}::bigint)`
        if (yield* tablesExist) return
        yield* sql`CREATE SCHEMA IF NOT EXISTS ${schema}`
        yield* sql`CREATE TABLE IF NOT EXISTS ${schema}.states (
          project text PRIMARY KEY,
          lineage text NOT NULL,
          serial bigint NOT NULL,
          base bigint NOT NULL,
          changes integer NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`
        yield* sql`CREATE TABLE IF NOT EXISTS ${schema}.state_versions (
          project text NOT NULL,
          lineage text NOT NULL,
          serial bigint NOT NULL,
          written_at timestamptz NOT NULL DEFAULT now(),
          written_by text NOT NULL,
          operation text,
          resources integer NOT NULL,
          full_state jsonb,
          changes jsonb,
          PRIMARY KEY (project, lineage, serial),
          CHECK ((full_state IS NULL) <> (changes IS NULL))
        )`
        yield* sql`CREATE TABLE IF NOT EXISTS ${schema}.locks (
          project text PRIMARY KEY,
          id text NOT NULL,
          pid integer NOT NULL,
          host text NOT NULL,
          username text NOT NULL,
          operation text NOT NULL,
          created text NOT NULL,
          version text,
          backend_pid integer NOT NULL
        )`
      })
    )

    // Checked first, so that a role allowed to use the tables but not to create them works.
    yield* Effect.flatMap(tablesExist, (exist) => (exist ? Effect.void : createTables)).pipe(
      Effect.mapError(ioError("create the tables of"))
    )

    // -------------------------------------------------------------------------------------------
    // Reading
    // -------------------------------------------------------------------------------------------

    /** The state this store read or wrote last: while the stored serial is still its, nothing is fetched. */
    const known = yield* Ref.make(Option.none<StateFile>())
    const held = yield* Ref.make(Option.none<LockInfo>())
    const semaphore = yield* Effect.makeSemaphore(1)

    const readHead = (forUpdate: boolean) =>
      query(
        forUpdate
          ? sql`SELECT lineage, serial, base, changes FROM ${schema}.states WHERE project = ${project} FOR UPDATE`
          : sql`SELECT lineage, serial, base, changes FROM ${schema}.states WHERE project = ${project}`,
        HeadRow,
        "the row of states"
      ).pipe(Effect.map((rows) => Option.fromNullable(rows[0])))

    /** The state at `serial`: the last full copy at or before it, with the changes after it replayed. */
    const versionAt = (lineage: string, serial: number): Effect.Effect<Option.Option<StateFile>, StateError> =>
      Effect.gen(function* () {
        const rows = yield* query(
          sql`SELECT serial, full_state, changes FROM ${schema}.state_versions
            WHERE project = ${project} AND lineage = ${lineage} AND serial <= ${serial}
              AND serial >= (
                SELECT max(serial) FROM ${schema}.state_versions
                WHERE project = ${project} AND lineage = ${lineage} AND serial <= ${serial} AND full_state IS NOT NULL
              )
            ORDER BY serial`,
          VersionRow,
          "a row of state_versions"
        )
        const [first, ...rest] = rows
        if (first === undefined || first.full_state === null) return Option.none()
        const corrupt = (detail: string) =>
          new StateCorrupt({
            path: location,
            detail:
              `version ${first.serial} of lineage ${lineage} ${detail}. ` +
              "Earlier versions are kept: `fleetflow state history` lists them"
          })
        let state = yield* Either.match(decodeJson(StateFile, first.full_state), {
          onLeft: (issues) => Effect.fail(corrupt(`does not match the state schema: ${issues}`)),
          onRight: (decoded) => Effect.succeed(decoded)
        })
        if (state.lineage !== lineage || state.serial !== first.serial) {
          return yield* corrupt(`holds lineage ${state.lineage} serial ${state.serial}`)
        }
        for (const row of rest) {
          const entry = decodeEntry(row.changes)
          if (Either.isLeft(entry)) return yield* corrupt(`is followed by changes that do not read: ${entry.left}`)
          if (entry.right.lineage !== lineage || entry.right.serial !== state.serial + 1) {
            return yield* corrupt(
              `is followed by changes for lineage ${entry.right.lineage} serial ${entry.right.serial}`
            )
          }
          state = Journal.applyEntry(state, entry.right)
        }
        return state.serial === serial ? Option.some(state) : Option.none()
      })

    const cachedAt = (head: HeadRow) =>
      Effect.map(Ref.get(known), (cached) =>
        Option.filter(cached, (state) => state.lineage === head.lineage && state.serial === head.serial)
      )

    const stateOf = (head: HeadRow): Effect.Effect<StateFile, StateError> =>
      Effect.gen(function* () {
        const cached = yield* cachedAt(head)
        if (Option.isSome(cached)) return cached.value
        const state = yield* versionAt(head.lineage, head.serial)
        if (Option.isNone(state)) {
          return yield* new StateCorrupt({
            path: location,
            detail:
              `the current version (lineage ${head.lineage}, serial ${head.serial}) is missing from state_versions. ` +
              "Earlier versions may be kept: `fleetflow state history` lists them"
          })
        }
        yield* Ref.set(known, state)
        return state.value
      })

    const read: Effect.Effect<Option.Option<StateFile>, StateError> = Effect.gen(function* () {
      const head = yield* readHead(false)
      if (Option.isNone(head)) return Option.none()
      return Option.some(yield* stateOf(head.value))
    }).pipe(Effect.withSpan("StateStore.read", { attributes: { location } }))

    // -------------------------------------------------------------------------------------------
    // Writing
    // -------------------------------------------------------------------------------------------

    const writtenBy = `${userName()}@${Os.hostname()} (pid ${process.pid})`

    /** Inserts `state` as a version (whole, or as its changes from `previous`) and points `states` at it. */
    const store = (head: Option.Option<HeadRow>, previous: Option.Option<StateFile>, state: StateFile) =>
      Effect.gen(function* () {
        const operation = Option.match(yield* Ref.get(held), { onNone: () => null, onSome: (lock) => lock.operation })
        const resources = Object.keys(state.resources).length
        const whole =
          Option.isNone(head) ||
          Option.isNone(previous) ||
          fullEvery === 0 ||
          head.value.changes >= Math.max(fullEvery, resources)
        const fullState = whole ? JSON.stringify(state) : null
        const changes =
          whole || Option.isNone(previous) || Option.isNone(head)
            ? null
            : JSON.stringify(Journal.entryOf(head.value.base, previous.value, state))
        yield* sql`INSERT INTO ${schema}.state_versions
            (project, lineage, serial, written_by, operation, resources, full_state, changes)
          VALUES (${project}, ${state.lineage}, ${state.serial}, ${writtenBy}, ${operation}, ${resources},
            ${fullState}::jsonb, ${changes}::jsonb)
          ON CONFLICT (project, lineage, serial) DO UPDATE SET
            written_at = now(), written_by = excluded.written_by, operation = excluded.operation,
            resources = excluded.resources, full_state = excluded.full_state, changes = excluded.changes`
        const base = whole || Option.isNone(head) ? state.serial : head.value.base
        const count = whole || Option.isNone(head) ? 0 : head.value.changes + 1
        yield* Option.isSome(head)
          ? sql`UPDATE ${schema}.states
              SET lineage = ${state.lineage}, serial = ${state.serial}, base = ${base}, changes = ${count},
                updated_at = now()
              WHERE project = ${project}`
          : sql`INSERT INTO ${schema}.states (project, lineage, serial, base, changes)
              VALUES (${project}, ${state.lineage}, ${state.serial}, ${base}, ${count})`
      })

    /**
     * Runs `check` then `store` in one transaction that always completes, one write of this store at
     * a time. A transaction-scoped advisory lock makes writers of the project take turns, also the
     * first two, which find no `states` row to lock `FOR UPDATE`.
     */
    const transaction = <A>(
      effect: (head: Option.Option<HeadRow>) => Effect.Effect<A, StateError | SqlError.SqlError>
    ) =>
      semaphore.withPermits(1)(
        Effect.uninterruptible(
          sql
            .withTransaction(
              Effect.gen(function* () {
                yield* sql`SELECT pg_advisory_xact_lock(${writeKey.text}::bigint)`
                return yield* effect(yield* readHead(true))
              })
            )
            .pipe(Effect.mapError((error) => (error._tag === "SqlError" ? ioError("write")(error) : error)))
        )
      )

    const write = (next: StateFile): Effect.Effect<StateFile, StateError> =>
      transaction((head) =>
        Effect.gen(function* () {
          yield* checkWrite(location, head, next)
          const written: StateFile = { ...next, serial: next.serial + 1 }
          yield* checkEnvelope(location, written)
          const previous = Option.isSome(head) ? Option.some(yield* stateOf(head.value)) : Option.none<StateFile>()
          yield* store(head, previous, written)
          return written
        })
      ).pipe(
        Effect.tap((written) => Ref.set(known, Option.some(written))),
        Effect.withSpan("StateStore.write", { attributes: { location, serial: next.serial } })
      )

    const replace = (state: StateFile): Effect.Effect<StateFile, StateError> =>
      transaction((head) =>
        Effect.gen(function* () {
          yield* checkReplace(location, head, state)
          yield* checkEnvelope(location, state)
          yield* store(head, Option.none(), state)
          return state
        })
      ).pipe(
        Effect.tap((stored) => Ref.set(known, Option.some(stored))),
        Effect.withSpan("StateStore.replace", { attributes: { location, serial: state.serial } })
      )

    // -------------------------------------------------------------------------------------------
    // The lock
    // -------------------------------------------------------------------------------------------

    /** The session holding this project's advisory lock, as `pg_locks` shows it. */
    const holderSession = Effect.map(
      query(
        sql`SELECT pid FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND objsubid = 1
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND classid::bigint = ${stateKey.high} AND objid::bigint = ${stateKey.low}`,
        HolderRow,
        "a row of pg_locks"
      ),
      (rows) => Option.fromNullable(rows[0]?.pid)
    )

    const lockRow = query(
      sql`SELECT id, pid, host, username, operation, created, version, backend_pid
        FROM ${schema}.locks WHERE project = ${project}`,
      LockRow,
      "the row of locks"
    ).pipe(Effect.map((rows) => Option.fromNullable(rows[0])))

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
    const currentLock: Effect.Effect<Option.Option<CurrentLock>, StateError> = Effect.gen(function* () {
      const row = yield* lockRow
      const holder = yield* holderSession
      if (Option.isSome(row)) {
        const live = Option.isSome(holder) && holder.value === row.value.backend_pid
        if (live || Option.isNone(holder)) return Option.some({ ...lockOfRow(row.value), stale: !live })
      }
      return Option.map(holder, sessionLock)
    })

    const tryLock = (
      connection: SqlConnection.Connection,
      info: LockInfo,
      retries = 3
    ): Effect.Effect<LockInfo, StateLocked | StateError> =>
      Effect.gen(function* () {
        const [result] = yield* onConnection(
          connection,
          sql`SELECT pg_try_advisory_lock(${stateKey.text}::bigint) AS done`,
          FlagRow,
          "pg_try_advisory_lock"
        )
        if (result?.done !== true) {
          const current = yield* currentLock
          // Released between the attempt and the look: try again.
          if (Option.isNone(current) || current.value.stale) {
            if (retries > 0) return yield* tryLock(connection, info, retries - 1)
            return yield* Effect.fail<StateLocked>(lockedError(location, { ...sessionLock(0), stale: false }))
          }
          return yield* Effect.fail<StateLocked>(lockedError(location, current.value))
        }
        // The advisory lock is ours: a row still there is a dead holder's, and is replaced.
        const replaced = yield* onConnection(
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

    /**
     * Stores the current version whole in place of its changes, so that the next command reads
     * it without replaying this one's; the version and its serial stay as they were.
     */
    const fold = transaction((head) =>
      Effect.gen(function* () {
        if (Option.isNone(head) || head.value.changes === 0) return
        const current = yield* cachedAt(head.value)
        if (Option.isNone(current)) return
        const { lineage, serial } = head.value
        yield* sql`UPDATE ${schema}.state_versions SET full_state = ${JSON.stringify(current.value)}::jsonb, changes = NULL
          WHERE project = ${project} AND lineage = ${lineage} AND serial = ${serial}`
        yield* sql`UPDATE ${schema}.states SET base = ${serial}, changes = 0 WHERE project = ${project}`
      })
    )

    const release = (connection: SqlConnection.Connection, info: LockInfo): Effect.Effect<void> =>
      Effect.gen(function* () {
        yield* Ref.set(held, Option.none())
        yield* fold.pipe(
          Effect.catchAll((error) =>
            Effect.logWarning(
              `the state's last version stays stored as changes (${error.message}); it reads all the same`
            )
          )
        )
        const removed = yield* onConnection(
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
        yield* onConnection(
          connection,
          sql`SELECT pg_advisory_unlock(${stateKey.text}::bigint) AS done`,
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
    const attempt = (operation: string): Effect.Effect<LockInfo, StateLocked | StateError, Scope.Scope> =>
      Effect.flatMap(Effect.scope, (outer) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.gen(function* () {
            const scope = yield* Scope.fork(outer, ExecutionStrategy.sequential)
            const exit = yield* restore(
              Effect.gen(function* () {
                const info = yield* makeLockInfo(operation, settings.version)
                const connection = yield* Scope.extend(sql.reserve, scope).pipe(Effect.mapError(ioError("lock")))
                yield* tryLock(connection, info)
                yield* Scope.addFinalizer(scope, release(connection, info))
                yield* Ref.set(held, Option.some(info))
                return info
              })
            ).pipe(Effect.exit)
            if (Exit.isFailure(exit)) yield* Scope.close(scope, exit)
            return yield* exit
          })
        )
      )

    const lock = (operation: string, lockOptions?: LockOptions) =>
      waitForLock(attempt(operation), lockOptions).pipe(
        Effect.withSpan("StateStore.lock", { attributes: { location, operation } })
      )

    /** Ends the session holding the advisory lock, and waits until the server has let go of it. */
    const endSession = (backendPid: number) =>
      Effect.gen(function* () {
        const [ended] = yield* query(
          sql`SELECT pg_terminate_backend(${backendPid}) AS done`,
          FlagRow,
          "pg_terminate_backend",
          "force-unlock"
        )
        if (ended?.done !== true) {
          return yield* new StateIoError({
            path: location,
            operation: "force-unlock",
            detail: `PostgreSQL session ${backendPid}, which holds the lock, could not be ended`
          })
        }
        yield* holderSession.pipe(
          Effect.flatMap((holder) =>
            Option.isSome(holder) && holder.value === backendPid ? Effect.fail("held" as const) : Effect.void
          ),
          Effect.retry(Schedule.spaced(Duration.millis(50)).pipe(Schedule.upTo(Duration.seconds(10)))),
          Effect.catchIf(
            (error) => error === "held",
            () =>
              new StateIoError({
                path: location,
                operation: "force-unlock",
                detail: `PostgreSQL session ${backendPid} was told to end but still holds the lock after 10 s`
              })
          )
        )
      })

    /**
     * Removes the lock whose ID is `id`. Its holder may still be running, so the PostgreSQL session
     * holding the advisory lock is ended (`pg_terminate_backend`: the same role, a superuser or a
     * member of `pg_signal_backend` may); otherwise removing the row alone would free nothing.
     */
    const forceUnlock = (id: string): Effect.Effect<LockInfo, LockNotFound | StateError> =>
      Effect.gen(function* () {
        const row = yield* lockRow
        const holder = yield* holderSession
        if (Option.isSome(row) && row.value.id === id) {
          if (Option.isSome(holder) && holder.value === row.value.backend_pid) yield* endSession(holder.value)
          yield* sql`DELETE FROM ${schema}.locks WHERE project = ${project} AND id = ${id}`.pipe(
            Effect.mapError(ioError("force-unlock"))
          )
          return lockOfRow(row.value)
        }
        if (Option.isSome(holder) && id === sessionLockId(holder.value)) {
          yield* endSession(holder.value)
          return lockInfoOf(sessionLock(holder.value))
        }
        const current = yield* currentLock
        return yield* new LockNotFound({
          path: location,
          id,
          ...(Option.isSome(current) ? { current: lockInfoOf(current.value) } : {})
        })
      })

    // -------------------------------------------------------------------------------------------
    // History
    // -------------------------------------------------------------------------------------------

    const history: Effect.Effect<ReadonlyArray<StateHistoryEntry>, StateError> = query(
      sql`SELECT lineage, serial, written_at, written_by, operation, resources FROM ${schema}.state_versions
        WHERE project = ${project} ORDER BY written_at DESC, serial DESC`,
      HistoryRow,
      "a row of state_versions"
    ).pipe(
      Effect.map((rows) =>
        rows.map(
          (row): StateHistoryEntry => ({
            lineage: row.lineage,
            serial: row.serial,
            written_at: row.written_at.toISOString(),
            written_by: row.written_by,
            ...(row.operation === null ? {} : { operation: row.operation }),
            resources: row.resources
          })
        )
      )
    )

    const readVersion = (serial: number): Effect.Effect<Option.Option<StateFile>, StateError> =>
      Effect.flatMap(readHead(false), (head) =>
        Option.match(head, {
          onNone: () => Effect.succeed(Option.none()),
          onSome: ({ lineage }) => versionAt(lineage, serial)
        })
      )

    return {
      location,
      read,
      write,
      lock,
      currentLock,
      forceUnlock,
      replace,
      history,
      readVersion
    } satisfies PostgresStore
  })

/** `identifier` quoted for SQL text, as `to_regclass` takes it. */
const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`

/** The state in PostgreSQL as the `StateStore`; connects when built, disconnects when released. */
export const layerPostgres = (settings: PostgresSettings): Layer.Layer<StateStore, StateIoError> =>
  Layer.scoped(StateStore, makePostgres(settings))
