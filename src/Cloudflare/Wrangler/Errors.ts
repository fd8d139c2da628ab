/**
 * What went wrong in a wrangler run, classified with the REST client's code table
 * (`Api/Errors.ts`): from the `command-failed` record's code, else from the `[code: N]` wrangler
 * prints on stderr. Messages hold the API's message and wrangler's arguments, never the
 * environment (where the token is).
 */
import * as Data from "effect/Data"
import { ProviderError } from "../../Provider.js"
import * as ApiErrors from "../Api/Errors.js"
import type { CommandFailedRecord } from "./Output.js"

export type Reason = ApiErrors.Reason | "missing-binary" | "timeout"

/** A wrangler run that failed, or could not start; only `transient` ones are worth another run. */
export class WranglerError extends Data.TaggedError("WranglerError")<{
  /** The wrangler command, e.g. "wrangler deploy" or "wrangler pages project delete site". */
  readonly command: string
  readonly reason: Reason
  /** The API error code, e.g. 10006. */
  readonly code?: number | undefined
  readonly message: string
  /** What the operator can do about it. */
  readonly hint?: string | undefined
  /** Rate limits, 5xx answers, dropped connections and timeouts. */
  readonly transient: boolean
}> {}

export const isRetryable = (error: WranglerError): boolean => error.transient

export const installHint =
  "Install wrangler in the project (`npm install --save-dev wrangler`), or set FLEETFLOW_WRANGLER to the wrangler executable."

const ownHints: Partial<Record<Reason, string>> = {
  auth:
    `Set ${ApiErrors.tokenVariables} to an API token that is active and may edit Workers Scripts and Pages ` +
    "in this account, and CF_ACCOUNT_ID (or CLOUDFLARE_ACCOUNT_ID) to the account's ID.",
  "missing-binary": installHint,
  timeout: "wrangler or Cloudflare is slow; run the command again, or raise the timeout."
}

const hintFor = (reason: Reason): string | undefined =>
  ownHints[reason] ?? (reason === "missing-binary" || reason === "timeout" ? undefined : ApiErrors.hints[reason])

const transientReasons: ReadonlyArray<Reason> = ["rate-limited", "transient", "timeout"]

export const make = (
  command: string,
  reason: Reason,
  message: string,
  details: { readonly code?: number | undefined; readonly hint?: string | undefined } = {}
): WranglerError => {
  const hint = details.hint ?? hintFor(reason)
  return new WranglerError({
    command,
    reason,
    message,
    ...(details.code === undefined ? {} : { code: details.code }),
    ...(hint === undefined ? {} : { hint }),
    transient: transientReasons.includes(reason)
  })
}

/** The command's name for errors: `wrangler` and the words before the first flag. */
export const commandOf = (args: ReadonlyArray<string>): string => {
  const flag = args.findIndex((arg) => arg.startsWith("-"))
  return ["wrangler", ...(flag < 0 ? args : args.slice(0, flag))].join(" ")
}

/** Arguments for messages: long ones (a `--var` with a whole value) are cut. */
export const shown = (args: ReadonlyArray<string>): string =>
  ["wrangler", ...args.map((arg) => (arg.length > 80 ? `${arg.slice(0, 77)}...` : arg))].join(" ")

// Wrangler colours stderr even with NO_COLOR.
export { strip as stripAnsi } from "../../Ansi.js"

const networkText =
  /fetch failed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EPIPE|socket hang up|other side closed|network (is )?unreachable|UND_ERR/i

/** The first `message [code: N]` line wrangler printed: the API's own words. */
const codedLine = (stderr: string): { readonly text: string; readonly code: number } | undefined => {
  for (const line of stderr.split(/\r?\n/)) {
    const match = /^(.*?)\s*\[code: (\d+)\]\s*$/.exec(line.trim())
    if (match !== null) return { text: (match[1] ?? "").trim(), code: Number(match[2]) }
  }
  return undefined
}

/** The first `✘ [ERROR] …` line, without its marker. */
const errorLine = (stderr: string): string | undefined => {
  for (const line of stderr.split(/\r?\n/)) {
    const match = /^\s*(?:\u2718\s*)?\[ERROR\]\s*(.+)$/.exec(line)
    if (match?.[1] !== undefined) return match[1].trim()
  }
  return undefined
}

const lastLine = (text: string): string | undefined =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("🪵"))
    .at(-1)

/** A 5xx or another status wrangler saw but could not read (`GET /path -> 502 Bad Gateway`). */
const statusSeen = (stderr: string): number | undefined => {
  const match = / -> (\d{3})\b/.exec(stderr)
  return match?.[1] === undefined ? undefined : Number(match[1])
}

export interface Failure {
  readonly args: ReadonlyArray<string>
  readonly exitCode: number
  /** ANSI codes already stripped. */
  readonly stderr: string
  readonly failed?: CommandFailedRecord | undefined
}

/** A non-zero exit as a WranglerError. */
export const classify = (failure: Failure): WranglerError => {
  const command = commandOf(failure.args)
  const coded = codedLine(failure.stderr)
  const recorded = failure.failed?.code
  const code = typeof recorded === "number" ? recorded : coded?.code
  const answer =
    (coded !== undefined && coded.text !== "" ? coded.text : undefined) ??
    failure.failed?.message?.trim() ??
    errorLine(failure.stderr) ??
    lastLine(failure.stderr) ??
    `wrangler exited with code ${failure.exitCode}`
  const status = statusSeen(failure.stderr)
  const reason: ApiErrors.Reason =
    (code === undefined ? undefined : ApiErrors.reasonForCode(code)) ??
    (status !== undefined ? ApiErrors.reasonForStatus(status) : undefined) ??
    (networkText.test(`${answer}\n${typeof recorded === "string" ? recorded : ""}\n${failure.stderr}`)
      ? "transient"
      : "failed")
  let message = `${shown(failure.args)}: ${answer}${code === undefined ? "" : ` (code ${code})`}`
  if (reason === "auth") {
    message = `${message}. Cloudflare refused the API token from ${ApiErrors.tokenVariables}: check that it is valid and has the permissions this needs`
  } else if (reason === "rate-limited") {
    message = `${message}. Cloudflare's rate limit was reached`
  } else if (reason === "transient" && code === undefined && status === undefined) {
    message = `${message}. Cloudflare could not be reached`
  }
  return make(command, reason, message, { code })
}

export const missingBinary = (command: string, detail: string): WranglerError =>
  make(command, "missing-binary", `wrangler could not be run (${detail})`)

export const fromTimeout = (args: ReadonlyArray<string>, millis: number): WranglerError =>
  make(commandOf(args), "timeout", `${shown(args)} did not finish within ${millis} ms; it was stopped`)

/** The provider contract's error for a failed wrangler run; `key` is the resource it was for. */
export const toProviderError = (error: WranglerError, key?: string): ProviderError =>
  new ProviderError({
    provider: "cloudflare",
    operation: error.command,
    ...(key === undefined ? {} : { key }),
    reason:
      error.reason === "missing-binary"
        ? "failed"
        : error.reason === "timeout"
          ? "transient"
          : ApiErrors.providerReasons[error.reason],
    message: error.message,
    ...(error.code === undefined ? {} : { code: error.code }),
    ...(error.hint === undefined ? {} : { hint: error.hint })
  })
