/**
 * The provider calls a DNS batch request is made for. The Cloudflare provider sends the record
 * writes that start together as one `POST /zones/{zone}/dns_records/batch`, from the call of the
 * first of them; a fault rule for any of the others must fail that request too, as Cloudflare fails
 * a whole batch for one of its changes, or a rule for a record would fire only when its write
 * happened to go first.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Simulator from "../Cloudflare/Simulator.js"
import { makeKey } from "../Resource.js"
import type { Call } from "./FaultInjection.js"
import type { JoinedCalls } from "./TransportFaults.js"

const Existing = Schema.Struct({ id: Schema.String })

/** What of a batch names its records: the IDs of those it changes, the names of those it creates. */
const BatchBody = Schema.parseJson(
  Schema.Struct({
    deletes: Schema.optional(Schema.Array(Existing)),
    patches: Schema.optional(Schema.Array(Existing)),
    puts: Schema.optional(Schema.Array(Existing)),
    posts: Schema.optional(Schema.Array(Schema.Struct({ name: Schema.String, type: Schema.String })))
  })
)

const batchPath = /\/zones\/([^/]+)\/dns_records\/batch$/

const keyOf = (fqdn: string, type: string) => makeKey("dns", `${fqdn}/${type.toUpperCase()}`)

/** The calls of the changes in a batch request to the simulator in `store`; none for any other request. */
export const batchCalls =
  (store: Simulator.CloudflareStore): JoinedCalls =>
  (request) => {
    const zoneId = request.method === "POST" ? batchPath.exec(request.url.split("?")[0]!)?.[1] : undefined
    if (zoneId === undefined || request.body._tag !== "Uint8Array") return Effect.succeed([])
    const text = new TextDecoder().decode(request.body.body)
    return Effect.gen(function* () {
      const body = yield* Schema.decodeUnknown(BatchBody)(text)
      const contents = yield* Simulator.inspect(store)
      const zone = contents.zones.find((candidate) => candidate.id === zoneId)
      if (zone === undefined) return []
      const existing = (operation: Call["operation"]) => (item: typeof Existing.Type) =>
        contents.records
          .filter((record) => record.id === item.id && record.zoneId === zoneId)
          .map((record): Call => ({ operation, key: keyOf(record.name, record.type) }))
      return [
        ...(body.deletes ?? []).flatMap(existing("delete")),
        ...(body.patches ?? []).flatMap(existing("update")),
        ...(body.puts ?? []).flatMap(existing("update")),
        ...(body.posts ?? []).map(
          (post): Call => ({ operation: "create", key: keyOf(Simulator.qualifyRecordName(post.name, zone), post.type) })
        )
      ]
    }).pipe(
      // A body it cannot read is the simulator's to refuse; no rule is weighed for it.
      Effect.orElseSucceed((): ReadonlyArray<Call> => [])
    )
  }
