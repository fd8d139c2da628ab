/**
 * Which store holds a project's state: the local `.fleetflow/` folder, or PostgreSQL. The
 * PostgreSQL code and its driver are imported only when a command opens that store.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { makeLocal, StateStore, type StateIoError, type StateStoreService } from "../State.js"
import { version } from "../Version.js"

export type Backend =
  | { readonly kind: "local"; readonly directory: string }
  | {
      readonly kind: "postgres"
      readonly url: Redacted.Redacted<string>
      /** Default `fleetflow`. */
      readonly schema?: string | undefined
      /** The key of the state in the database: one state per project. */
      readonly project: string
    }

/** The store of `backend`, open until the scope closes (the PostgreSQL connections close with it). */
export const open = (
  backend: Backend
): Effect.Effect<StateStoreService, StateIoError, FileSystem.FileSystem | Scope.Scope> =>
  backend.kind === "local"
    ? makeLocal(backend.directory, { version })
    : Effect.flatMap(
        Effect.promise(() => import("./Postgres.js")),
        (Postgres) =>
          Postgres.makePostgres({
            url: backend.url,
            project: backend.project,
            version,
            ...(backend.schema === undefined ? {} : { schema: backend.schema })
          })
      )

export const layer = (backend: Backend): Layer.Layer<StateStore, StateIoError, FileSystem.FileSystem> =>
  Layer.scoped(StateStore, open(backend))
