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
    readonly startLine?: number | undefined
    readonly startColumn?: number | undefined
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
 * The lexer's tokens, or its first error. It stops there: recovering, it went on to make every token of a
 * megabyte with an error on each line (300 MB). The error is then made again with recovery on the text up to
 * the end of its line, where recovery finds the next token at the latest, so that it spans what it did.
 */
const tokenizeToFirstError = (lexer: KdlLexer, text: string) => {
  lexer.config.recoveryEnabled = false
  try {
    const stopped = lexer.tokenize(text)
    const [first] = stopped.errors
    if (first === undefined) return stopped
    const lineEnd = text.indexOf("\n", first.offset)
    lexer.config.recoveryEnabled = true
    return lexer.tokenize(text.slice(0, lineEnd < 0 ? text.length : lineEnd + 1))
  } finally {
    lexer.config.recoveryEnabled = true
  }
}

/**
 * kdljs's `parse`, lexer then parser, except that a text the lexer refuses gives its first error alone: kdljs
 * turns every lexing error into an exception by searching all the tokens for the one before it, which took
 * minutes for a megabyte with an error on every line.
 */
const lexThenParse = (lexer: KdlLexer, parser: KdlDocumentParser, text: string) => {
  const { errors, tokens } = tokenizeToFirstError(lexer, text)
  const [first] = errors
  if (first !== undefined) {
    const image = text.slice(first.offset, first.offset + first.length)
    const token = { image, startLine: first.line, startColumn: first.column, startOffset: first.offset }
    return { errors: [{ message: first.message, token }] }
  }
  parser.input = tokens
  return { output: parser.document(), errors: parser.errors }
}

/**
 * A kdljs grammar as a function that returns its nodes or its first error, and never throws. The parser's tokens
 * are let go after each parse: kdljs's parser holds every token of the last text until the next one.
 */
export const runParser =
  (lexer: KdlLexer, parser: KdlDocumentParser) =>
  (text: string): Either.Either<ReadonlyArray<ParsedNode>, ParseFailure> => {
    // kdljs backtracks through chevrotain, which throws an Error at every alternative it abandons:
    // their stack traces, never shown, were a tenth of a parse.
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      const result = lexThenParse(lexer, parser, text)
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
      parser.input = []
    }
  }

/** One kdljs grammar. */
export type Grammar = (text: string) => Either.Either<ReadonlyArray<ParsedNode>, ParseFailure>
