/**
 * The Sakura Cloud provider: servers, disks, SSH keys and startup scripts (notes) through
 * the `Usacloud` client. Reads are batched (one `server list` and one `disk list` per zone,
 * one `ssh-key list`, one `note list`, whatever the number of resources); everything it
 * creates carries ownership tags (see `isOwnedBy`) so it can be found without the state.
 *
 * Retries: `getState` reads through a client that retries transient failures (nothing above
 * retries a read); `apply` and `destroy` call usacloud once per step and leave retries to the
 * engine, which runs the whole action again with the shared policy. Each action can run again
 * safely: a create finds what an earlier attempt made by its ownership tags (one list per type
 * and zone for all the creates of an apply, see `Provider/Lookups.ts`), an update follows a
 * server's new ID through `@previous-id`, and a destroy treats what is gone as removed.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import {
  type ApplyRequest,
  CloudProvider,
  type CloudProviderService,
  type ProviderError,
  type Wanted
} from "../Provider.js"
import type { Observed, ResourceKey, ResourceType, StoredResource } from "../Resource.js"
import * as Retry from "../Retry.js"
import type { UsacloudTransport } from "./Transport.js"
import * as Usacloud from "./Usacloud.js"
import { type Clients, invalid, lookupOwned, orFail, ownerOf, providerName } from "./Provider/Common.js"
import * as Disks from "./Provider/Disks.js"
import * as Lookups from "./Provider/Lookups.js"
import * as Notes from "./Provider/Notes.js"
import * as Servers from "./Provider/Servers.js"
import * as SshKeys from "./Provider/SshKeys.js"

export {
  isManaged,
  isOwnedBy,
  type Owner,
  ownerFromTags,
  ownershipDescription,
  ownershipTags,
  descriptionWords,
  userTags
} from "./Provider/Ownership.js"

export const handles: ReadonlyArray<ResourceType> = ["server", "disk", "ssh-key", "startup-script"]

export const replaceFields = (type: ResourceType): ReadonlyArray<string> => {
  switch (type) {
    case "server":
      return Servers.replaceFields
    case "disk":
      return Disks.replaceFields
    case "ssh-key":
      return SshKeys.replaceFields
    default:
      return Notes.replaceFields
  }
}

export interface Settings {
  /** The usacloud profile (the KDL provider block's `profile`); usacloud's current one otherwise. */
  readonly profile?: string | undefined
  /** How `getState` retries transient read failures. Default: the seed's policy. */
  readonly readRetry?: Retry.RetryPolicy | undefined
}

const byZone = <A>(items: ReadonlyArray<A>, zoneOf: (item: A) => string | undefined) => {
  const zones = new Map<string, Array<A>>()
  for (const item of items) {
    const zone = zoneOf(item)
    if (zone === undefined) continue
    zones.set(zone, [...(zones.get(zone) ?? []), item])
  }
  return zones
}

const storedZone =
  (zoneOf: (resource: StoredResource) => string | undefined) =>
  ([, resource]: readonly [ResourceKey, StoredResource]) =>
    zoneOf(resource)

/** The KDL default zone is filled in by the configuration, so a declared server or disk names its zone. */
const wantedZone = (wanted: Wanted): string | undefined =>
  typeof wanted.inputs.zone === "string" ? wanted.inputs.zone : undefined

/** The provider over two clients: `read` for `getState`, `write` for `apply` and `destroy`. */
export const make = (clients: Clients): Effect.Effect<CloudProviderService> =>
  Effect.gen(function* () {
    const archives = yield* Disks.makeArchives(clients.write)
    const lookups = Lookups.make(clients.write)

    const getState: CloudProviderService["getState"] = (_scope, resources) =>
      Effect.gen(function* () {
        yield* lookups.reset
        const entries = [...resources].filter(([, resource]) => handles.includes(resource.type))
        const ofType = (type: ResourceType) => entries.filter(([, resource]) => resource.type === type)
        const found = new Map<ResourceKey, Observed>()
        const servers = Effect.forEach(
          byZone(ofType("server"), storedZone(Servers.zoneOf)),
          ([zone, group]) =>
            Effect.map(orFail()(clients.read.servers.list(zone)), (listed) => {
              for (const [key, resource] of group) {
                const server = Servers.successorIn(listed, resource.id)
                if (server !== undefined) found.set(key, Servers.observe(server))
              }
            }),
          { concurrency: "unbounded", discard: true }
        )
        const disks = Effect.forEach(
          byZone(ofType("disk"), storedZone(Disks.zoneOf)),
          ([zone, group]) =>
            Effect.map(orFail()(clients.read.disks.list(zone)), (listed) => {
              for (const [key, resource] of group) {
                const disk = listed.find((candidate) => candidate.id === resource.id)
                if (disk !== undefined) found.set(key, Disks.observe(disk))
              }
            }),
          { concurrency: "unbounded", discard: true }
        )
        const keys = ofType("ssh-key")
        const sshKeys =
          keys.length === 0
            ? Effect.void
            : Effect.map(orFail()(clients.read.sshKeys.list()), (listed) => {
                for (const [key, resource] of keys) {
                  const sshKey = listed.find((candidate) => candidate.id === resource.id)
                  if (sshKey !== undefined)
                    found.set(key, SshKeys.observe(sshKey, resource.attributes.adopted === true))
                }
              })
        const scripts = ofType("startup-script")
        const notes =
          scripts.length === 0
            ? Effect.void
            : Effect.map(orFail()(clients.read.notes.list()), (listed) => {
                for (const [key, resource] of scripts) {
                  const note = listed.find((candidate) => candidate.id === resource.id)
                  if (note !== undefined) found.set(key, Notes.observe(note, resource.attributes.adopted === true))
                }
              })
        yield* Effect.all([servers, disks, sshKeys, notes], { concurrency: "unbounded", discard: true })
        return found
      })

    const find: CloudProviderService["find"] = (scope, wanted) =>
      Effect.gen(function* () {
        yield* lookups.reset
        const ofType = (type: ResourceType) => wanted.filter((item) => item.type === type)
        const found = new Map<ResourceKey, Observed>()
        // One list per zone, filtered by the project's and stage's tags, matched by name and owner.
        const owned = <A extends { readonly id: string; readonly name: string; readonly tags: ReadonlyArray<string> }>(
          type: ResourceType,
          list: (zone: string, filter: Usacloud.ListFilter) => Effect.Effect<ReadonlyArray<A>, Usacloud.UsacloudError>,
          observe: (item: A) => Observed
        ) =>
          Effect.forEach(
            byZone(ofType(type), wantedZone),
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
                    if (match !== undefined) found.set(group[index]!.key, observe(match))
                  })
              ),
            { concurrency: "unbounded", discard: true }
          )
        const global = <A>(
          type: ResourceType,
          list: Effect.Effect<ReadonlyArray<A>, Usacloud.UsacloudError>,
          match: (listed: ReadonlyArray<A>, item: Wanted) => Observed | undefined
        ) => {
          const items = ofType(type)
          return items.length === 0
            ? Effect.void
            : Effect.map(orFail()(list), (listed) => {
                for (const item of items) {
                  const observed = match(listed, item)
                  if (observed !== undefined) found.set(item.key, observed)
                }
              })
        }
        yield* Effect.all(
          [
            owned(
              "server",
              (zone, filter) => clients.read.servers.list(zone, filter),
              (server) => Servers.observe(server)
            ),
            owned(
              "disk",
              (zone, filter) => clients.read.disks.list(zone, filter),
              (disk) => Disks.observe(disk)
            ),
            global("ssh-key", clients.read.sshKeys.list(), (listed, item) =>
              SshKeys.findIn(listed, ownerOf(scope, item.name), item.inputs)
            ),
            global("startup-script", clients.read.notes.list(), (listed, item) =>
              Notes.findIn(listed, ownerOf(scope, item.name), item.inputs)
            )
          ],
          { concurrency: "unbounded", discard: true }
        )
        return found
      })

    const apply = (request: ApplyRequest): Effect.Effect<Observed, ProviderError> => {
      const create = request.operation === "create"
      switch (request.type) {
        case "server":
          return create ? Servers.create(clients, lookups, request) : Servers.update(clients, request)
        case "disk":
          return create ? Disks.create(clients, lookups, archives, request) : Disks.update(clients, request)
        case "ssh-key":
          return create ? SshKeys.create(clients, request) : SshKeys.update(clients, request)
        case "startup-script":
          return create ? Notes.create(clients, request) : Notes.update(clients, request)
        default:
          return Effect.fail(invalid(request.operation, request.key, `${providerName} does not serve ${request.type}`))
      }
    }

    const destroy: CloudProviderService["destroy"] = (scope, key, resource) => {
      switch (resource.type) {
        case "server":
          return Servers.destroy(clients, lookups, scope, key, resource)
        case "disk":
          return Disks.destroy(clients, lookups, scope, key, resource)
        case "ssh-key":
          return SshKeys.destroy(clients, key, resource)
        case "startup-script":
          return Notes.destroy(clients, key, resource)
        default:
          return Effect.fail(invalid("delete", key, `${providerName} does not serve ${resource.type}`))
      }
    }

    return {
      name: providerName,
      handles,
      replaceFields,
      getState,
      find: (scope, wanted) => Effect.withSpan(find(scope, wanted), "Sakura find"),
      check: () => Effect.void,
      apply: (request) => Effect.withSpan(apply(request), `Sakura ${request.operation} ${request.type}`),
      destroy: (scope, key, resource) =>
        Effect.withSpan(destroy(scope, key, resource), `Sakura delete ${resource.type}`)
    }
  })

/**
 * The provider over whichever usacloud transport is provided (the binary or the simulator),
 * with its own clients for the profile: reads retried by `readRetry`, writes not retried here.
 */
export const layer = (settings: Settings = {}): Layer.Layer<CloudProvider, never, UsacloudTransport> =>
  Layer.effect(
    CloudProvider,
    Effect.gen(function* () {
      const read = yield* Usacloud.make({ profile: settings.profile, retry: settings.readRetry ?? Retry.defaultPolicy })
      const write = yield* Usacloud.make({ profile: settings.profile, retry: Retry.singleAttempt })
      return yield* make({ read, write })
    })
  )

/**
 * The provider over a `Usacloud` client built elsewhere, used for reads and writes alike:
 * build that client with `retry: Retry.singleAttempt` so a transient failure is not retried both
 * by the client and by the engine.
 */
export const layerWithClient: Layer.Layer<CloudProvider, never, Usacloud.Usacloud> = Layer.effect(
  CloudProvider,
  Effect.flatMap(Usacloud.Usacloud, (client) => make({ read: client, write: client }))
)
