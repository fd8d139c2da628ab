/**
 * The Cloudflare half of the sandbox and the fakes: the real Cloudflare provider over the
 * Cloudflare API simulator, whose account is kept in a store (`cloudflare-api.json` in a sandbox
 * folder, memory for the fakes). REST calls reach the simulator in process; Workers and Pages
 * are deployed by the real wrangler, which reaches it over HTTP on 127.0.0.1, served from the
 * first deploy until the command ends (the sandbox), or by wrangler's calls made in process
 * (the fakes). There is one fixed token and account; zones and KV namespaces exist from the
 * first call that names them (DNS zones, route zones, KV bindings): they belong to the
 * account, not to FleetFlow. Latency is the simulator's own.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as NodePath from "node:path"
import * as CloudflareProvider from "../Cloudflare/Provider.js"
import { looksLikeNamespaceId } from "../Cloudflare/Provider/WorkerConfig.js"
import * as Simulator from "../Cloudflare/Simulator.js"
import * as InProcessWrangler from "../Cloudflare/Simulator/Wrangler.js"
import * as Wrangler from "../Cloudflare/Wrangler.js"
import {
  CloudProvider,
  type CloudProviderService,
  type ProviderError,
  type Scope as ProviderScope
} from "../Provider.js"
import type { Inputs, Json, ResourceKey, StoredResource } from "../Resource.js"
import { batchCalls } from "./DnsBatchCalls.js"
import type { SandboxOptions } from "./Options.js"
import { type Runtime, refuser, storeFailure } from "./FaultInjection.js"
import { ownerTags } from "./Ownership.js"
import { type CloudResource, SandboxStoreError } from "./Store.js"
import * as TransportFaults from "./TransportFaults.js"

/** The Cloudflare API simulator's store inside a sandbox folder. */
export const storePath = (directory: string): string => NodePath.join(directory, "cloudflare-api.json")

/** The sandbox account's API token: the simulator accepts it and no other. */
export const token = "fleetflow-sandbox-token"

/** The sandbox's Cloudflare account. */
export const accountId = Simulator.defaultAccountId

/** What the account must hold before a call: zones and KV namespaces are not FleetFlow's to make. */
interface Prerequisites {
  readonly zones: ReadonlyArray<string>
  readonly kvNamespaces: ReadonlyArray<string>
}

const nothing: Prerequisites = { zones: [], kvNamespaces: [] }

const simulatorOptions = (needs: Prerequisites, options: SandboxOptions = {}): Simulator.SimulatorOptions => ({
  token,
  accountId,
  accountName: "FleetFlow Sandbox",
  zones: [...new Set(needs.zones)],
  kvNamespaces: [...new Set(needs.kvNamespaces)],
  ...(options.latency === undefined ? {} : { latency: options.latency }),
  ...(options.log === undefined ? {} : { log: options.log })
})

const storeError = (error: Simulator.CloudflareStoreError) =>
  new SandboxStoreError({
    path: error.path,
    reason: error.reason,
    message: error.message
  })

const records = (value: Json | undefined): ReadonlyArray<Record<string, Json>> =>
  Array.isArray(value)
    ? value.filter(
        (item): item is Record<string, Json> => typeof item === "object" && item !== null && !Array.isArray(item)
      )
    : []

/** The zone a route pattern's host belongs to, as far as the sandbox can tell: its last two labels. */
const routeZone = (route: Record<string, Json>): ReadonlyArray<string> => {
  if (typeof route.zone === "string" && route.zone !== "") return [route.zone]
  if (typeof route.pattern !== "string") return []
  const host = route.pattern.split("/")[0]?.replace(/^\*\.?/, "") ?? ""
  const labels = host.split(".").filter((label) => label !== "")
  return labels.length >= 2 ? [labels.slice(-2).join(".")] : []
}

const prerequisitesOf = (inputs: Inputs): Prerequisites => ({
  zones: [
    ...(typeof inputs.zone === "string" && inputs.zone !== "" ? [inputs.zone] : []),
    ...records(inputs.routes).flatMap(routeZone)
  ],
  kvNamespaces: records(inputs.bindings).flatMap((binding) =>
    binding.type === "kv" && typeof binding.namespace === "string" && !looksLikeNamespaceId(binding.namespace)
      ? [binding.namespace]
      : []
  )
})

const combined = (all: ReadonlyArray<Prerequisites>): Prerequisites => ({
  zones: all.flatMap((needs) => needs.zones),
  kvNamespaces: all.flatMap((needs) => needs.kvNamespaces)
})

/**
 * `service` with the zones and KV namespaces its calls name added to the simulated account
 * first. A store that cannot be used fails the call for good, naming the file, before the
 * provider sees it.
 */
const withPrerequisites = (service: CloudProviderService, store: Simulator.CloudflareStore): CloudProviderService => {
  const prepare = (operation: string, key: ResourceKey | undefined, needs: Prerequisites) =>
    Simulator.prepare(store, simulatorOptions(needs)).pipe(
      Effect.mapError((error): ProviderError => storeFailure(refuser(service.name, operation, key))(storeError(error)))
    )
  return {
    ...service,
    getState: (scope, resources, declared) =>
      resources.size === 0
        ? service.getState(scope, resources, declared)
        : Effect.zipRight(
            prepare(
              "read",
              undefined,
              combined([...resources.values()].map((resource) => prerequisitesOf(resource.inputs)))
            ),
            service.getState(scope, resources, declared)
          ),
    find: (scope, wanted) =>
      wanted.length === 0
        ? service.find(scope, wanted)
        : Effect.zipRight(
            prepare("read", undefined, combined(wanted.map((item) => prerequisitesOf(item.inputs)))),
            service.find(scope, wanted)
          ),
    check: (desired) =>
      desired.length === 0
        ? service.check(desired)
        : Effect.zipRight(
            prepare("read", undefined, combined(desired.map((resource) => prerequisitesOf(resource.inputs)))),
            service.check(desired)
          ),
    apply: (request) =>
      Effect.zipRight(prepare(request.operation, request.key, prerequisitesOf(request.inputs)), service.apply(request)),
    destroy: (scope: ProviderScope, key: ResourceKey, resource: StoredResource) =>
      Effect.zipRight(prepare("delete", key, prerequisitesOf(resource.inputs)), service.destroy(scope, key, resource))
  }
}

/**
 * The real wrangler, pointed at the simulator in `store`, which is served on 127.0.0.1 from the
 * first deploy until the scope closes; its logs go to `logDirectory`.
 */
export const realWrangler = (
  store: Simulator.CloudflareStore,
  logDirectory: string,
  options: SandboxOptions = {}
): Effect.Effect<
  Wrangler.WranglerService,
  never,
  CommandExecutor.CommandExecutor | FileSystem.FileSystem | Scope.Scope
> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<CommandExecutor.CommandExecutor | FileSystem.FileSystem>()
    const scope = yield* Effect.scope
    return yield* Wrangler.lazy(
      Simulator.serve(store, simulatorOptions(nothing, options)).pipe(
        Scope.extend(scope),
        Effect.mapError(
          (error) =>
            new Wrangler.WranglerError({
              command: "wrangler",
              reason: "failed",
              message: `the sandbox could not serve its Cloudflare API to wrangler: ${error.message}`,
              transient: false
            })
        ),
        Effect.flatMap((baseUrl) =>
          Wrangler.make({ baseUrl, token: Redacted.make(token), accountId, logDirectory, buildEnv: options.buildEnv })
        ),
        Effect.provide(context)
      )
    )
  })

/** wrangler in process, over the simulator in `store`: no process, no server. */
export const inProcessWrangler = (
  store: Simulator.CloudflareStore,
  fs: FileSystem.FileSystem,
  options: SandboxOptions = {}
): Effect.Effect<Wrangler.WranglerService> =>
  Effect.provide(
    Effect.map(HttpClient.HttpClient, (client) => InProcessWrangler.make({ token, accountId }, client, fs)),
    Simulator.layerClient(store, simulatorOptions(nothing, options))
  )

/**
 * The real Cloudflare provider over the simulator in `store`, with the sandbox's latency; REST
 * calls reach the simulator in process, with `faults` acted out; Workers and Pages go through `wrangler`.
 */
export const provider = (
  store: Simulator.CloudflareStore,
  wrangler: Wrangler.WranglerService,
  fs: FileSystem.FileSystem,
  faults: Pick<Runtime, "faults" | "store">,
  options: SandboxOptions = {}
): Effect.Effect<CloudProviderService> =>
  Effect.provide(
    CloudProvider,
    CloudflareProvider.layerWithWrangler({ accountId, token: Redacted.make(token) }).pipe(
      Layer.provide(
        Layer.mergeAll(
          Layer.effect(
            HttpClient.HttpClient,
            Effect.map(HttpClient.HttpClient, (client) => TransportFaults.httpClient(client, faults, batchCalls(store)))
          ).pipe(Layer.provide(Simulator.layerClient(store, simulatorOptions(nothing, options)))),
          Layer.succeed(Wrangler.Wrangler, wrangler),
          Layer.succeed(FileSystem.FileSystem, fs)
        )
      )
    )
  ).pipe(Effect.map((service) => withPrerequisites(service, store)))

// What the simulator holds, as the sandbox shows it ----------------------------------------

const iso = (millis: number) => new Date(millis).toISOString()

/**
 * The API keeps no tags: the sandbox's account belongs to this project, so what it holds is
 * owned by the key it was made for (project and stage are the state's, not repeated here).
 */
const ownership = (name: string): ReadonlyArray<string> => ownerTags({ project: "", stage: "" }, name)

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

const worker = (item: Simulator.WorkerContents, routes: ReadonlyArray<Simulator.WorkerRoute>): CloudResource => ({
  id: item.name,
  type: "worker",
  name: item.name,
  inputs: {
    name: item.name,
    routes: routes.filter((route) => route.script === item.name).map((route) => ({ pattern: route.pattern })),
    compatibilityDate: item.compatibilityDate,
    compatibilityFlags: [...item.compatibilityFlags],
    bindings: item.bindings.map((binding) => ({ ...binding }) as Json)
  },
  attributes: { name: item.name, versions: item.versions.length },
  tags: ownership(item.name),
  createdAt: iso(item.createdOn),
  updatedAt: iso(item.modifiedOn)
})

const pagesProject = (item: Simulator.PagesProject): CloudResource => {
  const last = item.deployments.at(-1)
  return {
    id: item.name,
    type: "pages",
    name: item.name,
    inputs: { name: item.name, productionBranch: item.productionBranch },
    attributes: {
      name: item.name,
      subdomain: `${item.name}.pages.dev`,
      deployments: item.deployments.length,
      ...(last === undefined ? {} : { files: last.fileCount, branch: last.branch })
    },
    tags: ownership(item.name),
    createdAt: iso(item.createdOn),
    updatedAt: iso(last?.createdOn ?? item.createdOn)
  }
}

/** Everything the sandbox's account in the simulator `store` holds, as sandbox resources. */
export const inspect = (
  store: Simulator.CloudflareStore
): Effect.Effect<ReadonlyArray<CloudResource>, SandboxStoreError> =>
  Effect.gen(function* () {
    const contents = yield* Simulator.inspect(store).pipe(Effect.mapError(storeError))
    const zones = contents.zones.filter((zone) => zone.accountId === accountId)
    const buckets = contents.buckets.filter((item) => item.accountId === accountId)
    return [
      ...buckets.map(bucket),
      ...buckets.flatMap((item) => item.domains.map((domain) => customDomain(item, domain))),
      ...contents.records
        .filter((item) => zones.some((zone) => zone.id === item.zoneId))
        .map((item) => record(item, zones)),
      ...contents.workers.filter((item) => item.accountId === accountId).map((item) => worker(item, contents.routes)),
      ...contents.pages.filter((item) => item.accountId === accountId).map(pagesProject)
    ]
  })
