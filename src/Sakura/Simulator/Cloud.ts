/**
 * The fixed parts of the simulated Sakura Cloud (zones, public archives, plans, the
 * shared segment) and the JSON shapes usacloud prints for each resource: Go field names,
 * every field present, nested values included, as `iaas-api-go` models them.
 */
import * as Crypto from "node:crypto"
import type {
  ArchiveRecord,
  DiskRecord,
  NoteRecord,
  ServerRecord,
  SimulatorDocument,
  SshKeyRecord
} from "./Document.js"

export const zones: ReadonlyArray<string> = ["tk1a", "tk1b", "is1a", "is1b", "is1c", "tk1v"]

interface ZoneFacts {
  readonly id: number
  readonly displayName: string
  readonly region: { readonly id: number; readonly name: string; readonly nameServers: ReadonlyArray<string> }
  readonly isDummy: boolean
  /** The third octet of the zone's shared segment, 153.120.X.0/24 and up. */
  readonly segment: number
}

const tokyo = { id: 210, name: "東京", nameServers: ["210.188.224.10", "210.188.224.11"] }
const ishikari = { id: 310, name: "石狩", nameServers: ["133.242.0.3", "133.242.0.4"] }

export const zoneFacts: Readonly<Record<string, ZoneFacts>> = {
  tk1a: { id: 21001, displayName: "東京第1ゾーン", region: tokyo, isDummy: false, segment: 10 },
  tk1b: { id: 21002, displayName: "東京第2ゾーン", region: tokyo, isDummy: false, segment: 40 },
  is1a: { id: 31001, displayName: "石狩第1ゾーン", region: ishikari, isDummy: false, segment: 80 },
  is1b: { id: 31002, displayName: "石狩第2ゾーン", region: ishikari, isDummy: false, segment: 120 },
  is1c: { id: 31003, displayName: "石狩第3ゾーン", region: ishikari, isDummy: false, segment: 160 },
  tk1v: { id: 29001, displayName: "Sandbox", region: tokyo, isDummy: true, segment: 200 }
}

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

// Public archives ----------------------------------------------------------------------------

interface PublicArchive {
  readonly name: string
  readonly tags: ReadonlyArray<string>
}

const linux = (name: string, distro: string, version: string, latest: string, stable: boolean): PublicArchive => ({
  name,
  tags: [
    "@size-extendable",
    "arch-64bit",
    ...(stable ? ["current-stable"] : []),
    `distro-${distro}`,
    `distro-ver-${version}`,
    latest,
    "os-linux"
  ].sort()
})

const publicArchives: ReadonlyArray<PublicArchive> = [
  linux("Ubuntu Server 24.04.2 LTS 64bit", "ubuntu", "24.04.2", "ubuntu-24.04-latest", true),
  linux("Ubuntu Server 22.04.5 LTS 64bit", "ubuntu", "22.04.5", "ubuntu-22.04-latest", false),
  linux("Debian GNU/Linux 12.10.0 64bit", "debian", "12.10.0", "debian-12-latest", true),
  linux("Debian GNU/Linux 11.11.0 64bit", "debian", "11.11.0", "debian-11-latest", false),
  linux("AlmaLinux 10.0 64bit", "alma", "10.0", "alma-10-latest", false),
  linux("AlmaLinux 9.6 64bit", "alma", "9.6", "alma-9-latest", true),
  linux("AlmaLinux 8.10 64bit", "alma", "8.10", "alma-8-latest", false),
  linux("Rocky Linux 10.0 64bit", "rocky", "10.0", "rocky-10-latest", false),
  linux("Rocky Linux 9.6 64bit", "rocky", "9.6", "rocky-9-latest", true),
  linux("Rocky Linux 8.10 64bit", "rocky", "8.10", "rocky-8-latest", false),
  linux("MIRACLE LINUX 9.4 64bit", "miracle", "9.4", "miracle-9-latest", true),
  linux("MIRACLE LINUX 8.10 64bit", "miracle", "8.10", "miracle-8-latest", false),
  {
    name: "KUSANAGI 9.4.0",
    tags: ["@size-extendable", "arch-64bit", "current-stable", "distro-ver-9.4.0", "os-linux", "pkg-kusanagi"]
  }
]

/** The tags an `--os-type` selects archives by (all of them, on shared archives), as `iaas-api-go/ostype` does. */
export const osTypes: Readonly<Record<string, ReadonlyArray<string>>> = {
  almalinux: ["current-stable", "distro-alma"],
  almalinux10: ["alma-10-latest"],
  almalinux9: ["alma-9-latest"],
  almalinux8: ["alma-8-latest"],
  rockylinux: ["current-stable", "distro-rocky"],
  rockylinux10: ["rocky-10-latest"],
  rockylinux9: ["rocky-9-latest"],
  rockylinux8: ["rocky-8-latest"],
  miracle: ["current-stable", "distro-miracle"],
  miraclelinux: ["current-stable", "distro-miracle"],
  miracle9: ["miracle-9-latest"],
  miraclelinux9: ["miracle-9-latest"],
  miracle8: ["miracle-8-latest"],
  miraclelinux8: ["miracle-8-latest"],
  ubuntu: ["current-stable", "distro-ubuntu"],
  ubuntu2404: ["ubuntu-24.04-latest"],
  ubuntu2204: ["ubuntu-22.04-latest"],
  debian: ["current-stable", "distro-debian"],
  debian12: ["debian-12-latest"],
  debian11: ["debian-11-latest"],
  kusanagi: ["current-stable", "pkg-kusanagi"]
}

/** An archive as the simulator sees it, public or private. */
export interface ArchiveView {
  readonly id: number
  readonly zone: string
  readonly name: string
  readonly description: string
  readonly tags: ReadonlyArray<string>
  readonly scope: "shared" | "user"
  readonly sizeMB: number
  readonly sourceArchiveId: number
  readonly sourceDiskId: number
  readonly createdAt: number
  readonly displayOrder: number
}

const archivesPublishedAt = Date.UTC(2025, 3, 1, 2, 0, 0)

export const publicArchivesIn = (zone: string): ReadonlyArray<ArchiveView> => {
  const zoneIndex = zones.indexOf(zone)
  return publicArchives.map((archive, index) => ({
    id: 113600000000 + zoneIndex * 100000 + (index + 1) * 101,
    zone,
    name: archive.name,
    description: "",
    tags: archive.tags,
    scope: "shared",
    sizeMB: 20480,
    sourceArchiveId: 0,
    sourceDiskId: 0,
    createdAt: archivesPublishedAt,
    displayOrder: 100000000000 + (index + 1) * 1000
  }))
}

export const archivesIn = (document: SimulatorDocument, zone: string): ReadonlyArray<ArchiveView> => [
  ...publicArchivesIn(zone),
  ...document.archives
    .filter((archive) => archive.zone === zone)
    .map((archive: ArchiveRecord): ArchiveView => ({ ...archive, scope: "user", displayOrder: 0 }))
]

// Plans -----------------------------------------------------------------------------------

const cpus = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 36, 48, 64, 72, 96, 128]
const memories = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 28, 32, 48, 56, 64, 96, 112, 128, 192, 224, 256, 384, 512]

/** Whether Sakura offers a plan with `cpu` cores and `memoryGB` of memory (at most 16 GB per core, at least 1 GB per 2 cores). */
export const planExists = (cpu: number, memoryGB: number): boolean =>
  cpus.includes(cpu) && memories.includes(memoryGB) && memoryGB <= cpu * 16 && memoryGB * 2 >= cpu

export const generationIn = (zone: string, requested: string | undefined): number => {
  if (requested === "100" || requested === "g100") return 100
  if (requested === "200" || requested === "g200") return 200
  return zone === "is1a" || zone === "is1b" || zone === "tk1b" ? 200 : 100
}

export const diskPlans: Readonly<Record<string, { readonly id: number; readonly name: string }>> = {
  ssd: { id: 4, name: "SSDプラン" },
  hdd: { id: 2, name: "標準プラン" }
}
export const diskSizesGB: ReadonlyArray<number> = [20, 40, 60, 80, 100, 250, 500, 750, 1024, 2048, 4096, 8192, 12288]

// Shared segment --------------------------------------------------------------------------

/** The `n`-th address handed out in `zone`'s shared segment (unique across all zones). */
export const sharedAddress = (zone: string, n: number) => {
  const third = (zoneFacts[zone]?.segment ?? 250) + Math.floor(n / 250)
  return {
    ip: `153.120.${third}.${(n % 250) + 4}`,
    networkAddress: `153.120.${third}.0`,
    defaultRoute: `153.120.${third}.1`
  }
}

export const macAddressOf = (id: number): string => {
  const hex = (id % 0x1000000).toString(16).padStart(6, "0")
  return `9c:a3:ba:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`
}

const sharedSwitchId = (zone: string) => 100000000000 + (zoneFacts[zone]?.id ?? 0)

/** The legacy MD5 fingerprint (`aa:bb:...`) OpenSSH and Sakura print, or undefined when `key` is no public key. */
export const fingerprintOf = (key: string): string | undefined => {
  const [type, blob] = key.trim().split(/\s+/)
  if (type === undefined || blob === undefined) return undefined
  if (
    !/^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/.test(
      type
    )
  ) {
    return undefined
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return undefined
  const bytes = Buffer.from(blob, "base64")
  // The blob starts with the key type as an SSH string.
  const length = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1
  if (length !== type.length || bytes.subarray(4, 4 + length).toString() !== type) return undefined
  const digest = Crypto.createHash("md5").update(bytes).digest("hex")
  return digest.match(/../g)!.join(":")
}

// State computed from time ----------------------------------------------------------------

export interface ServerState {
  readonly availability: "migrating" | "available"
  readonly instanceStatus: "" | "up" | "down"
  readonly beforeStatus: "" | "up" | "down"
  readonly changedAt: number
}

export const serverState = (server: ServerRecord, now: number): ServerState => {
  if (now < server.availableAt) return { availability: "migrating", instanceStatus: "", beforeStatus: "", changedAt: 0 }
  const reached = now >= server.powerAt
  return {
    availability: "available",
    instanceStatus: reached ? server.power : server.powerBefore,
    beforeStatus: reached && server.power !== server.powerBefore ? server.powerBefore : "",
    changedAt: reached ? Math.max(server.powerAt, server.availableAt) : server.availableAt
  }
}

/** When the server is ready (available and up), or undefined when it is not on its way there. */
export const readyAt = (server: ServerRecord): number | undefined =>
  server.power === "up" ? Math.max(server.availableAt, server.powerAt) : undefined

const diskAvailability = (disk: DiskRecord, now: number) => (now < disk.availableAt ? "migrating" : "available")

// Shapes --------------------------------------------------------------------------------

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

/** A serial like the API puts in its errors. */
export const serialOf = (seed: string): string => Crypto.createHash("md5").update(seed).digest("hex")
