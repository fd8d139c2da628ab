/**
 * What a kdljs grammar gives the document reader: the nodes it parsed or its first error.
 * Each grammar module (`KdlV1`, `KdlV2`) wraps its parser with `runParser`.
 */
import * as Either from "effect/Either"
import type { Scalar } from "../Declaration.js"
import type { Position } from "./Scanner.js"

export interface ParsedNode {
  readonly name: string
  readonly values: ReadonlyArray<Scalar>
  readonly properties: Readonly<Record<string, Scalar>>
  readonly children: ReadonlyArray<ParsedNode>
}

export interface ParseFailure {
  readonly message: string
  readonly expected: string
  readonly image: string
  readonly position: Position | undefined
  readonly offset: number
  /** The parser ran out of stack: not a syntax error, whatever it would have said. */
  readonly exhausted?: boolean
}

interface RecognitionError {
  readonly message: string
  readonly token?: {
    readonly image?: string
    readonly startLine?: number
    readonly startColumn?: number
    readonly startOffset?: number
  }
}

const firstFailure = (errors: ReadonlyArray<RecognitionError>): ParseFailure => {
  const error = errors[0]
  const token = error?.token
  const line = token?.startLine
  const column = token?.startColumn
  const known = line !== undefined && column !== undefined && Number.isFinite(line) && Number.isFinite(column)
  const offset = token?.startOffset
  const expected = /Expecting token of type --> (\w+) <--/.exec(error?.message ?? "")?.[1] ?? ""
  return {
    message: error?.message ?? "syntax error",
    expected,
    image: token?.image ?? "",
    position: known ? { line, column } : undefined,
    offset: offset !== undefined && Number.isFinite(offset) ? offset : Number.POSITIVE_INFINITY
  }
}

/**
 * A kdljs `parse` as a function that returns its nodes or its first error, and never throws. `release` lets go of
 * what the grammar keeps after a parse: kdljs's parser holds every token of the last text until the next one.
 */
export const runParser =
  (
    parser: (text: string) => { readonly errors: ReadonlyArray<RecognitionError>; readonly output?: unknown },
    release: () => void
  ) =>
  (text: string): Either.Either<ReadonlyArray<ParsedNode>, ParseFailure> => {
    // kdljs backtracks through chevrotain, which throws an Error at every alternative it abandons:
    // their stack traces, never shown, were a tenth of a parse.
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      const result = parser(text)
      if (result.errors.length > 0 || result.output === undefined) return Either.left(firstFailure(result.errors))
      return Either.right(result.output as ReadonlyArray<ParsedNode>)
    } catch (cause) {
      return Either.left({
        message: String(cause),
        expected: "",
        image: "",
        position: undefined,
        offset: Number.POSITIVE_INFINITY,
        exhausted: cause instanceof RangeError
      })
    } finally {
      Error.stackTraceLimit = stackTraceLimit
      release()
    }
  }

/** One kdljs grammar. */
export type Grammar = (text: string) => Either.Either<ReadonlyArray<ParsedNode>, ParseFailure>
