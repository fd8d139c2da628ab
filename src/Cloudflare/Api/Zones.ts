/** Zones by name over the REST API, each looked up once per client and then remembered. */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Errors from "./Errors.js"
import { sharedReads } from "../../SharedReads.js"
import * as Schemas from "./Schemas.js"
import { quoted, type Result, type Transport } from "./Transport.js"

export interface Zones {
  /** The zone with this exact name; looked up once per service, then remembered. Missing: `not-found`. */
  readonly byName: (name: string) => Result<Schemas.Zone>
}

const zoneName = (name: string) => name.trim().toLowerCase().replace(/\.$/, "")

const lookup = (transport: Transport, name: string): Result<Schemas.Zone> =>
  Effect.gen(function* () {
    const operation = "zone lookup"
    const subject = quoted(name)
    const zones = yield* transport.result({
      operation,
      subject,
      method: "GET",
      path: ["zones"],
      query: { name, per_page: 50 },
      result: Schema.Array(Schemas.Zone),
      idempotent: true
    })
    const named = zones.filter((zone) => zoneName(zone.name) === name)
    const zone = named.find((candidate) => candidate.status === "active") ?? named[0]
    if (zone === undefined) {
      return yield* Errors.make(
        operation,
        "not-found",
        `${operation} ${subject}: no zone with this name is visible to the API token`,
        { hint: "Add the domain to Cloudflare, or give the token Zone: Read on it." }
      )
    }
    return zone
  })

export const make = (transport: Transport): Effect.Effect<Zones> =>
  Effect.sync(() => {
    // Concurrent lookups of one name share one request, in a fiber of its own: a caller interrupted because a
    // sibling failed does not end the others' wait (as a cache's lookup run by its first caller would).
    // A failed one is forgotten, so the next call asks again.
    const zones = sharedReads<Schemas.Zone, Errors.CloudflareError>()
    return {
      byName: (name) => {
        const key = zoneName(name)
        return Effect.flatMap(zones.start(key, lookup(transport, key)), Deferred.await)
      }
    }
  })
