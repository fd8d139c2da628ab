/**
 * The plain reader against the grammars: whatever it reads, kdljs v2 and the scanner read the same, value for value
 * and line for line; whatever it leaves to them, they judge as before.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { type KdlNode, parse } from "../../src/Config/Kdl.js"
import { parsePlain } from "../../src/Config/PlainKdl.js"
import { limits } from "../../src/Declaration.js"
import { mutateKdl, rng } from "../fuzz/Mutate.js"

const file = "/f.kdl"
const root = NodePath.resolve(import.meta.dirname, "../..")
const seeds = ["examples/fleet.kdl", "test/fixtures/config/complete.kdl", "test/fixtures/library/fleet.kdl"].map(
  (path) => NodeFs.readFileSync(NodePath.join(root, path), "utf8")
)

/** A node as plain data: the reader makes the places of values and keys when they are asked for. */
const asData = (node: KdlNode): unknown => ({
  name: node.name,
  args: node.args.map((arg) => ({ value: arg.value, at: arg.at })),
  props: node.props.map((prop) => ({
    key: prop.key,
    value: { value: prop.value.value, at: prop.value.at },
    at: prop.at
  })),
  children: node.children.map(asData),
  at: node.at
})

const plain = (text: string) => parsePlain(file, text, limits.nesting)?.map(asData)

/** The grammars' nodes when they read `text` as KDL v2, else the error or the version they found. */
const grammars = (text: string) => {
  const result = parse(file, text)
  if (Either.isLeft(result)) return result.left.message
  return result.right.version === 2 ? result.right.nodes.map(asData) : "KDL v1"
}

const agrees = (text: string) => {
  const nodes = plain(text)
  if (nodes !== undefined) assert.deepStrictEqual(nodes, grammars(text), text)
  return nodes !== undefined
}

describe("plain KDL", () => {
  it("reads the example and the fixtures as the grammars do", () => {
    for (const text of seeds) assert.isTrue(agrees(text), text.slice(0, 80))
  })

  it("reads what plain files write as the grammars do: values, properties, comments, separators", () => {
    const texts = [
      `a 1 -2 +3 1_000 2.5 1e3 -1.5E-2 #true #false #null "x" bare -x .y`,
      `node key = "spaced" other= 2 "k q"="quoted key" "1"="index key" last=1 last=2`,
      `a "esc \\" \\\\ \\n \\t \\r \\b \\f \\s" "日本語 ✓"\r\nb;c; d {e; f "x" { g } }\r\n`,
      `// comment\n  a "x" // trailing\n\n\tb\t"y"\t{\n    c 1 // in block\n  }  // after\n`,
      `a {}\nb { }\nc {\n}\n"quoted name" 1\n""`,
      // Not plain, nor KDL v2 for kdljs: a block needs a space before it.
      `a{}`,
      `a "x"=1 y=x`,
      `server "web" {\n  dns { hostname "app"; aliases "www" "api"; }\n}`
    ]
    const read = texts.filter((text) => agrees(text))
    assert.strictEqual(read.length, texts.length - 1)
  })

  it("leaves to the grammars what is not plain or not valid", () => {
    const texts = [
      `/- a\nb`,
      `a /- 1`,
      `a /* c */ 1`,
      `a (t)1`,
      `(t)a`,
      `a #"raw"#`,
      `a """\n  x\n  """`,
      `a 0x10`,
      `a 1abc`,
      `a true`,
      `a \\\n  1`,
      `a "\\u{41}"`,
      `"a\\nb" 1`,
      `a "\\nb"=1`,
      `a #inf`,
      `\uFEFFa`,
      `a\u00a01`,
      `a "x" { b } c`,
      `a { b`,
      `}`,
      `a; ;`,
      `a __proto__=1`,
      `a\rb`,
      `a "😀"`
    ]
    for (const text of texts) assert.isUndefined(plain(text), text)
  })

  it("agrees with the grammars on thousands of mutated files", () => {
    const random = rng(20_260_506)
    let read = 0
    for (let index = 0; index < 1500; index++) {
      const text = mutateKdl(random.pick(seeds), random, seeds).text
      if (agrees(text)) read++
    }
    // Most mutations break the syntax or leave the plain shape; enough of them stay plain to compare.
    assert.isAtLeast(read, 100)
  }, 120_000)
})
