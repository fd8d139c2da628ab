/**
 * The fixed parts of the simulated Sakura Cloud (zones, public archives, plans, the
 * shared segment) and the states that follow from time (a server booting, a disk being
 * copied). The JSON shapes usacloud prints are in `Shapes.ts`.
 */
import * as Crypto from "node:crypto"
import { sakuraZones } from "../Model.js"
import type { ArchiveRecord, DiskRecord, ServerRecord, SimulatorDocument } from "./Document.js"

export const zones: ReadonlyArray<string> = sakuraZones

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

/** Whether the server runs, or is on its way up once available. */
export const isUp = (server: ServerRecord, now: number) => {
  const state = serverState(server, now)
  return state.instanceStatus === "up" || (state.availability === "available" && server.power === "up")
}

export const diskAvailability = (disk: DiskRecord, now: number) => (now < disk.availableAt ? "migrating" : "available")

/** A serial like the API puts in its errors. */
export const serialOf = (seed: string): string => Crypto.createHash("md5").update(seed).digest("hex")
