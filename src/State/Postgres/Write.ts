/**
 * Writing the state to PostgreSQL: each version is inserted into `state_versions`, whole or as
 * what it changed (a journal entry), and `states` is pointed at it, in one transaction.
 */
import * as Crash from "../../Crash.js"
import type * as SqlError from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Os from "node:os"
import { checkEnvelope } from "../Decode.js"
import type { StateChanges, StateFile, StateVersion } from "../Document.js"
import * as Journal from "../Journal.js"
import { userName } from "../Lock.js"
import { checkReplace, checkWrite, type LockInfo, StateConflict, type StateError } from "../Store.js"
import { advisoryKey, type Database, inTransaction } from "./Database.js"
import { cachedAt, type HeadRow, type Known, readHead, stateOf } from "./Read.js"

/** What the writes of one store share. */
export interface Writer {
  readonly database: Database
  readonly known: Known
  /** The lock this store holds, whose operation each version records. */
  readonly held: Ref.Ref<Option.Option<LockInfo>>
  /** One write of this store at a time. */
  readonly semaphore: Effect.Semaphore
  /** How many versions may be stored as changes before the next one is stored whole. */
  readonly fullEvery: number
  /** `user@host (pid N)`, recorded with each version. */
  readonly writtenBy: string
}

/** Who writes from this process, for `Writer.writtenBy`. */
export const writerName = (): string => `${userName()}@${Os.hostname()} (pid ${process.pid})`

/** Inserts `state` as a version (whole, or as its changes from `previous`) and points `states` at it. */
const store = (writer: Writer, head: Option.Option<HeadRow>, previous: Option.Option<StateFile>, state: StateFile) =>
  Effect.gen(function* () {
    const { project, schema, sql } = writer.database
    const operation = Option.match(yield* Ref.get(writer.held), {
      onNone: () => null,
      onSome: (lock) => lock.operation
    })
    const resources = Object.keys(state.resources).length
    const whole =
      Option.isNone(head) ||
      Option.isNone(previous) ||
      writer.fullEvery === 0 ||
      head.value.changes >= Math.max(writer.fullEvery, resources)
    const fullState = whole ? JSON.stringify(state) : null
    const changes =
      whole || Option.isNone(previous) || Option.isNone(head)
        ? null
        : JSON.stringify(Journal.entryOf(head.value.base, previous.value, state))
    yield* sql`INSERT INTO ${schema}.state_versions
        (project, lineage, serial, written_by, operation, resources, full_state, changes)
      VALUES (${project}, ${state.lineage}, ${state.serial}, ${writer.writtenBy}, ${operation}, ${resources},
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
 * Runs `effect` on the locked `states` row in one transaction that always completes, one write
 * of this store at a time. A transaction-scoped advisory lock makes writers of the project take
 * turns, also the first two, which find no `states` row to lock `FOR UPDATE`. Driver errors,
 * also those of a COMMIT or ROLLBACK, are the store's.
 */
const transaction = <A>(
  writer: Writer,
  effect: (head: Option.Option<HeadRow>) => Effect.Effect<A, StateError | SqlError.SqlError>
): Effect.Effect<A, StateError> => {
  const { database } = writer
  const { project, schemaName, sql } = database
  return writer.semaphore.withPermits(1)(
    Effect.uninterruptible(
      sql
        .withTransaction(
          Effect.gen(function* () {
            yield* sql`SELECT pg_advisory_xact_lock(${advisoryKey("write", schemaName, project).text}::bigint)`
            const result = yield* effect(yield* readHead(database, true))
            yield* Crash.point("state-uncommitted")
            return result
          })
        )
        .pipe(inTransaction(database.ioError("write")), Effect.tap(Crash.point("state-committed")))
    )
  )
}

export const write = (writer: Writer, next: StateFile): Effect.Effect<StateFile, StateError> => {
  const { database, known } = writer
  return transaction(writer, (head) =>
    Effect.gen(function* () {
      yield* checkWrite(database.location, head, next)
      const written: StateFile = { ...next, serial: next.serial + 1 }
      yield* checkEnvelope(database.location, written)
      const previous = Option.isSome(head) ? Option.some(yield* stateOf(database, known, head.value)) : Option.none()
      yield* store(writer, head, previous, written)
      return written
    })
  ).pipe(
    Effect.tap((written) => Ref.set(known, Option.some(written))),
    Effect.withSpan("StateStore.write", { attributes: { location: database.location, serial: next.serial } })
  )
}

/** `write` of the stored state with `changes` applied: the versions are stored as `write` stores them. */
export const writeChanges = (
  writer: Writer,
  from: StateVersion,
  changes: StateChanges
): Effect.Effect<StateVersion, StateError> => {
  const { database, known } = writer
  return transaction(writer, (head) =>
    Effect.gen(function* () {
      if (Option.isNone(head)) return yield* new StateConflict({ path: database.location, expected: from })
      yield* checkWrite(database.location, head, from)
      const previous = yield* stateOf(database, known, head.value)
      const version = { lineage: from.lineage, serial: from.serial + 1 }
      const written = Journal.applyEntry(previous, Journal.entryFor(head.value.base, version, changes))
      yield* checkEnvelope(database.location, written)
      yield* store(writer, head, Option.some(previous), written)
      return written
    })
  ).pipe(
    Effect.tap((written) => Ref.set(known, Option.some(written))),
    Effect.map((written) => ({ lineage: written.lineage, serial: written.serial })),
    Effect.withSpan("StateStore.writeChanges", { attributes: { location: database.location, serial: from.serial } })
  )
}

export const replace = (writer: Writer, state: StateFile): Effect.Effect<StateFile, StateError> => {
  const { database, known } = writer
  return transaction(writer, (head) =>
    Effect.gen(function* () {
      yield* checkReplace(database.location, head, state)
      yield* checkEnvelope(database.location, state)
      yield* store(writer, head, Option.none(), state)
      return state
    })
  ).pipe(
    Effect.tap((stored) => Ref.set(known, Option.some(stored))),
    Effect.withSpan("StateStore.replace", { attributes: { location: database.location, serial: state.serial } })
  )
}

/**
 * Stores the current version whole in place of its changes, so that the next command reads
 * it without replaying this one's; the version and its serial stay as they were.
 */
export const fold = (writer: Writer): Effect.Effect<void, StateError> =>
  transaction(writer, (head) =>
    Effect.gen(function* () {
      const { project, schema, sql } = writer.database
      if (Option.isNone(head) || head.value.changes === 0) return
      const current = yield* cachedAt(writer.known, head.value)
      if (Option.isNone(current)) return
      const { lineage, serial } = head.value
      yield* sql`UPDATE ${schema}.state_versions SET full_state = ${JSON.stringify(current.value)}::jsonb, changes = NULL
        WHERE project = ${project} AND lineage = ${lineage} AND serial = ${serial}`
      yield* sql`UPDATE ${schema}.states SET base = ${serial}, changes = 0 WHERE project = ${project}`
    })
  )
