/**
 * `find`: what Sakura Cloud holds for declared resources, without the state. Servers and disks:
 * one list per zone, filtered by the project's and stage's tags, matched by name and owner.
 * SSH keys and notes: one list each, matched as `create` would match them.
 *
 * `meets`: what a plan's creates would meet, read through the run's shared lists (`Lookups`,
 * `Registered`), which `prepare` may have started and the creates then read again.
 */
import * as Effect from "effect/Effect"
import type { ProviderError, Scope, Wanted } from "../../Provider.js"
import type { Observed, ResourceKey, ResourceType } from "../../Resource.js"
import type { ListFilter, UsacloudError, UsacloudService } from "../Usacloud.js"
import { byZone, lookupOwned, orFail, ownerOf } from "./Common.js"
import * as Disks from "./Disks.js"
import type { Lookups } from "./Lookups.js"
import type { Registered } from "./Registered.js"
import * as Notes from "./Notes.js"
import * as Servers from "./Servers.js"
import * as SshKeys from "./SshKeys.js"

type Found = Map<ResourceKey, Observed>

/** The KDL default zone is filled in by the configuration, so a declared server or disk names its zone. */
const wantedZone = (wanted: Wanted): string | undefined =>
  typeof wanted.inputs.zone === "string" ? wanted.inputs.zone : undefined

/** One list per zone, filtered by the project's and stage's tags, matched by name and owner. */
const owned = <A extends { readonly id: string; readonly name: string; readonly tags: ReadonlyArray<string> }>(
  scope: Scope,
  items: ReadonlyArray<Wanted>,
  list: (zone: string, filter: ListFilter) => Effect.Effect<ReadonlyArray<A>, UsacloudError>,
  observe: (item: A, wanted: Wanted) => Observed,
  found: Found
): Effect.Effect<void, ProviderError> =>
  Effect.forEach(
    byZone(items, wantedZone),
    ([zone, group]) =>
      Effect.map(
        orFail()(
          lookupOwned(
            (filter) => list(zone, filter),
            group.map((item) => ownerOf(scope, item.name))
          )
        ),
        (matches) =>
          matches.forEach((match, index) => {
            const item = group[index]!
            if (match !== undefined) found.set(item.key, observe(match, item))
          })
      ),
    { concurrency: "unbounded", discard: true }
  )

/** Resources of no zone from one list, read only when there are any. */
const global = <A>(
  items: ReadonlyArray<Wanted>,
  list: Effect.Effect<ReadonlyArray<A>, UsacloudError>,
  match: (listed: ReadonlyArray<A>, item: Wanted) => Observed | undefined,
  found: Found
): Effect.Effect<void, ProviderError> =>
  items.length === 0
    ? Effect.void
    : Effect.map(orFail()(list), (listed) => {
        for (const item of items) {
          const observed = match(listed, item)
          if (observed !== undefined) found.set(item.key, observed)
        }
      })

export const find = (
  read: UsacloudService,
  lookups: Lookups,
  scope: Scope,
  wanted: ReadonlyArray<Wanted>
): Effect.Effect<ReadonlyMap<ResourceKey, Observed>, ProviderError> =>
  Effect.gen(function* () {
    yield* lookups.reset
    const ofType = (type: ResourceType) => wanted.filter((item) => item.type === type)
    const found: Found = new Map()
    yield* Effect.all(
      [
        owned(
          scope,
          ofType("server"),
          (zone, filter) => read.servers.list(zone, filter),
          (server, item) => Servers.observe(server, item),
          found
        ),
        owned(
          scope,
          ofType("disk"),
          (zone, filter) => read.disks.list(zone, filter),
          (disk, item) => Disks.observe(disk, item),
          found
        ),
        global(
          ofType("ssh-key"),
          read.sshKeys.list(),
          (listed, item) => SshKeys.findIn(listed, ownerOf(scope, item.name), item.inputs),
          found
        ),
        global(
          ofType("startup-script"),
          read.notes.list(),
          (listed, item) => Notes.findIn(listed, ownerOf(scope, item.name), item.inputs),
          found
        )
      ],
      { concurrency: "unbounded", discard: true }
    )
    return found
  })

/** What the creates `creating` will take over, as each one's `create` looks for it. */
export const meets = (
  lookups: Lookups,
  known: Registered,
  scope: Scope,
  creating: ReadonlyArray<Wanted>
): Effect.Effect<ReadonlyMap<ResourceKey, Observed>, ProviderError> =>
  Effect.gen(function* () {
    const found: Found = new Map()
    const seen = (item: Wanted, observed: Observed | undefined) => {
      if (observed !== undefined) found.set(item.key, observed)
    }
    yield* Effect.forEach(
      creating,
      (item) => {
        const owner = ownerOf(scope, item.name)
        const zone = wantedZone(item)
        switch (item.type) {
          case "server":
            return zone === undefined
              ? Effect.void
              : Effect.map(orFail(item.key)(lookups.existing("server", zone, owner)), (server) =>
                  seen(item, server && Servers.observe(server, item))
                )
          case "disk":
            return zone === undefined
              ? Effect.void
              : Effect.map(orFail(item.key)(lookups.existing("disk", zone, owner)), (disk) =>
                  seen(item, disk && Disks.observe(disk, item))
                )
          case "ssh-key":
            return Effect.map(orFail(item.key)(known.sshKeys.list), (keys) =>
              seen(item, SshKeys.takenOver(keys, owner, item))
            )
          case "startup-script":
            return Effect.map(orFail(item.key)(known.notes.list), (notes) =>
              seen(item, Notes.findIn(notes, owner, item.inputs))
            )
          default:
            return Effect.void
        }
      },
      { concurrency: "unbounded", discard: true }
    )
    return found
  })
