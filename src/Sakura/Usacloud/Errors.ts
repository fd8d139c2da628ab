/**
 * What went wrong in a usacloud run, classified from its exit code and stderr the way
 * refs/usacloud.md describes, and mapped onto the provider contract's `ProviderError`.
 */
import * as Data from "effect/Data"
import { ProviderError } from "../../Provider.js"
import type * as Transport from "../Transport.js"

export type Reason = "transient" | "auth" | "not-found" | "conflict" | "invalid" | "failed"

/** A usacloud command that failed; only `transient` ones are worth another attempt. */
export class UsacloudError extends Data.TaggedError("UsacloudError")<{
  /** The usacloud command, e.g. "server create". */
  readonly command: string
  readonly reason: Reason
  readonly message: string
  /** The API's HTTP status line, e.g. "503 Service Unavailable". */
  readonly status?: string | undefined
  /** The API's error code, e.g. "still_creating". */
  readonly errorCode?: string | undefined
  /** What the operator can do about it. */
  readonly hint?: string | undefined
}> {}

export const isTransient = (error: UsacloudError): boolean => error.reason === "transient"

/** The numeric part of `status` ("503 Service Unavailable" → 503). */
export const statusCode = (error: { readonly status?: string | undefined }): number | undefined => {
  const match = /^(\d{3})\b/.exec(error.status ?? "")
  return match?.[1] === undefined ? undefined : Number(match[1])
}

export const credentialsHint =
  "Run `usacloud config` to set up a profile, or set SAKURACLOUD_ACCESS_TOKEN and SAKURACLOUD_ACCESS_TOKEN_SECRET."

const hints: Record<Reason, string | undefined> = {
  transient: "Sakura Cloud is busy or unreachable; run the command again in a while.",
  auth: "Check which usacloud profile FleetFlow uses (`profile` in the sakura-cloud provider block) and its permissions.",
  "not-found": "The resource is gone or was never created; `fleetflow plan` shows what will be created again.",
  conflict: "Another operation holds the resource; wait for it, or shut the server down first.",
  invalid: "Check the values in the configuration against what Sakura Cloud accepts.",
  failed: undefined
}

export interface ApiError {
  readonly status: string
  readonly errorCode: string
  readonly errorMessage: string
}

// Go's %#v prints strings quoted the way strconv.Quote does.
const goString = (field: string) => new RegExp(`${field}:"((?:[^"\\\\]|\\\\.)*)"`)

const unquote = (text: string) =>
  text.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|.)/g, (_, sequence: string) => {
    switch (sequence[0]) {
      case "n":
        return "\n"
      case "t":
        return "\t"
      case "r":
        return "\r"
      case "u":
      case "U":
      case "x": {
        // Not Go's quoting (a bare `\u`, a code point past U+10FFFF): kept as written, since
        // String.fromCodePoint would throw.
        const code = Number.parseInt(sequence.slice(1), 16)
        return Number.isNaN(code) || code > 0x10ffff ? `\\${sequence}` : String.fromCodePoint(code)
      }
      default:
        return sequence
    }
  })

/** Reads `Error in response: &iaas.APIErrorResponse{... Status:"...", ErrorCode:"...", ErrorMessage:"..."}`. */
export const parseApiError = (stderr: string): ApiError | undefined => {
  const start = stderr.indexOf("APIErrorResponse{")
  if (start < 0) return undefined
  const body = stderr.slice(start)
  const read = (name: string) => {
    const value = goString(name).exec(body)?.[1]
    return value === undefined ? "" : unquote(value)
  }
  return { status: read("Status"), errorCode: read("ErrorCode"), errorMessage: read("ErrorMessage") }
}

const isWarning = (line: string) => line.trimStart().startsWith("[WARN]")

/** stderr without blank and `[WARN]` lines: what usacloud said went wrong. */
export const errorLines = (stderr: string): ReadonlyArray<string> =>
  stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !isWarning(line))

export const warningLines = (stderr: string): ReadonlyArray<string> =>
  stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => isWarning(line))

const byStatus = (code: number, errorCode: string): Reason => {
  if (code === 401 || code === 403) return "auth"
  if (code === 404) return "not-found"
  if (code === 409) return /still_creating|busy|locked/i.test(errorCode) ? "transient" : "conflict"
  if (code === 408 || code === 423 || code === 429 || code >= 500) return "transient"
  if (code === 400 || code === 405 || code === 422) return "invalid"
  return "failed"
}

const transientText =
  /context deadline exceeded|timed out|i\/o timeout|TLS handshake timeout|connection refused|connection reset|no such host|broken pipe|network is unreachable|temporary failure in name resolution|server misbehaving|unexpected EOF/i
const invalidText =
  /server plan not found|unknown flag|unknown shorthand flag|unknown command|flag needs an argument|invalid argument|validation error|required flag|must be one of|only a single target is allowed|arguments are required|confirm dialog cannot be used|accepts \d+ arg/i
const notFoundText = /target resource not found|not found: query=/i
const conflictText = /has not yet shut down|is already (running|booted|up)/i
const authText = /\b(401|403)\b.*(unauthorized|forbidden)|access token (is )?(required|invalid)/i

const byText = (text: string): Reason => {
  // "server plan not found" is a wrong core/memory pair, not a missing resource.
  if (invalidText.test(text)) return "invalid"
  if (notFoundText.test(text)) return "not-found"
  if (authText.test(text)) return "auth"
  if (conflictText.test(text)) return "conflict"
  if (transientText.test(text)) return "transient"
  return "failed"
}

const joined = (lines: ReadonlyArray<string>) => {
  const text = lines.slice(0, 20).join("\n")
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text
}

/** A failed run (non-zero exit, or exit 0 with an error on stderr) as a UsacloudError. */
export const classify = (command: string, output: Transport.Output): UsacloudError => {
  const api = parseApiError(output.stderr)
  const lines = errorLines(output.stderr)
  if (api !== undefined) {
    const code = Number.parseInt(api.status, 10)
    const reason = Number.isNaN(code) ? byText(api.errorMessage) : byStatus(code, api.errorCode)
    const what = [api.status, api.errorMessage].filter((part) => part.length > 0).join(": ")
    const detail = api.errorCode.length > 0 ? `${what} (${api.errorCode})` : what
    // An API error with every field empty still has its line on stderr to show.
    return make(command, reason, detail === "" ? joined(lines) : detail, {
      status: api.status,
      errorCode: api.errorCode
    })
  }
  const detail =
    lines.length > 0
      ? joined(lines.map((line) => line.replace(/^Error:\s*/, "")))
      : `exited with code ${output.exitCode} and printed no error`
  return make(command, lines.length > 0 ? byText(lines.join("\n")) : "failed", detail)
}

/** An error with its hint; an auth failure says how to give usacloud credentials. */
export const make = (
  command: string,
  reason: Reason,
  detail: string,
  api: { readonly status?: string | undefined; readonly errorCode?: string | undefined } = {},
  hint: string | undefined = hints[reason]
): UsacloudError =>
  new UsacloudError({
    command,
    reason,
    message: reason === "auth" ? `${detail}. Sakura Cloud refused the credentials. ${credentialsHint}` : detail,
    ...(api.status === undefined || api.status === "" ? {} : { status: api.status }),
    ...(api.errorCode === undefined || api.errorCode === "" ? {} : { errorCode: api.errorCode }),
    ...(hint === undefined ? {} : { hint })
  })

export const fromUnavailable = (command: string, error: Transport.UsacloudUnavailable): UsacloudError =>
  make(command, "failed", error.message.split("\n")[0] ?? error.message, {}, error.message.split("\n")[1]?.trim())

export const fromTimeout = (command: string, error: Transport.UsacloudTimeout): UsacloudError =>
  make(command, "transient", `usacloud ${command} did not answer within ${error.timeoutMillis} ms and was stopped`)

/** The provider contract's error for a failed usacloud call; `key` is the resource it was for. */
export const toProviderError = (error: UsacloudError, key?: string): ProviderError => {
  const code = statusCode(error) ?? error.errorCode
  return new ProviderError({
    provider: "sakura-cloud",
    operation: `usacloud ${error.command}`,
    ...(key === undefined ? {} : { key }),
    reason: error.reason,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    ...(error.hint === undefined ? {} : { hint: error.hint })
  })
}
