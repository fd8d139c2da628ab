/**
 * What went wrong in a Cloudflare API call, classified from the HTTP status and the API's
 * error codes (refs/cloudflare.md), and mapped onto the provider contract's `ProviderError`.
 * No error carries the API token: messages are built from the API's answer and the settings'
 * names, never from the request's headers.
 */
import * as Data from "effect/Data"
import { ProviderError } from "../../Provider.js"
import type { ApiMessage } from "./Schemas.js"

export type Reason = "exists" | "not-found" | "auth" | "rate-limited" | "invalid" | "conflict" | "transient" | "failed"

/** A Cloudflare API call that failed; only `rate-limited` and `transient` ones are worth another attempt. */
export class CloudflareError extends Data.TaggedError("CloudflareError")<{
  /** What was asked, e.g. "r2 bucket create". */
  readonly operation: string
  readonly reason: Reason
  /** The HTTP status; absent when no answer came (a dropped connection, a timeout, missing settings). */
  readonly status?: number | undefined
  /** The first API error code, e.g. 10006. */
  readonly code?: number | undefined
  readonly message: string
  /** Seconds Cloudflare asked to wait before the next request (`retry-after`). */
  readonly retryAfter?: number | undefined
  /** What the operator can do about it. */
  readonly hint?: string | undefined
}> {}

export const isRetryable = (error: CloudflareError): boolean =>
  error.reason === "rate-limited" || error.reason === "transient"

export const tokenVariables = "CF_API_TOKEN (or CLOUDFLARE_API_TOKEN)"

/** What the operator can do about an error of each reason. */
export const hints: Readonly<Record<Reason, string | undefined>> = {
  exists: "The name is taken; `fleetflow plan` shows whether FleetFlow already manages it.",
  "not-found": "The resource is gone or was never created; `fleetflow plan` shows what will be created again.",
  auth:
    `Set ${tokenVariables} to an API token that is active and may use R2 (Workers R2 Storage: Edit), ` +
    "Workers (Workers Scripts: Edit, Workers Routes: Edit), Pages (Cloudflare Pages: Edit) " +
    "and DNS (Zone: Read, DNS: Edit) in this account.",
  "rate-limited": "Cloudflare allows 1200 requests per 5 minutes per token; wait a few minutes and run again.",
  invalid: "Check the values in the configuration against what Cloudflare accepts.",
  conflict:
    "Something in the cloud is in the way: `fleetflow plan` shows whether FleetFlow manages it (and orders the change); " +
    "if it does not, remove it or change the configuration.",
  transient: "Cloudflare is busy or unreachable; run the command again in a while.",
  failed: undefined
}

const byCode: ReadonlyMap<number, Reason> = new Map<number, Reason>([
  // The router's answers, with 400 or 404, to a path it cannot route (7000 "No route for that URI")
  // or whose IDs lead nowhere (7003 "Could not route to …, perhaps your object identifier is
  // invalid?"): a wrong account or zone ID, not proof that the resource is gone, so never "not-found".
  [7000, "invalid"],
  [7003, "invalid"],
  // no such bucket, no such record
  [10006, "not-found"],
  [81044, "not-found"],
  // no such Worker (services, scripts), no such Pages project
  [10090, "not-found"],
  [10007, "not-found"],
  [8000007, "not-found"],
  // bucket exists (in this account or another), record exists, Pages project exists
  [10004, "exists"],
  [10073, "exists"],
  [81057, "exists"],
  [81058, "exists"],
  [8000002, "exists"],
  // bucket not empty, an A/AAAA/CNAME clash
  [10008, "conflict"],
  [81053, "conflict"],
  [10005, "invalid"],
  // authentication, unauthorized, missing or malformed Authorization header
  [10000, "auth"],
  [9109, "auth"],
  [9106, "auth"],
  [6003, "auth"],
  [6111, "auth"],
  [10058, "rate-limited"],
  [971, "rate-limited"],
  // internal error, an unknown (Workers) error, service unavailable: what a 5xx answer carries
  [10001, "transient"],
  [10013, "transient"],
  [10043, "transient"]
])

/**
 * The reason an API error code stands for, when it is one FleetFlow knows. wrangler reports
 * only the code (no HTTP status), so the Wrangler client classifies with this same table.
 */
export const reasonForCode = (code: number): Reason | undefined => byCode.get(code)

export const reasonForStatus = (status: number): Reason => {
  if (status === 429) return "rate-limited"
  if (status === 408 || status === 423 || status >= 500) return "transient"
  if (status === 401 || status === 403) return "auth"
  if (status === 404) return "not-found"
  if (status === 409) return "conflict"
  if (status === 400 || status === 405 || status === 413 || status === 415 || status === 422) return "invalid"
  return "failed"
}

/** A non-2xx answer, or a 2xx one with `success: false`. */
export interface Refusal {
  readonly status: number
  readonly errors: ReadonlyArray<ApiMessage>
  /** The body when it is not an API envelope (a proxy's error page). */
  readonly body?: string | undefined
  readonly retryAfter?: number | undefined
}

const excerpt = (text: string) => {
  const flat = text.trim().replace(/\s+/g, " ")
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat
}

const described = (message: ApiMessage) => {
  const text = message.message.trim() === "" ? "(no message)" : message.message.trim()
  return message.code === undefined ? text : `${text} (code ${message.code})`
}

const reasonOf = (refusal: Refusal): Reason => {
  // Throttling and outages decide the reason whatever codes come with them.
  if (refusal.status === 429 || refusal.status === 408 || refusal.status >= 500) return reasonForStatus(refusal.status)
  for (const error of refusal.errors) {
    const reason = error.code === undefined ? undefined : byCode.get(error.code)
    if (reason !== undefined) return reason
  }
  return refusal.status >= 200 && refusal.status < 300 ? "failed" : reasonForStatus(refusal.status)
}

const seconds = (value: number) => `${value} second${value === 1 ? "" : "s"}`

/** `operation` and `subject` (e.g. `bucket "assets"`) together, for messages. */
export const what = (operation: string, subject?: string) =>
  subject === undefined ? operation : `${operation} ${subject}`

/** The API token permission groups, by the first words of the operations that need them (dashboard names). */
const permissionGroups: ReadonlyArray<readonly [string, string]> = [
  ["r2 ", "Workers R2 Storage"],
  ["dns record", "DNS"],
  ["zone", "Zone"],
  ["worker routes", "Workers Routes"],
  ["worker", "Workers Scripts"],
  ["pages", "Cloudflare Pages"],
  ["kv", "Workers KV Storage"]
]

const reads = /\b(list|get|lookup|verify)$/

/** The permission `operation` needs, as the dashboard names it ("DNS: Edit"); undefined when unknown. */
export const permissionFor = (operation: string): string | undefined => {
  const group = permissionGroups.find(([prefix]) => operation.startsWith(prefix))?.[1]
  if (group === undefined) return undefined
  return `${group}: ${reads.test(operation) ? "Read" : "Edit"}`
}

/** A refusal from Cloudflare as a CloudflareError. */
export const classify = (operation: string, subject: string | undefined, refusal: Refusal): CloudflareError => {
  const reason = reasonOf(refusal)
  const code = refusal.errors.find((error) => error.code !== undefined)?.code
  const details = refusal.errors.slice(0, 3).map(described)
  const answer =
    details.length > 0
      ? details.join("; ")
      : `HTTP ${refusal.status}${refusal.body === undefined || refusal.body.trim() === "" ? "" : `: ${excerpt(refusal.body)}`}`
  const call = what(operation, subject)
  let message = `${call}: ${answer}`
  if (code === 81053) {
    message = `${call}: ${answer}. A CNAME cannot share its name with any other record, nor another record with a CNAME`
  } else if (code === 10008) {
    message = `${call}: the bucket is not empty (code 10008). Cloudflare deletes only empty buckets: delete its objects first, then run again`
  } else if (code === 7000 || code === 7003) {
    message = `${message}. Cloudflare could not route the request: an account or zone ID in it is wrong, or not one this token reaches`
  } else if (reason === "auth") {
    const permission = permissionFor(operation)
    message =
      permission === undefined
        ? `${message}. Cloudflare refused the API token from ${tokenVariables}: check that it is valid and has the permissions this needs`
        : `${message}. Cloudflare refused the API token from ${tokenVariables}: it needs the permission ${permission} (and must be active)`
  } else if (reason === "rate-limited") {
    const wait = refusal.retryAfter === undefined ? "" : `; Cloudflare asks to wait ${seconds(refusal.retryAfter)}`
    message = `${message}. Cloudflare's rate limit was reached${wait}`
  }
  return make(operation, reason, message, {
    status: refusal.status,
    code,
    retryAfter: reason === "rate-limited" ? refusal.retryAfter : undefined
  })
}

/** An error with its hint. */
export const make = (
  operation: string,
  reason: Reason,
  message: string,
  details: {
    readonly status?: number | undefined
    readonly code?: number | undefined
    readonly retryAfter?: number | undefined
    readonly hint?: string | undefined
  } = {}
): CloudflareError => {
  const hint = details.hint ?? hints[reason]
  return new CloudflareError({
    operation,
    reason,
    message,
    ...(details.status === undefined ? {} : { status: details.status }),
    ...(details.code === undefined ? {} : { code: details.code }),
    ...(details.retryAfter === undefined ? {} : { retryAfter: details.retryAfter }),
    ...(hint === undefined ? {} : { hint })
  })
}

/** No answer came: the connection failed or dropped. */
export const fromTransport = (operation: string, subject: string | undefined, description: string): CloudflareError =>
  make(operation, "transient", `${what(operation, subject)}: Cloudflare could not be reached: ${description}`)

export const fromTimeout = (operation: string, subject: string | undefined, millis: number): CloudflareError =>
  make(operation, "transient", `${what(operation, subject)}: Cloudflare did not answer within ${millis} ms`)

export const missingToken = (operation: string): CloudflareError =>
  make(
    operation,
    "auth",
    `${operation}: no Cloudflare API token: set CF_API_TOKEN or CLOUDFLARE_API_TOKEN to an API token`,
    { hint: hints.auth }
  )

export const unusableToken = (operation: string, variable: string): CloudflareError =>
  make(
    operation,
    "auth",
    `${operation}: the API token in ${variable} holds characters that cannot be sent in a header (spaces, line breaks or non-ASCII)`,
    { hint: `Set ${variable} to the token exactly as Cloudflare showed it.` }
  )

export const missingAccount = (operation: string): CloudflareError =>
  make(
    operation,
    "invalid",
    `${operation}: no Cloudflare account ID: set \`account-id\` in the cloudflare provider block, or CF_ACCOUNT_ID or CLOUDFLARE_ACCOUNT_ID`,
    { hint: "The account ID is on the Cloudflare dashboard's overview page (32 hexadecimal characters)." }
  )

export const invalidAccount = (operation: string, source: string, accountId: string): CloudflareError =>
  make(operation, "invalid", `${operation}: the account ID from ${source} is not valid: ${JSON.stringify(accountId)}`, {
    hint: "The account ID is on the Cloudflare dashboard's overview page (32 hexadecimal characters)."
  })

export const invalidBaseUrl = (operation: string, variable: string, value: string, why: string): CloudflareError =>
  make(
    operation,
    "invalid",
    `${operation}: ${variable} is not a Cloudflare API root (${why}): ${JSON.stringify(value)}`,
    {
      hint: `Use the API root with /client/v4 and no trailing slash, e.g. https://api.cloudflare.com/client/v4 or http://127.0.0.1:8787/client/v4.`
    }
  )

/** How each reason reads in the provider contract. */
export const providerReasons: Readonly<Record<Reason, ProviderError["reason"]>> = {
  exists: "conflict",
  "not-found": "not-found",
  auth: "auth",
  "rate-limited": "transient",
  invalid: "invalid",
  conflict: "conflict",
  transient: "transient",
  failed: "failed"
}

/** The provider contract's error for a failed API call; `key` is the resource it was for. */
export const toProviderError = (error: CloudflareError, key?: string): ProviderError => {
  const code = error.code ?? error.status
  return new ProviderError({
    provider: "cloudflare",
    operation: `cloudflare ${error.operation}`,
    ...(key === undefined ? {} : { key }),
    reason: providerReasons[error.reason],
    message: error.message,
    ...(code === undefined ? {} : { code }),
    ...(error.hint === undefined ? {} : { hint: error.hint })
  })
}
