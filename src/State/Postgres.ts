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
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import type { StateFile } from "./Document.js"
import { connect } from "./Postgres/Database.js"
import * as PostgresLock from "./Postgres/Lock.js"
import { read } from "./Postgres/Read.js"
import { writerName, type Writer, fold, replace, write, writeChanges } from "./Postgres/Write.js"
import { makeVersions } from "./Postgres/Versions.js"
import type { LockInfo, StateIoError, StateStoreService } from "./Store.js"
import type { StateVersionsService } from "./Versions.js"

export { maskUrl } from "./Postgres/Database.js"

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

/** A store in PostgreSQL: the `StateStore` contract, and `StateVersions`, since it keeps every version. */
export interface PostgresStore extends StateStoreService, StateVersionsService {}

const defaultSchema = "fleetflow"
const defaultFullEvery = 64

/**
 * The state of `settings.project` in PostgreSQL. Connects, and creates the schema and its
 * tables when they are missing; the connections close with the scope.
 */
export const makePostgres = (settings: PostgresSettings): Effect.Effect<PostgresStore, StateIoError, Scope.Scope> =>
  Effect.gen(function* () {
    const database = yield* connect({
      url: settings.url,
      schema: settings.schema ?? defaultSchema,
      project: settings.project,
      connectTimeout: settings.connectTimeout
    })
    const known = yield* Ref.make(Option.none<StateFile>())
    const held = yield* Ref.make(Option.none<LockInfo>())
    const writer: Writer = {
      database,
      known,
      held,
      semaphore: yield* Effect.makeSemaphore(1),
      fullEvery: settings.fullEvery ?? defaultFullEvery,
      writtenBy: writerName()
    }
    const lockSettings = { held, version: settings.version, beforeRelease: fold(writer) }
    return {
      location: database.location,
      read: read(database, known),
      write: (next) => write(writer, next),
      writeChanges: (from, changes) => writeChanges(writer, from, changes),
      lock: (operation, options) => PostgresLock.lock(database, lockSettings, operation, options),
      currentLock: PostgresLock.currentLock(database),
      forceUnlock: (id) => PostgresLock.forceUnlock(database, id),
      replace: (state) => replace(writer, state),
      ...makeVersions(database)
    } satisfies PostgresStore
  })
