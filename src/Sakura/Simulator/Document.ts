/**
 * What the simulated Sakura Cloud holds, as one JSON document: servers, disks, SSH keys,
 * notes and private archives, the counters that hand out IDs and shared-segment addresses,
 * how often each fault has fired, and every argument list the simulator received.
 * Times are epoch milliseconds; states that change with time (a server booting, a disk
 * being copied) are stored as the moment they change and computed when read, so that
 * separate processes agree on them.
 */
import * as Schema from "effect/Schema"

const Id = Schema.Int.pipe(Schema.nonNegative())
const Millis = Schema.Number

export const Interface = Schema.Struct({
  id: Id,
  macAddress: Schema.String,
  /** Empty when the NIC is not connected to the shared segment. */
  ipAddress: Schema.String,
  upstream: Schema.Literal("shared", "disconnected")
})
export type Interface = typeof Interface.Type

/** What every zoned, tagged resource the account holds has. */
const zonedResource = {
  id: Id,
  zone: Schema.String,
  name: Schema.String,
  description: Schema.String,
  tags: Schema.Array(Schema.String)
}

export const ServerRecord = Schema.Struct({
  ...zonedResource,
  hostName: Schema.String,
  cpu: Schema.Int,
  memoryMB: Schema.Int,
  commitment: Schema.String,
  generation: Schema.Int,
  interfaceDriver: Schema.String,
  createdAt: Millis,
  modifiedAt: Millis,
  /** Until then the server is `migrating` and its instance status is empty. */
  availableAt: Millis,
  /** The power state asked for, and when it is reached. */
  power: Schema.Literal("up", "down"),
  powerAt: Millis,
  /** The state before `powerAt`, once the server is available. */
  powerBefore: Schema.Literal("up", "down"),
  interfaces: Schema.Array(Interface)
})
export type ServerRecord = typeof ServerRecord.Type

export const DiskRecord = Schema.Struct({
  ...zonedResource,
  /** 4 ssd, 2 hdd. */
  planId: Schema.Int,
  connection: Schema.String,
  sizeMB: Schema.Int,
  sourceArchiveId: Id,
  sourceDiskId: Id,
  /** 0 when the disk is not connected. */
  serverId: Id,
  connectionOrder: Schema.Int,
  createdAt: Millis,
  modifiedAt: Millis,
  availableAt: Millis
})
export type DiskRecord = typeof DiskRecord.Type

export const SshKeyRecord = Schema.Struct({
  id: Id,
  name: Schema.String,
  description: Schema.String,
  publicKey: Schema.String,
  fingerprint: Schema.String,
  createdAt: Millis
})
export type SshKeyRecord = typeof SshKeyRecord.Type

export const NoteRecord = Schema.Struct({
  id: Id,
  name: Schema.String,
  description: Schema.String,
  tags: Schema.Array(Schema.String),
  class: Schema.String,
  content: Schema.String,
  scope: Schema.Literal("user", "shared"),
  createdAt: Millis,
  modifiedAt: Millis
})
export type NoteRecord = typeof NoteRecord.Type

/** An archive of this account (public archives are built in, see `Archives.ts`). */
export const ArchiveRecord = Schema.Struct({
  ...zonedResource,
  sizeMB: Schema.Int,
  sourceArchiveId: Id,
  sourceDiskId: Id,
  createdAt: Millis
})
export type ArchiveRecord = typeof ArchiveRecord.Type

export const SimulatorDocument = Schema.Struct({
  version: Schema.Literal(1),
  /** The next resource ID; Sakura IDs are 12-digit numbers. */
  nextId: Schema.Int,
  /** Feeds the next shared-segment address. */
  nextAddress: Schema.Int,
  servers: Schema.Array(ServerRecord),
  disks: Schema.Array(DiskRecord),
  sshKeys: Schema.Array(SshKeyRecord),
  notes: Schema.Array(NoteRecord),
  archives: Schema.Array(ArchiveRecord),
  /** How many calls each fault rule (by its spec) has affected. */
  faults: Schema.Record({ key: Schema.String, value: Schema.Int }),
  /** Every argument list received, oldest first. */
  invocations: Schema.Array(Schema.Array(Schema.String))
})
export type SimulatorDocument = typeof SimulatorDocument.Type

export const firstId = 100000000001

export const empty: SimulatorDocument = {
  version: 1,
  nextId: firstId,
  nextAddress: 0,
  servers: [],
  disks: [],
  sshKeys: [],
  notes: [],
  archives: [],
  faults: {},
  invocations: []
}

/** A fresh ID and the document that will not hand it out again. */
export const allocateId = (document: SimulatorDocument): readonly [number, SimulatorDocument] => [
  document.nextId,
  { ...document, nextId: document.nextId + 1 }
]
