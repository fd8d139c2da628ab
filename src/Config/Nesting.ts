/**
 * How deep a KDL text's `{ }` blocks go, found in one loop without recursion: the grammars and the scanner
 * recurse once per level, so a text nested past the stack is refused before they see it. Strings (quoted,
 * raw, multi-line) and comments are skipped; anything else is left to the grammars to judge.
 */
import * as Effect from "effect/Effect"
import { type ConfigError, configError, limits } from "../Declaration.js"
import type { Position } from "./Scanner.js"

const isIdentifierChar = (ch: string | undefined) => ch !== undefined && /[\p{L}\p{N}_\-.]/u.test(ch)

/** Index just past the string that starts at `start` (a `"` or a raw string's `r`/`#`), or -1 if it is none. */
const stringEnd = (text: string, start: number): number => {
  let i = start
  const raw = text[i] === "r" || text[i] === "#"
  if (text[i] === "r") {
    if (isIdentifierChar(text[i - 1])) return -1
    i++
  }
  let hashes = 0
  while (text[i] === "#") {
    hashes++
    i++
  }
  if (text[i] !== '"' || (raw && text[start] === "#" && hashes === 0)) return -1
  const multiline = text.startsWith('"""', i)
  const close = (multiline ? '"""' : '"') + "#".repeat(hashes)
  i += multiline ? 3 : 1
  while (i < text.length) {
    if (!raw && text[i] === "\\") i += 2
    else if (text.startsWith(close, i)) return i + close.length
    else i++
  }
  return text.length
}

const commentEnd = (text: string, start: number): number => {
  if (text.startsWith("//", start)) {
    const newline = text.slice(start).search(/[\n\r\u0085\u2028\u2029]/)
    return newline < 0 ? text.length : start + newline
  }
  let depth = 0
  let i = start
  while (i < text.length) {
    if (text.startsWith("/*", i)) {
      depth++
      i += 2
    } else if (text.startsWith("*/", i)) {
      depth--
      i += 2
      if (depth === 0) return i
    } else i++
  }
  return text.length
}

const positionAt = (text: string, index: number): Position => {
  const lines = text.slice(0, index).split(/\r\n|\r|\n/)
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 }
}

/** Where the first `{` deeper than `limit` is, or `undefined` when the text stays within it. */
export const deepestBlock = (text: string, limit: number): Position | undefined => {
  let depth = 0
  let i = 0
  while (i < text.length) {
    const ch = text[i]
    if (ch === '"' || ch === "r" || ch === "#") {
      const end = stringEnd(text, i)
      if (end >= 0) {
        i = end
        continue
      }
    } else if (ch === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) {
      i = commentEnd(text, i)
      continue
    } else if (ch === "{") {
      depth++
      if (depth > limit) return positionAt(text, i)
    } else if (ch === "}") depth = Math.max(0, depth - 1)
    i++
  }
  return undefined
}

/** Refuses blocks nested deeper than `limits.nesting`, at the `{` that goes past it. */
export const checkNesting = (file: string, text: string): Effect.Effect<void, ConfigError> => {
  const deepest = deepestBlock(text, limits.nesting)
  if (deepest === undefined) return Effect.void
  return Effect.fail(
    configError(
      { file, ...deepest, path: "" },
      `blocks are nested too deeply (limit ${limits.nesting})`,
      "a fleet configuration needs a few levels of `{ }`; check for `{` without its `}`"
    )
  )
}
