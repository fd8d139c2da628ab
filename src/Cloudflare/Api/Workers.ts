/** Workers over the REST API: wrangler writes them; these calls read them and set their routes. */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Schemas from "./Schemas.js"
import { quoted, type Result, type Transport } from "./Transport.js"

export interface Workers {
  /** Every Workers script of the account, in one call. */
  readonly list: Result<ReadonlyArray<Schemas.WorkerScript>>
  /** Replaces every route of a Worker (wrangler adds routes, but never removes them all). */
  readonly setRoutes: (
    name: string,
    routes: ReadonlyArray<{ readonly pattern: string; readonly zone_name?: string }>
  ) => Result<void>
}

export const make = (transport: Transport): Workers => ({
  list: Effect.flatMap(transport.accountId("worker list"), (account) =>
    transport.result({
      operation: "worker list",
      method: "GET",
      path: ["accounts", account, "workers", "scripts"],
      result: Schema.Array(Schemas.WorkerScript),
      idempotent: true
    })
  ),
  setRoutes: (name, routes) =>
    Effect.flatMap(transport.accountId("worker routes put"), (account) =>
      Effect.asVoid(
        transport.result({
          operation: "worker routes put",
          subject: quoted(name),
          method: "PUT",
          path: ["accounts", account, "workers", "scripts", name, "routes"],
          body: routes,
          result: Schemas.Ignored,
          idempotent: true
        })
      )
    )
})
