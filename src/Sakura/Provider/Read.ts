/**
 * `getState`: what Sakura Cloud holds now for the resources the state records, by their IDs,
 * in one list per type (and zone): one `server list` and one `disk list` per zone, one
 * `ssh-key list`, one `note list`, whatever the number of resources.
 */
import * as Effect from "effect/Effect"
import { withId } from "../../Grouping.js"
import type { ProviderError } from "../../Provider.js"
import type { Observed, ResourceKey, ResourceType, StoredResource } from "../../Resource.js"
import type { UsacloudError, UsacloudService } from "../Usacloud.js"
import { byZone, handles, orFail, type Recorded, recordedOf, zoneOf } from "./Common.js"
import * as Disks from "./Disks.js"
import type { Listed } from "./Listed.js"
import type { Lookups } from "./Lookups.js"
import * as Notes from "./Notes.js"
import * as Servers from "./Servers.js"
import * as SshKeys from "./SshKeys.js"

type Entry = readonly [ResourceKey, StoredResource]
type Found = Map<ResourceKey, Observed>

/** Each zone's resources from one list of that zone; `match` picks a resource out of it. */
const perZone = <A>(
  entries: ReadonlyArray<Entry>,
  zoneOf: (resource: StoredResource) => string | undefined,
  list: (zone: string) => Effect.Effect<ReadonlyArray<A>, UsacloudError>,
  match: (listed: ReadonlyArray<A>, resource: StoredResource) => Observed | undefined,
  found: Found
): Effect.Effect<void, ProviderError> =>
  Effect.forEach(
    byZone(entries, ([, resource]) => zoneOf(resource)),
    ([zone, group]) =>
      Effect.map(orFail()(list(zone)), (listed) => {
        for (const [key, resource] of group) {
          const observed = match(listed, resource)
          if (observed !== undefined) found.set(key, observed)
        }
      }),
    { concurrency: "unbounded", discard: true }
  )

/** Resources of no zone (SSH keys, notes) from one list, read only when there are any. */
const global = <A extends { readonly id: string }>(
  entries: ReadonlyArray<Entry>,
  list: () => Effect.Effect<ReadonlyArray<A>, UsacloudError>,
  observe: (item: A, adopted: boolean, recorded: Recorded) => Observed,
  found: Found
): Effect.Effect<void, ProviderError> =>
  entries.length === 0
    ? Effect.void
    : Effect.map(orFail()(list()), (listed) => {
        for (const [key, resource] of entries) {
          const item = withId(listed, resource.id)
          if (item !== undefined) {
            found.set(key, observe(item, resource.attributes.adopted === true, recordedOf(resource)))
          }
        }
      })

export const getState = (
  read: UsacloudService,
  lookups: Lookups,
  listed: Listed,
  resources: ReadonlyMap<ResourceKey, StoredResource>
): Effect.Effect<ReadonlyMap<ResourceKey, Observed>, ProviderError> =>
  Effect.gen(function* () {
    yield* lookups.reset
    const entries = [...resources].filter(([, resource]) => handles.includes(resource.type))
    const ofType = (type: ResourceType) => entries.filter(([, resource]) => resource.type === type)
    const found: Found = new Map()
    const servers = perZone(
      ofType("server"),
      zoneOf,
      (zone) => Effect.tap(read.servers.list(zone), (servers) => listed.record(zone, servers)),
      (listed, resource) => {
        const server = Servers.successorIn(listed, resource.id)
        return server === undefined ? undefined : Servers.observe(server, recordedOf(resource))
      },
      found
    )
    const disks = perZone(
      ofType("disk"),
      zoneOf,
      (zone) => read.disks.list(zone),
      (listed, resource) => {
        const disk = withId(listed, resource.id)
        return disk === undefined ? undefined : Disks.observe(disk, recordedOf(resource))
      },
      found
    )
    const sshKeys = global(
      ofType("ssh-key"),
      () => read.sshKeys.list(),
      (key, adopted, recorded) => SshKeys.observe(key, adopted, recorded),
      found
    )
    const notes = global(
      ofType("startup-script"),
      () => read.notes.list(),
      (note, adopted, recorded) => Notes.observe(note, adopted, recorded),
      found
    )
    yield* Effect.all([servers, disks, sshKeys, notes], { concurrency: "unbounded", discard: true })
    return found
  })
