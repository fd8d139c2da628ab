/**
 * Disks: created from an OS type or an archive (a name resolved to its ID), tagged with
 * their owner; name, tags, description and connection change in place.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as EffectScope from "effect/Scope"
import type { AlongRequest, ApplyRequest, ProviderError, Scope } from "../../Provider.js"
import type { Inputs, Observed, ResourceKey, StoredResource } from "../../Resource.js"
import { sharedReads } from "../../SharedReads.js"
import { DiskInputs } from "../Model.js"
import type { Archive, Disk, DiskCreateSpec, DiskUpdate, Server, UsacloudService } from "../Usacloud.js"
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
  osTypeOf,
  ownerOf,
  readOrNone,
  type Recorded,
  unlessDefault,
  zoneToDelete
} from "./Common.js"
import type { Listed } from "./Listed.js"
import type { Lookups } from "./Lookups.js"
import { ownershipTags, userTags } from "./Ownership.js"

const decode = decodeInputs(DiskInputs, "disk")

export const planName = (planId: string) => (planId === "2" ? "hdd" : "ssd")

/**
 * The disk's source as the file has it (an OS name or an archive name resolve to an archive ID
 * when the disk is made, and the cloud reports only that ID): what the state records while the
 * disk still holds the archive it was made from, else the archive it holds.
 */
const sourceOf = (disk: Disk, recorded: Recorded): Inputs => {
  const made = recorded.attributes?.sourceArchive
  const same = made === undefined || made === (disk.sourceArchiveId ?? null)
  return same
    ? { os: recorded.inputs.os ?? null, archive: recorded.inputs.archive ?? null }
    : { os: null, archive: disk.sourceArchiveId ?? null }
}

export const observe = (disk: Disk, recorded: Recorded): Observed => ({
  id: disk.id,
  attributes: {
    zone: disk.zone,
    status: disk.availability,
    ...(disk.serverId === undefined ? {} : { server: disk.serverId }),
    ...(disk.sourceArchiveId === undefined ? {} : { sourceArchive: disk.sourceArchiveId })
  },
  inputs: {
    zone: disk.zone,
    name: unlessDefault(recorded, "name", disk.name, recorded.name),
    size: Math.round(disk.sizeMB / 1024),
    plan: planName(disk.diskPlanId),
    connection: disk.connection,
    ...sourceOf(disk, recorded),
    tags: orNull(userTags(disk.tags)),
    description: disk.description === "" ? null : disk.description
  }
})

/**
 * Archives, read once per run: each zone's list, in which archive names resolve to IDs, and the
 * archive each OS type stands for in a zone.
 */
export const makeArchives = (usacloud: UsacloudService) => {
  const zones = sharedReads<ReadonlyArray<Archive>, ProviderError>()
  const byOs = sharedReads<string, ProviderError>()
  const inZone = (zone: string, key: ResourceKey, lifetime?: EffectScope.Scope) =>
    zones.start(zone, orFail(key)(usacloud.archives.list(zone)), lifetime)
  /**
   * The archive a disk made with `--os-type` gets: usacloud takes the first archive its criteria
   * for the OS type find (iaas-api-go `query.FindArchiveByOSType`), which `archive list --os-type`
   * lists with the same criteria.
   */
  const forOs = (zone: string, osType: string, key: ResourceKey, lifetime?: EffectScope.Scope) =>
    byOs.start(
      JSON.stringify([zone, osType]),
      Effect.flatMap(orFail(key)(usacloud.archives.list(zone, { osType })), ([first]) =>
        first === undefined
          ? Effect.fail(
              invalid("create", key, `no archive of OS type ${osType} in zone ${zone}`, "give an archive instead")
            )
          : Effect.succeed(first.id)
      ),
      lifetime
    )
  // Read once per zone, and once per zone and OS, in the background as the lookups are: a create interrupted
  // meanwhile leaves the others an answer, and a failure is not kept (the next create asks again).
  return {
    inZone: (zone: string, key: ResourceKey) => Effect.flatMap(inZone(zone, key), Deferred.await),
    forOs: (zone: string, osType: string, key: ResourceKey): Effect.Effect<string, ProviderError> =>
      Effect.flatMap(forOs(zone, osType, key), Deferred.await),
    /** Starts reading a zone's archives in `lifetime`, without waiting for them. */
    warmZone: (zone: string, key: ResourceKey, lifetime: EffectScope.Scope): Effect.Effect<void> =>
      Effect.asVoid(inZone(zone, key, lifetime)),
    /** Starts reading the archive of an OS type in a zone in `lifetime`, without waiting for it. */
    warmOs: (zone: string, osType: string, key: ResourceKey, lifetime: EffectScope.Scope): Effect.Effect<void> =>
      Effect.asVoid(forOs(zone, osType, key, lifetime))
  }
}
export type Archives = ReturnType<typeof makeArchives>

const archiveId = (archives: Archives, zone: string, key: ResourceKey, archive: string) =>
  Effect.gen(function* () {
    if (isId(archive)) return archive
    const all = yield* archives.inZone(zone, key)
    const named = all.filter((candidate) => candidate.name === archive)
    // An archive of the account wins over a public one of the same name.
    const own = named.filter((candidate) => candidate.scope === "user")
    const found = own.length > 0 ? own : named
    if (found.length === 1) return found[0]!.id
    if (found.length > 1) {
      return yield* invalid(
        "create",
        key,
        `several archives in zone ${zone} are named "${archive}": ${found.map((candidate) => candidate.id).join(", ")}`,
        "give the archive's ID instead of its name"
      )
    }
    const first = archive.toLowerCase().split(/\s+/)[0] ?? ""
    const near = all
      .filter((candidate) => first !== "" && candidate.name.toLowerCase().includes(first))
      .map((candidate) => `"${candidate.name}"`)
      .slice(0, 5)
    return yield* invalid(
      "create",
      key,
      `no archive named "${archive}" in zone ${zone}`,
      near.length > 0
        ? `archives with similar names: ${near.join(", ")}`
        : "`usacloud archive list --zone " + zone + "` lists the archives; give a name exactly or an ID"
    )
  })

/**
 * A disk to make, as `disk create` and `server create`'s `--disk-*` both take it, with whose it is.
 * `osArchive`: an OS resolves to its archive's ID here rather than in usacloud, so that what the
 * disk was made from is known without reading it back.
 */
export const newDisk = (archives: Archives, scope: Scope, request: AlongRequest, osArchive = false) =>
  Effect.gen(function* () {
    const inputs = yield* decode("create", request.key, request.inputs)
    yield* checkTags("create", request.key, inputs.tags)
    if (inputs.os !== undefined && inputs.archive !== undefined) {
      return yield* invalid("create", request.key, "a disk takes either an OS or an archive, not both")
    }
    const source =
      inputs.archive !== undefined
        ? { sourceArchiveId: yield* archiveId(archives, inputs.zone, request.key, inputs.archive) }
        : inputs.os !== undefined
          ? osArchive
            ? {
                sourceArchiveId: yield* archives.forOs(
                  inputs.zone,
                  yield* osTypeOf("create", request.key, inputs.os),
                  request.key
                )
              }
            : { osType: yield* osTypeOf("create", request.key, inputs.os) }
          : yield* invalid("create", request.key, "a disk needs an OS or an archive")
    const owner = ownerOf(scope, request.name)
    const spec: DiskCreateSpec = {
      name: request.name,
      description: inputs.description,
      tags: [...ownershipTags(owner), ...inputs.tags],
      plan: inputs.plan,
      size: inputs.size,
      connection: inputs.connection,
      ...source
    }
    return { zone: inputs.zone, owner, spec }
  })

/** How a disk `server create` made with `spec` looks, from what it was asked for and what the server reports of it. */
export const madeWith = (
  spec: DiskCreateSpec,
  zone: string,
  server: Server,
  request: AlongRequest
): Observed | undefined => {
  const [connected] = server.disks
  if (connected === undefined) return undefined
  const disk: Disk = {
    id: connected.id,
    name: spec.name,
    description: spec.description ?? "",
    tags: spec.tags ?? [],
    availability: connected.availability ?? "available",
    connection: spec.connection ?? "virtio",
    sizeMB: spec.size * 1024,
    diskPlanId: spec.plan === "hdd" ? "2" : "4",
    sourceArchiveId: spec.sourceArchiveId,
    serverId: server.id,
    zone
  }
  return observe(disk, { name: request.name, inputs: request.inputs })
}

/** `found`: what a lookup of the owner's disk already gave, so it is not listed again. */
export const create = (
  clients: Clients,
  lookups: Lookups,
  archives: Archives,
  request: ApplyRequest,
  found?: { readonly disk: Disk | undefined }
) =>
  Effect.gen(function* () {
    const { zone, owner, spec } = yield* newDisk(archives, request, request)
    // A disk an earlier, interrupted run created carries our tags: take it instead of a second one.
    const existing =
      found !== undefined ? found.disk : yield* orFail(request.key)(lookups.existing("disk", zone, owner))
    const recorded = { name: request.name, inputs: request.inputs }
    if (existing !== undefined) return observe(existing, recorded)
    const disk = yield* lookups.changing("disk", owner, orFail(request.key)(clients.write.disks.create(zone, spec)))
    return observe(disk, recorded)
  })

/**
 * Name, tags and description change in place; so does the connection, with the disk's server
 * shut down for it and booted again. A retry that finds the connection already changed leaves
 * the server as it finds it: a server left down shows as drift on the next plan.
 */
export const update = (clients: Clients, listed: Listed, request: ApplyRequest) =>
  Effect.gen(function* () {
    const { key } = request
    const inputs = yield* decode("update", key, request.inputs)
    yield* checkTags("update", key, inputs.tags)
    const id = request.current?.id
    if (id === undefined) return yield* invalid("update", key, "the state holds no ID for this disk")
    const usacloud = clients.write
    const zone = inputs.zone
    const current = yield* orFail(key)(usacloud.disks.read(zone, id))
    const labels = {
      name: inputs.name ?? request.name,
      description: inputs.description ?? "",
      tags: [...ownershipTags(ownerOf(request, request.name)), ...inputs.tags]
    }
    const disk =
      current.connection === inputs.connection
        ? yield* orFail(key)(usacloud.disks.update(zone, id, labels))
        : yield* reconnect(usacloud, listed, key, current, inputs.connection, labels)
    return observe(disk, { name: request.name, inputs: request.inputs })
  })

/** A new connection (`virtio`, `ide`): Sakura Cloud changes it only while the disk's server is down. */
const reconnect = (
  usacloud: UsacloudService,
  listed: Listed,
  key: ResourceKey,
  disk: Disk,
  connection: "virtio" | "ide",
  labels: DiskUpdate
) =>
  Effect.gen(function* () {
    const zone = disk.zone
    // Shut down and booted here: the server's own update reads where this left it.
    if (disk.serverId !== undefined) yield* listed.drop(zone, disk.serverId)
    // The server may be going: the same apply can replace it while the disk changes.
    const server =
      disk.serverId === undefined
        ? undefined
        : yield* orFail(key)(
            usacloud.servers.read(zone, disk.serverId).pipe(
              Effect.map((found): Server | undefined => found),
              Effect.catchIf(
                (error) => error.reason === "not-found",
                () => Effect.succeed(undefined)
              )
            )
          )
    const running = server !== undefined && server.instanceStatus !== "down"
    if (running) yield* orFail(key)(ignoreNotFound(usacloud.servers.shutdown(zone, server.id)))
    const updated = yield* orFail(key)(usacloud.disks.update(zone, disk.id, { ...labels, connection }))
    if (running) yield* orFail(key)(ignoreNotFound(usacloud.servers.boot(zone, server.id)))
    return updated
  })

export const destroy = (
  clients: Clients,
  lookups: Lookups,
  scope: Scope,
  key: ResourceKey,
  resource: StoredResource
): Effect.Effect<void, ProviderError> =>
  Effect.gen(function* () {
    const zone = yield* zoneToDelete(key, resource)
    const disk = yield* orFail(key)(readOrNone(clients.write.disks.read(zone, resource.id)))
    if (disk === undefined) return
    yield* checkOwnedForDelete(key, scope, `disk ${disk.id}`, disk.tags)
    yield* lookups.changing(
      "disk",
      ownerOf(scope, resource.name),
      orFail(key)(ignoreNotFound(clients.write.disks.delete(zone, resource.id)))
    )
  })
