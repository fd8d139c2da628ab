/**
 * Workers over the REST API: wrangler writes them; these calls read them and set their routes.
 * The script list holds each script's compatibility settings; its bindings and routes are read
 * per script (`…/scripts/{name}/settings` and `…/scripts/{name}/routes`, as cloudflare-rs's
 * `ListRoutesScript` and the API schema's "Get Settings" read them).
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Schemas from "./Schemas.js"
import { quoted, type Result, type Transport } from "./Transport.js"

export interface Workers {
  /** Every Workers script of the account, in one call. */
  readonly list: Result<ReadonlyArray<Schemas.WorkerScript>>
  /** What the deployed version of a Worker runs with: its bindings. */
  readonly settings: (name: string) => Result<Schemas.WorkerSettings>
  /** The routes, in every zone of the account, that run a Worker. */
  readonly routes: (name: string) => Result<ReadonlyArray<Schemas.WorkerRoute>>
  /** Whether a Worker is published on its workers.dev address. */
  readonly subdomain: (name: string) => Result<Schemas.WorkerSubdomain>
  /** Replaces every route of a Worker (wrangler adds routes, but never removes them all). */
  readonly setRoutes: (
    name: string,
    routes: ReadonlyArray<{ readonly pattern: string; readonly zone_name?: string }>
  ) => Result<void>
}

/** A GET of one part of a script: `…/workers/scripts/{name}/{part}`. */
const scriptRead = <A, I>(
  transport: Transport,
  operation: string,
  name: string,
  part: string,
  result: Schema.Schema<A, I>
): Result<A> =>
  Effect.flatMap(transport.accountId(operation), (account) =>
    transport.result({
      operation,
      subject: quoted(name),
      method: "GET",
      path: ["accounts", account, "workers", "scripts", name, part],
      result,
      idempotent: true
    })
  )

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
  settings: (name) => scriptRead(transport, "worker settings get", name, "settings", Schemas.WorkerSettings),
  routes: (name) => scriptRead(transport, "worker routes list", name, "routes", Schema.Array(Schemas.WorkerRoute)),
  subdomain: (name) => scriptRead(transport, "worker subdomain get", name, "subdomain", Schemas.WorkerSubdomain),
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
