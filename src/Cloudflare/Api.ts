/**
 * FleetFlow's client for the Cloudflare v4 REST API: R2 buckets (CORS, custom domains),
 * zones and DNS records, and the reads of Workers, Pages projects and KV namespaces that plans
 * need. Every call goes through one transport (`Api/Transport.ts`): the envelope and result are
 * decoded with Schema, list calls follow `result_info`, refusals become a `CloudflareError`
 * tagged by meaning, and throttling and outages are retried with the shared policy. The API
 * token stays `Redacted` until the Authorization header is built.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Dns from "./Api/Dns.js"
import * as Kv from "./Api/Kv.js"
import * as Token from "./Api/Token.js"
import * as Pages from "./Api/Pages.js"
import * as R2 from "./Api/R2.js"
import * as Transport from "./Api/Transport.js"
import * as Workers from "./Api/Workers.js"
import * as Zones from "./Api/Zones.js"

export {
  type RecordBatch,
  type RecordChanges,
  type RecordFilter,
  type RecordInput,
  recordsPerPage
} from "./Api/Dns.js"
export { defaultBaseUrl } from "./Api/Environment.js"
export { CloudflareError, isRetryable, type Reason, toProviderError } from "./Api/Errors.js"
export { kvNamespacesPerPage } from "./Api/Kv.js"
export { pagesProjectsPerPage } from "./Api/Pages.js"
export {
  type BucketCreateSpec,
  bucketsPerPage,
  type DomainCreateSpec,
  type DomainUpdate,
  type InJurisdiction
} from "./Api/R2.js"
export type {
  Bucket,
  BatchResult,
  CorsRule,
  CustomDomain,
  DnsRecord,
  KvNamespace,
  PagesProject,
  WorkerBinding,
  WorkerRoute,
  WorkerScript,
  WorkerSettings,
  Zone
} from "./Api/Schemas.js"
export { defaultTimeout, longestRetryAfter, type Settings } from "./Api/Transport.js"

type Result<A> = Transport.Result<A>

export interface CloudflareApiService {
  /** The account R2 calls use; fails when none is configured. */
  readonly accountId: Result<string>
  /**
   * Fails, without a request, when a call would fail for want of settings: the API root and
   * the token, and the account when `account` is set.
   */
  readonly checkSettings: (operation: string, options: { readonly account: boolean }) => Result<void>
  readonly r2: R2.R2
  readonly zones: Zones.Zones
  readonly dns: { readonly records: Dns.Records }
  /** Workers and Pages are written by wrangler; these reads serve plans without a process per resource. */
  readonly workers: Workers.Workers
  readonly pages: Pages.Pages
  readonly kv: Kv.Kv
  readonly token: Token.Token
}

export class CloudflareApi extends Context.Tag("fleetflow/CloudflareApi")<CloudflareApi, CloudflareApiService>() {}

export const make = (
  settings: Transport.Settings = {}
): Effect.Effect<CloudflareApiService, never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const transport = yield* Transport.make(settings)
    return {
      accountId: transport.accountId("account"),
      checkSettings: transport.checkSettings,
      r2: R2.make(transport),
      zones: yield* Zones.make(transport),
      dns: { records: Dns.make(transport) },
      workers: Workers.make(transport),
      pages: Pages.make(transport),
      kv: Kv.make(transport),
      token: Token.make(transport)
    }
  })

/** The client over whichever `HttpClient` is provided (the network, or the simulator in process). */
export const layer = (settings: Transport.Settings = {}): Layer.Layer<CloudflareApi, never, HttpClient.HttpClient> =>
  Layer.effect(CloudflareApi, make(settings))
