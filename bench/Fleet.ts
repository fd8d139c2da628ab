/**
 * A fleet of N resources the fake clouds accept, in a fixed mix so that every size has the
 * same shape: per 10 resources one disk, one server on it, four DNS A records pointing at
 * the server's address, and four R2 buckets. Three dependency levels (disk, server,
 * record); at most 254 servers, as many as the simulated shared segment has addresses.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Config from "../src/Config.js"
import type * as Fleet from "../src/Fleet.js"
import {
  type DesiredResource,
  type Inputs,
  makeKey,
  providerOf,
  type ResourceKey,
  type ResourceType,
  reference
} from "../src/Resource.js"
import type * as Retry from "../src/Retry.js"

export const project = "bench"
export const stage = "dev"
export const zone = "example.com"

/** Resources per group: disk, server, four records, four buckets. */
export const groupSize = 10

/** The simulated shared segment hands out 254 addresses. */
export const maxServers = 254

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

/** `size` resources; `size` must be a multiple of 10 and hold at most 254 servers. */
export const desired = (size: number): ReadonlyArray<DesiredResource> => {
  const groups = size / groupSize
  if (!Number.isInteger(groups) || groups < 1 || groups > maxServers) {
    throw new Error(`a fleet of ${size} resources: use a multiple of ${groupSize} up to ${groupSize * maxServers}`)
  }
  return Array.from({ length: groups }, (_, index) => group(index)).flat()
}

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
  stages: [stage],
  definitions: new Map()
})

export const target = (resources: ReadonlyArray<DesiredResource>, directory = "/nowhere"): Fleet.Target => ({
  config: config(directory),
  stage,
  desired: resources
})

export const runOptions = (parallelism: number): Fleet.RunOptions<never> => ({
  parallelism,
  refresh: true,
  confirm: () => Effect.succeed(true),
  onFailure: () => Effect.succeed("abort")
})
