/**
 * What a plan checks before any change, once, rather than in every action of the apply: the
 * settings, the token, the zones the file writes DNS records and R2 custom domains in, and
 * wrangler when something deploys. A zone the token cannot see fails the plan naming the first
 * resource that needs it, where it would otherwise plan a create that cannot apply. The zones
 * looked up are remembered by the client: the plan's reads and the apply use them.
 */
import * as Effect from "effect/Effect"
import type { ProviderError } from "../../Provider.js"
import type { DesiredResource, ResourceKey } from "../../Resource.js"
import * as Together from "../../Together.js"
import * as Wrangler from "../Wrangler.js"
import type { Deployer } from "./Actions.js"
import { type Clients, orFail } from "./Common.js"

/** Each zone a DNS record or custom domain is written in, with the first resource that names it. */
const zonesOf = (desired: ReadonlyArray<DesiredResource>): ReadonlyMap<string, ResourceKey> => {
  const zones = new Map<string, ResourceKey>()
  for (const resource of desired) {
    const zone = resource.inputs.zone
    if ((resource.type === "dns" || resource.type === "r2-domain") && typeof zone === "string" && !zones.has(zone)) {
      zones.set(zone, resource.key)
    }
  }
  return zones
}

export const check =
  (clients: Clients, deployer: Deployer | undefined) =>
  (desired: ReadonlyArray<DesiredResource>): Effect.Effect<void, ProviderError> =>
    Effect.gen(function* () {
      if (desired.length === 0) return
      const account = desired.some((resource) => resource.type !== "dns")
      yield* orFail()(clients.read.checkSettings("plan", { account }))
      // Made together; a token Cloudflare refuses fails the zone lookups too, and its own error says more.
      yield* Together.all([
        orFail()(clients.read.token.verify),
        Effect.forEach(zonesOf(desired), ([zone, key]) => orFail(key)(clients.read.zones.byName(zone)), {
          concurrency: "unbounded",
          discard: true
        })
      ])
      const deploys = desired.some((resource) => resource.type === "worker" || resource.type === "pages")
      if (deploys && deployer !== undefined) {
        yield* Effect.mapError(deployer.wrangler.check, (error) => Wrangler.toProviderError(error))
      }
    })
