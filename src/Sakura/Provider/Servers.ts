/**
 * Servers, the seed's flow: the disk exists already (its own resource), so one `server create`
 * connects it by ID, writes host name, SSH keys and startup scripts into it, boots the server
 * and waits until it is up (usacloud's `--disks` with an edit, and `--boot-after-create`).
 * Updates are in `ServerUpdate.ts`.
 */
import * as Effect from "effect/Effect"
import { withId } from "../../Grouping.js"
import type { AlongRequest, Applied, ApplyRequest, ProviderError, Scope } from "../../Provider.js"
import { isReference, type Observed, type ResourceKey, type StoredResource } from "../../Resource.js"
import * as Together from "../../Together.js"
import { ServerInputs, type ServerInputs as Inputs } from "../Model.js"
import type { DiskEdit, NoteRef, Server, UsacloudError, UsacloudService } from "../Usacloud.js"
import {
  checkOwnedForDelete,
  checkTags,
  type Clients,
  decodeInputs,
  ignoreNotFound,
  invalid,
  isId,
  orFail,
  orNull,
  ownerOf,
  type Recorded,
  readOrNone,
  unlessDefault,
  zoneToDelete
} from "./Common.js"
import * as Disks from "./Disks.js"
import { type Archives, madeWith, newDisk } from "./Disks.js"
import type { Listed } from "./Listed.js"
import type { Lookups } from "./Lookups.js"
import type { Catalog, Registered } from "./Registered.js"
import { type Owner, ownershipTags, previousIdPrefix, userTags } from "./Ownership.js"

const decode = decodeInputs(ServerInputs, "server")

/** The address on the shared segment (the public one). */
export const ipOf = (server: Server): string =>
  (
    server.interfaces.find((nic) => nic.switchScope === "shared" || nic.upstreamType === "shared") ??
    server.interfaces[0]
  )?.ipAddress ?? ""

/** `up`, `down`, or what keeps it from either (`migrating`, `failed`, `cleaning`). */
export const statusOf = (server: Server): string =>
  server.availability !== "available"
    ? server.availability
    : server.instanceStatus === ""
      ? "unknown"
      : server.instanceStatus

/** Where the server's NIC is connected: the shared segment, or nowhere (disconnected, or no NIC at all). */
export const networkOf = (server: Server): "shared" | "disconnected" =>
  server.interfaces.some((nic) => nic.switchScope === "shared" || nic.upstreamType === "shared")
    ? "shared"
    : "disconnected"

/** The host name a server gets when the file names none: its own name. */
export const hostNameOf = (inputs: { readonly hostname?: string | undefined }, name: string): string =>
  inputs.hostname ?? name

export const observe = (server: Server, recorded: Recorded): Observed => {
  const disk = server.disks[0]?.id
  return {
    id: server.id,
    attributes: {
      ip: ipOf(server),
      status: statusOf(server),
      hostname: server.hostName,
      zone: server.zone.name,
      ...(disk === undefined ? {} : { disk })
    },
    inputs: {
      zone: server.zone.name,
      name: unlessDefault(recorded, "name", server.name, recorded.name),
      // A server on its way up (a new one, or one being booted) counts as up.
      status: server.instanceStatus === "down" ? "down" : "up",
      core: server.cpu,
      memory: server.memoryMB / 1024,
      commitment: server.commitment === "" ? "standard" : server.commitment,
      disk: disk ?? null,
      network: unlessDefault(recorded, "network", networkOf(server), "shared"),
      hostname: unlessDefault(recorded, "hostname", server.hostName, recorded.name),
      tags: orNull(userTags(server.tags)),
      description: server.description === "" ? null : server.description
    }
  }
}

/** The server `id` names now: itself, or the one a plan change made of it (`@previous-id=<id>`). */
export const successorIn = (servers: ReadonlyArray<Server>, id: string): Server | undefined =>
  withId(servers, id) ?? servers.find((server) => server.tags.includes(`${previousIdPrefix}${id}`))

/** Where server `id` is now: as the run's list just showed it, else read. */
export const find = (
  usacloud: UsacloudService,
  listed: Listed,
  zone: string,
  id: string
): Effect.Effect<Server, UsacloudError> =>
  Effect.flatMap(listed.take(zone, id), (fresh) =>
    fresh === undefined ? read(usacloud, zone, id) : Effect.succeed(fresh)
  )

const read = (usacloud: UsacloudService, zone: string, id: string): Effect.Effect<Server, UsacloudError> =>
  usacloud.servers.read(zone, id).pipe(
    Effect.catchIf(
      (error) => error.reason === "not-found",
      (error) =>
        Effect.flatMap(usacloud.servers.list(zone), (servers) => {
          const found = successorIn(servers, id)
          return found === undefined ? Effect.fail(error) : Effect.succeed(found)
        })
    )
  )

const resolveNames = <A extends { readonly id: string; readonly name: string }>(
  key: ResourceKey,
  values: ReadonlyArray<string>,
  registered: Catalog<A>,
  what: string,
  hint: string
) =>
  Effect.gen(function* () {
    if (values.every(isId)) return values
    const listed = yield* orFail(key)(registered.list)
    // A name the run's list lacks may have been registered since: it is asked once more before it fails.
    const known = values.every((value) => isId(value) || listed.some((item) => item.name === value))
      ? listed
      : yield* orFail(key)(registered.fresh)
    return yield* Effect.forEach(values, (value) => {
      if (isId(value)) return Effect.succeed(value)
      const named = known.filter((item) => item.name === value)
      if (named.length === 1) return Effect.succeed(named[0]!.id)
      return Effect.fail(
        named.length === 0
          ? invalid("create", key, `no ${what} named "${value}" is registered in Sakura Cloud`, hint)
          : invalid(
              "create",
              key,
              `several ${what}s are named "${value}": ${named.map((item) => item.id).join(", ")}`,
              `give the ${what}'s ID instead of its name`
            )
      )
    })
  })

const edit = (known: Registered, key: ResourceKey, name: string, inputs: Inputs) =>
  Effect.gen(function* () {
    // Resolved together; an unknown key is reported before an unknown note, whichever list answered first.
    const [sshKeyIds, noteIds] = yield* Together.all([
      resolveNames(
        key,
        inputs.sshKeys,
        known.sshKeys,
        "SSH key",
        "register it with `usacloud ssh-key create`, or give the path of a public key file or the key itself"
      ),
      resolveNames(
        key,
        inputs.startupScripts,
        known.notes,
        "startup script",
        "register it with `usacloud note create`, or give the path of a local script"
      )
    ])
    const variables = inputs.startupScriptVars
    const notes: ReadonlyArray<NoteRef> = noteIds.map((id) => (variables === undefined ? { id } : { id, variables }))
    return {
      hostName: hostNameOf(inputs, name),
      sshKeyIds,
      notes,
      disablePasswordAuth: sshKeyIds.length > 0
    }
  })

/** Boots a server that is not up (usacloud waits until it is) and reads it back. */
export const bootAndRead = (usacloud: UsacloudService, key: ResourceKey, zone: string, server: Server) =>
  Effect.gen(function* () {
    if (server.instanceStatus === "up" && server.availability === "available") return server
    yield* orFail(key)(usacloud.servers.boot(zone, server.id))
    return yield* orFail(key)(usacloud.servers.read(zone, server.id))
  })

/**
 * A server an earlier, interrupted run created, carried on with: booted when it is not yet up
 * (its disk edited first), waited for when it is booting. One that never got its disk (the run
 * stopped inside `server create`) is deleted and made again.
 */
const carryOn = (
  clients: Clients,
  lookups: Lookups,
  key: ResourceKey,
  owner: Owner,
  server: Server,
  disk: string,
  changes: DiskEdit
): Effect.Effect<Server | undefined, ProviderError> =>
  Effect.gen(function* () {
    const usacloud = clients.write
    const zone = server.zone.name
    if (server.instanceStatus === "up") {
      if (server.availability === "available") return server
      yield* orFail(key)(usacloud.servers.waitUntilReady(zone, server.id))
      return yield* orFail(key)(usacloud.servers.read(zone, server.id))
    }
    // usacloud waits until a new server is available; wait-until-shutdown covers one that is not yet.
    if (server.availability !== "available") yield* orFail(key)(usacloud.servers.waitUntilShutdown(zone, server.id))
    if (!server.disks.some((connected) => connected.id === disk)) {
      yield* lookups.changing(
        "server",
        owner,
        orFail(key)(ignoreNotFound(usacloud.servers.delete(zone, server.id, { force: true })))
      )
      return undefined
    }
    yield* orFail(key)(usacloud.disks.update(zone, disk, { edit: changes }))
    return yield* bootAndRead(usacloud, key, zone, { ...server, instanceStatus: "down" })
  })

/** `found`: what a lookup of the owner's server already gave, so it is not listed again. */
export const create = (
  clients: Clients,
  lookups: Lookups,
  known: Registered,
  request: ApplyRequest,
  found?: { readonly server: Server | undefined }
): Effect.Effect<Observed, ProviderError> =>
  Effect.gen(function* () {
    const { key } = request
    const inputs = yield* decode("create", key, request.inputs)
    yield* checkTags("create", key, inputs.tags, 1)
    if (!isId(inputs.disk)) {
      return yield* invalid(
        "create",
        key,
        `disk must be the ID of the server's disk, got ${JSON.stringify(inputs.disk)}`
      )
    }
    const zone = inputs.zone
    const owner = ownerOf(request, request.name)
    const tags = [...ownershipTags(owner), ...inputs.tags]
    const changes = yield* edit(known, key, request.name, inputs)
    const existing = found !== undefined ? found.server : yield* orFail(key)(lookups.existing("server", zone, owner))
    const carried =
      existing === undefined ? undefined : yield* carryOn(clients, lookups, key, owner, existing, inputs.disk, changes)
    const recorded = { name: request.name, inputs: request.inputs }
    if (carried !== undefined) return observe(carried, recorded)
    const server = yield* lookups.changing(
      "server",
      owner,
      orFail(key)(
        clients.write.servers.create(zone, {
          name: request.name,
          description: inputs.description,
          tags,
          cpu: inputs.core,
          memory: inputs.memory,
          commitment: inputs.commitment,
          network: "shared",
          disks: [{ id: inputs.disk, edit: changes }],
          bootAfterCreate: true
        })
      )
    )
    return observe(server, recorded)
  })

/**
 * A server with the new disk made for it, as one `server create` that makes the disk (usacloud's
 * `--disk-*`), writes into it and boots: the one command a user's loop runs per server. What an
 * interrupted run left of either is taken over as the disk's create, then the server's.
 */
export const createWithDisk = (
  clients: Clients,
  lookups: Lookups,
  known: Registered,
  archives: Archives,
  request: ApplyRequest,
  disk: AlongRequest
): Effect.Effect<Applied, ProviderError> =>
  Effect.gen(function* () {
    const { key } = request
    const reference = request.inputs.disk
    if (!isReference(reference) || reference.$ref !== disk.key || reference.attribute !== "id") {
      return yield* invalid("create", key, `the server's disk is not ${disk.key}, the disk made along with it`)
    }
    // The disk's ID is known once the call has made it.
    const inputs = yield* decode("create", key, { ...request.inputs, disk: "" })
    yield* checkTags("create", key, inputs.tags, 1)
    const owner = ownerOf(request, request.name)
    const diskOwner = ownerOf(request, disk.name)
    const [made, diskLeft, serverLeft] = yield* Effect.all(
      [
        newDisk(archives, request, disk, true),
        orFail(key)(lookups.existing("disk", inputs.zone, diskOwner)),
        orFail(key)(lookups.existing("server", inputs.zone, owner))
      ],
      { concurrency: "unbounded" }
    )
    if (made.zone !== inputs.zone) {
      return yield* invalid("create", key, `the server is in zone ${inputs.zone} and its disk in ${made.zone}`)
    }
    if (diskLeft !== undefined || serverLeft !== undefined) {
      const diskMade = yield* Disks.create(
        clients,
        lookups,
        archives,
        { ...request, ...disk, along: undefined },
        {
          disk: diskLeft
        }
      )
      const server = yield* create(
        clients,
        lookups,
        known,
        { ...request, inputs: { ...request.inputs, disk: diskMade.id }, along: undefined },
        { server: serverLeft }
      )
      return { ...server, along: new Map([[disk.key, diskMade]]) }
    }
    const changes = yield* edit(known, key, request.name, inputs)
    const server = yield* lookups.changing(
      "disk",
      made.owner,
      lookups.changing(
        "server",
        owner,
        orFail(key)(
          clients.write.servers.create(inputs.zone, {
            name: request.name,
            description: inputs.description,
            tags: [...ownershipTags(owner), ...inputs.tags],
            cpu: inputs.core,
            memory: inputs.memory,
            commitment: inputs.commitment,
            network: "shared",
            disk: made.spec,
            ...changes,
            bootAfterCreate: true
          })
        )
      )
    )
    const diskObserved = madeWith(made.spec, made.zone, server, disk)
    if (diskObserved === undefined) {
      return yield* invalid("create", key, `usacloud created server ${server.id} without the disk it was asked for`)
    }
    const observed = observe(server, { name: request.name, inputs: { ...request.inputs, disk: diskObserved.id } })
    return { ...observed, along: new Map([[disk.key, diskObserved]]) }
  })

export const destroy = (
  clients: Clients,
  lookups: Lookups,
  listed: Listed,
  scope: Scope,
  key: ResourceKey,
  resource: StoredResource
): Effect.Effect<void, ProviderError> =>
  Effect.gen(function* () {
    const zone = yield* zoneToDelete(key, resource)
    const usacloud = clients.write
    const server = yield* orFail(key)(readOrNone(find(usacloud, listed, zone, resource.id)))
    if (server === undefined) return
    yield* checkOwnedForDelete(key, scope, `server ${server.id}`, server.tags)
    // `--force` shuts a running server down (forced), waits until it is down and deletes it, in one
    // usacloud run rather than a shutdown and a delete (iaas-service-go, server/delete_service.go).
    // Not --with-disks: the disk is a resource of its own, destroyed after the server.
    yield* lookups.changing(
      "server",
      ownerOf(scope, resource.name),
      orFail(key)(ignoreNotFound(usacloud.servers.delete(zone, server.id, { force: true })))
    )
  })
