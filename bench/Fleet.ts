/**
 * The fleets the benchmarks run on, built as desired resources (no KDL to parse):
 *
 * - `desired(size)`: the mix used at every size, so that sizes compare: per 10 resources one
 *   disk, one server on it, four DNS A records pointing at the server's address, and four R2
 *   buckets. Three dependency levels (disk, server, record). The fake clouds are the real
 *   providers over the simulators, so the inputs are what the providers require (a disk's OS, a
 *   bucket's name, a server's commitment), as the KDL decoder writes them.
 * - `independent(count)`: R2 buckets that depend on nothing.
 * - `chains(count, length)`: R2 buckets in `count` chains, each link depending on the one before.
 * - `converged(desired)`: what the simulators' documents and the state hold after that fleet was
 *   applied, built directly (applying 10,000 resources only to plan them would take minutes).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import type * as Config from "../src/Config.js"
import type * as Fleet from "../src/Fleet.js"
import {
  attributeOf,
  type DesiredResource,
  type Inputs,
  isReference,
  type Json,
  makeKey,
  providerOf,
  type ResourceKey,
  type ResourceType,
  referencesIn,
  reference,
  type StoredResource
} from "../src/Resource.js"
import type * as Retry from "../src/Retry.js"
import * as CloudflareSimulator from "../src/Cloudflare/Simulator.js"
import type { CloudflareDocument } from "../src/Cloudflare/Simulator.js"
import type * as Fake from "../src/Fake.js"
import type { SimulatorDocument } from "../src/Sakura/Simulator.js"
import * as State from "../src/State.js"

export const project = "bench"
export const stage = "dev"
export const zone = "example.com"

/** Resources per group: disk, server, four records, four buckets. */
export const groupSize = 10

/** The usacloud simulator's shared segment of tk1a has addresses for this many servers. */
export const maxServers = 61250

/** The largest `desired(size)` the fake clouds can create: one server per group. */
export const maxAppliedSize = groupSize * maxServers

const resource = (
  type: ResourceType,
  name: string,
  inputs: Inputs,
  dependsOn: ReadonlyArray<ResourceKey> = []
): DesiredResource => ({ key: makeKey(type, name), provider: providerOf[type], type, name, inputs, dependsOn })

/** The OS of every disk of the mix; the simulator's tk1a copies it from this archive. */
const os = "ubuntu-24.04"
const osArchive = "113600000101"

const bucket = (name: string, dependsOn: ReadonlyArray<ResourceKey> = []) =>
  resource("r2", name, { name, location: "APAC" }, dependsOn)

const group = (index: number): ReadonlyArray<DesiredResource> => {
  const name = `node-${String(index).padStart(4, "0")}`
  const disk = resource("disk", name, { zone: "tk1a", size: 20, plan: "ssd", connection: "virtio", os })
  const server = resource(
    "server",
    name,
    {
      zone: "tk1a",
      core: 1,
      memory: 2,
      commitment: "standard",
      status: "up",
      disk: reference(disk.key, "id"),
      tags: ["bench", `group-${index}`]
    },
    [disk.key]
  )
  const records = ["www", "api", "app", "cdn"].map((host) => {
    const fqdn = `${host}-${index}.${zone}`
    return resource(
      "dns",
      `${fqdn}/A`,
      { zone, name: fqdn, type: "A", content: reference(server.key, "ip"), proxied: false, ttl: 1 },
      [server.key]
    )
  })
  const buckets = ["assets", "logs", "media", "backup"].map((kind) => bucket(`${kind}-${index}`))
  return [disk, server, ...records, ...buckets]
}

/** `size` resources in the fixed mix; `size` must be a multiple of 10. */
export const desired = (size: number): ReadonlyArray<DesiredResource> => {
  const groups = size / groupSize
  if (!Number.isInteger(groups) || groups < 1) {
    throw new Error(`a fleet of ${size} resources: use a positive multiple of ${groupSize}`)
  }
  return Array.from({ length: groups }, (_, index) => group(index)).flat()
}

/** Throws unless the fake clouds can create `desired(size)`. */
export const checkAppliable = (size: number): void => {
  if (size > maxAppliedSize) {
    throw new Error(`the fake clouds can create at most ${maxAppliedSize} resources of the mix (${maxServers} servers)`)
  }
}

/** `count` R2 buckets that depend on nothing. */
export const independent = (count: number, prefix = "solo"): ReadonlyArray<DesiredResource> =>
  Array.from({ length: count }, (_, index) => bucket(`${prefix}-${index}`))

/** `count` chains of `length` R2 buckets, each link depending on the link before it. */
export const chains = (count: number, length: number, prefix = "chain"): ReadonlyArray<DesiredResource> =>
  Array.from({ length: count }, (_, chain) => {
    const links: Array<DesiredResource> = []
    for (let link = 0; link < length; link++) {
      const before = links[link - 1]
      links.push(bucket(`${prefix}-${chain}-${link}`, before === undefined ? [] : [before.key]))
    }
    return links
  }).flat()

// ---------------------------------------------------------------------------------------------
// A converged fleet, built directly
// ---------------------------------------------------------------------------------------------

const firstSakuraId = 100000000001

const resolve = (value: Json, resources: Readonly<Record<string, StoredResource>>): Json => {
  if (isReference(value)) {
    const resolved = attributeOf(resources[value.$ref], value.attribute)
    if (resolved === undefined) throw new Error(`${value.$ref}.${value.attribute} is not known yet`)
    return resolved
  }
  if (Array.isArray(value)) return value.map((item: Json) => resolve(item, resources))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([field, item]) => [field, resolve(item, resources)]))
  }
  return value
}

const text = (inputs: Inputs, field: string): string => {
  const value = inputs[field]
  if (typeof value !== "string") throw new Error(`${field} must be a string, got ${JSON.stringify(value)}`)
  return value
}

const strings = (inputs: Inputs, field: string): ReadonlyArray<string> => {
  const value = inputs[field]
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : []
}

/** The address the usacloud simulator gives the `index`-th server of tk1a (counted from 0). */
const addressOf = (index: number) => `153.120.${10 + Math.floor(index / 250)}.${(index % 250) + 4}`

/** The tags the Sakura provider marks a resource of the bench's stage with. */
const sakuraTags = (name: string, inputs: Inputs) => [
  "fleetflow",
  `ff-p=${project}`,
  `ff-s=${stage}`,
  `ff-n=${name}`,
  ...strings(inputs, "tags")
]

const accountId = CloudflareSimulator.defaultAccountId
const zoneId = CloudflareSimulator.zoneId(accountId, zone)

/** The simulators' documents and the state `up` leaves, growing one resource at a time. */
class Builder {
  readonly servers: Array<SimulatorDocument["servers"][number]> = []
  readonly disks: Array<SimulatorDocument["disks"][number]> = []
  readonly buckets: Array<CloudflareDocument["buckets"][number]> = []
  readonly records: Array<CloudflareDocument["records"][number]> = []
  readonly resources: Record<string, StoredResource> = {}
  nextId = firstSakuraId

  constructor(readonly millis: number) {}

  /** What `up` records for the resource, and its cloud attributes; the cloud's record is added. */
  add(item: DesiredResource, inputs: Inputs): { readonly id: string; readonly attributes: Inputs } {
    const millis = this.millis
    switch (item.type) {
      case "disk": {
        const id = this.nextId++
        this.disks.push({
          id,
          zone: text(inputs, "zone"),
          name: item.name,
          description: "",
          tags: sakuraTags(item.name, inputs),
          planId: 4,
          connection: "virtio",
          sizeMB: Number(inputs.size) * 1024,
          sourceArchiveId: Number(osArchive),
          sourceDiskId: 0,
          serverId: 0,
          connectionOrder: 0,
          createdAt: millis,
          modifiedAt: millis,
          availableAt: millis
        })
        return {
          id: String(id),
          attributes: { zone: text(inputs, "zone"), status: "available", sourceArchive: osArchive }
        }
      }
      case "server": {
        const [id, nic] = [this.nextId++, this.nextId++]
        const ip = addressOf(this.servers.length)
        const diskId = Number(text(inputs, "disk"))
        const index = this.disks.findIndex((disk) => disk.id === diskId)
        this.disks[index] = { ...this.disks[index]!, serverId: id, connectionOrder: 1 }
        // The disk shows its server from the first refresh after `up` on.
        for (const key of item.dependsOn) {
          const disk = this.resources[key]
          if (disk?.id === String(diskId)) {
            this.resources[key] = { ...disk, attributes: { ...disk.attributes, server: String(id) } }
          }
        }
        this.servers.push({
          id,
          zone: text(inputs, "zone"),
          name: item.name,
          description: "",
          tags: sakuraTags(item.name, inputs),
          hostName: item.name,
          cpu: Number(inputs.core),
          memoryMB: Number(inputs.memory) * 1024,
          commitment: "standard",
          generation: 100,
          interfaceDriver: "virtio",
          createdAt: millis,
          modifiedAt: millis,
          availableAt: millis,
          power: "up",
          powerAt: millis,
          powerBefore: "down",
          interfaces: [{ id: nic, macAddress: "9c:a3:ba:00:00:00", ipAddress: ip, upstream: "shared" }]
        })
        const attributes = { ip, status: "up", hostname: item.name, zone: text(inputs, "zone"), disk: String(diskId) }
        return { id: String(id), attributes }
      }
      case "dns": {
        const id = createHash("md5").update(`record:${this.records.length}`).digest("hex")
        const [name, type, content] = [text(inputs, "name"), text(inputs, "type"), text(inputs, "content")]
        this.records.push({
          id,
          zoneId,
          type,
          name,
          content,
          ttl: 1,
          proxied: false,
          comment: null,
          tags: [],
          createdOn: millis,
          modifiedOn: millis
        })
        return { id, attributes: { recordId: id, fqdn: name, zoneId, type, content } }
      }
      case "r2": {
        const [name, location] = [text(inputs, "name"), text(inputs, "location")]
        this.buckets.push({
          accountId,
          jurisdiction: "default",
          name,
          location,
          storageClass: "Standard",
          createdOn: millis,
          domains: [],
          objects: []
        })
        return { id: name, attributes: { name, location, storageClass: "Standard" } }
      }
      default:
        throw new Error(`the converged fleet has no ${item.type} resources`)
    }
  }
}

export interface Converged {
  /** What the simulated clouds hold (`Fake.layer({ initial })`). */
  readonly cloud: NonNullable<Fake.FakeOptions["initial"]>
  /** What the state holds, as `up` records it. */
  readonly state: State.StateFile
}

/**
 * The clouds and the state after `fleet` (resources of the mix, each after what it depends on)
 * was applied: a plan of `fleet` on them refreshes every resource and changes nothing.
 */
export const converged = (fleet: ReadonlyArray<DesiredResource>, at = "2026-01-01T00:00:00.000Z"): Converged => {
  const built = new Builder(Date.parse(at))
  for (const item of fleet) {
    const inputs = resolve(item.inputs, built.resources) as Inputs
    const { id, attributes } = built.add(item, inputs)
    built.resources[item.key] = {
      provider: item.provider,
      type: item.type,
      name: item.name,
      stage,
      id,
      attributes,
      inputs,
      ...(referencesIn(item.inputs).length === 0 ? {} : { declared: item.inputs }),
      dependsOn: item.dependsOn,
      created_at: at,
      updated_at: at
    }
  }
  return {
    cloud: {
      usacloud: {
        nextId: built.nextId,
        nextAddress: built.servers.length,
        servers: built.servers,
        disks: built.disks
      },
      cloudflare: {
        accounts: [{ id: accountId, name: "FleetFlow Sandbox" }],
        zones: [{ id: zoneId, name: zone, accountId, createdOn: 0 }],
        buckets: built.buckets,
        records: built.records,
        sequence: built.records.length
      }
    },
    state: { ...State.emptyState(project), resources: built.resources }
  }
}

// ---------------------------------------------------------------------------------------------
// Running the engine
// ---------------------------------------------------------------------------------------------

/** No waiting between attempts: nothing is meant to fail here. */
const retry: Retry.RetryPolicy = {
  maxAttempts: 1,
  initialDelay: Duration.millis(1),
  maxDelay: Duration.millis(1),
  multiplier: 1
}

const config = (directory: string): Config.FleetConfig => ({
  file: `${directory}/fleet.kdl`,
  directory,
  project,
  kdlVersion: 2,
  providers: {},
  retry,
  state: { backend: "local" },
  stages: [stage],
  definitions: new Map()
})

export const target = (resources: ReadonlyArray<DesiredResource>, directory = "/nowhere"): Fleet.Target => ({
  config: config(directory),
  stage,
  desired: resources
})

/** `up` options that confirm at once; `onConfirm` runs when the plan is known, just before the apply. */
export const runOptions = (parallelism: number, onConfirm: () => void = () => undefined): Fleet.RunOptions<never> => ({
  parallelism,
  refresh: true,
  confirm: () =>
    Effect.sync(() => {
      onConfirm()
      return true
    }),
  onFailure: () => Effect.succeed("abort")
})
