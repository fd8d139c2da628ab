/**
 * The Cloudflare provider: R2 buckets (`r2`), their custom domains (`r2-domain`) and DNS
 * records (`dns`) over the `CloudflareApi` REST client; Workers (`worker`) and Pages projects
 * (`pages`) written by `wrangler` and read over REST. Reads are batched: one bucket list per
 * account (and per jurisdiction in use), one record list per zone, one worker list and one
 * Pages project list per account, and in parallel the custom domains of the buckets that have
 * some in the state, the CORS rules of the buckets whose file or state declares CORS (Cloudflare
 * has no bulk CORS read, and FleetFlow leaves alone the CORS of a bucket it was never given), and
 * the bindings and routes of the workers whose state has some. Every input Cloudflare holds is
 * reported to the refresh (`Model.unobservedFields` lists the others). Plans never start a process.
 *
 * DNS record creates, updates and deletes made at the same time go out as one batch per zone.
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
import { CloudProvider, type CloudProviderService } from "../Provider.js"
import type { Claim, Inputs, ResourceType } from "../Resource.js"
import * as Retry from "../Retry.js"
import * as Api from "./Api.js"
import * as Model from "./Model.js"
import * as Actions from "./Provider/Actions.js"
import { check } from "./Provider/Check.js"
import { type Clients, providerName } from "./Provider/Common.js"
import * as Read from "./Provider/Read.js"
import * as RecordBatches from "./Provider/RecordBatches.js"
import * as Wrangler from "./Wrangler.js"

export type { Deployer } from "./Provider/Actions.js"
export { type Clients, providerName } from "./Provider/Common.js"

export const handles: ReadonlyArray<ResourceType> = ["r2", "r2-domain", "dns", "worker", "pages"]

export const replaceFields = (type: ResourceType): ReadonlyArray<string> => Model.replaceFields[type] ?? []

export const claims = (type: ResourceType, inputs: Inputs): ReadonlyArray<Claim> => Model.claims[type]?.(inputs) ?? []

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

/**
 * The provider over two clients: `read` for `getState`, `write` for `apply` and `destroy`;
 * with `deployer`, Workers and Pages are deployed through wrangler.
 */
export const make = (given: Clients, deployer?: Actions.Deployer | undefined): CloudProviderService => {
  const clients: Clients = { ...given, write: RecordBatches.withBatches(given.write) }
  return {
    name: providerName,
    handles,
    replaceFields,
    // Cloudflare keeps a resource's ID through every update.
    newIdFields: () => [],
    claims,
    // An adopted bucket or record is FleetFlow's from then on, and deleted with the stage.
    keeps: () => false,
    // DNS record writes made together go out as one batch per zone (`Provider/RecordBatches.ts`).
    batches: (type) => type === "dns",
    getState: (_scope, resources, declared) => Read.getState(clients.read, resources, declared),
    find: (_scope, wanted) => Effect.withSpan(Read.find(clients.read, wanted), "Cloudflare find"),
    // Missing credentials, zones or wrangler are reported when the plan is made, not halfway through an apply.
    check: check(clients, deployer),
    apply: (request) =>
      Effect.withSpan(Actions.apply(clients, deployer, request), `Cloudflare ${request.operation} ${request.type}`),
    destroy: (_scope, key, resource) =>
      Effect.withSpan(Actions.destroy(clients, deployer, key, resource), `Cloudflare delete ${resource.type}`)
  }
}

const build = (settings: Settings, deployer?: Actions.Deployer) =>
  Effect.gen(function* () {
    const common = { accountId: settings.accountId, token: settings.token, baseUrl: settings.baseUrl }
    const read = yield* Api.make({ ...common, retry: settings.readRetry ?? Retry.defaultPolicy })
    // A zone the plan looked up is not looked up again by the apply: a lookup is a read, retried as reads are.
    const write = { ...(yield* Api.make({ ...common, retry: Retry.singleAttempt })), zones: read.zones }
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
