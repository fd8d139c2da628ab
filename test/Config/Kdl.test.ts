import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import * as Config from "../../src/Config.js"
import { type KdlNode, parse } from "../../src/Config/Kdl.js"
import { didYouMean, distance } from "../../src/Declaration.js"
import { folder, upstreamSamples, withEnv } from "../fixtures/config/support.js"

const parsed = (text: string) => {
  const result = parse("/f.kdl", text)
  if (Either.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

describe("KDL positions", () => {
  it("pairs nodes, arguments and properties with their line and column", () => {
    const document = parsed(
      [
        `/* a block /* nested */ comment */ project "p" // trailing`,
        `/- server "gone" {`,
        `  plan "x"`,
        `}`,
        `server "a" /- "skipped" key=#"raw "quoted" value"# {`,
        `  tags "x" \\`,
        `       "y"; zone (t)"tk1a"`,
        `  /- disk size=1`,
        `  description """`,
        `    two`,
        `    lines`,
        `    """`,
        `  plan core = 2 memory=4`,
        `} /-{ ignored }`,
        `stage "dev" { server "a"; }`
      ].join("\n")
    )
    assert.strictEqual(document.version, 2)
    const [project, server, stage] = document.nodes
    assert.deepStrictEqual([project!.at.line, project!.at.column], [1, 36])
    assert.deepStrictEqual([server!.at.line, server!.at.column, server!.at.path], [5, 1, 'server "a"'])
    const key = server!.props[0]!
    assert.deepStrictEqual(
      [key.key, key.value.value, key.at.column, key.value.at.column],
      ["key", 'raw "quoted" value', 25, 29]
    )
    const [tags, zone, description, plan] = server!.children
    assert.deepStrictEqual([tags!.name, tags!.args[1]!.at.line, tags!.args[1]!.at.column], ["tags", 7, 8])
    assert.deepStrictEqual([zone!.name, zone!.at.line, zone!.at.column, zone!.args[0]!.at.column], ["zone", 7, 13, 21])
    assert.deepStrictEqual([description!.at.line, description!.args[0]!.value], [9, "two\nlines"])
    assert.deepStrictEqual([plan!.at.line, plan!.props[1]!.at.column, plan!.props[1]!.value.at.column], [13, 17, 24])
    assert.deepStrictEqual([stage!.children[0]!.at.line, stage!.children[0]!.at.column], [15, 15])
    assert.strictEqual(stage!.children[0]!.at.path, 'stage "dev" > server "a"')
  })

  it("finds every node of the sample files where it is written", () => {
    const files = [
      NodePath.join(upstreamSamples, "cp.kdl"),
      NodePath.join(upstreamSamples, "fleet.kdl"),
      NodePath.join(__dirname, "../fixtures/config/complete.kdl")
    ]
    for (const file of files) {
      const text = NodeFs.readFileSync(file, "utf8")
      const lines = text.split("\n")
      const visit = (nodes: ReadonlyArray<KdlNode>) => {
        for (const node of nodes) {
          const line = lines[node.at.line - 1] ?? ""
          assert.isTrue(
            line.slice(node.at.column - 1).startsWith(node.name),
            `${file}: ${node.at.path} at ${node.at.line}`
          )
          for (const arg of node.args) {
            const written = (lines[arg.at.line - 1] ?? "").slice(arg.at.column - 1)
            assert.isTrue(
              written.startsWith(typeof arg.value === "string" ? `"${arg.value.slice(0, 5)}` : String(arg.value))
            )
          }
          visit(node.children)
        }
      }
      visit(parsed(text).nodes)
    }
  })

  it("reads KDL v1 with raw strings and bare booleans", () => {
    const document = parsed(`node r#"a "b" c"# flag=true\n  other r"x" ; last null\n`)
    assert.strictEqual(document.version, 1)
    const [node, other, last] = document.nodes
    assert.deepStrictEqual(
      [node!.args[0]!.value, node!.props[0]!.value.value, node!.props[0]!.at.column],
      ['a "b" c', true, 19]
    )
    assert.deepStrictEqual([other!.at.line, other!.at.column, last!.at.column], [2, 3, 16])
  })

  it("suggests by edit distance, a swap counting as one edit", () => {
    assert.strictEqual(distance("plna", "plan"), 1)
    assert.strictEqual(distance("pln", "plan"), 1)
    assert.strictEqual(didYouMean("memroy", ["memory", "core"]), "did you mean `memory`?")
    assert.isUndefined(didYouMean("zzz", ["memory", "core"]))
  })
})

layer(NodeFileSystem.layer)("resource details", (it) => {
  const load = (text: string, files: Readonly<Record<string, string>> = {}) =>
    Config.load(NodePath.join(folder({ "fleet.kdl": text, ...files }), "fleet.kdl"))

  it.effect("r2 options, custom domains, worker routes and an entry file, pages branch", () =>
    Effect.gen(function* () {
      const config = yield* load(
        [
          `providers { cloudflare zone="example.com" }`,
          `r2-bucket "logs" {`,
          `  jurisdiction "EU"`,
          `  storage-class "infrequent-access"`,
          `  custom-domain "logs.example.com" min-tls=1.2`,
          `  custom-domain "files.other.org"`,
          `  custom-domain "a.b.example.net" zone="b.example.net" min-tls="1.3"`,
          `}`,
          `worker "edge" {`,
          `  source "src/edge.ts"`,
          `  route "example.com/*" zone="example.com"`,
          `  routes { route "www.example.com/*"; }`,
          `  compatibility-flags "nodejs_compat"`,
          `  bindings { r2 "LOGS" bucket="other-bucket"; var "LEVEL" value="info"; }`,
          `}`,
          `pages "site" { directory "public"; production-branch "release"; branch "preview" }`
        ].join("\n"),
        { "src/edge.ts": "export default {}\n", "public/index.html": "hi\n" }
      )
      const desired = yield* Config.desiredResources(config, "default")
      const get = (key: string) => desired.find((resource) => resource.key === key)!
      assert.deepStrictEqual(get("cloudflare:r2:logs").inputs, {
        name: "logs",
        jurisdiction: "eu",
        storageClass: "InfrequentAccess"
      })
      assert.deepStrictEqual(get("cloudflare:r2-domain:logs.example.com").inputs, {
        bucket: "logs",
        domain: "logs.example.com",
        zone: "example.com",
        minTls: "1.2",
        jurisdiction: "eu"
      })
      assert.strictEqual(get("cloudflare:r2-domain:files.other.org").inputs.zone, "other.org")
      assert.strictEqual(get("cloudflare:r2-domain:a.b.example.net").inputs.zone, "b.example.net")
      const worker = get("cloudflare:worker:edge")
      assert.deepStrictEqual(worker.inputs.routes, [
        { pattern: "example.com/*", zone: "example.com" },
        { pattern: "www.example.com/*" }
      ])
      assert.deepStrictEqual(worker.inputs.compatibilityFlags, ["nodejs_compat"])
      assert.deepStrictEqual(worker.dependsOn, [])
      assert.isUndefined(worker.inputs.compatibilityDate)
      assert.deepStrictEqual(get("cloudflare:pages:site").inputs.branch, "preview")
      assert.deepStrictEqual(get("cloudflare:pages:site").inputs.productionBranch, "release")
    }).pipe(withEnv({}))
  )

  it.effect(
    "disk forms: hdd plan, an archive, server-level os overriding the disk node, dns aliases at server level",
    () =>
      Effect.gen(function* () {
        const config = yield* load(
          [
            `providers { sakura zone="is1b"; cloudflare { zone "example.com" } }`,
            `server "a" { core 1; memory 2; disk size=20 plan="HDD" archive="my-archive" }`,
            `server "b" {`,
            `  plan core=1 memory=1`,
            `  disk { size 30; os "almalinux-9" }`,
            `  os "rockylinux-9"`,
            `  dns { hostname "b.example.com"; zone "example.com" }`,
            `  dns_aliases "c"`,
            `}`
          ].join("\n")
        )
        const desired = yield* Config.desiredResources(config, "default")
        const get = (key: string) => desired.find((resource) => resource.key === key)!
        assert.deepStrictEqual(get("sakura-cloud:disk:a").inputs, {
          zone: "is1b",
          size: 20,
          plan: "hdd",
          connection: "virtio",
          archive: "my-archive"
        })
        assert.strictEqual(get("sakura-cloud:disk:b").inputs.os, "rockylinux9")
        assert.strictEqual(get("sakura-cloud:server:b").inputs.hostname, "b.example.com")
        assert.strictEqual(get("cloudflare:dns:b.example.com/A").inputs.name, "b.example.com")
        assert.strictEqual(get("cloudflare:dns:c.example.com/CNAME").inputs.content, "b.example.com")
      }).pipe(withEnv({}))
  )

  it.effect("a host name that merely starts with `server.` is not a reference", () =>
    Effect.gen(function* () {
      const config = yield* load(`dns "example.com" { record "mail" type="CNAME" value="server.example.com"; }\n`)
      const [record] = yield* Config.desiredResources(config, "default")
      assert.strictEqual(record!.inputs.content, "server.example.com")
      assert.deepStrictEqual(record!.dependsOn, [])
    }).pipe(withEnv({}))
  )
})
