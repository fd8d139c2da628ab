/**
 * The R2 and DNS part of the sandbox's Cloudflare half: the real Cloudflare provider (`r2`,
 * `r2-domain`, `dns`) over the Cloudflare API simulator in process, whose account is kept in
 * `cloudflare-api.json` beside the sandbox's `cloud.json`. The sandbox has one fixed token and
 * account; a zone is added to the account the first time a call names it in its inputs.
 * Latency is the simulator's own; the sandbox's fault rules are put in front by the caller.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as NodePath from "node:path"
import * as CloudflareProvider from "../Cloudflare/Provider.js"
import * as Simulator from "../Cloudflare/Simulator.js"
import { CloudProvider, type CloudProviderService, type ProviderError, type Scope } from "../Provider.js"
import type { Inputs, Json, ResourceKey, StoredResource } from "../Resource.js"
import type { SandboxOptions } from "./Options.js"
import { ownerTags, refuser, storeFailure } from "./Simulation.js"
import { type CloudResource, SandboxStoreError } from "./Store.js"

/** The Cloudflare API simulator's store inside a sandbox folder. */
export const storePath = (directory: string): string => NodePath.join(directory, "cloudflare-api.json")

/** The sandbox account's API token: the simulator accepts it and no other. */
export const token = "fleetflow-sandbox-token"

/** The sandbox's Cloudflare account. */
export const accountId = Simulator.defaultAccountId

const simulatorOptions = (zones: ReadonlyArray<string>, options: SandboxOptions = {}): Simulator.SimulatorOptions => ({
  token,
  accountId,
  accountName: "FleetFlow Sandbox",
  zones,
  ...(options.latency === undefined ? {} : { latency: options.latency })
})

const storeError = (error: Simulator.CloudflareStoreError) =>
  new SandboxStoreError({
    path: error.path,
    reason: error.reason,
    message: error.message
  })

const zoneOf = (inputs: Inputs): ReadonlyArray<string> =>
  typeof inputs.zone === "string" && inputs.zone !== "" ? [inputs.zone] : []

/**
 * `service` with the zones its calls name added to the simulated account first. A store that
 * cannot be used fails the call for good, naming the file, before the provider sees it.
 */
const withZones = (service: CloudProviderService, store: Simulator.CloudflareStore): CloudProviderService => {
  const prepare = (operation: string, key: ResourceKey | undefined, zones: ReadonlyArray<string>) =>
    Simulator.prepare(store, simulatorOptions([...new Set(zones)])).pipe(
      Effect.mapError((error): ProviderError => storeFailure(refuser(service.name, operation, key))(storeError(error)))
    )
  return {
    ...service,
    getState: (scope, resources) =>
      resources.size === 0
        ? service.getState(scope, resources)
        : Effect.zipRight(
            prepare(
              "read",
              undefined,
              [...resources.values()].flatMap((resource) => zoneOf(resource.inputs))
            ),
            service.getState(scope, resources)
          ),
    apply: (request) =>
      Effect.zipRight(prepare(request.operation, request.key, zoneOf(request.inputs)), service.apply(request)),
    destroy: (scope: Scope, key: ResourceKey, resource: StoredResource) =>
      Effect.zipRight(prepare("delete", key, zoneOf(resource.inputs)), service.destroy(scope, key, resource))
  }
}

/** The real Cloudflare provider over the simulator store at `path`, with the sandbox's latency. */
export const provider = (path: string, options: SandboxOptions = {}): Effect.Effect<CloudProviderService> => {
  const store = Simulator.fileStore(path)
  return Effect.provide(
    CloudProvider,
    CloudflareProvider.layer({ accountId, token: Redacted.make(token) }).pipe(
      Layer.provide(Simulator.layerClient(store, simulatorOptions([], options)))
    )
  ).pipe(Effect.map((service) => withZones(service, store)))
}

// What the simulator holds, as the sandbox shows it ----------------------------------------

const iso = (millis: number) => new Date(millis).toISOString()

/**
 * The API keeps no tags: the sandbox's account belongs to this project, so what it holds is
 * owned by the key it was made for (project and stage are the state's, not repeated here).
 */
const ownership = (name: string): ReadonlyArray<string> =>
  ownerTags({ project: "", stage: "" }, name).filter((tag) => !tag.endsWith("="))

const corsInput = (rules: Simulator.Bucket["cors"]): Json | undefined => {
  const rule = rules?.[0]
  if (rule === undefined) return undefined
  return {
    allowedOrigins: [...rule.allowed.origins],
    allowedMethods: [...rule.allowed.methods],
    allowedHeaders: [...(rule.allowed.headers ?? [])],
    exposeHeaders: [...(rule.exposeHeaders ?? [])],
    ...(rule.maxAgeSeconds === undefined ? {} : { maxAge: rule.maxAgeSeconds })
  }
}

const bucket = (record: Simulator.Bucket): CloudResource => {
  const jurisdiction = record.jurisdiction === "default" ? {} : { jurisdiction: record.jurisdiction }
  const cors = corsInput(record.cors)
  return {
    id: record.name,
    type: "r2",
    name: record.name,
    inputs: {
      name: record.name,
      location: record.location,
      storageClass: record.storageClass,
      ...jurisdiction,
      ...(cors === undefined ? {} : { cors })
    },
    attributes: { name: record.name, location: record.location, storageClass: record.storageClass, ...jurisdiction },
    tags: ownership(record.name),
    createdAt: iso(record.createdOn),
    updatedAt: iso(record.createdOn)
  }
}

const customDomain = (record: Simulator.Bucket, domain: Simulator.CustomDomain): CloudResource => ({
  id: domain.domain,
  type: "r2-domain",
  name: domain.domain,
  inputs: { bucket: record.name, domain: domain.domain, zone: domain.zoneName, minTls: domain.minTLS },
  attributes: {
    bucket: record.name,
    domain: domain.domain,
    zoneId: domain.zoneId,
    enabled: domain.enabled,
    minTls: domain.minTLS
  },
  tags: ownership(domain.domain),
  createdAt: iso(record.createdOn),
  updatedAt: iso(record.createdOn)
})

const record = (record: Simulator.DnsRecord, zones: ReadonlyArray<Simulator.Zone>): CloudResource => {
  const zone = zones.find((candidate) => candidate.id === record.zoneId)?.name ?? ""
  return {
    id: record.id,
    type: "dns",
    name: record.name,
    inputs: {
      zone,
      name: record.name,
      type: record.type,
      content: record.content,
      proxied: record.proxied,
      ttl: record.ttl,
      ...(record.priority === undefined ? {} : { priority: record.priority })
    },
    attributes: { fqdn: record.name, type: record.type, content: record.content, zone, zoneId: record.zoneId },
    tags: ownership(`${record.name}/${record.type}`),
    createdAt: iso(record.createdOn),
    updatedAt: iso(record.modifiedOn)
  }
}

/** Everything the sandbox's account in the simulator at `path` holds, as sandbox resources. */
export const inspect = (path: string): Effect.Effect<ReadonlyArray<CloudResource>, SandboxStoreError> =>
  Effect.gen(function* () {
    const contents = yield* Simulator.inspect(Simulator.fileStore(path)).pipe(Effect.mapError(storeError))
    const zones = contents.zones.filter((zone) => zone.accountId === accountId)
    const buckets = contents.buckets.filter((item) => item.accountId === accountId)
    return [
      ...buckets.map(bucket),
      ...buckets.flatMap((item) => item.domains.map((domain) => customDomain(item, domain))),
      ...contents.records
        .filter((item) => zones.some((zone) => zone.id === item.zoneId))
        .map((item) => record(item, zones))
    ]
  })

/** Whether the sandbox's account in the simulator at `path` holds an R2 bucket named `name`. */
export const bucketExists =
  (path: string) =>
  (name: string): Effect.Effect<boolean, SandboxStoreError> =>
    Simulator.inspect(Simulator.fileStore(path)).pipe(
      Effect.mapError(storeError),
      Effect.map((contents) => contents.buckets.some((item) => item.accountId === accountId && item.name === name))
    )
