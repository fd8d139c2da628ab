/**
 * The disk commands: list, read, create (empty or copied from an OS type, an archive or a
 * disk, optionally connected to a server), update (an edit needs its server shut down) and
 * delete (only a disk no server holds).
 */
import * as Effect from "effect/Effect"
import { hasFlag, listFlag, stringFlag } from "./Args.js"
import { diskPlans, isUp, osTypes } from "./Cloud.js"
import { inZones, zonesOf } from "./Context.js"
import { checkEdit, diskSizeMB, resolveSource } from "./DiskSetup.js"
import { allocateId, type DiskRecord, type SimulatorDocument } from "./Document.js"
import { apiError, notFound } from "./Failure.js"
import type { Handler } from "./Handler.js"
import { diskJson } from "./Shapes.js"
import { confirm, select, zonedReads } from "./Targets.js"
import { checkTagCharacters, descriptionRule, oneOf, required, tagRules, validationError } from "./Validation.js"

const reads = zonedReads(
  (document) => document.disks,
  (document, disk, now) => diskJson(document, disk, now)
)

export const diskList = reads.list

export const diskRead = reads.read

export const diskCreate: Handler = (context, document) =>
  Effect.gen(function* () {
    const invocation = context.invocation
    const tags = listFlag(invocation, "tags")
    const sources = ["os-type", "source-archive-id", "source-disk-id"].filter((flag) => hasFlag(invocation, flag))
    yield* validationError([
      ...required(context, "name"),
      ...descriptionRule(context),
      ...tagRules("tags", tags),
      ...oneOf("disk-plan", stringFlag(invocation, "disk-plan"), Object.keys(diskPlans)),
      ...oneOf("connector", stringFlag(invocation, "connector"), ["virtio", "ide"]),
      ...oneOf("os-type", stringFlag(invocation, "os-type"), Object.keys(osTypes)),
      ...(sources.length > 1
        ? ["--os-type, --source-archive-id, --source-disk-id: only one of them can be specified"]
        : [])
    ])
    yield* checkEdit(context, document, "edit-disk-")
    yield* confirm(context)
    yield* checkTagCharacters(context, tags ?? [])
    let current = document
    const created: Array<DiskRecord> = []
    for (const zone of zonesOf(context)) {
      const source = yield* resolveSource(context, current, zone, {
        osType: "os-type",
        archive: "source-archive-id",
        disk: "source-disk-id"
      })
      const serverId = stringFlag(invocation, "server-id")
      const server =
        serverId === undefined ? undefined : current.servers.find((s) => s.zone === zone && String(s.id) === serverId)
      if (serverId !== undefined && server === undefined) return yield* notFound(context)
      const sizeMB = yield* diskSizeMB(context, "size")
      const [id, withId] = allocateId(current)
      const copying = source.sourceArchiveId !== 0 || source.sourceDiskId !== 0
      const disk: DiskRecord = {
        id,
        zone,
        name: stringFlag(invocation, "name")!,
        description: stringFlag(invocation, "description") ?? "",
        tags: tags ?? [],
        planId: diskPlans[stringFlag(invocation, "disk-plan") ?? "ssd"]!.id,
        connection: stringFlag(invocation, "connector") ?? "virtio",
        sizeMB,
        ...source,
        serverId: server?.id ?? 0,
        connectionOrder: server === undefined ? 0 : current.disks.filter((d) => d.serverId === server.id).length + 1,
        createdAt: context.now,
        modifiedAt: context.now,
        availableAt: copying ? context.now + context.bootTimeMillis : context.now
      }
      current = { ...withId, disks: [...withId.disks, disk] }
      created.push(disk)
    }
    return { values: created.map((disk) => diskJson(current, disk, context.now)), document: current }
  })

export const diskUpdate: Handler = (context, document) =>
  Effect.gen(function* () {
    const { invocation, now } = context
    const targets = yield* select(context, inZones(context, document.disks))
    const tags = listFlag(invocation, "tags")
    yield* validationError([
      ...descriptionRule(context),
      ...tagRules("tags", tags),
      ...oneOf("connector", stringFlag(invocation, "connector"), ["virtio", "ide"])
    ])
    yield* checkEdit(context, document, "edit-disk-")
    yield* confirm(context)
    yield* checkTagCharacters(context, tags ?? [])
    const ids = new Set(targets.map((disk) => disk.id))
    // An edit writes into the disk: Sakura refuses it while its server runs, and takes the host name over.
    // A new connection needs the server down too (iaas-service-go `disk/builder` updateLevel).
    const edited = [...invocation.flags.keys()].some((flag) => flag.startsWith("edit-disk-"))
    const connector = stringFlag(invocation, "connector")
    const reconnected = targets.filter((disk) => connector !== undefined && disk.connection !== connector)
    const hostName = stringFlag(invocation, "edit-disk-host-name")
    const holders = document.servers.filter((server) =>
      (edited ? targets : reconnected).some((disk) => disk.serverId === server.id)
    )
    const running = holders.find((server) => isUp(server, now))
    if (running !== undefined) {
      return yield* apiError(
        context,
        409,
        `要求された操作を行えません。サーバ[${running.id}]が起動しているためディスクを修正できません。`,
        "conflict"
      )
    }
    const renamed = new Set(hostName === undefined ? [] : holders.map((server) => server.id))
    const next: SimulatorDocument = {
      ...document,
      servers: document.servers.map((server) =>
        renamed.has(server.id) ? { ...server, hostName: hostName!, modifiedAt: now } : server
      ),
      disks: document.disks.map((disk) =>
        ids.has(disk.id)
          ? {
              ...disk,
              name: stringFlag(invocation, "name") ?? disk.name,
              description: stringFlag(invocation, "description") ?? disk.description,
              tags: tags ?? disk.tags,
              connection: stringFlag(invocation, "connector") ?? disk.connection,
              modifiedAt: now
            }
          : disk
      )
    }
    return {
      values: next.disks.filter((disk) => ids.has(disk.id)).map((d) => diskJson(next, d, now)),
      document: next
    }
  })

export const diskDelete: Handler = (context, document) =>
  Effect.gen(function* () {
    const targets = yield* select(context, inZones(context, document.disks))
    yield* confirm(context)
    const attached = targets.find((disk) => document.servers.some((server) => server.id === disk.serverId))
    if (attached !== undefined) {
      return yield* apiError(
        context,
        409,
        `要求された操作を行えません。ディスク[${attached.id}]はサーバに接続されています。`,
        "conflict"
      )
    }
    const ids = new Set(targets.map((disk) => disk.id))
    return { values: [], document: { ...document, disks: document.disks.filter((disk) => !ids.has(disk.id)) } }
  })
