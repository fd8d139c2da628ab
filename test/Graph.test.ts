import { assert, describe, it } from "@effect/vitest"
import * as childProcess from "node:child_process"
import * as Graph from "../src/Graph.js"
import { type DesiredResource, makeKey, reference } from "../src/Resource.js"

const server = makeKey("server", "web")
const odd = 'say "hi"\\ <b>#1</b>\nsecond line'
const record = makeKey("dns", `${odd}/TXT`)

const desired: ReadonlyArray<DesiredResource> = [
  { key: server, provider: "sakura-cloud", type: "server", name: "web", inputs: {}, dependsOn: [] },
  {
    key: record,
    provider: "cloudflare",
    type: "dns",
    name: `${odd}/TXT`,
    inputs: { content: reference(server, "ip"), note: [{ also: reference(server, "ip") }] },
    dependsOn: [server, makeKey("disk", "not-declared")]
  }
]

describe("Graph", () => {
  it.runIf(process.env.CI !== undefined)(
    "has Graphviz in CI, so that what it prints is rendered, not only read",
    () => {
      assert.strictEqual(childProcess.spawnSync("dot", ["-V"]).status, 0, "`dot` is missing: .ci/run installs graphviz")
    }
  )

  it("draws an edge to each declared dependency, with the attributes read once each", () => {
    assert.deepStrictEqual(Graph.graphOf(desired).edges, [{ from: record, to: server, attributes: ["ip"] }])
  })

  it("keeps quotes, backslashes and line breaks of a name inside DOT's strings", () => {
    const text = Graph.dot(Graph.graphOf(desired), 'shop "dev"')
    assert.include(text, 'digraph "shop \\"dev\\"" {')
    assert.include(text, '[label="dns\\nsay \\"hi\\"\\\\ <b>#1</b>\\nsecond line/TXT"]')
    if (childProcess.spawnSync("dot", ["-V"]).status === 0) {
      const rendered = childProcess.spawnSync("dot", ["-Tsvg"], { input: text, encoding: "utf8" })
      assert.strictEqual(rendered.status, 0, rendered.stderr)
      assert.include(rendered.stdout, "say &quot;hi&quot;\\ &lt;b&gt;#1&lt;/b&gt;")
    }
  })

  it("writes Mermaid's entity codes for what would end a label, and ids of plain words", () => {
    const text = Graph.mermaid(Graph.graphOf(desired))
    assert.include(text, 'n1["dns<br/>say #34;hi#34;\\ #60;b#62;#35;1#60;/b#62; second line/TXT"]')
    assert.include(text, '  n1 -->|"ip"| n0')
  })
})
