/**
 * How a simulated command fails: the failure usacloud prints (config loading errors exit 0,
 * the rest exit 1), the API's own error responses, and Go's JSON messages.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { serialOf } from "./Cloud.js"
import type { Context } from "./Context.js"
import { type Status, statuses } from "./Faults.js"
import type { Output } from "./Print.js"

/** A failure the way usacloud prints it. */
export class Failure extends Data.TaggedError("Failure")<{
  readonly text: string
  /** Config loading errors print the bare message and exit 0; everything after prints `\n<message>\n`, exit 1. */
  readonly stage: "config" | "command"
  readonly stdout?: string
}> {}

export const outputOf = (failure: Failure, warnings: string): Output =>
  failure.stage === "config"
    ? { exitCode: 0, stdout: failure.stdout ?? "", stderr: `${failure.text}\n` }
    : { exitCode: 1, stdout: failure.stdout ?? "", stderr: `${warnings}\n${failure.text}\n` }

export const fail = (text: string) => Effect.fail(new Failure({ text, stage: "command" }))

export const goQuote = (text: string) => JSON.stringify(text)

export const apiErrorText = (status: Status, serialSeed: string, message?: string, code?: string): string => {
  const facts = statuses[status]
  return (
    `Error in response: &iaas.APIErrorResponse{IsFatal:true, Serial:${goQuote(serialOf(serialSeed))}, ` +
    `Status:${goQuote(facts.text)}, ErrorCode:${goQuote(code ?? facts.code)}, ` +
    `ErrorMessage:${goQuote(message ?? facts.message)}}`
  )
}

export const apiError = (context: Context, status: Status, message?: string, code?: string) =>
  fail(apiErrorText(status, `${context.now}:${context.invocation.args.join(",")}:${status}`, message, code))

export const notFound = (context: Context) => apiError(context, 404)

/** Go's encoding/json message for text that does not parse, near enough. */
export const goJsonError = (text: string): string => {
  try {
    JSON.parse(text)
    return "json: cannot unmarshal"
  } catch (error) {
    const position = /position (\d+)/.exec(String(error))?.[1]
    const character = position === undefined ? text.trim()[0] : text[Number(position)]
    return character === undefined
      ? "unexpected end of JSON input"
      : `invalid character '${character}' looking for beginning of value`
  }
}
