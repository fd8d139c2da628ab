/**
 * A light KDL scanner that records where each node, argument and property starts.
 * kdljs returns the tree without positions; this scanner walks the same text in the
 * same order (v1 and v2 syntax alike), so its nodes can be paired with kdljs's by index.
 * It never rejects input: kdljs is the judge of syntax.
 */

export interface Position {
  readonly line: number
  readonly column: number
}

export interface ScannedEntry extends Position {
  /** The property name; absent for an argument. */
  readonly key?: string | undefined
  /** Where the value starts (for a property, after `=`). */
  readonly value: Position
}

export interface ScannedNode extends Position {
  readonly name: string
  readonly entries: ReadonlyArray<ScannedEntry>
  readonly children: ReadonlyArray<ScannedNode>
}

const isNewline = (ch: string) => ch === "\n" || ch === "\r" || ch === "\u0085" || ch === "\u2028" || ch === "\u2029"
// One expression for the whole scan, and only for characters past ASCII (where only " " is Zs): the bundle
// builds this regular expression with `new RegExp`, compiled again at each call.
const unicodeSpace = /\p{Zs}/u
const isSpace = (ch: string) => ch === " " || ch === "\t" || ch === "\uFEFF" || (ch > "\u007f" && unicodeSpace.test(ch))
const stopsIdentifier = (ch: string) => isNewline(ch) || isSpace(ch) || '\\/(){}[];="'.includes(ch)

class Cursor {
  index = 0
  line = 1
  column = 1
  constructor(readonly text: string) {}

  get done() {
    return this.index >= this.text.length
  }
  peek(offset = 0) {
    return this.text[this.index + offset] ?? ""
  }
  startsWith(prefix: string) {
    return this.text.startsWith(prefix, this.index)
  }
  position(): Position {
    return { line: this.line, column: this.column }
  }
  advance(count = 1) {
    for (let i = 0; i < count && !this.done; i++) {
      const ch = this.text[this.index] ?? ""
      this.index++
      if (ch === "\r" && this.peek() === "\n") {
        this.column++
      } else if (isNewline(ch)) {
        this.line++
        this.column = 1
      } else {
        this.column++
      }
    }
  }
}

const skipBlockComment = (cursor: Cursor) => {
  let depth = 0
  while (!cursor.done) {
    if (cursor.startsWith("/*")) {
      depth++
      cursor.advance(2)
    } else if (cursor.startsWith("*/")) {
      depth--
      cursor.advance(2)
      if (depth === 0) return
    } else {
      cursor.advance()
    }
  }
}

const skipLineComment = (cursor: Cursor) => {
  while (!cursor.done && !isNewline(cursor.peek())) cursor.advance()
}

/** Whitespace inside a node: spaces, block comments and escaped line continuations. */
const skipNodeSpace = (cursor: Cursor) => {
  for (;;) {
    const ch = cursor.peek()
    if (ch !== "" && isSpace(ch)) cursor.advance()
    else if (cursor.startsWith("/*")) skipBlockComment(cursor)
    else if (ch === "\\") {
      cursor.advance()
      while (!cursor.done && (isSpace(cursor.peek()) || cursor.startsWith("/*"))) {
        if (cursor.startsWith("/*")) skipBlockComment(cursor)
        else cursor.advance()
      }
      if (cursor.startsWith("//")) skipLineComment(cursor)
      if (isNewline(cursor.peek())) cursor.advance()
    } else return
  }
}

/** Whitespace between nodes: also newlines, line comments and semicolons. */
const skipLineSpace = (cursor: Cursor) => {
  for (;;) {
    const ch = cursor.peek()
    if (ch !== "" && (isSpace(ch) || isNewline(ch) || ch === ";")) cursor.advance()
    else if (cursor.startsWith("//")) skipLineComment(cursor)
    else if (cursor.startsWith("/*")) skipBlockComment(cursor)
    else if (ch === "\\") skipNodeSpace(cursor)
    else return
  }
}

const unescapeText = (raw: string) =>
  raw.replace(/\\(.)/gs, (_, ch: string) => (ch === "n" ? "\n" : ch === "t" ? "\t" : ch === "r" ? "\r" : ch))

/** Reads one string, identifier, number or keyword and returns its text (strings unescaped, roughly). */
const readToken = (cursor: Cursor): string => {
  const hashes = (at: number) => {
    let count = 0
    while (cursor.peek(at + count) === "#") count++
    return count
  }
  const rawHashes = cursor.peek() === "r" ? hashes(1) : cursor.peek() === "#" ? hashes(0) : -1
  const rawPrefix = cursor.peek() === "r" ? 1 : 0
  if (rawHashes >= 0 && cursor.peek(rawPrefix + rawHashes) === '"' && (rawPrefix === 1 || rawHashes > 0)) {
    cursor.advance(rawPrefix + rawHashes)
    const multiline = cursor.startsWith('"""')
    const close = (multiline ? '"""' : '"') + "#".repeat(rawHashes)
    cursor.advance(multiline ? 3 : 1)
    const start = cursor.index
    while (!cursor.done && !cursor.startsWith(close)) cursor.advance()
    const text = cursor.text.slice(start, cursor.index)
    cursor.advance(close.length)
    return text
  }
  if (cursor.startsWith('"""')) {
    cursor.advance(3)
    const start = cursor.index
    while (!cursor.done && !cursor.startsWith('"""')) cursor.advance(cursor.peek() === "\\" ? 2 : 1)
    const text = cursor.text.slice(start, cursor.index)
    cursor.advance(3)
    return unescapeText(text)
  }
  if (cursor.peek() === '"') {
    cursor.advance()
    const start = cursor.index
    while (!cursor.done && cursor.peek() !== '"') cursor.advance(cursor.peek() === "\\" ? 2 : 1)
    const text = cursor.text.slice(start, cursor.index)
    cursor.advance()
    return unescapeText(text)
  }
  const start = cursor.index
  while (!cursor.done && !stopsIdentifier(cursor.peek())) cursor.advance()
  if (cursor.index === start) cursor.advance()
  return cursor.text.slice(start, cursor.index)
}

const skipTypeAnnotation = (cursor: Cursor) => {
  if (cursor.peek() !== "(") return
  cursor.advance()
  skipNodeSpace(cursor)
  if (cursor.peek() !== ")") readToken(cursor)
  skipNodeSpace(cursor)
  if (cursor.peek() === ")") cursor.advance()
  skipNodeSpace(cursor)
}

const readEntry = (cursor: Cursor): ScannedEntry => {
  const start = cursor.position()
  const typed = cursor.peek() === "("
  skipTypeAnnotation(cursor)
  const valueStart = cursor.position()
  const token = readToken(cursor)
  if (typed) return { ...start, value: valueStart }
  // KDL v2 allows spaces around `=`; remember where to come back to if this is an argument.
  const save = { index: cursor.index, line: cursor.line, column: cursor.column }
  skipNodeSpace(cursor)
  if (cursor.peek() !== "=") {
    Object.assign(cursor, save)
    return { ...start, value: start }
  }
  cursor.advance()
  skipNodeSpace(cursor)
  skipTypeAnnotation(cursor)
  const value = cursor.position()
  readToken(cursor)
  return { ...start, key: token, value }
}

const readNode = (cursor: Cursor): ScannedNode => {
  const start = cursor.position()
  skipTypeAnnotation(cursor)
  const name = readToken(cursor)
  const entries: Array<ScannedEntry> = []
  const children: Array<ScannedNode> = []
  for (;;) {
    skipNodeSpace(cursor)
    const ch = cursor.peek()
    if (ch === "" || ch === "}") break
    if (isNewline(ch) || ch === ";") {
      cursor.advance()
      break
    }
    if (cursor.startsWith("//")) {
      skipLineComment(cursor)
      break
    }
    if (ch === "{") {
      children.push(...readChildren(cursor))
      continue
    }
    if (cursor.startsWith("/-")) {
      cursor.advance(2)
      skipLineSpaceWithinNode(cursor)
      if (cursor.peek() === "{") readChildren(cursor)
      else readEntry(cursor)
      continue
    }
    entries.push(readEntry(cursor))
  }
  return { ...start, name, entries, children }
}

/** After a slashdash inside a node, v2 allows newlines before what it comments out. */
const skipLineSpaceWithinNode = (cursor: Cursor) => {
  for (;;) {
    const ch = cursor.peek()
    if (ch !== "" && (isSpace(ch) || isNewline(ch))) cursor.advance()
    else if (cursor.startsWith("//")) skipLineComment(cursor)
    else if (cursor.startsWith("/*")) skipBlockComment(cursor)
    else return
  }
}

const readChildren = (cursor: Cursor): ReadonlyArray<ScannedNode> => {
  cursor.advance()
  const nodes = readNodes(cursor)
  if (cursor.peek() === "}") cursor.advance()
  return nodes
}

const readNodes = (cursor: Cursor): ReadonlyArray<ScannedNode> => {
  const nodes: Array<ScannedNode> = []
  for (;;) {
    skipLineSpace(cursor)
    if (cursor.done || cursor.peek() === "}") return nodes
    if (cursor.startsWith("/-")) {
      cursor.advance(2)
      skipLineSpace(cursor)
      if (cursor.done || cursor.peek() === "}") return nodes
      readNode(cursor)
      continue
    }
    const before = cursor.index
    nodes.push(readNode(cursor))
    if (cursor.index === before) cursor.advance()
  }
}

/** The nodes of a document with their positions, slashdashed nodes and entries left out. */
export const scan = (text: string): ReadonlyArray<ScannedNode> => {
  const cursor = new Cursor(text.startsWith("\uFEFF") ? text.slice(1) : text)
  const nodes: Array<ScannedNode> = []
  while (!cursor.done) {
    nodes.push(...readNodes(cursor))
    // A stray `}` at top level: kdljs rejects it; keep scanning so positions stay useful.
    if (cursor.peek() === "}") cursor.advance()
  }
  return nodes
}

/** Line and column of the end of the text, for errors at end of file. */
export const endOf = (text: string): Position => {
  const lines = text.split(/\r\n|\r|\n/)
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 }
}
