/**
 * What `validate` refuses before a cloud would: files that are not regular or too large, text that is not UTF-8,
 * values outside the clouds' ranges, malformed DNS names, a route taken twice, and what interpolation expands.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as NodeChild from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import * as Config from "../../src/Config.js"
import { parseWith } from "../../src/Config/KdlDocument.js"
import { runParser } from "../../src/Config/KdlGrammar.js"
import { limits } from "../../src/Declaration.js"
import { devKey, failureOf, folder, withEnv } from "../fixtures/config/support.js"

const sakura = `providers { sakura-cloud { zone "tk1a"; }; }\n`
const server = (body: string) =>
  `${sakura}server "web" {\n  plan core=1 memory=1\n  disk size=20 os="ubuntu-24.04"\n${body}\n}\n`

const expandIn = (root: string, env: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const config = yield* Config.load(NodePath.join(root, "fleet.kdl"))
    const stage = yield* Config.selectStage(config, undefined)
    return yield* Config.desiredResources(config, stage)
  }).pipe(withEnv(env))

const errorIn = (root: string, env: Record<string, string> = {}) => failureOf(expandIn(root, env))

const errorOf = (text: string, files: Record<string, string> = {}, env: Record<string, string> = {}) =>
  errorIn(folder({ "fleet.kdl": text, ...files }), env)

layer(NodeFileSystem.layer)("Config limits", (it) => {
  describe("files", () => {
    it.effect("a config file over the limit is refused before it is read", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(`project "x"\n// ${"x".repeat(limits.configBytes)}\n`)
        assert.match(error.message, /larger than the limit of 2 MiB/)
        assert.deepStrictEqual([error.line, error.column], [1, 1])
      })
    )

    it.effect("a device or a folder given with -f is named for what it is, not read", () =>
      Effect.gen(function* () {
        const device = yield* failureOf(
          Effect.flatMap(Config.findConfigFile("/", "/dev/zero"), (file) => Config.load(file))
        )
        assert.match(device.message, /config file \/dev\/zero is not a regular file \(it is a device\)/)
        const root = folder({})
        const directory = yield* failureOf(
          Effect.flatMap(Config.findConfigFile(root, "."), (file) => Config.load(file))
        )
        assert.match(directory.message, /is not a regular file \(it is a folder\)/)
      })
    )

    it.effect("invalid UTF-8 in the config file is refused at its line and column", () =>
      Effect.gen(function* () {
        const root = folder({})
        NodeFs.writeFileSync(
          NodePath.join(root, "fleet.kdl"),
          Buffer.concat([Buffer.from('project "x"\ndescription "caf'), Buffer.from([0xe9]), Buffer.from('"\n')])
        )
        const error = yield* errorIn(root)
        assert.match(error.message, /not valid UTF-8/)
        assert.deepStrictEqual([error.line, error.column], [2, 17])
      })
    )

    it.effect("1,000 levels of nesting is nested too deeply, not a syntax error", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(`a ${"{ b ".repeat(1000)}${"}".repeat(1000)}\n`)
        assert.match(error.message, /nested too deeply \(limit 64\)/)
      })
    )

    it.effect("a parser that runs out of stack is not reported as a syntax error", () =>
      Effect.gen(function* () {
        const overflowing = Effect.succeed(
          runParser(
            {
              config: { recoveryEnabled: true },
              tokenize: () => {
                throw new RangeError("Maximum call stack size exceeded")
              }
            },
            { input: [], errors: [], document: () => undefined }
          )
        )
        const error = yield* Effect.flip(parseWith("fleet.kdl", 'project "x"\n', { v2: overflowing, v1: overflowing }))
        assert.match(error.message, /too complex for the KDL parser \(its stack ran out\)/)
        assert.notMatch(error.message, /syntax error/)
      })
    )

    it.effect("braces inside strings and comments do not count as nesting", () =>
      Effect.gen(function* () {
        const text = `${sakura}project "${"{".repeat(100)}"\n// ${"{".repeat(100)}\n/* ${"{".repeat(100)} */\n`
        const config = yield* Config.load(NodePath.join(folder({ "fleet.kdl": text }), "fleet.kdl"))
        assert.strictEqual(config.project, "{".repeat(100))
      })
    )

    it.effect("a key file that is not a key is named, its content never shown", () =>
      Effect.gen(function* () {
        const secret = "root:*:20228:0:99999:7:::"
        const error = yield* errorOf(server(`  ssh-key "./k.pub"`), { "k.pub": `${secret}\n` })
        assert.match(error.message, /\.\/k\.pub is not an SSH public key \(it does not start with ssh-ed25519/)
        assert.notInclude(error.message, "root")
        assert.notInclude(error.suggestion ?? "", "root")
      })
    )

    it.effect("a device, a folder or a FIFO as a key or a script is refused without reading it", () =>
      Effect.gen(function* () {
        const zero = yield* errorOf(server(`  ssh-key "/dev/zero"`))
        assert.match(zero.message, /SSH public key \/dev\/zero is not a regular file \(it is a device\)/)
        const script = yield* errorOf(server(`  startup-script "/dev/urandom"`))
        assert.match(script.message, /startup script \/dev\/urandom is not a regular file/)
        const root = folder({ "fleet.kdl": server(`  ssh-key "./key.pub"`), "keys/a": "" })
        NodeChild.execFileSync("mkfifo", [NodePath.join(root, "key.pub")])
        const fifo = yield* errorIn(root)
        assert.match(fifo.message, /is not a regular file \(it is a named pipe \(FIFO\)\)/)
        NodeFs.mkdirSync(NodePath.join(root, "dir.pub"))
        NodeFs.writeFileSync(NodePath.join(root, "fleet.kdl"), server(`  ssh-key "./dir.pub"`))
        assert.match((yield* errorIn(root)).message, /is not a regular file \(it is a folder\)/)
      })
    )

    it.effect("a key file over the limit is refused", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(server(`  ssh-key "./big.pub"`), {
          "big.pub": `${devKey}\n${"#".repeat(limits.publicKeyBytes)}\n`
        })
        assert.match(error.message, /larger than the limit of 16 KiB/)
      })
    )

    it.effect("a worker source with a link to a folder above is refused, not followed without end", () =>
      Effect.gen(function* () {
        const root = folder({
          "fleet.kdl": `worker "a" {\n  source "./w"\n}\n`,
          "w/index.js": "export default {}\n"
        })
        NodeFs.symlinkSync("..", NodePath.join(root, "w/loop"))
        const error = yield* errorIn(root)
        assert.match(error.message, /cannot hash worker source .*: its folders go more than 64 deep/)
      })
    )
  })

  describe("values", () => {
    it.effect("numbers past what is safe or what Sakura Cloud's plans allow are refused", () =>
      Effect.gen(function* () {
        const big = yield* errorOf(server("").replace("memory=1", "memory=1e308"))
        assert.match(big.message, /`memory` is too large/)
        const huge = yield* errorOf(server("").replace("core=1", "core=99999999999999999999999"))
        assert.match(huge.message, /`core` is too large/)
        const cores = yield* errorOf(server("").replace("core=1 memory=1", '"99999core-1gb"'))
        assert.match(cores.message, /`core` \(CPU cores\) must be from 1 to 192, got 99999/)
        const disk = yield* errorOf(server("").replace("size=20", "size=10"))
        assert.match(disk.message, /the disk size must be from 20 to 4096 GB, got 10/)
      })
    )

    it.effect("DNS names with a label over 63, an empty label or over 253 characters are refused", () =>
      Effect.gen(function* () {
        const record = (name: string) => `dns "example.com" {\n  record "${name}" type="TXT" value="x"\n}\n`
        const long = yield* errorOf(record("a".repeat(100)))
        assert.match(long.message, /is 100 characters, over 63/)
        const longer = yield* errorOf(record("a".repeat(300)))
        assert.match(longer.message, /is 312 characters long, over 253/)
        const empty = yield* errorOf(record("a..b"))
        assert.match(empty.message, /empty label/)
        const total = yield* errorOf(record(Array.from({ length: 5 }, () => "a".repeat(60)).join(".")))
        assert.match(total.message, /over 253/)
        const mx = yield* errorOf(record("@").replace('type="TXT"', 'type="MX" priority=70000'))
        assert.match(mx.message, /`priority` must be from 0 to 65535, got 70000/)
        const fine = yield* expandIn(folder({ "fleet.kdl": record("_dmarc") }))
        assert.strictEqual(fine.length, 1)
      })
    )

    it.effect("two workers with the same route are refused at the second", () =>
      Effect.gen(function* () {
        const worker = (name: string) => `worker "${name}" {\n  source "./w/index.js"\n  route "API.example.com/*"\n}\n`
        const error = yield* errorOf(
          `${worker("a")}${worker("b").replace("API", "api")}`,
          { "w/index.js": "export default {}\n" },
          { CF_ACCOUNT_ID: "x" }
        )
        assert.match(error.message, /route `api.example.com\/\*` is also a route of worker `a` \(line 3\)/)
        assert.strictEqual(error.line, 7)
      })
    )

    it.effect("a CNAME that shares its name with an A or AAAA record is refused, wherever each is declared", () =>
      Effect.gen(function* () {
        const zone = (records: string) => `dns "example.com" {\n${records}}\n`
        const serverDns = (dns: string) =>
          `providers { cloudflare { zone "example.com"; }; }\n${server(`  dns { ${dns} }`)}`
        // A server's hostname, and the same name as a CNAME in the zone's own records.
        const across = yield* errorOf(
          `${serverDns('hostname "www"')}${zone('  record "WWW" type="CNAME" value="example.net"\n')}`,
          {},
          { CF_ACCOUNT_ID: "x" }
        )
        assert.match(
          across.message,
          /`www.example.com` is declared as a CNAME and as an A record: Cloudflare refuses a CNAME beside an A or AAAA record/
        )
        assert.strictEqual(across.line, 9)
        assert.match(across.suggestion ?? "", /the A record is declared at line 6, server "web" > dns/)
        // A hostname that is also one of its own aliases.
        const alone = yield* errorOf(serverDns('hostname "app"; aliases "api" "app"'), {}, { CF_ACCOUNT_ID: "x" })
        assert.match(alone.message, /`app.example.com` is declared as a CNAME and as an A record/)
        assert.match(alone.suggestion ?? "", /the A record comes from the same block/)
        // Both clashes of one stage are reported, an AAAA too.
        const both = yield* errorOf(
          zone(
            '  record "a" type="A" value="192.0.2.1"\n  record "a" type="CNAME" value="x.example.net"\n' +
              '  record "b" type="AAAA" value="2001:db8::1"\n  record "b" type="CNAME" value="x.example.net"\n'
          ),
          {},
          { CF_ACCOUNT_ID: "x" }
        )
        assert.match(both.message, /`a.example.com` is declared as a CNAME and as an A record/)
        assert.strictEqual(both.others?.length, 1)
        assert.match(both.others?.[0]?.message ?? "", /`b.example.com` is declared as a CNAME and as an AAAA record/)
        // Other types share a CNAME's name, as in Cloudflare; the same name in another zone is another name.
        const fine = yield* expandIn(
          folder({
            "fleet.kdl":
              zone('  record "c" type="CNAME" value="x.example.net"\n  record "c" type="TXT" value="v=1"\n') +
              'dns "example.org" {\n  record "c.example.com" type="A" value="192.0.2.1"\n}\n'
          }),
          { CF_ACCOUNT_ID: "x" }
        )
        assert.strictEqual(fine.length, 3)
      })
    )

    it.effect("a reference in a startup script variable is refused, not passed on as text", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(server(`  init-script-vars { X "server.b.ip" }`))
        assert.match(error.message, /`X`: a startup script variable cannot take a reference \(`server.b.ip`\)/)
      })
    )

    it.effect("a default may itself be a variable, with its own default", () =>
      Effect.gen(function* () {
        const text = `project "\${A:-\${B:-\${C:-none}}}-\${D:-x}"\n`
        const load = (env: Record<string, string>) =>
          Config.load(NodePath.join(folder({ "fleet.kdl": text }), "fleet.kdl")).pipe(withEnv(env))
        assert.strictEqual((yield* load({ B: "bee" })).project, "bee-x")
        assert.strictEqual((yield* load({})).project, "none-x")
        assert.strictEqual((yield* load({ A: "a", D: "d" })).project, "a-d")
        const missing = yield* failureOf(
          Config.load(NodePath.join(folder({ "fleet.kdl": `project "\${A:-\${B}}"\n` }), "fleet.kdl")).pipe(withEnv({}))
        )
        assert.match(missing.message, /environment variable B is not set/)
      })
    )
  })
})
