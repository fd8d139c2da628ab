/**
 * The fleets the benchmarks run on, built as desired resources (no KDL to parse):
 *
 * - `desired(size)`: the mix used at every size, so that sizes compare: per 10 resources one
 *   disk, one server on it, four DNS A records pointing at the server's address, and four R2
 *   buckets. Three dependency levels (disk, server, record). Applied through the fake clouds it
 *   holds at most 254 servers (the simulated shared segment's addresses, see `maxAppliedSize`);
 *   planned against a state made by `converged` it has no limit.
 * - `independent(count)`: R2 buckets that depend on nothing.
 * - `chains(count, length)`: R2 buckets in `count` chains, each link depending on the one before.
 * - `converged(desired)`: what the fake clouds and the state hold after that fleet was applied,
 *   built directly (applying 10,000 resources only to plan them would take minutes).
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
import type { CloudResource } from "../src/Sandbox/Store.js"
import { ownerTags } from "../src/Sandbox/Simulation.js"
import * as State from "../src/State.js"

export const project = "bench"
export const stage = "dev"
export const zone = "example.com"

/** Resources per group: disk, server, four records, four buckets. */
export const groupSize = 10

/** The simulated shared segment hands out 254 addresses, one per server. */
export const maxServers = 254

/** The largest `desired(size)` the fake clouds can create: one server per group. */
export const maxAppliedSize = groupSize * maxServers

const resource = (
  type: ResourceType,
  name: string,
  inputs: Inputs,
  dependsOn: ReadonlyArray<ResourceKey> = []
): DesiredResource => ({ key: makeKey(type, name), provider: providerOf[type], type, name, inputs, dependsOn })

const group = (index: number): ReadonlyArray<DesiredResource> => {
  const name = `node-${String(index).padStart(4, "0")}`
  const disk = resource("disk", name, { zone: "tk1a", size: 20, plan: "ssd", connection: "virtio" })
  const server = resource(
    "server",
    name,
    { zone: "tk1a", core: 1, memory: 2, disk: reference(disk.key, "id"), tags: ["bench", `group-${index}`] },
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
  const buckets = ["assets", "logs", "media", "backup"].map((kind) =>
    resource("r2", `${kind}-${index}`, { location: "APAC" })
  )
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
  Array.from({ length: count }, (_, index) => resource("r2", `${prefix}-${index}`, { location: "APAC" }))

/** `count` chains of `length` R2 buckets, each link depending on the link before it. */
export const chains = (count: number, length: number, prefix = "chain"): ReadonlyArray<DesiredResource> =>
  Array.from({ length: count }, (_, chain) => {
    const links: Array<DesiredResource> = []
    for (let link = 0; link < length; link++) {
      const before = links[link - 1]
      links.push(
        resource("r2", `${prefix}-${chain}-${link}`, { location: "APAC" }, before === undefined ? [] : [before.key])
      )
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

/** The address of the `index`-th server: the state and the clouds agree on it, no segment limits it. */
const addressOf = (index: number) => `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`

/** What the simulation stores for a resource of the mix (see `src/Sandbox/Sakura.ts` and `Cloudflare.ts`). */
const cloudAttributes = (item: DesiredResource, inputs: Inputs, serverIndex: number): Inputs => {
  switch (item.type) {
    case "disk":
      return {
        zone: text(inputs, "zone"),
        size: inputs.size ?? 20,
        plan: inputs.plan ?? "ssd",
        connection: inputs.connection ?? "virtio",
        status: "available"
      }
    case "server":
      return {
        ip: addressOf(serverIndex),
        status: "up",
        hostname: item.name,
        zone: text(inputs, "zone"),
        disk: text(inputs, "disk")
      }
    case "dns":
      return { fqdn: text(inputs, "name"), type: text(inputs, "type"), content: text(inputs, "content"), zone }
    case "r2":
      return { name: item.name, location: text(inputs, "location").toUpperCase(), storageClass: "Standard" }
    default:
      throw new Error(`the converged fleet has no ${item.type} resources`)
  }
}

export interface Converged {
  /** What the fake clouds hold (`Fake.layer({ initial })`). */
  readonly cloud: ReadonlyArray<CloudResource>
  /** What the state holds, as `up` records it. */
  readonly state: State.StateFile
}

/**
 * The clouds and the state after `fleet` (resources of the mix, each after what it depends on)
 * was applied: a plan of `fleet` on them refreshes every resource and changes nothing.
 */
export const converged = (fleet: ReadonlyArray<DesiredResource>, at = "2026-01-01T00:00:00.000Z"): Converged => {
  const cloud: Array<CloudResource> = []
  const resources: Record<string, StoredResource> = {}
  let sakura = firstSakuraId
  let cloudflare = 1
  let servers = 0
  for (const item of fleet) {
    const inputs = resolve(item.inputs, resources) as Inputs
    const id =
      item.provider === "sakura-cloud"
        ? String(sakura++)
        : createHash("md5").update(`cloudflare:${cloudflare++}`).digest("hex")
    const attributes = cloudAttributes(item, inputs, item.type === "server" ? ++servers : 0)
    const userTags = item.type === "server" || item.type === "disk" ? strings(inputs, "tags") : []
    cloud.push({
      id,
      type: item.type,
      name: item.type === "dns" ? text(inputs, "name") : item.name,
      inputs,
      attributes,
      tags: [...userTags, ...ownerTags({ project, stage }, item.name)],
      createdAt: at,
      updatedAt: at
    })
    resources[item.key] = {
      provider: item.provider,
      type: item.type,
      name: item.name,
      stage,
      id,
      attributes: { ...attributes, id },
      inputs,
      ...(referencesIn(item.inputs).length === 0 ? {} : { declared: item.inputs }),
      dependsOn: item.dependsOn,
      created_at: at,
      updated_at: at
    }
  }
  return { cloud, state: { ...State.emptyState(project), resources } }
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
