/**
 * The connection to PostgreSQL behind a store: the pool, the tables (created on first use),
 * statements whose rows are decoded or the state taken for corrupt, and the connection string
 * kept out of every message.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlConnection from "@effect/sql/SqlConnection"
import * as SqlError from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import { decodeJson } from "../Decode.js"
import { StateCorrupt, type StateError, StateIoError } from "../Store.js"
import { maskUrl, passwordForms } from "../../UrlPassword.js"

export { maskUrl } from "../../UrlPassword.js"

/** Removes the connection string and its password from a driver's message, should one quote them. */
const scrubber = (url: string) => {
  // A very short password would mask ordinary words; drivers do not quote it anyway.
  const secrets = [url, ...passwordForms(url).filter((password) => password.length >= 4)]
  return (text: string): string => secrets.reduce((result, secret) => result.split(secret).join("***"), text)
}

/** Error codes of a server that is gone or going: the network's, and PostgreSQL's classes 08 and 57P. */
const unreachableCode = /^(ECONN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|08|57P0)/
const unreachableMessage = /connection (error|terminated)|not queryable/i

/** The driver's own message, rather than the generic one the SQL layer wraps it in. */
const describeSqlError = (error: SqlError.SqlError): { readonly detail: string; readonly unreachable: boolean } => {
  const cause = error.cause
  const causes = cause instanceof AggregateError && cause.errors.length > 0 ? cause.errors : [cause]
  const described = causes.flatMap((inner) => {
    if (!(inner instanceof Error)) return []
    const code = (inner as { readonly code?: unknown }).code
    return [{ text: inner.message, code: typeof code === "string" ? code : undefined }]
  })
  if (described.length === 0) return { detail: error.message, unreachable: false }
  return {
    detail: described.map(({ code, text }) => (code === undefined ? text : `${text} (${code})`)).join("; "),
    unreachable: described.some(
      ({ code, text }) => (code !== undefined && unreachableCode.test(code)) || unreachableMessage.test(text)
    )
  }
}

/**
 * A transaction's driver errors as the store's: the driver turns a COMMIT or ROLLBACK that fails
 * (the server went away mid-transaction) into a defect, which is the store's failure all the same.
 */
export const inTransaction =
  (ioError: (error: SqlError.SqlError) => StateIoError) =>
  <A, E extends StateError, R>(
    transaction: Effect.Effect<A, E | SqlError.SqlError, R>
  ): Effect.Effect<A, E | StateIoError, R> =>
    transaction.pipe(
      Effect.mapError((error) => (error instanceof SqlError.SqlError ? ioError(error) : error)),
      Effect.catchSomeDefect((defect) =>
        defect instanceof SqlError.SqlError ? Option.some(Effect.fail(ioError(defect))) : Option.none()
      )
    )

/** A signed 64-bit advisory lock key, and the two halves `pg_locks` shows it as. */
export const advisoryKey = (purpose: string, ...parts: ReadonlyArray<string>) => {
  const key = Crypto.createHash("sha256")
    .update([`fleetflow-${purpose}`, ...parts].join("\u0000"))
    .digest()
    .readBigInt64BE(0)
  const unsigned = BigInt.asUintN(64, key)
  return { text: key.toString(), high: Number(unsigned >> 32n), low: Number(unsigned & 0xffffffffn) }
}
export type AdvisoryKey = ReturnType<typeof advisoryKey>

/** `identifier` quoted for SQL text, as `to_regclass` takes it. */
const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`

/** One project's state in one schema of a database, connected. */
export interface Database {
  readonly sql: SqlClient.SqlClient
  /** The schema holding FleetFlow's tables, as an identifier for statements. */
  readonly schema: Statement.Identifier
  readonly schemaName: string
  readonly project: string
  /** Where the state lives, for messages, with the password masked. */
  readonly location: string
  /** A driver's error as the store's, with the connection string removed from it. */
  readonly ioError: (operation: string) => (error: SqlError.SqlError) => StateIoError
}

export interface ConnectSettings {
  readonly url: Redacted.Redacted<string>
  readonly schema: string
  readonly project: string
  readonly connectTimeout?: Duration.DurationInput | undefined
}

/** Connects (the connections close with the scope) and creates the tables when they are missing. */
export const connect = (settings: ConnectSettings): Effect.Effect<Database, StateIoError, Scope.Scope> =>
  Effect.gen(function* () {
    const url = Redacted.value(settings.url)
    const scrub = scrubber(url)
    const location = `${maskUrl(url)} (schema ${settings.schema}, project ${settings.project})`
    const ioError =
      (operation: string) =>
      (error: SqlError.SqlError): StateIoError => {
        const { detail, unreachable } = describeSqlError(error)
        return new StateIoError({ path: location, operation, detail: scrub(detail), server: "PostgreSQL", unreachable })
      }
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
    const database: Database = {
      sql,
      schema: sql(settings.schema),
      schemaName: settings.schema,
      project: settings.project,
      location,
      ioError
    }
    // Checked first, so that a role allowed to use the tables but not to create them works.
    yield* inTransaction(ioError("create the tables of"))<void, never, never>(
      Effect.flatMap(tablesExist(database), (exist) => (exist ? Effect.void : createTables(database)))
    )
    return database
  })

const tablesExist = ({ schemaName, sql }: Database) =>
  Effect.map(
    sql<{ readonly done: boolean }>`SELECT
      to_regclass(${`${quote(schemaName)}.states`}) IS NOT NULL
      AND to_regclass(${`${quote(schemaName)}.state_versions`}) IS NOT NULL
      AND to_regclass(${`${quote(schemaName)}.locks`}) IS NOT NULL AS done`,
    (rows) => rows[0]?.done === true
  )

// Two processes creating the same table at once can both fail `IF NOT EXISTS` on the catalog's
// unique index: a transaction-scoped advisory lock makes them take turns.
const createTables = (database: Database) => {
  const { schema, schemaName, sql } = database
  return sql.withTransaction(
    Effect.gen(function* () {
      yield* sql`SELECT pg_advisory_xact_lock(${advisoryKey("schema", schemaName).text}::bigint)`
      if (yield* tablesExist(database)) return
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
}

/** Decodes rows; a row that does not decode is a state that cannot be trusted. */
const decodeRows = <A, I>(
  database: Database,
  rows: ReadonlyArray<unknown>,
  row: Schema.Schema<A, I>,
  what: string
): Effect.Effect<ReadonlyArray<A>, StateCorrupt> =>
  Effect.forEach(rows, (value) =>
    Either.match(decodeJson(row, value), {
      onLeft: (issues) => Effect.fail(new StateCorrupt({ path: database.location, detail: `${what}: ${issues}` })),
      onRight: (decoded) => Effect.succeed(decoded)
    })
  )

/** The rows of `statement`, decoded with `row`; `what` names them in the error when they do not decode. */
export const query = <A, I>(
  database: Database,
  statement: Statement.Statement<object>,
  row: Schema.Schema<A, I>,
  what: string,
  operation = "read"
): Effect.Effect<ReadonlyArray<A>, StateIoError | StateCorrupt> =>
  Effect.flatMap(Effect.mapError(statement, database.ioError(operation)), (rows) =>
    decodeRows(database, rows, row, what)
  )

/** `query` on the connection that holds the lock, not on one from the pool. */
export const queryOn = <A, I>(
  database: Database,
  connection: SqlConnection.Connection,
  statement: Statement.Statement<object>,
  row: Schema.Schema<A, I>,
  what: string,
  operation = "lock"
): Effect.Effect<ReadonlyArray<A>, StateIoError | StateCorrupt> =>
  Effect.suspend(() => {
    const [text, parameters] = statement.compile()
    return connection.execute(text, parameters, undefined)
  }).pipe(
    Effect.mapError(database.ioError(operation)),
    Effect.flatMap((rows) => decodeRows(database, rows, row, what))
  )
