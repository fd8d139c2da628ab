/**
 * `server create`: in every zone it is asked for, a server with its NIC, the disk the
 * `--disk-*` flags describe (copied from an OS type, an archive or a disk), and the disks
 * `--disk-ids` and `--disks` connect; booted and waited for with `--boot-after-create`.
 */
import * as Effect from "effect/Effect"
import { boolFlag, hasFlag, type Invocation, intFlag, listFlag, stringFlag } from "./Args.js"
import { diskPlans, generationIn, macAddressOf, osTypes, planExists, readyAt, sharedAddress } from "./Cloud.js"
import { type Context, zonesOf } from "./Context.js"
import { checkEdit, checkEditEntry, diskSizeMB, disksEntries, resolveSource } from "./DiskSetup.js"
import { allocateId, type DiskRecord, type ServerRecord, type SimulatorDocument } from "./Document.js"
import { apiError, fail, notFound } from "./Failure.js"
import type { Handler } from "./Handler.js"
import { serverJson } from "./Shapes.js"
import { confirm } from "./Targets.js"
import { checkTagCharacters, descriptionRule, oneOf, required, tagRules, validationError } from "./Validation.js"

/** The disk that `server create` makes, or undefined when no `--disk-*` flag asks for one. */
const diskFlagsGiven = (invocation: Invocation): boolean =>
  [...invocation.flags.keys()].some(
    (name) => name.startsWith("disk-") && name !== "disk-ids" && name !== "disk-no-wait" && name !== "disk-id"
  )

/** usacloud's flag rules, checked before anything is read. */
const validate = (context: Context) =>
  Effect.gen(function* () {
    const invocation = context.invocation
    const sources = ["disk-os-type", "disk-source-archive-id", "disk-source-disk-id"].filter((flag) =>
      hasFlag(invocation, flag)
    )
    yield* validationError([
      ...required(context, "name"),
      ...descriptionRule(context),
      ...tagRules("tags", listFlag(invocation, "tags")),
      // --cpu and --memory default to 1; only an explicit 0 is missing.
      ...(intFlag(invocation, "cpu") === 0 ? ["--cpu: required"] : []),
      ...(intFlag(invocation, "memory") === 0 ? ["--memory: required"] : []),
      ...oneOf("commitment", stringFlag(invocation, "commitment"), ["standard", "dedicatedcpu"]),
      ...oneOf("generation", stringFlag(invocation, "generation"), ["default", "100", "200"]),
      ...oneOf("interface-driver", stringFlag(invocation, "interface-driver"), ["virtio", "e1000"]),
      ...tagRules("disk-tags", listFlag(invocation, "disk-tags")),
      ...oneOf("disk-disk-plan", stringFlag(invocation, "disk-disk-plan"), Object.keys(diskPlans)),
      ...oneOf("disk-connection", stringFlag(invocation, "disk-connection"), ["virtio", "ide"]),
      ...oneOf("disk-os-type", stringFlag(invocation, "disk-os-type"), Object.keys(osTypes)),
      ...(sources.length > 1
        ? [
            `${["--disk-os-type", "--disk-source-archive-id", "--disk-source-disk-id"].join(", ")}: only one of them can be specified`
          ]
        : []),
      ...(hasFlag(invocation, "network-interfaces") && hasFlag(invocation, "network-interface-upstream")
        ? ["--network-interface, --network-interfaces: only one of them can be specified"]
        : [])
    ])
    const diskIds = listFlag(invocation, "disk-ids") ?? []
    if ([diskFlagsGiven(invocation), hasFlag(invocation, "disks"), diskIds.length > 0].filter(Boolean).length > 1) {
      yield* validationError(["--disk & --disks & --disk-ids: only one of them can be specified"])
    }
    if (hasFlag(invocation, "network-interfaces")) {
      return yield* fail("usacloud simulator: --network-interfaces is not simulated")
    }
  })

/** The disks to connect, in every zone: each must exist there and be free. */
const disksToConnect = (context: Context, document: SimulatorDocument, ids: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const attach: Array<DiskRecord> = []
    for (const zone of zonesOf(context)) {
      for (const id of ids) {
        const disk = document.disks.find((candidate) => candidate.zone === zone && String(candidate.id) === id)
        if (disk === undefined) return yield* notFound(context)
        if (disk.serverId !== 0) {
          return yield* apiError(
            context,
            409,
            `要求された操作を行えません。ディスク[${disk.id}]は既に他のサーバに接続されています。`,
            "conflict"
          )
        }
        attach.push(disk)
      }
    }
    return attach
  })

/** `--network-interface-upstream`: the shared segment, disconnected, or a switch (which is not simulated). */
const upstreamOf = (context: Context) =>
  Effect.gen(function* () {
    const upstream = stringFlag(context.invocation, "network-interface-upstream")
    if (upstream !== undefined && upstream !== "shared" && upstream !== "disconnected") {
      if (!/^\d+$/.test(upstream)) {
        return yield* fail("validation error:\n\t--network-interface-upstream: oneof=shared disconnected (switch-id)")
      }
      return yield* notFound(context)
    }
    return upstream
  })

interface ServerSettings {
  readonly cpu: number
  readonly memoryGB: number
  readonly hostName: string
  readonly upstream: "shared" | "disconnected" | undefined
}

/** The new server in `zone`, with its NIC when an upstream is given. */
const addServer = (
  context: Context,
  document: SimulatorDocument,
  zone: string,
  settings: ServerSettings
): readonly [ServerRecord, SimulatorDocument] => {
  const invocation = context.invocation
  const [serverId, withServer] = allocateId(document)
  let current = withServer
  const interfaces: Array<ServerRecord["interfaces"][number]> = []
  const upstream = settings.upstream
  if (upstream !== undefined) {
    const [nicId, withNic] = allocateId(current)
    current = withNic
    const address = upstream === "shared" ? sharedAddress(zone, current.nextAddress).ip : ""
    if (upstream === "shared") current = { ...current, nextAddress: current.nextAddress + 1 }
    interfaces.push({ id: nicId, macAddress: macAddressOf(nicId), ipAddress: address, upstream })
  }
  const availableAt = context.now + context.bootTimeMillis
  const server: ServerRecord = {
    id: serverId,
    zone,
    name: stringFlag(invocation, "name")!,
    description: stringFlag(invocation, "description") ?? "",
    tags: listFlag(invocation, "tags") ?? [],
    hostName: settings.hostName,
    cpu: settings.cpu,
    memoryMB: settings.memoryGB * 1024,
    commitment: stringFlag(invocation, "commitment") ?? "standard",
    generation: generationIn(zone, stringFlag(invocation, "generation")),
    interfaceDriver: stringFlag(invocation, "interface-driver") ?? "virtio",
    createdAt: context.now,
    modifiedAt: context.now,
    availableAt,
    power: boolFlag(invocation, "boot-after-create") ? "up" : "down",
    powerAt: availableAt,
    powerBefore: "down",
    interfaces
  }
  return [server, { ...current, servers: [...current.servers, server] }]
}

/** The disk the `--disk-*` flags describe, connected first to `server`. */
const addDisk = (context: Context, document: SimulatorDocument, server: ServerRecord) =>
  Effect.gen(function* () {
    const invocation = context.invocation
    const source = yield* resolveSource(context, document, server.zone, {
      osType: "disk-os-type",
      archive: "disk-source-archive-id",
      disk: "disk-source-disk-id"
    })
    const sizeMB = yield* diskSizeMB(context, "disk-size")
    const [diskId, withDisk] = allocateId(document)
    const disk: DiskRecord = {
      id: diskId,
      zone: server.zone,
      name: stringFlag(invocation, "disk-name") ?? server.name,
      description: stringFlag(invocation, "disk-description") ?? "",
      tags: listFlag(invocation, "disk-tags") ?? [],
      planId: diskPlans[stringFlag(invocation, "disk-disk-plan") ?? "ssd"]!.id,
      connection: stringFlag(invocation, "disk-connection") ?? "virtio",
      sizeMB,
      ...source,
      serverId: server.id,
      connectionOrder: 1,
      createdAt: context.now,
      modifiedAt: context.now,
      availableAt: server.availableAt
    }
    return { ...withDisk, disks: [...withDisk.disks, disk] }
  })

/** Connects `connected` to the server, in their order. */
const connectDisks = (
  document: SimulatorDocument,
  serverId: number,
  connected: ReadonlyArray<DiskRecord>,
  now: number
): SimulatorDocument =>
  connected.length === 0
    ? document
    : {
        ...document,
        disks: document.disks.map((disk) => {
          const order = connected.findIndex((candidate) => candidate.id === disk.id)
          return order < 0 ? disk : { ...disk, serverId, connectionOrder: order + 1, modifiedAt: now }
        })
      }

export const serverCreate: Handler = (context, document) =>
  Effect.gen(function* () {
    const invocation = context.invocation
    yield* validate(context)
    const entries = hasFlag(invocation, "disks") ? yield* disksEntries(context) : []
    const edits = new Map(entries.map((entry) => [String(entry.id), entry.edit]))
    // usacloud reads every disk of --disk-ids and --disks before it creates anything.
    const attach = yield* disksToConnect(context, document, [
      ...(listFlag(invocation, "disk-ids") ?? []),
      ...edits.keys()
    ])
    yield* checkEdit(context, document, "disk-edit-")
    for (const edit of edits.values()) if (edit !== undefined) yield* checkEditEntry(context, document, edit)
    yield* confirm(context)
    if (boolFlag(invocation, "no-wait") && boolFlag(invocation, "boot-after-create")) {
      return yield* fail("NoWait=true is not supported with BootAfterCreate=true")
    }
    const cpu = intFlag(invocation, "cpu") ?? 1
    const memoryGB = intFlag(invocation, "memory") ?? 1
    if (!planExists(cpu, memoryGB)) return yield* fail("server plan not found")
    yield* checkTagCharacters(context, [
      ...(listFlag(invocation, "tags") ?? []),
      ...(listFlag(invocation, "disk-tags") ?? [])
    ])
    const upstream = yield* upstreamOf(context)
    // Each edit of a connected disk names the server after its host name; the last one wins.
    const hostName =
      [...edits.values()].reduce(
        (name: string | undefined, edit) => edit?.hostName ?? name,
        stringFlag(invocation, "disk-edit-host-name")
      ) ?? ""
    let current = document
    const created: Array<ServerRecord> = []
    for (const zone of zonesOf(context)) {
      const [server, withServer] = addServer(context, current, zone, { cpu, memoryGB, hostName, upstream })
      current = diskFlagsGiven(invocation) ? yield* addDisk(context, withServer, server) : withServer
      const connected = attach.filter((disk) => disk.zone === zone)
      current = connectDisks(current, server.id, connected, context.now)
      created.push(server)
    }
    // With --boot-after-create usacloud boots the server, waits until it is up, and prints it as it is then.
    const until = boolFlag(invocation, "boot-after-create")
      ? Math.max(context.now, ...created.map((server) => readyAt(server) ?? context.now))
      : context.now
    return { values: created.map((server) => serverJson(current, server, until)), document: current, until }
  })
