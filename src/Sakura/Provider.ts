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
 * Within a run, SSH keys and notes are listed once (`Provider/Registered.ts`), and a server the
 * plan has just listed is not read again before its update or delete (`Provider/Listed.ts`).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as EffectScope from "effect/Scope"
import {
  type Applied,
  type ApplyRequest,
  CloudProvider,
  type CloudProviderService,
  isTransient,
  type ProviderError,
  type Scope,
  type Wanted
} from "../Provider.js"
import { isReference, type ResourceKey, type ResourceType, type StoredResource } from "../Resource.js"
import * as Retry from "../Retry.js"
import * as Model from "./Model.js"
import type { UsacloudTransport } from "./Transport.js"
import * as Usacloud from "./Usacloud.js"
import { type Clients, handles, invalid, isId, orFail, osTypeOf, ownerOf, providerName } from "./Provider/Common.js"
import * as Disks from "./Provider/Disks.js"
import { find, meets } from "./Provider/Find.js"
import { checkImport } from "./Provider/Import.js"
import * as Listed from "./Provider/Listed.js"
import * as Lookups from "./Provider/Lookups.js"
import * as Notes from "./Provider/Notes.js"
import * as Registered from "./Provider/Registered.js"
import { getState } from "./Provider/Read.js"
import * as ServerUpdate from "./Provider/ServerUpdate.js"
import * as Servers from "./Provider/Servers.js"
import * as SshKeys from "./Provider/SshKeys.js"

export { handles } from "./Provider/Common.js"
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

export const replaceFields = (type: ResourceType): ReadonlyArray<string> => Model.replaceFields[type] ?? []

export interface Settings {
  /** The usacloud profile (the KDL provider block's `profile`); usacloud's current one otherwise. */
  readonly profile?: string | undefined
  /** How `getState` retries transient read failures. Default: the seed's policy. */
  readonly readRetry?: Retry.RetryPolicy | undefined
}

const apply = (
  clients: Clients,
  lookups: Lookups.Lookups,
  listed: Listed.Listed,
  known: Registered.Registered,
  archives: Disks.Archives,
  request: ApplyRequest
): Effect.Effect<Applied, ProviderError> => {
  const create = request.operation === "create"
  switch (request.type) {
    case "server": {
      const [disk, ...others] = request.along ?? []
      if (!create) return ServerUpdate.update(clients, listed, request)
      if (disk === undefined) return Servers.create(clients, lookups, known, request)
      if (disk.type !== "disk" || others.length > 0) {
        return Effect.fail(invalid("create", request.key, "a server is created along with its one disk only"))
      }
      return Servers.createWithDisk(clients, lookups, known, archives, request, disk)
    }
    case "disk":
      return create ? Disks.create(clients, lookups, archives, request) : Disks.update(clients, listed, request)
    case "ssh-key":
      return create ? SshKeys.create(clients, known, request) : SshKeys.update(clients, known, request)
    case "startup-script":
      return create ? Notes.create(clients, known, request) : Notes.update(clients, known, request)
    default:
      return Effect.fail(invalid(request.operation, request.key, `${providerName} does not serve ${request.type}`))
  }
}

/**
 * Starts what the creates will read first: the lookups of what an interrupted run left, the archive
 * of each OS a server's new disk is made from, and the registered SSH keys and notes.
 */
const prepare = (
  lookups: Lookups.Lookups,
  archives: Disks.Archives,
  known: Registered.Registered,
  scope: Scope,
  creating: ReadonlyArray<Wanted>,
  lifetime: EffectScope.Scope
): Effect.Effect<void> => {
  const withServer = new Set(
    creating.flatMap((item) => {
      const disk = item.inputs.disk
      return item.type === "server" && isReference(disk) ? [disk.$ref] : []
    })
  )
  const serversAndDisks = Effect.forEach(
    creating,
    (item) => {
      const { zone, os, archive } = item.inputs
      if ((item.type !== "server" && item.type !== "disk") || typeof zone !== "string") return Effect.void
      const warmed = lookups.warm(item.type, zone, ownerOf(scope, item.name), lifetime)
      // An archive given by name is looked for in the zone's list.
      if (item.type === "disk" && typeof archive === "string" && !isId(archive)) {
        return Effect.zipRight(warmed, archives.warmZone(zone, item.key, lifetime))
      }
      if (!withServer.has(item.key) || typeof os !== "string" || archive !== undefined) return warmed
      const archiveOfOs = Effect.flatMap(osTypeOf("create", item.key, os), (type) =>
        archives.warmOs(zone, type, item.key, lifetime)
      )
      return Effect.zipRight(warmed, Effect.ignore(archiveOfOs))
    },
    { discard: true }
  )
  return Effect.zipRight(Registered.warmFor(known, creating, lifetime), serversAndDisks)
}

/** An SSH key or note that was there before FleetFlow used it is left to its owner. */
const keeps = (resource: StoredResource): boolean =>
  (resource.type === "ssh-key" || resource.type === "startup-script") && resource.attributes.adopted === true

const destroy = (
  clients: Clients,
  lookups: Lookups.Lookups,
  listed: Listed.Listed,
  known: Registered.Registered,
  scope: Scope,
  key: ResourceKey,
  resource: StoredResource
): Effect.Effect<void, ProviderError> => {
  switch (resource.type) {
    case "server":
      return Servers.destroy(clients, lookups, listed, scope, key, resource)
    case "disk":
      return Disks.destroy(clients, lookups, scope, key, resource)
    case "ssh-key":
      return SshKeys.destroy(clients, known, key, resource)
    case "startup-script":
      return Notes.destroy(clients, known, key, resource)
    default:
      return Effect.fail(invalid("delete", key, `${providerName} does not serve ${resource.type}`))
  }
}

/**
 * The provider over two clients: `read` for `getState`, `write` for `apply` and `destroy`.
 * `readRetry`: how the plan's search for what its creates would meet, which reads through the
 * creates' own lookups (made with `write`, whose steps the engine retries), retries a transient failure.
 */
export const make = (
  clients: Clients,
  options: { readonly readRetry?: Retry.RetryPolicy | undefined } = {}
): Effect.Effect<CloudProviderService> =>
  Effect.gen(function* () {
    const archives = Disks.makeArchives(clients.write)
    const lookups = Lookups.make(clients.write)
    const known = Registered.make(clients.write)
    const listed = Listed.make()
    // Every command starts with a getState or a find: what the last one listed may have changed since.
    const forget = Effect.zipRight(known.reset, listed.reset)
    return {
      name: providerName,
      handles,
      replaceFields,
      newIdFields: (type) => Model.newIdFields[type] ?? [],
      // Sakura Cloud lets names repeat: servers, disks, keys and notes are told apart by ID and tags.
      claims: () => [],
      // One `server create` makes a server's new disk too.
      createsTogether: (dependency, dependent) => dependency === "disk" && dependent === "server",
      keeps,
      prepare: (scope, creating, lifetime) => prepare(lookups, archives, known, scope, creating, lifetime),
      getState: (_scope, resources) => Effect.zipRight(forget, getState(clients.read, lookups, listed, resources)),
      meets: (scope, creating) =>
        meets(lookups, known, scope, creating).pipe(
          Retry.retryTransient(options.readRetry ?? Retry.singleAttempt, isTransient),
          Effect.withSpan("Sakura meets")
        ),
      find: (scope, wanted) =>
        Effect.withSpan(Effect.zipRight(forget, find(clients.read, lookups, scope, wanted)), "Sakura find"),
      checkImport: (scope, key, resource, observed) => checkImport(clients.read, scope, key, resource, observed),
      // Credentials Sakura Cloud refuses fail the plan here, once, rather than every action of the apply.
      check: (desired) => (desired.length === 0 ? Effect.void : Effect.asVoid(orFail()(clients.read.authStatus()))),
      apply: (request) =>
        Effect.withSpan(
          apply(clients, lookups, listed, known, archives, request),
          `Sakura ${request.operation} ${request.type}`
        ),
      destroy: (scope, key, resource) =>
        Effect.withSpan(
          destroy(clients, lookups, listed, known, scope, key, resource),
          `Sakura delete ${resource.type}`
        )
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
      const readRetry = settings.readRetry ?? Retry.defaultPolicy
      const read = yield* Usacloud.make({ profile: settings.profile, retry: readRetry })
      const write = yield* Usacloud.make({ profile: settings.profile, retry: Retry.singleAttempt })
      return yield* make({ read, write }, { readRetry })
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
