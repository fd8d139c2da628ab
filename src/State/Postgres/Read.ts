/**
 * Reading the state from PostgreSQL: the `states` row names the current version, which is
 * replayed from the last full copy in `state_versions` at or before it and the changes after.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { decodeEntry, decodeJson } from "../Decode.js"
import { StateFile } from "../Document.js"
import * as Journal from "../Journal.js"
import { StateCorrupt, type StateError } from "../Store.js"
import { type Database, query } from "./Database.js"

/** `bigint` columns come back as strings. */
export const Int8 = Schema.Union(Schema.NonNegativeInt, Schema.compose(Schema.NumberFromString, Schema.NonNegativeInt))

/** The current version, the full copy it is replayed from (`base`), and how many changes follow that copy. */
const HeadRow = Schema.Struct({ lineage: Schema.String, serial: Int8, base: Int8, changes: Int8 })
export type HeadRow = typeof HeadRow.Type

const VersionRow = Schema.Struct({
  serial: Int8,
  full_state: Schema.NullOr(Schema.Unknown),
  changes: Schema.NullOr(Schema.Unknown)
})

/** The state this store read or wrote last: while the stored serial is still its, nothing is fetched. */
export type Known = Ref.Ref<Option.Option<StateFile>>

/** The project's row of `states`, locked for the transaction when `forUpdate`. */
export const readHead = (database: Database, forUpdate: boolean): Effect.Effect<Option.Option<HeadRow>, StateError> => {
  const { project, schema, sql } = database
  return query(
    database,
    forUpdate
      ? sql`SELECT lineage, serial, base, changes FROM ${schema}.states WHERE project = ${project} FOR UPDATE`
      : sql`SELECT lineage, serial, base, changes FROM ${schema}.states WHERE project = ${project}`,
    HeadRow,
    "the row of states"
  ).pipe(Effect.map((rows) => Option.fromNullable(rows[0])))
}

/** The state at `serial`: the last full copy at or before it, with the changes after it replayed. */
export const versionAt = (
  database: Database,
  lineage: string,
  serial: number
): Effect.Effect<Option.Option<StateFile>, StateError> =>
  Effect.gen(function* () {
    const { project, schema, sql } = database
    const rows = yield* query(
      database,
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
        path: database.location,
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
        return yield* corrupt(`is followed by changes for lineage ${entry.right.lineage} serial ${entry.right.serial}`)
      }
      state = Journal.applyEntry(state, entry.right)
    }
    return state.serial === serial ? Option.some(state) : Option.none()
  })

/** The known state, when it is the version `head` names. */
export const cachedAt = (known: Known, head: HeadRow): Effect.Effect<Option.Option<StateFile>> =>
  Effect.map(Ref.get(known), (cached) =>
    Option.filter(cached, (state) => state.lineage === head.lineage && state.serial === head.serial)
  )

/** The version `head` names, from the known state or fetched (and then known). */
export const stateOf = (database: Database, known: Known, head: HeadRow): Effect.Effect<StateFile, StateError> =>
  Effect.gen(function* () {
    const cached = yield* cachedAt(known, head)
    if (Option.isSome(cached)) return cached.value
    const state = yield* versionAt(database, head.lineage, head.serial)
    if (Option.isNone(state)) {
      return yield* new StateCorrupt({
        path: database.location,
        detail:
          `the current version (lineage ${head.lineage}, serial ${head.serial}) is missing from state_versions. ` +
          "Earlier versions may be kept: `fleetflow state history` lists them"
      })
    }
    yield* Ref.set(known, state)
    return state.value
  })

export const read = (database: Database, known: Known): Effect.Effect<Option.Option<StateFile>, StateError> =>
  Effect.gen(function* () {
    const head = yield* readHead(database, false)
    if (Option.isNone(head)) return Option.none()
    return Option.some(yield* stateOf(database, known, head.value))
  }).pipe(Effect.withSpan("StateStore.read", { attributes: { location: database.location } }))
