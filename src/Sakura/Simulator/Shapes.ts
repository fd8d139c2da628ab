/**
 * The JSON shapes usacloud prints for each resource: Go field names, every field present,
 * nested values included, as `iaas-api-go` models them; times in JST; keys sorted.
 */
import { type ArchiveView, diskAvailability, diskPlans, serverState, sharedAddress, zoneFacts } from "./Cloud.js"
import type { DiskRecord, NoteRecord, ServerRecord, SimulatorDocument, SshKeyRecord } from "./Document.js"

export const zeroTime = "0001-01-01T00:00:00Z"
const jst = 9 * 60 * 60 * 1000

/** A time as the API prints it (JST), or Go's zero time. */
export const timestamp = (millis: number): string =>
  millis <= 0 ? zeroTime : new Date(millis + jst).toISOString().replace(/\.\d{3}Z$/, "+09:00")

/** Keys sorted at every level, 4-space indent, as usacloud's JSON output; nothing for no results. */
export const renderJson = (values: ReadonlyArray<unknown>): string => {
  if (values.length === 0) return ""
  const sort = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sort)
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((key) => [key, sort((value as Record<string, unknown>)[key])])
      )
    }
    return value
  }
  return `${JSON.stringify(sort(values), null, 4)}\n`
}

const sharedSwitchId = (zone: string) => 100000000000 + (zoneFacts[zone]?.id ?? 0)

const storageOf = (zone: string, planId: number) => ({
  Class: "iscsi1204",
  DedicatedStorageContractID: 0,
  Generation: planId === 4 ? 200 : 100,
  ID: 200000000000 + (zoneFacts[zone]?.id ?? 0),
  Name: `sac-${zone}-iscsi1204-st0${planId === 4 ? 2 : 1}`
})

export const zoneJson = (zone: string) => {
  const facts = zoneFacts[zone]!
  return {
    DisplayName: facts.displayName,
    FTPServer: { HostName: `sac-${zone}-ftp.sakura.ad.jp`, IPAddress: `153.120.${facts.segment}.2` },
    ID: facts.id,
    IsDummy: facts.isDummy,
    Name: zone,
    Region: {
      Description: facts.region.name,
      ID: facts.region.id,
      Name: facts.region.name,
      NameServers: facts.region.nameServers
    },
    VNCProxy: { HostName: `sac-${zone}-ssl.sakura.ad.jp`, IPAddress: `153.120.${facts.segment}.3` }
  }
}

export const serverJson = (document: SimulatorDocument, server: ServerRecord, now: number) => {
  const state = serverState(server, now)
  const memoryGB = server.memoryMB / 1024
  const disks = document.disks
    .filter((disk) => disk.serverId === server.id && disk.zone === server.zone)
    .sort((a, b) => a.connectionOrder - b.connectionOrder)
  return {
    Availability: state.availability,
    BundleInfo: null,
    CDROMID: 0,
    CPU: server.cpu,
    CPUModel: "uncategorized",
    Commitment: server.commitment,
    ConfidentialVM: false,
    CreatedAt: timestamp(server.createdAt),
    Description: server.description,
    Disks: disks.map((disk) => ({
      Availability: diskAvailability(disk, now),
      Connection: disk.connection,
      ConnectionOrder: disk.connectionOrder,
      DiskPlanID: disk.planId,
      EncryptionAlgorithm: "none",
      ID: disk.id,
      Name: disk.name,
      ReinstallCount: 0,
      SizeMB: disk.sizeMB,
      Storage: storageOf(disk.zone, disk.planId)
    })),
    GPU: 0,
    GPUModel: "",
    Generation: server.generation,
    HostName: server.hostName,
    ID: server.id,
    IconID: 0,
    InstanceBeforeStatus: state.beforeStatus,
    InstanceHostInfoURL: "",
    InstanceHostName:
      state.instanceStatus === "up" ? `sac-${server.zone}-sv${String(server.id % 1000).padStart(3, "0")}` : "",
    InstanceStatus: state.instanceStatus,
    InstanceStatusChangedAt: timestamp(state.changedAt),
    InstanceWarnings: "",
    InstanceWarningsValue: 0,
    InterfaceDriver: server.interfaceDriver,
    Interfaces: server.interfaces.map((nic) => {
      const shared = nic.upstream === "shared"
      const segment = shared ? sharedAddress(server.zone, 0) : undefined
      const third = nic.ipAddress.split(".")[2]
      return {
        HostName: shared ? server.hostName : "",
        ID: nic.id,
        IPAddress: nic.ipAddress,
        MACAddress: nic.macAddress,
        PacketFilterID: 0,
        PacketFilterName: "",
        PacketFilterRequiredHostVersion: 0,
        SubnetBandWidthMbps: shared ? 100 : 0,
        SubnetDefaultRoute: shared ? `153.120.${third}.1` : "",
        SubnetNetworkAddress: shared ? `153.120.${third}.0` : "",
        SubnetNetworkMaskLen: shared ? 24 : 0,
        SwitchID: segment === undefined ? 0 : sharedSwitchId(server.zone),
        SwitchName: shared ? "スイッチ" : "",
        SwitchScope: shared ? "shared" : "",
        UpstreamType: shared ? "shared" : "none",
        UserIPAddress: "",
        UserSubnetDefaultRoute: "",
        UserSubnetNetworkMaskLen: 0
      }
    }),
    MemoryMB: server.memoryMB,
    ModifiedAt: timestamp(server.modifiedAt),
    Name: server.name,
    PrivateHostID: 0,
    PrivateHostName: "",
    ServerPlanID: server.generation * 1000000 + memoryGB * 1000 + server.cpu,
    ServerPlanName: `${server.cpu}Core-${memoryGB}GB (${server.generation === 200 ? "第2世代" : "第1世代"})${server.commitment === "dedicatedcpu" ? " コア専有" : ""}`,
    Tags: server.tags,
    Zone: zoneJson(server.zone)
  }
}

export const diskJson = (document: SimulatorDocument, disk: DiskRecord, now: number) => {
  const server = document.servers.find((candidate) => candidate.id === disk.serverId)
  const availability = diskAvailability(disk, now)
  const plan = disk.planId === 4 ? diskPlans.ssd! : diskPlans.hdd!
  const copied =
    availability === "available"
      ? disk.sizeMB
      : Math.floor((disk.sizeMB * Math.max(0, now - disk.createdAt)) / Math.max(1, disk.availableAt - disk.createdAt))
  return {
    Availability: availability,
    BundleInfo: null,
    Connection: disk.connection,
    ConnectionOrder: disk.connectionOrder,
    CreatedAt: timestamp(disk.createdAt),
    Description: disk.description,
    DiskPlanID: plan.id,
    DiskPlanName: plan.name,
    DiskPlanStorageClass: "iscsi1204",
    EncryptionAlgorithm: "none",
    ID: disk.id,
    IconID: 0,
    JobStatus: availability === "migrating" ? { ConfigError: null, Status: "migrating" } : null,
    KMSKeyID: 0,
    MigratedMB: copied,
    ModifiedAt: timestamp(disk.modifiedAt),
    Name: disk.name,
    ReinstallCount: 0,
    ServerID: server === undefined ? 0 : server.id,
    ServerName: server === undefined ? "" : server.name,
    SizeMB: disk.sizeMB,
    SourceArchiveAvailability: disk.sourceArchiveId === 0 ? "" : "available",
    SourceArchiveID: disk.sourceArchiveId,
    SourceDiskAvailability: disk.sourceDiskId === 0 ? "" : "available",
    SourceDiskID: disk.sourceDiskId,
    Storage: storageOf(disk.zone, disk.planId),
    Tags: disk.tags,
    Zone: disk.zone
  }
}

export const sshKeyJson = (key: SshKeyRecord) => ({
  CreatedAt: timestamp(key.createdAt),
  Description: key.description,
  Fingerprint: key.fingerprint,
  ID: key.id,
  Name: key.name,
  PublicKey: key.publicKey
})

export const noteJson = (note: NoteRecord) => ({
  Availability: "available",
  Class: note.class,
  Content: note.content,
  CreatedAt: timestamp(note.createdAt),
  Description: note.description,
  ID: note.id,
  IconID: 0,
  ModifiedAt: timestamp(note.modifiedAt),
  Name: note.name,
  Scope: note.scope,
  Tags: note.tags
})

export const archiveJson = (archive: ArchiveView) => ({
  Availability: "available",
  BundleInfo: null,
  CreatedAt: timestamp(archive.createdAt),
  Description: archive.description,
  DiskPlanID: 2,
  DiskPlanName: "標準プラン",
  DiskPlanStorageClass: "iscsi1204",
  DisplayOrder: archive.displayOrder,
  ID: archive.id,
  IconID: 0,
  MigratedMB: archive.sizeMB,
  ModifiedAt: timestamp(archive.createdAt),
  Name: archive.name,
  OriginalArchiveID: 0,
  Scope: archive.scope,
  SizeMB: archive.sizeMB,
  SourceArchiveAvailability: archive.sourceArchiveId === 0 ? "" : "available",
  SourceArchiveID: archive.sourceArchiveId,
  SourceDiskAvailability: archive.sourceDiskId === 0 ? "" : "available",
  SourceDiskID: archive.sourceDiskId,
  SourceInfo: null,
  Storage: archive.scope === "user" ? storageOf(archive.zone, 2) : null,
  Tags: archive.tags,
  Zone: archive.zone
})

export const authStatusJson = {
  AccountClass: "account",
  AccountCode: "fleetflow",
  AccountID: 100000000000,
  AccountName: "FleetFlow Simulator",
  AuthClass: "account",
  AuthMethod: "apikey",
  ExternalPermission: "bill+eventlog+cdn",
  IsAPIKey: true,
  MemberClass: "member",
  MemberCode: "sim00000",
  OperationPenalty: "none",
  Permission: "create"
}
