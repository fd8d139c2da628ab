import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import { State } from "fleetflow-cloud"
import { makePostgres } from "fleetflow-cloud/postgres"

/** A project's state in PostgreSQL, every version kept: in place of `State.layerMemory()` above. */
export const postgresState = (url: Redacted.Redacted<string>, project: string) =>
  Layer.scopedContext(
    Effect.map(makePostgres({ url, project }), (store) =>
      Context.make(State.StateStore, store).pipe(Context.add(State.StateVersions, store))
    )
  )
