/**
 * One Worker script as the Workers handlers see it: the API's error codes, the Worker a path
 * names, the version it runs, and the script view every answer about it repeats.
 */
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import type { CloudflareDocument, Worker, WorkerVersion } from "./Document.js"
import { type ApiFailure, type Call, fail, isoDate, locate } from "./Envelope.js"

export const codes = {
  /** The script does not exist (under `/workers/scripts`). */
  noSuchScript: 10007,
  /** The service does not exist (under `/workers/services`). */
  noSuchService: 10090,
  /** An upload or a deployment the API does not accept (Cloudflare's "script validation" code). */
  invalid: 10021,
  /** Modules larger than the limit. */
  tooLarge: 10027,
  /** A binding without a name. */
  unnamedBinding: 10052,
  /** An `inherit` binding with nothing to inherit. */
  invalidInherit: 10057,
  /** A `kv_namespace` binding whose `namespace_id` is not a namespace of the account. */
  unknownKvNamespace: 10042,
  /** An `r2_bucket` binding whose `bucket_name` is not a bucket of the account. */
  unknownBucket: 10085,
  /** The simulator's choice of code: a script name the API would not accept. */
  invalidName: 10016,
  /** The simulator's choice of code: no such version of the script. */
  noSuchVersion: 10230
} as const

export const sourceOf = (call: Call): string =>
  call.headers["user-agent"]?.startsWith("wrangler/") ? "wrangler" : "api"

/** The version the last deployment sends most traffic to. */
export const liveVersion = (worker: Worker): WorkerVersion | undefined => {
  const deployment = worker.deployments.at(-1)
  if (deployment === undefined) return undefined
  const [first, ...rest] = deployment.versions
  if (first === undefined) return undefined
  const main = rest.reduce((best, entry) => (entry.percentage > best.percentage ? entry : best), first)
  return worker.versions.find((version) => version.id === main.versionId)
}

export const etagOf = (worker: Worker, version: WorkerVersion | undefined) =>
  Crypto.createHash("sha256")
    .update(`${worker.tag}:${version?.id ?? ""}:${version?.modules.map((module) => module.sha256).join(",") ?? ""}`)
    .digest("hex")

export const compatibility = (version: WorkerVersion | undefined) => ({
  compatibility_date: version?.compatibilityDate ?? "",
  compatibility_flags: version?.compatibilityFlags ?? []
})

export const scriptView = (worker: Worker) => {
  const version = liveVersion(worker)
  return {
    id: worker.name,
    tag: worker.tag,
    etag: etagOf(worker, version),
    handlers: ["fetch"],
    named_handlers: [],
    created_on: isoDate(worker.createdOn),
    modified_on: isoDate(worker.modifiedOn),
    ...compatibility(version),
    usage_model: "standard",
    last_deployed_from: version?.source ?? "api",
    has_assets: false,
    has_modules: version?.modules.some((module) => module.contentType === "application/javascript+module") ?? false,
    logpush: worker.logpush,
    placement: {},
    tail_consumers: null,
    tags: worker.tags
  }
}

export const scriptNotFound = () => fail(404, codes.noSuchScript, "workers.api.error.script_not_found")

/** The Worker the path names, and a way to replace it. */
export const findWorker = (call: Call, document: CloudflareDocument, missing: () => Effect.Effect<never, ApiFailure>) =>
  Effect.map(
    locate(
      document,
      "workers",
      (item) => item.accountId === call.params.account && item.name === call.params.script,
      missing
    ),
    ({ item, replace }) => ({ worker: item, replace })
  )

export const invalid = (message: string) => fail(400, codes.invalid, message)

export const messageOf = (annotations: Readonly<Record<string, unknown>> | undefined): string | undefined => {
  const message = annotations?.["workers/message"]
  return typeof message === "string" ? message : undefined
}
