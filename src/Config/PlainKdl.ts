/**
 * Plain KDL v2 read in one pass, each node with where it was written: the shape nearly every fleet file has
 * (nodes, quoted or bare strings, decimal numbers, `#true` `#false` `#null`, `//` comments, `{ }` blocks).
 * kdljs's grammars tokenize the whole text before parsing it, a few hundred bytes of memory per byte; this
 * reader keeps only the nodes. Anything outside that shape, or anything kdljs would refuse, makes it answer
 * `undefined`, and the grammars judge the text as before: what it accepts, kdljs v2 accepts with the same
 * values, and the scanner would place at the same lines and columns.
 */
import type { KdlNode, KdlProperty, KdlValue, Location, Scalar } from "../Declaration.js"
import { childPath, label } from "./NodePath.js"

/** Thrown inside the reader when the text leaves the plain shape; caught at its entry point. */
class NotPlain {}
const notPlain = new NotPlain()

const none: ReadonlyArray<never> = Object.freeze([])
const keywords = new Set(["true", "false", "null", "inf", "-inf", "nan"])
const escapes: Readonly<Record<string, string>> = {
  n: "\n",
  r: "\r",
  t: "\t",
  "\\": "\\",
  '"': '"',
  b: "\b",
  f: "\f",
  s: " "
}
// kdljs's `Float` token; its `Integer` (0x, 0o, 0b) and keyword numbers are left to it.
const decimal = /[+-]?[0-9][0-9_]*(\.[0-9][0-9_]*)?([eE][+-]?[0-9][0-9_]*)?/y
const startsNumber = /[+-]?\.?[0-9]/y

/** Characters KDL refuses in strings and comments (controls, direction marks, BOM), and surrogates. */
const isRefused = (code: number) =>
  (code < 0x20 && code !== 0x09) ||
  (code >= 0x7f && code < 0xa0) ||
  code === 0x200e ||
  code === 0x200f ||
  (code >= 0x2028 && code <= 0x202e) ||
  (code >= 0x2066 && code <= 0x2069) ||
  (code >= 0xd800 && code <= 0xdfff) ||
  code === 0xfeff

/** Characters that end a bare identifier, as kdljs's `Identifier` token and the scanner both read it. */
const endsIdentifier = (code: number) =>
  code <= 0x20 ||
  code === 0x22 ||
  code === 0x23 ||
  code === 0x28 ||
  code === 0x29 ||
  code === 0x2f ||
  code === 0x3b ||
  code === 0x3d ||
  (code >= 0x5b && code <= 0x5d) ||
  code === 0x7b ||
  code === 0x7d ||
  isRefused(code) ||
  code === 0xa0 ||
  code === 0x1680 ||
  (code >= 0x2000 && code <= 0x200a) ||
  code === 0x202f ||
  code === 0x205f ||
  code === 0x3000

interface Written<T> {
  readonly value: T
  readonly line: number
  readonly column: number
}

interface WrittenProperty {
  readonly key: Written<string>
  readonly value: Written<Scalar>
}

class Reader {
  index = 0
  line = 1
  column = 1
  /** Whether the last quoted string had an escape: the scanner does not unescape node names and keys as kdljs. */
  escaped = false
  /** Node names and property keys repeat on every line: one string for each. */
  private readonly names = new Map<string, string>()

  constructor(
    readonly text: string,
    readonly file: string,
    readonly maxDepth: number
  ) {}

  code(offset = 0) {
    const index = this.index + offset
    return index < this.text.length ? this.text.charCodeAt(index) : -1
  }

  /** Moves past characters of one line. */
  skip(count: number) {
    this.index += count
    this.column += count
  }

  /** At `\n` or `\r\n`; any other line break is left to the grammars. */
  atNewline() {
    const code = this.code()
    if (code === 0x0a) return true
    if (code !== 0x0d) return false
    if (this.code(1) !== 0x0a) throw notPlain
    return true
  }

  newline() {
    this.index += this.code() === 0x0d ? 2 : 1
    this.line++
    this.column = 1
  }

  atComment() {
    return this.code() === 0x2f && this.code(1) === 0x2f
  }

  /** What may follow a name, a value or a block other than a space: the end of the node. */
  atEnd() {
    const code = this.code()
    return code === -1 || code === 0x3b || code === 0x7d || this.atNewline() || this.atComment()
  }

  skipSpaces() {
    while (this.code() === 0x20 || this.code() === 0x09) this.skip(1)
  }

  /** `//` to the end of the line, the line break included. */
  skipComment() {
    this.skip(2)
    for (;;) {
      const code = this.code()
      if (code === -1) return
      if (code === 0x0a || code === 0x0d) {
        if (this.atNewline()) this.newline()
        return
      }
      if (isRefused(code)) throw notPlain
      this.skip(1)
    }
  }

  /** Spaces, line breaks and comments between nodes. */
  skipLineSpace() {
    for (;;) {
      this.skipSpaces()
      if (this.atNewline()) this.newline()
      else if (this.atComment()) this.skipComment()
      else return
    }
  }

  name(text: string) {
    const known = this.names.get(text)
    if (known !== undefined) return known
    this.names.set(text, text)
    return text
  }

  quoted(): string {
    this.skip(1)
    // `"""` opens a multi-line string.
    if (this.code() === 0x22 && this.code(1) === 0x22) throw notPlain
    this.escaped = false
    let value = ""
    let from = this.index
    for (;;) {
      const code = this.code()
      if (code === 0x22) break
      if (code === 0x5c) {
        const escaped = escapes[this.text[this.index + 1] ?? ""]
        if (escaped === undefined) throw notPlain
        value += this.text.slice(from, this.index) + escaped
        this.escaped = true
        this.skip(2)
        from = this.index
      } else if (code === -1 || isRefused(code)) throw notPlain
      else this.skip(1)
    }
    const last = this.text.slice(from, this.index)
    this.skip(1)
    return this.escaped ? value + last : last
  }

  bare(): string {
    const from = this.index
    startsNumber.lastIndex = from
    if (startsNumber.test(this.text)) throw notPlain
    while (this.code() !== -1 && !endsIdentifier(this.code())) this.skip(1)
    const value = this.text.slice(from, this.index)
    if (value === "" || keywords.has(value)) throw notPlain
    return value
  }

  /** A node name: a bare or quoted string without escapes. */
  string(): string {
    if (this.code() !== 0x22) return this.name(this.bare())
    const value = this.quoted()
    if (this.escaped) throw notPlain
    return this.name(value)
  }

  /** An argument or a property value, and whether it could be a property's key. */
  value(): { readonly value: Scalar; readonly key: boolean } {
    const code = this.code()
    if (code === 0x22) {
      const value = this.quoted()
      return { value, key: !this.escaped }
    }
    if (code === 0x23) {
      const word = keywordValues.find(([keyword]) => this.text.startsWith(keyword, this.index))
      if (word === undefined) throw notPlain
      this.skip(word[0].length)
      return { value: word[1], key: false }
    }
    startsNumber.lastIndex = this.index
    if (!startsNumber.test(this.text)) return { value: this.bare(), key: true }
    decimal.lastIndex = this.index
    const number = decimal.exec(this.text)?.[0]
    if (number === undefined) throw notPlain
    this.skip(number.length)
    return { value: Number.parseFloat(number.replaceAll("_", "")), key: false }
  }
}

const keywordValues: ReadonlyArray<readonly [string, Scalar]> = [
  ["#true", true],
  ["#false", false],
  ["#null", null]
]

/** `read`'s value with where it starts. */
const written = <T>(reader: Reader, read: () => T): Written<T> => {
  const line = reader.line
  const column = reader.column
  return { value: read(), line, column }
}

/**
 * A value with its place, made into a `Location` when asked: most never are, and a location for every value and
 * key was half of a document's memory.
 */
class PlacedValue implements KdlValue {
  constructor(
    readonly value: Scalar,
    private readonly node: Location,
    private readonly line: number,
    private readonly column: number
  ) {}

  get at(): Location {
    return { file: this.node.file, path: this.node.path, line: this.line, column: this.column }
  }
}

class PlacedProperty implements KdlProperty {
  constructor(
    readonly key: string,
    readonly value: KdlValue,
    private readonly node: Location,
    private readonly line: number,
    private readonly column: number
  ) {}

  get at(): Location {
    return { file: this.node.file, path: this.node.path, line: this.line, column: this.column }
  }
}

/** An argument or a property, after the space before it. */
const readEntry = (reader: Reader, args: Array<Written<Scalar>>, props: Record<string, WrittenProperty>): void => {
  const line = reader.line
  const column = reader.column
  const first = reader.value()
  const after = { index: reader.index, column: reader.column }
  reader.skipSpaces()
  if (reader.code() !== 0x3d) {
    Object.assign(reader, after)
    args.push({ value: first.value, line, column })
    return
  }
  if (!first.key || first.value === "__proto__") throw notPlain
  const key = reader.name(String(first.value))
  reader.skip(1)
  reader.skipSpaces()
  const value = written(reader, () => reader.value().value)
  // As kdljs: the last value of a key wins, in the place of its first.
  props[key] = { key: { value: key, line, column }, value }
}

const readNode = (reader: Reader, parent: string, depth: number): KdlNode => {
  const start = written(reader, () => reader.string())
  const args: Array<Written<Scalar>> = []
  const props: Record<string, WrittenProperty> = {}
  let path: string | undefined
  let children: ReadonlyArray<KdlNode> | undefined
  for (;;) {
    const code = reader.code()
    if (code !== 0x20 && code !== 0x09) {
      if (reader.atEnd()) break
      throw notPlain
    }
    reader.skipSpaces()
    if (reader.atEnd()) break
    if (children !== undefined) throw notPlain
    if (reader.code() === 0x7b) {
      path = childPath(parent, label(start.value, args))
      children = readBlock(reader, path, depth + 1)
    } else readEntry(reader, args, props)
  }
  if (reader.code() === 0x3b) reader.skip(1)
  else if (reader.atComment()) reader.skipComment()
  else if (reader.code() !== 0x7d && reader.code() !== -1) reader.newline()
  path ??= childPath(parent, label(start.value, args))
  return nodeOf(reader, path, start, args, Object.values(props), children ?? none)
}

/** `{`, the nodes inside and `}`. */
const readBlock = (reader: Reader, path: string, depth: number): ReadonlyArray<KdlNode> => {
  if (depth > reader.maxDepth) throw notPlain
  reader.skip(1)
  const nodes = readNodes(reader, path, depth)
  if (reader.code() !== 0x7d) throw notPlain
  reader.skip(1)
  return nodes
}

const readNodes = (reader: Reader, path: string, depth: number): ReadonlyArray<KdlNode> => {
  const nodes: Array<KdlNode> = []
  for (;;) {
    reader.skipLineSpace()
    const code = reader.code()
    if (code === -1 || code === 0x7d) return nodes.length === 0 ? none : nodes
    nodes.push(readNode(reader, path, depth))
  }
}

const nodeOf = (
  reader: Reader,
  path: string,
  start: Written<string>,
  args: ReadonlyArray<Written<Scalar>>,
  props: ReadonlyArray<WrittenProperty>,
  children: ReadonlyArray<KdlNode>
): KdlNode => {
  const at: Location = { file: reader.file, path, line: start.line, column: start.column }
  return {
    name: start.value,
    args: args.length === 0 ? none : args.map((arg) => new PlacedValue(arg.value, at, arg.line, arg.column)),
    props:
      props.length === 0
        ? none
        : props.map(
            ({ key, value }) =>
              new PlacedProperty(
                key.value,
                new PlacedValue(value.value, at, value.line, value.column),
                at,
                key.line,
                key.column
              )
          ),
    children,
    at
  }
}

/**
 * The nodes of `text` with their places in `file`, or `undefined` when it is not plain KDL v2 (blocks deeper
 * than `maxDepth` included): the grammars then read it.
 */
export const parsePlain = (file: string, text: string, maxDepth: number): ReadonlyArray<KdlNode> | undefined => {
  const reader = new Reader(text, file, maxDepth)
  try {
    const nodes = readNodes(reader, "", 0)
    return reader.code() === -1 ? nodes : undefined
  } catch {
    // Not plain, or a fault of this reader: the grammars are the judges either way.
    return undefined
  }
}
