/**
 * KDL documents with source positions: plain KDL v2 is read directly (`PlainKdl`); anything else kdljs (v2,
 * then v1) parses and the scanner locates. kdljs builds each grammar when its module is imported, which takes
 * tens of milliseconds, so `parseLazily` imports a grammar only when it is needed: a plain file builds neither,
 * a KDL v2 file never builds the v1 grammar. `Kdl.parse` uses the grammars alone, synchronously.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type ConfigError, configError, type KdlNode, limits, type Location } from "../Declaration.js"
import type { Grammar, ParsedNode, ParseFailure } from "./KdlGrammar.js"
import { checkNesting } from "./Nesting.js"
import { childPath, label } from "./NodePath.js"
import { parsePlain } from "./PlainKdl.js"
import { endOf, type Position, type ScannedEntry, type ScannedNode, scan } from "./Scanner.js"

export type { Grammar, ParsedNode, ParseFailure } from "./KdlGrammar.js"
export { childPath, label } from "./NodePath.js"

export interface KdlDocument {
  readonly version: 1 | 2
  readonly nodes: ReadonlyArray<KdlNode>
}

/** A node as kdljs returns it. */
const usesV2Syntax = (text: string) =>
  /(^|[\s=(])#(true|false|null|inf|-inf|nan)\b/.test(text) || /(^|[\s=])#+"/.test(text) || text.includes('"""')

const describe = (image: string) => {
  if (image === "") return "end of file"
  if (/^\r?\n$/.test(image)) return "end of line"
  return `\`${image.length > 20 ? image.slice(0, 20) + "…" : image}\``
}

const syntaxError = (file: string, text: string, version: 1 | 2, failure: ParseFailure): ConfigError => {
  const position = failure.position ?? endOf(text)
  const at: Location = { file, ...position, path: "" }
  if (failure.exhausted === true) {
    return configError(
      { file, ...endOf(text), path: "" },
      "the file is too complex for the KDL parser (its stack ran out)",
      "split long values and deep blocks; a fleet configuration needs neither"
    )
  }
  if (failure.expected === "RightBrace" || (failure.image === "" && failure.position === undefined)) {
    return configError(at, "syntax error: unexpected end of file", "a `{` block is not closed with `}`")
  }
  const unterminated = failure.message.startsWith("unexpected character") && /^\r?\n$/.test(failure.image)
  if (unterminated) {
    return configError(at, "syntax error: unexpected end of line inside a string", 'close the string with `"`')
  }
  const other = version === 2 ? "KDL v1" : "KDL v2"
  return configError(
    at,
    `syntax error: unexpected ${describe(failure.image)}`,
    `the file is not valid KDL v${version} (nor ${other}); check the text just before this point`
  )
}

// Only the line and column: a scanned node or entry spread here would keep the whole scan alive with the document.
const valueAt = (file: string, path: string, position: Position): Location => ({
  file,
  path,
  line: position.line,
  column: position.column
})

/** Pairs parsed nodes with scanned ones by order, trusting a scanned node only when its name agrees. */
const locate = (
  file: string,
  parsed: ReadonlyArray<ParsedNode>,
  scanned: ReadonlyArray<ScannedNode>,
  parentPath: string,
  fallback: Position
): ReadonlyArray<KdlNode> => {
  const aligned = parsed.length === scanned.length
  let cursor = 0
  return parsed.map((node, index) => {
    let match: ScannedNode | undefined
    if (aligned && scanned[index]?.name === node.name) match = scanned[index]
    else {
      const found = scanned.findIndex((candidate, i) => i >= cursor && candidate.name === node.name)
      if (found >= 0) {
        match = scanned[found]
        cursor = found + 1
      }
    }
    const position: Position = match ?? fallback
    const args = node.values.map((value) => ({ value }))
    const path = childPath(parentPath, label(node.name, args))
    const at = valueAt(file, path, position)
    const positional: ReadonlyArray<ScannedEntry> = match?.entries.filter((entry) => entry.key === undefined) ?? []
    const keyed = new Map<string, ScannedEntry>()
    for (const entry of match?.entries ?? []) if (entry.key !== undefined) keyed.set(entry.key, entry)
    return {
      name: node.name,
      args: node.values.map((value, i) => {
        const entry = positional[i]
        return { value, at: entry === undefined ? at : valueAt(file, path, entry.value) }
      }),
      props: Object.entries(node.properties).map(([key, value]) => {
        const entry = keyed.get(key)
        const keyAt = entry === undefined ? at : valueAt(file, path, entry)
        return { key, value: { value, at: entry === undefined ? at : valueAt(file, path, entry.value) }, at: keyAt }
      }),
      children: locate(file, node.children, match?.children ?? [], path, position),
      at
    }
  })
}

/** The grammars' reading: KDL v2, else v1; a failure of both points at the error of the likelier version. */
const parseGrammars = (
  file: string,
  text: string,
  grammars: { readonly v2: Effect.Effect<Grammar>; readonly v1: Effect.Effect<Grammar> }
): Effect.Effect<KdlDocument, ConfigError> =>
  Effect.gen(function* () {
    const second = (yield* grammars.v2)(text)
    let version: 1 | 2 = 2
    let nodes: ReadonlyArray<ParsedNode>
    if (Either.isRight(second)) nodes = second.right
    else {
      const first = (yield* grammars.v1)(text)
      if (Either.isLeft(first)) {
        const exhausted = second.left.exhausted === true ? second.left : first.left
        const preferV2 = usesV2Syntax(text) || second.left.offset >= first.left.offset
        if (exhausted.exhausted === true) return yield* Effect.fail(syntaxError(file, text, 2, exhausted))
        return yield* Effect.fail(
          preferV2 ? syntaxError(file, text, 2, second.left) : syntaxError(file, text, 1, first.left)
        )
      }
      version = 1
      nodes = first.right
    }
    return { version, nodes: locate(file, nodes, scan(text), "", { line: 1, column: 1 }) }
  })

/** Parses KDL v2, else v1, with the grammars only; `v1` is used only when v2 fails. */
export const parseWith = (
  file: string,
  text: string,
  grammars: { readonly v2: Effect.Effect<Grammar>; readonly v1: Effect.Effect<Grammar> }
): Effect.Effect<KdlDocument, ConfigError> =>
  Effect.zipRight(checkNesting(file, text), parseGrammars(file, text, grammars))

/**
 * Plain KDL v2 read directly (`PlainKdl`), anything else with the grammars, each imported the first time it is
 * needed: the configuration loader's reading, the same document as `Kdl.parse` in a fraction of the memory.
 */
export const parseLazily = (file: string, text: string): Effect.Effect<KdlDocument, ConfigError> =>
  Effect.gen(function* () {
    yield* checkNesting(file, text)
    const plain = parsePlain(file, text, limits.nesting)
    if (plain !== undefined) return { version: 2, nodes: plain }
    return yield* parseGrammars(file, text, {
      v2: Effect.map(
        Effect.promise(() => import("./KdlV2.js")),
        (grammar) => grammar.parse
      ),
      v1: Effect.map(
        Effect.promise(() => import("./KdlV1.js")),
        (grammar) => grammar.parse
      )
    })
  })
