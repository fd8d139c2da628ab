/**
 * The Cloudflare provider: R2 buckets (`r2`), their custom domains (`r2-domain`) and DNS
 * records (`dns`) over the `CloudflareApi` REST client; Workers (`worker`) and Pages projects
 * (`pages`) written by `wrangler` and read over REST. Reads are batched: one bucket list per
 * account (and per jurisdiction in use), one record list per zone, one worker list and one
 * Pages project list per account, and in parallel the custom domains of the buckets that have
 * some in the state, and the CORS rules of the buckets whose file or state declares CORS (Cloudflare
 * has no bulk CORS read, and FleetFlow leaves alone the CORS of a bucket it was never given).
 * Plans never start a process.
 *
 * Retries: `getState` reads through a client that retries throttling and outages (honouring
 * `retry-after`); `apply` and `destroy` use a client that makes one attempt and leave retries
 * to the engine, which runs the whole action again. Each action can run again safely: a
 * bucket or record an earlier attempt made is adopted, and what is gone counts as removed.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import {
  type ApplyRequest,
  CloudProvider,
  type CloudProviderService,
  type ProviderError,
  type Wanted
} from "../Provider.js"
import type { Observed, ResourceKey, ResourceType, StoredResource } from "../Resource.js"
import * as Retry from "../Retry.js"
import * as Api from "./Api.js"
import * as Buckets from "./Provider/Buckets.js"
import { type Clients, invalid, nameOf, orFail, providerName } from "./Provider/Common.js"
import * as Pages from "./Provider/Pages.js"
import * as Records from "./Provider/Records.js"
import * as Workers from "./Provider/Workers.js"
import * as Wrangler from "./Wrangler.js"

export { type Clients, providerName } from "./Provider/Common.js"

export const handles: ReadonlyArray<ResourceType> = ["r2", "r2-domain", "dns", "worker", "pages"]

export const replaceFields = (type: ResourceType): ReadonlyArray<string> => {
  switch (type) {
    case "r2":
      return Buckets.replaceFields
    case "r2-domain":
      return Buckets.domainReplaceFields
    case "dns":
      return Records.replaceFields
    case "worker":
      return Workers.replaceFields
    case "pages":
      return Pages.replaceFields
    default:
      return []
  }
}

export interface Settings {
  /** `account-id` from the cloudflare provider block; `CF_ACCOUNT_ID` or `CLOUDFLARE_ACCOUNT_ID` otherwise. */
  readonly accountId?: string | undefined
  /** A token instead of `CF_API_TOKEN` / `CLOUDFLARE_API_TOKEN` (the sandbox's simulated account). */
  readonly token?: Redacted.Redacted<string> | undefined
  /** An API root instead of `CLOUDFLARE_API_BASE_URL`. */
  readonly baseUrl?: string | undefined
  /** How `getState` retries throttled and transient reads. Default: the seed's policy. */
  readonly readRetry?: Retry.RetryPolicy | undefined
}

/** What Workers and Pages deploys need beside the REST client. */
export interface Deployer {
  readonly wrangler: Wrangler.WranglerService
  readonly fs: FileSystem.FileSystem
}

/**
 * The provider over two clients: `read` for `getState`, `write` for `apply` and `destroy`;
 * with `deployer`, Workers and Pages are deployed through wrangler.
 */
export const make = (clients: Clients, deployer?: Deployer | undefined): CloudProviderService => {
  const deps = (operation: string, key: ResourceKey): Effect.Effect<Workers.Deps, ProviderError> =>
    deployer === undefined
      ? Effect.fail(
          invalid(
            operation,
            key,
            "Workers and Pages are deployed with wrangler, and this provider was built without it"
          )
        )
      : Effect.succeed({ api: clients.write, ...deployer })

  /** Missing credentials or a missing wrangler are reported when the plan is made, not halfway through an apply. */
  const checkPlan = (desired: ReadonlyArray<{ readonly type: ResourceType }>): Effect.Effect<void, ProviderError> =>
    Effect.gen(function* () {
      if (desired.length === 0) return
      const account = desired.some((resource) => resource.type !== "dns")
      yield* orFail()(clients.read.checkSettings("plan", { account }))
      const deploys = desired.some((resource) => resource.type === "worker" || resource.type === "pages")
      if (deploys && deployer !== undefined) {
        yield* Effect.mapError(deployer.wrangler.check, (error) => Wrangler.toProviderError(error))
      }
    })

  /** One list per account for each: a worker or project the list lacks is not there. */
  const named = <A extends { readonly name: string }>(
    list: Effect.Effect<ReadonlyArray<A>, ProviderError>,
    lookups: ReadonlyArray<{
      readonly key: ResourceKey
      readonly name: string
      readonly observe: (item: A) => Observed
    }>
  ): Effect.Effect<ReadonlyArray<readonly [ResourceKey, Observed]>, ProviderError> =>
    lookups.length === 0
      ? Effect.succeed([])
      : Effect.map(list, (items) => {
          const byName = new Map(items.map((item) => [item.name, item] as const))
          return lookups.flatMap(({ key, name, observe }) => {
            const item = byName.get(name)
            return item === undefined ? [] : [[key, observe(item)] as const]
          })
        })
  const workers = orFail()(
    Effect.map(clients.read.workers.list, (scripts) => scripts.map((script) => ({ ...script, name: script.id })))
  )
  const projects = orFail()(clients.read.pages.list)

  const collect = (
    reads: ReadonlyArray<Effect.Effect<ReadonlyArray<readonly [ResourceKey, Observed]>, ProviderError>>
  ): Effect.Effect<ReadonlyMap<ResourceKey, Observed>, ProviderError> =>
    Effect.map(Effect.all(reads, { concurrency: "unbounded" }), (found) => new Map(found.flat()))

  const getState: CloudProviderService["getState"] = (_scope, resources, declared) => {
    const entries = [...resources].filter(([, resource]) => handles.includes(resource.type))
    const ofType = (type: ResourceType) => entries.filter(([, resource]) => resource.type === type)
    const adopted = (resource: StoredResource) => resource.attributes.adopted === true
    return collect([
      Buckets.read(
        clients.read,
        ofType("r2").map(([key, resource]) => ({
          key,
          name: nameOf(resource),
          jurisdiction: Buckets.jurisdictionOf(resource),
          adopted: adopted(resource),
          cors: Buckets.managesCors(resource.inputs) || Buckets.managesCors(declared?.get(key))
        }))
      ),
      Buckets.readDomains(
        clients.read,
        ofType("r2-domain").flatMap(([key, resource]) =>
          typeof resource.inputs.bucket === "string"
            ? [
                {
                  key,
                  bucket: resource.inputs.bucket,
                  domain: resource.id,
                  jurisdiction: Buckets.jurisdictionOf(resource)
                }
              ]
            : []
        )
      ),
      Records.read(
        clients.read,
        ofType("dns").flatMap(([key, resource]) => {
          const zone = Records.zoneOf(resource)
          if (zone === undefined) return []
          const pick = (records: ReadonlyArray<Api.DnsRecord>) => records.find((record) => record.id === resource.id)
          return [{ key, zone, pick, adopted: adopted(resource) }]
        })
      ),
      named(
        workers,
        ofType("worker").map(([key, resource]) => ({
          key,
          name: nameOf(resource),
          observe: (script: { readonly name: string }) => ({ id: script.name, attributes: resource.attributes })
        }))
      ),
      named(
        projects,
        ofType("pages").map(([key, resource]) => ({
          key,
          name: nameOf(resource),
          observe: (project: Api.PagesProject) => Pages.observe(project, resource.attributes)
        }))
      )
    ])
  }

  /**
   * Resources by name, since Cloudflare keeps no owner on them: buckets, workers and projects
   * are unique in the account, a custom domain on its bucket, a record by name and type in its zone.
   */
  const find: CloudProviderService["find"] = (_scope, wanted) =>
    Effect.gen(function* () {
      const ofType = (type: ResourceType) => wanted.filter((item) => item.type === type)
      const nameIn = (item: Wanted) => (typeof item.inputs.name === "string" ? item.inputs.name : item.name)
      const ambiguous: Array<readonly [Wanted, ReadonlyArray<Api.DnsRecord>]> = []
      const found = yield* collect([
        Buckets.read(
          clients.read,
          ofType("r2").map((item) => ({
            key: item.key,
            name: nameIn(item),
            jurisdiction: Buckets.jurisdictionOf(item),
            adopted: false,
            cors: Buckets.managesCors(item.inputs)
          }))
        ),
        Buckets.readDomains(
          clients.read,
          ofType("r2-domain").flatMap((item) =>
            typeof item.inputs.bucket === "string"
              ? [
                  {
                    key: item.key,
                    bucket: item.inputs.bucket,
                    domain: typeof item.inputs.domain === "string" ? item.inputs.domain : item.name,
                    jurisdiction: Buckets.jurisdictionOf(item)
                  }
                ]
              : []
          )
        ),
        Records.read(
          clients.read,
          ofType("dns").flatMap((item) => {
            const identity = Records.identityOf(item.name, item.inputs)
            if (identity === undefined) return []
            const pick = (records: ReadonlyArray<Api.DnsRecord>) => {
              const matched = Records.match(records, identity)
              if (matched.ambiguous.length > 0) ambiguous.push([item, matched.ambiguous])
              return matched.record
            }
            return [{ key: item.key, zone: identity.zone, pick, adopted: false }]
          })
        ),
        named(
          workers,
          ofType("worker").map((item) => ({
            key: item.key,
            name: nameIn(item),
            observe: (script: { readonly name: string }) => ({ id: script.name, attributes: { name: script.name } })
          }))
        ),
        named(
          projects,
          ofType("pages").map((item) => ({
            key: item.key,
            name: nameIn(item),
            observe: (project: Api.PagesProject) => Pages.observe(project)
          }))
        )
      ])
      yield* Effect.forEach(ambiguous, ([item, records]) =>
        Effect.logWarning(
          `${item.key}: the zone holds ${records.length} records of this name and type and none has the declared content (${records
            .map((record) => `${record.id}: ${record.content}`)
            .join(", ")}); it is left out, not guessed`
        )
      )
      return found
    })

  const apply = (request: ApplyRequest): Effect.Effect<Observed, ProviderError> => {
    const create = request.operation === "create"
    switch (request.type) {
      case "r2":
        return create ? Buckets.create(clients, request) : Buckets.update(clients, request)
      case "r2-domain":
        return create ? Buckets.createDomain(clients, request) : Buckets.updateDomain(clients, request)
      case "dns":
        return create ? Records.create(clients, request) : Records.update(clients, request)
      case "worker":
        return Effect.flatMap(deps(request.operation, request.key), (deps) => Workers.deploy(deps, request))
      case "pages":
        return Effect.flatMap(deps(request.operation, request.key), (deps) => Pages.deploy(deps, request))
      default:
        return Effect.fail(invalid(request.operation, request.key, `${providerName} does not serve ${request.type}`))
    }
  }

  const destroy: CloudProviderService["destroy"] = (_scope, key, resource) => {
    switch (resource.type) {
      case "r2":
        return Buckets.destroy(clients, key, resource)
      case "r2-domain":
        return Buckets.destroyDomain(clients, key, resource)
      case "dns":
        return Records.destroy(clients, key, resource)
      case "worker":
        return Effect.flatMap(deps("delete", key), (deps) => Workers.destroy(deps, key, resource))
      case "pages":
        return Effect.flatMap(deps("delete", key), (deps) => Pages.destroy(deps, key, resource))
      default:
        return Effect.fail(invalid("delete", key, `${providerName} does not serve ${resource.type}`))
    }
  }

  return {
    name: providerName,
    handles,
    replaceFields,
    getState,
    find: (scope, wanted) => Effect.withSpan(find(scope, wanted), "Cloudflare find"),
    check: checkPlan,
    apply: (request) => Effect.withSpan(apply(request), `Cloudflare ${request.operation} ${request.type}`),
    destroy: (scope, key, resource) =>
      Effect.withSpan(destroy(scope, key, resource), `Cloudflare delete ${resource.type}`)
  }
}

const build = (settings: Settings, deployer?: Deployer) =>
  Effect.gen(function* () {
    const common = { accountId: settings.accountId, token: settings.token, baseUrl: settings.baseUrl }
    const read = yield* Api.make({ ...common, retry: settings.readRetry ?? Retry.defaultPolicy })
    const write = yield* Api.make({ ...common, retry: Retry.singleAttempt })
    return make({ read, write }, deployer)
  })

/**
 * The provider over whichever `HttpClient` is provided (the network, or the simulator in
 * process), with its own clients: reads retried by `readRetry`, writes not retried here.
 * Without wrangler, Workers and Pages can be read but not deployed: see `layerWithWrangler`.
 */
export const layer = (settings: Settings = {}): Layer.Layer<CloudProvider, never, HttpClient.HttpClient> =>
  Layer.effect(CloudProvider, build(settings))

/** The whole provider: REST over the `HttpClient`, and Workers and Pages deployed through `Wrangler`. */
export const layerWithWrangler = (
  settings: Settings = {}
): Layer.Layer<CloudProvider, never, HttpClient.HttpClient | Wrangler.Wrangler | FileSystem.FileSystem> =>
  Layer.effect(
    CloudProvider,
    Effect.flatMap(Effect.all({ wrangler: Wrangler.Wrangler, fs: FileSystem.FileSystem }), (deployer) =>
      build(settings, deployer)
    )
  )

/**
 * The provider over a `CloudflareApi` built elsewhere, used for reads and writes alike: build
 * that client with `retry: Retry.singleAttempt` so a failure is not retried both by it and by the engine.
 */
export const layerWithClient: Layer.Layer<CloudProvider, never, Api.CloudflareApi> = Layer.effect(
  CloudProvider,
  Effect.map(Api.CloudflareApi, (client) => make({ read: client, write: client }))
)
