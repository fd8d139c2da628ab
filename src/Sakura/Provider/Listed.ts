/**
 * The servers the run's `getState` just listed, for the update or delete that follows at once: a
 * `server read` right after a `server list` that holds the server tells nothing new. A listed
 * server answers the first look at it within `freshFor` of its list; after that, or once taken (a
 * retried action may have changed it), or once another action touched it, the server is read.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { Server } from "../Usacloud.js"

/** Longer than a plan takes to be confirmed with `--yes`; short enough that an answer given later reads again. */
export const freshFor = Duration.seconds(10)

export interface Listed {
  /** `servers`, the whole list of `zone`, as read now. */
  readonly record: (zone: string, servers: ReadonlyArray<Server>) => Effect.Effect<void>
  /** The listed server `id` of `zone` while fresh, at most once; undefined when it has to be read. */
  readonly take: (zone: string, id: string) => Effect.Effect<Server | undefined>
  /** Another action changes the server `id`: it is read from then on. */
  readonly drop: (zone: string, id: string) => Effect.Effect<void>
  /** Forgets every list: the next `getState` lists again. */
  readonly reset: Effect.Effect<void>
}

const keyOf = (zone: string, id: string) => `${zone}/${id}`

export const make = (): Listed => {
  const servers = new Map<string, { readonly server: Server; readonly at: number }>()
  return {
    record: (zone, listed) =>
      Effect.map(Clock.currentTimeMillis, (at) => {
        for (const server of listed) servers.set(keyOf(zone, server.id), { server, at })
      }),
    take: (zone, id) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const entry = servers.get(keyOf(zone, id))
        servers.delete(keyOf(zone, id))
        return entry !== undefined && now - entry.at <= Duration.toMillis(freshFor) ? entry.server : undefined
      }),
    drop: (zone, id) => Effect.sync(() => servers.delete(keyOf(zone, id))),
    reset: Effect.sync(() => servers.clear())
  }
}
