/**
 * Worker routes: a zone's routes (`/zones/{zone}/workers/routes`, `{pattern, script}`), and
 * the script-level `PUT /accounts/{a}/workers/scripts/{name}/routes` wrangler deploys with,
 * which replaces every route of the script at once (the zone comes from `zone_id`,
 * `zone_name` or the pattern's host). A pattern belongs to one route of its zone.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { CloudflareDocument, WorkerRoute, Zone } from "./Document.js"
import {
  allocateId,
  answer,
  type ApiFailure,
  type Call,
  decodeBody,
  fail,
  type Handler,
  replaceIn
} from "./Envelope.js"

export const codes = {
  /** A body the API does not accept. */
  invalid: 10021,
  /** A route naming a script that does not exist. */
  scriptMissing: 10019,
  /** The pattern already has a route in the zone. */
  duplicate: 10020,
  /** The simulator's choice of code: no such route in the zone. */
  noSuchRoute: 10018,
  /** The simulator's choice of code: the pattern's host is not in the zone. */
  outsideZone: 10022,
  unknownZone: 7003
} as const

export const routeView = (route: WorkerRoute) => ({
  id: route.id,
  pattern: route.pattern,
  ...(route.script === undefined ? {} : { script: route.script })
})

/** The host of a route pattern, wildcards removed (`*.example.com/*` → `example.com`). */
export const hostOf = (pattern: string): string =>
  pattern
    .replace(/^https?:\/\//, "")
    .split("/")[0]
    ?.replace(/^\*\.?/, "")
    .replace(/:\d+$/, "")
    .toLowerCase() ?? ""

const inZone = (host: string, zone: Zone) => host === zone.name || host.endsWith(`.${zone.name}`)

const findZone = (call: Call, document: CloudflareDocument): Effect.Effect<Zone, ApiFailure> => {
  const zone = document.zones.find((item) => item.id === call.params.zone)
  return zone === undefined
    ? fail(400, codes.unknownZone, `Could not route to ${call.path}, perhaps your object identifier is invalid?`)
    : Effect.succeed(zone)
}

const scriptExists = (document: CloudflareDocument, accountId: string, script: string) =>
  document.workers.some((worker) => worker.accountId === accountId && worker.name === script)

export const listZoneRoutes: Handler = (call, document) =>
  Effect.flatMap(findZone(call, document), (zone) =>
    answer(
      document.routes.filter((route) => route.zoneId === zone.id).map((route) => routeView(route)),
      document
    )
  )

const RouteInput = Schema.Struct({
  pattern: Schema.String.pipe(Schema.minLength(1)),
  script: Schema.optional(Schema.String)
})

const checkRoute = (
  zone: Zone,
  input: typeof RouteInput.Type,
  document: CloudflareDocument,
  except?: WorkerRoute
): Effect.Effect<void, ApiFailure> =>
  Effect.gen(function* () {
    if (!inZone(hostOf(input.pattern), zone)) {
      return yield* fail(400, codes.outsideZone, `Route pattern must include zone name: ${zone.name}`)
    }
    if (input.script !== undefined && input.script !== "" && !scriptExists(document, zone.accountId, input.script)) {
      return yield* fail(400, codes.scriptMissing, "workers.api.error.invalid_route_script_missing")
    }
    const taken = document.routes.some(
      (route) => route !== except && route.zoneId === zone.id && route.pattern === input.pattern
    )
    if (taken) return yield* fail(409, codes.duplicate, "workers.api.error.duplicate_route")
  })

export const createZoneRoute: Handler = (call, document) =>
  Effect.gen(function* () {
    const zone = yield* findZone(call, document)
    const input = yield* decodeBody(call, RouteInput, codes.invalid)
    yield* checkRoute(zone, input, document)
    const [id, next] = allocateId(document, "route")
    const route: WorkerRoute = {
      id,
      zoneId: zone.id,
      pattern: input.pattern,
      ...(input.script === undefined || input.script === "" ? {} : { script: input.script })
    }
    return yield* answer(routeView(route), { ...next, routes: [...next.routes, route] })
  })

const findRoute = (call: Call, document: CloudflareDocument) =>
  Effect.gen(function* () {
    const zone = yield* findZone(call, document)
    const route = document.routes.find((item) => item.zoneId === zone.id && item.id === call.params.route)
    if (route === undefined) return yield* fail(404, codes.noSuchRoute, "workers.api.error.route_not_found")
    return { zone, route }
  })

export const getZoneRoute: Handler = (call, document) =>
  Effect.flatMap(findRoute(call, document), ({ route }) => answer(routeView(route), document))

export const updateZoneRoute: Handler = (call, document) =>
  Effect.gen(function* () {
    const { zone, route } = yield* findRoute(call, document)
    const input = yield* decodeBody(call, RouteInput, codes.invalid)
    yield* checkRoute(zone, input, document, route)
    const { script: _, ...rest } = route
    const next: WorkerRoute = {
      ...rest,
      pattern: input.pattern,
      ...(input.script === undefined || input.script === "" ? {} : { script: input.script })
    }
    return yield* answer(routeView(next), replaceIn(document, "routes", route, next))
  })

export const deleteZoneRoute: Handler = (call, document) =>
  Effect.flatMap(findRoute(call, document), ({ route }) =>
    answer({ id: route.id }, { ...document, routes: document.routes.filter((item) => item !== route) })
  )

const ScriptRoute = Schema.Struct({
  pattern: Schema.String.pipe(Schema.minLength(1)),
  zone_id: Schema.optional(Schema.String),
  zone_name: Schema.optional(Schema.String),
  custom_domain: Schema.optional(Schema.Boolean)
})

/** The zone a script route belongs to: the one it names, or the closest that holds its host. */
const zoneOfRoute = (
  input: typeof ScriptRoute.Type,
  accountId: string,
  document: CloudflareDocument
): Effect.Effect<Zone, ApiFailure> => {
  const zones = document.zones.filter((zone) => zone.accountId === accountId)
  const host = hostOf(input.pattern)
  const zone =
    input.zone_id !== undefined
      ? zones.find((item) => item.id === input.zone_id)
      : input.zone_name !== undefined
        ? zones.find((item) => item.name === input.zone_name?.toLowerCase())
        : zones
            .filter((item) => inZone(host, item))
            .sort((a, b) => b.name.length - a.name.length)
            .at(0)
  return zone === undefined
    ? fail(
        400,
        codes.unknownZone,
        `Could not find a zone of the account for the route ${input.pattern}${input.zone_name === undefined ? "" : ` (zone_name ${input.zone_name})`}.`
      )
    : Effect.succeed(zone)
}

const scriptRouteView = (route: WorkerRoute, zone: Zone) => ({
  ...routeView(route),
  zone_id: zone.id,
  zone_name: zone.name
})

/** `GET …/workers/scripts/{name}/routes`: the routes of every zone of the account that run the script. */
export const listScriptRoutes: Handler = (call, document) =>
  Effect.gen(function* () {
    const account = call.params.account ?? ""
    const script = call.params.script ?? ""
    if (!scriptExists(document, account, script)) {
      return yield* fail(404, 10007, "workers.api.error.script_not_found")
    }
    const zones = document.zones.filter((zone) => zone.accountId === account)
    return yield* answer(
      document.routes.flatMap((route) => {
        const zone = zones.find((item) => item.id === route.zoneId)
        return zone === undefined || route.script !== script ? [] : [scriptRouteView(route, zone)]
      }),
      document
    )
  })

/** `PUT …/workers/scripts/{name}/routes`: the script's routes become exactly these. */
export const putScriptRoutes: Handler = (call, document) =>
  Effect.gen(function* () {
    const account = call.params.account ?? ""
    const script = call.params.script ?? ""
    if (!scriptExists(document, account, script)) {
      return yield* fail(404, 10007, "workers.api.error.script_not_found")
    }
    const inputs = yield* decodeBody(call, Schema.Array(ScriptRoute), codes.invalid)
    const accountZones = new Set(document.zones.filter((zone) => zone.accountId === account).map((zone) => zone.id))
    // Routes of the script are replaced (keeping the IDs of patterns it keeps); the others stay and may conflict.
    const previous = document.routes.filter((route) => accountZones.has(route.zoneId) && route.script === script)
    let next: CloudflareDocument = {
      ...document,
      routes: document.routes.filter((route) => !previous.includes(route))
    }
    const added: Array<ReturnType<typeof scriptRouteView>> = []
    for (const input of inputs) {
      if (input.custom_domain === true) {
        return yield* fail(400, codes.invalid, "Custom domains are not simulated: use routes.")
      }
      const zone = yield* zoneOfRoute(input, account, next)
      yield* checkRoute(zone, { pattern: input.pattern, script }, next)
      const kept = previous.find((route) => route.zoneId === zone.id && route.pattern === input.pattern)
      const [id, allocated] = kept === undefined ? allocateId(next, "route") : [kept.id, next]
      const route: WorkerRoute = { id, zoneId: zone.id, pattern: input.pattern, script }
      next = { ...allocated, routes: [...allocated.routes, route] }
      added.push(scriptRouteView(route, zone))
    }
    return yield* answer(added, next)
  })
