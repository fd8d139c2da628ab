/**
 * A `multipart/form-data` body split into its parts, as wrangler sends a Worker upload
 * (`metadata` and the modules) and a Pages deployment (`manifest`, `branch`, …).
 */
import * as Effect from "effect/Effect"
import { ApiFailure, type Call } from "./Envelope.js"

export interface Part {
  readonly name: string
  readonly filename?: string
  readonly contentType?: string
  readonly bytes: Uint8Array
}

const headerValue = (header: string, parameter: string): string | undefined => {
  const match = new RegExp(`(?:^|;)\\s*${parameter}\\*?=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, "i").exec(header)
  if (match === null) return undefined
  return (match[1] ?? match[2] ?? "").replace(/\\(.)/g, "$1").trim()
}

/** The parts of `body`, or `undefined` when it is not multipart with the boundary `contentType` names. */
export const parse = (contentType: string, body: Uint8Array): ReadonlyArray<Part> | undefined => {
  if (!/^multipart\/form-data/i.test(contentType)) return undefined
  const boundary = headerValue(contentType, "boundary")
  if (boundary === undefined || boundary === "") return undefined
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const delimiter = Buffer.from(`--${boundary}`)
  const parts: Array<Part> = []
  let start = bytes.indexOf(delimiter)
  if (start < 0) return undefined
  for (;;) {
    const afterDelimiter = start + delimiter.length
    // `--boundary--` closes the body.
    if (bytes[afterDelimiter] === 0x2d && bytes[afterDelimiter + 1] === 0x2d) return parts
    const headersStart = afterDelimiter + 2
    const headersEnd = bytes.indexOf("\r\n\r\n", headersStart)
    if (headersEnd < 0) return undefined
    const next = bytes.indexOf(Buffer.from(`\r\n--${boundary}`), headersEnd + 4)
    if (next < 0) return undefined
    const headers: Record<string, string> = {}
    for (const line of bytes.subarray(headersStart, headersEnd).toString("utf8").split("\r\n")) {
      const colon = line.indexOf(":")
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const disposition = headers["content-disposition"] ?? ""
    const name = headerValue(disposition, "name")
    if (name === undefined) return undefined
    const filename = headerValue(disposition, "filename")
    const partType = headers["content-type"]
    parts.push({
      name,
      ...(filename === undefined ? {} : { filename }),
      ...(partType === undefined ? {} : { contentType: partType }),
      bytes: new Uint8Array(bytes.subarray(headersEnd + 4, next))
    })
    start = next + 2
  }
}

/** The call's multipart parts, or a 400 with `code` when the body is not multipart. */
export const partsOf = (call: Call, code: number): Effect.Effect<ReadonlyArray<Part>, ApiFailure> => {
  const parts = parse(call.headers["content-type"] ?? "", call.body)
  return parts === undefined
    ? Effect.fail(
        new ApiFailure({ status: 400, code, message: "The request body must be multipart/form-data with a boundary." })
      )
    : Effect.succeed(parts)
}

export const text = (part: Part): string => new TextDecoder().decode(part.bytes)
