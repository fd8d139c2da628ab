/**
 * The Sakura half of the sandbox and the fakes: the real Sakura provider over the usacloud
 * simulator, whose cloud is kept in a store (`usacloud.json` in a sandbox folder, memory for the
 * fakes). Latency and boot time are the simulator's own.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodePath from "node:path"
import { CloudProvider, type CloudProviderService } from "../Provider.js"
import type { Inputs, ResourceType } from "../Resource.js"
import * as SakuraProvider from "../Sakura/Provider.js"
import * as Simulator from "../Sakura/Simulator.js"
import { serverState } from "../Sakura/Simulator/Cloud.js"
import type { DiskRecord, NoteRecord, ServerRecord, SshKeyRecord } from "../Sakura/Simulator/Document.js"
import type { Runtime } from "./FaultInjection.js"
import type { SandboxOptions } from "./Options.js"
import { ownerTags } from "./Ownership.js"
import { type CloudResource, SandboxStoreError } from "./Store.js"
import * as TransportFaults from "./TransportFaults.js"

/** The usacloud simulator's store inside a sandbox folder. */
export const storePath = (directory: string): string => NodePath.join(directory, "usacloud.json")

/** The real Sakura provider over the simulator `store`, with the sandbox's latency, boot time and `faults`. */
export const provider = (
  store: Simulator.SimulatorStore,
  faults: Pick<Runtime, "faults" | "store">,
  options: SandboxOptions = {}
): Effect.Effect<CloudProviderService, never, never> =>
  Effect.provide(
    CloudProvider,
    SakuraProvider.layer().pipe(
      Layer.provide(
        TransportFaults.layerUsacloud(
          store,
          {
            ...(options.latency === undefined ? {} : { latency: options.latency }),
            ...(options.bootTime === undefined ? {} : { bootTime: options.bootTime }),
            ...(options.log === undefined ? {} : { log: options.log })
          },
          faults
        )
      )
    )
  )

// What the simulator holds, as the sandbox shows it ----------------------------------------

const iso = (millis: number) => new Date(millis).toISOString()

/** The owner's tags in the sandbox's spelling (`fleetflow-name=...`), from Sakura's ownership tags. */
const ownership = (tags: ReadonlyArray<string>, name: string): ReadonlyArray<string> => {
  const owner = SakuraProvider.ownerFromTags(tags, [name])
  if (owner === undefined) return []
  return ownerTags({ project: owner.project ?? "", stage: owner.stage ?? "" }, owner.name ?? name)
}

const resource = (
  type: ResourceType,
  record: { readonly id: number; readonly name: string; readonly createdAt: number },
  fields: {
    readonly inputs: Inputs
    readonly attributes: Inputs
    readonly tags: ReadonlyArray<string>
    readonly modifiedAt?: number
  }
): CloudResource => ({
  id: String(record.id),
  type,
  name: record.name,
  inputs: fields.inputs,
  attributes: fields.attributes,
  tags: fields.tags,
  createdAt: iso(record.createdAt),
  updatedAt: iso(fields.modifiedAt ?? record.createdAt)
})

const server = (record: ServerRecord, now: number, disks: ReadonlyArray<DiskRecord>): CloudResource => {
  const state = serverState(record, now)
  const ip = record.interfaces.find((nic) => nic.upstream === "shared")?.ipAddress ?? ""
  const disk = disks.find((item) => item.serverId === record.id)
  return resource("server", record, {
    inputs: {
      zone: record.zone,
      core: record.cpu,
      memory: record.memoryMB / 1024,
      ...(disk === undefined ? {} : { disk: String(disk.id) }),
      tags: [...SakuraProvider.userTags(record.tags)]
    },
    attributes: {
      ip,
      status: state.availability === "available" ? state.instanceStatus || "unknown" : state.availability,
      hostname: record.hostName,
      zone: record.zone
    },
    tags: [...SakuraProvider.userTags(record.tags), ...ownership(record.tags, record.name)],
    modifiedAt: record.modifiedAt
  })
}

const disk = (record: DiskRecord): CloudResource =>
  resource("disk", record, {
    inputs: {
      zone: record.zone,
      size: Math.round(record.sizeMB / 1024),
      plan: record.planId === 2 ? "hdd" : "ssd",
      connection: record.connection,
      tags: [...SakuraProvider.userTags(record.tags)]
    },
    attributes: {
      zone: record.zone,
      ...(record.serverId === 0 ? {} : { server: String(record.serverId) }),
      ...(record.sourceArchiveId === 0 ? {} : { sourceArchive: String(record.sourceArchiveId) })
    },
    tags: [...SakuraProvider.userTags(record.tags), ...ownership(record.tags, record.name)],
    modifiedAt: record.modifiedAt
  })

// SSH keys have no tags: the provider writes their ownership into the description.
const sshKey = (record: SshKeyRecord): CloudResource =>
  resource("ssh-key", record, {
    inputs: { publicKey: record.publicKey },
    attributes: { fingerprint: record.fingerprint },
    tags: ownership(SakuraProvider.descriptionWords(record.description), record.name)
  })

const note = (record: NoteRecord): CloudResource =>
  resource("startup-script", record, {
    inputs: { content: record.content, tags: [...SakuraProvider.userTags(record.tags)] },
    attributes: { class: record.class },
    tags: [...SakuraProvider.userTags(record.tags), ...ownership(record.tags, record.name)],
    modifiedAt: record.modifiedAt
  })

/** Everything the simulated Sakura Cloud in `store` holds, as sandbox resources. */
export const inspect = (
  store: Simulator.SimulatorStore
): Effect.Effect<ReadonlyArray<CloudResource>, SandboxStoreError> =>
  Effect.gen(function* () {
    const contents = yield* Simulator.inspect(store).pipe(
      Effect.mapError(
        (error) =>
          new SandboxStoreError({
            path: error.path,
            reason: error.reason === "locked" ? "unwritable" : error.reason,
            message: error.message
          })
      )
    )
    const now = yield* Clock.currentTimeMillis
    return [
      ...contents.servers.map((record) => server(record, now, contents.disks)),
      ...contents.disks.map(disk),
      ...contents.sshKeys.map(sshKey),
      ...contents.notes.map(note)
    ]
  })
