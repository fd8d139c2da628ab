/** The versions `state_versions` keeps, for `fleetflow state history` and `state rollback`. */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { StateFile } from "../Document.js"
import type { StateError } from "../Store.js"
import type { StateHistoryEntry, StateVersionsService } from "../Versions.js"
import { type Database, query } from "./Database.js"
import { Int8, readHead, versionAt } from "./Read.js"

const HistoryRow = Schema.Struct({
  lineage: Schema.String,
  serial: Int8,
  written_at: Schema.DateFromSelf,
  written_by: Schema.String,
  operation: Schema.NullOr(Schema.String),
  resources: Int8
})

const history = (database: Database): Effect.Effect<ReadonlyArray<StateHistoryEntry>, StateError> => {
  const { project, schema, sql } = database
  return query(
    database,
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
}

/** The state at `serial` in the current lineage. */
const readVersion = (database: Database, serial: number): Effect.Effect<Option.Option<StateFile>, StateError> =>
  Effect.flatMap(readHead(database, false), (head) =>
    Option.match(head, {
      onNone: () => Effect.succeed(Option.none()),
      onSome: ({ lineage }) => versionAt(database, lineage, serial)
    })
  )

export const makeVersions = (database: Database): StateVersionsService => ({
  history: history(database),
  readVersion: (serial) => readVersion(database, serial)
})
