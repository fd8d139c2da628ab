/**
 * Which store holds a project's state: the local `.fleetflow/` folder, or PostgreSQL. The
 * PostgreSQL code and its driver are imported only when a command opens that store.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { version } from "../Version.js"
import { makeLocal } from "./Local.js"
import type { PostgresStore } from "./Postgres.js"
import { ofProject, type StateError, type StateIoError, StateStore, type StateStoreService } from "./Store.js"
import { StateVersions } from "./Versions.js"

export type Backend =
  | {
      readonly kind: "local"
      readonly directory: string
      /** The project whose state the folder must hold. */
      readonly project: string
    }
  | {
      readonly kind: "postgres"
      readonly url: Redacted.Redacted<string>
      /** Default `fleetflow`. */
      readonly schema?: string | undefined
      /** The key of the state in the database: one state per project. */
      readonly project: string
      /** The `.fleetflow/` folder whose state a switch to the database would leave behind, checked on opening. */
      readonly localDirectory?: string | undefined
    }

/** The file was switched to PostgreSQL, but the state is still in `.fleetflow/`: planning from nothing would make everything again. */
export class StateNotMigrated extends Schema.TaggedError<StateNotMigrated>()("StateNotMigrated", {
  location: Schema.String,
  local: Schema.String,
  serial: Schema.Number
}) {
  override get message(): string {
    return (
      `${this.location} holds no state for this project, but ${this.local} does (serial ${this.serial}).\n` +
      "  Copy it there first with `fleetflow state migrate --to postgres`; planning from no state would make everything again."
    )
  }
}

const openPostgres = (
  backend: Extract<Backend, { readonly kind: "postgres" }>
): Effect.Effect<PostgresStore, StateIoError, Scope.Scope> =>
  Effect.flatMap(
    Effect.promise(() => import("./Postgres.js")),
    (Postgres) =>
      Postgres.makePostgres({
        url: backend.url,
        project: backend.project,
        version,
        ...(backend.schema === undefined ? {} : { schema: backend.schema })
      })
  )

/** A local folder's store: a state of another project than the file's is neither read nor written. */
const openLocal = (backend: Extract<Backend, { readonly kind: "local" }>) =>
  Effect.map(makeLocal(backend.directory, { version }), (store) => ofProject(store, backend.project))

/**
 * The store of `backend`, open until the scope closes (the PostgreSQL connections close with it).
 * A database keeps each project's state under its own key, so it holds no other project's.
 */
export const open = (
  backend: Backend
): Effect.Effect<StateStoreService, StateIoError, FileSystem.FileSystem | Scope.Scope> =>
  backend.kind === "local" ? openLocal(backend) : openPostgres(backend)

/** Fails when the database is empty and the local folder still holds a state. */
const checkMigrated = (store: StateStoreService, localDirectory: string) =>
  Effect.gen(function* () {
    if (Option.isSome(yield* store.read)) return
    const local = yield* makeLocal(localDirectory)
    // A local state that cannot be read is no reason to stop using the database.
    const left = yield* Effect.orElseSucceed(local.read, () => Option.none())
    if (Option.isSome(left)) {
      return yield* new StateNotMigrated({ location: store.location, local: local.location, serial: left.value.serial })
    }
  })

/**
 * The store of `backend` as `StateStore`; a store that keeps every version (PostgreSQL) provides
 * `StateVersions` beside it, which `Effect.serviceOption(StateVersions)` finds.
 */
export const layer = (
  backend: Backend
): Layer.Layer<StateStore, StateIoError | StateError | StateNotMigrated, FileSystem.FileSystem> => {
  if (backend.kind === "local") return Layer.effect(StateStore, openLocal(backend))
  const localDirectory = backend.localDirectory
  return Layer.scopedContext(
    Effect.gen(function* () {
      const store = yield* openPostgres(backend)
      if (localDirectory !== undefined) yield* checkMigrated(store, localDirectory)
      return Context.make(StateStore, store).pipe(Context.add(StateVersions, store))
    })
  )
}
