import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import * as Config from "../src/Config.js"
import { type DesiredResource, type Json, makeKey, reference } from "../src/Resource.js"
import { defaultPolicy } from "../src/Retry.js"
import { fleetflowDockerSetup } from "../src/Sakura/BuiltinScripts.js"
import {
  completeAsWritten,
  completeExample,
  devKey,
  devKeyFingerprint,
  failureOf,
  folder,
  upstreamKeyFingerprint,
  upstreamSamples,
  withEnv
} from "./fixtures/config/support.js"

const completeFolder = (text = completeExample) =>
  folder({
    "fleet.kdl": text,
    "workers/api-gateway/index.js": 'export default { fetch: () => new Response("ok") }\n',
    "workers/api-gateway/wrangler.toml": 'name = "api-gateway"\nmain = "index.js"\n',
    "workers/api-gateway/node_modules/dep/index.js": "ignored\n",
    "site/dist/index.html": "<h1>creo</h1>\n",
    "home/.ssh/id_ed25519.pub": devKey + "\n"
  })

const loadText = (text: string, files: Readonly<Record<string, string>> = {}) =>
  Config.load(NodePath.join(folder({ "fleet.kdl": text, ...files }), "fleet.kdl"))

const desiredOf = (text: string, stage: string, files: Readonly<Record<string, string>> = {}) =>
  Effect.flatMap(loadText(text, files), (config) => Config.desiredResources(config, stage))

const byKey = (resources: ReadonlyArray<DesiredResource>) => new Map(resources.map((r) => [r.key, r]))

/** `reference` typed as a JSON input value, to compare with inputs. */
const ref = (key: string, attribute: string): Json => ({ ...reference(key, attribute) })

const keysOf = (resources: ReadonlyArray<{ readonly key: string }>) => resources.map((resource) => resource.key).sort()

layer(NodeFileSystem.layer)("Config", (it) => {
  describe("the complete example of KDL.md", () => {
    it.effect("loads settings, stages and retry", () =>
      Effect.gen(function* () {
        const root = completeFolder()
        const config = yield* Config.load(NodePath.join(root, "fleet.kdl")).pipe(withEnv({ CF_ACCOUNT_ID: "acc-123" }))
        assert.strictEqual(config.project, "creo")
        assert.strictEqual(config.kdlVersion, 2)
        assert.strictEqual(config.directory, root)
        assert.deepStrictEqual(config.stages, ["dev", "live"])
        assert.deepStrictEqual(config.providers, {
          sakura: { zone: "tk1a" },
          cloudflare: { accountId: "acc-123", zone: "creo-memories.com" }
        })
        assert.strictEqual(config.retry.maxAttempts, 3)
        assert.isTrue(Duration.equals(config.retry.initialDelay, Duration.seconds(1)))
        assert.isTrue(Duration.equals(config.retry.maxDelay, Duration.seconds(30)))
        assert.strictEqual(config.retry.multiplier, 2)
      })
    )

    it.effect("as KDL.md writes it, is refused for the name `api`, a CNAME and an A record", () =>
      Effect.gen(function* () {
        assert.notStrictEqual(completeExample, completeAsWritten)
        const root = completeFolder(completeAsWritten)
        const error = yield* failureOf(
          Effect.flatMap(Config.load(NodePath.join(root, "fleet.kdl")), (config) =>
            Config.desiredResources(config, "dev")
          ).pipe(withEnv({ CF_ACCOUNT_ID: "acc-123", HOME: NodePath.join(root, "home") }))
        )
        assert.match(error.message, /^`api.creo-memories.com` is declared as a CNAME and as an A record/)
        // At the server's `dns` block, which declares the alias.
        assert.strictEqual(error.path, 'server "creo-vps" > dns')
        assert.strictEqual(completeAsWritten.split("\n")[error.line - 1]?.trim(), "dns {")
      })
    )

    it.effect("expands stage dev into exactly these resources", () =>
      Effect.gen(function* () {
        const root = completeFolder()
        const desired = yield* Effect.flatMap(Config.load(NodePath.join(root, "fleet.kdl")), (config) =>
          Config.desiredResources(config, "dev")
        ).pipe(withEnv({ CF_ACCOUNT_ID: "acc-123", HOME: NodePath.join(root, "home") }))
        assert.deepStrictEqual(keysOf(desired), [
          "cloudflare:dns:api-internal.creo-memories.com/CNAME",
          "cloudflare:dns:api.creo-memories.com/A",
          "cloudflare:dns:app.creo-memories.com/A",
          "cloudflare:dns:cdn.creo-memories.com/CNAME",
          "cloudflare:dns:creo-memories.com/TXT",
          "cloudflare:dns:www.creo-memories.com/CNAME",
          "cloudflare:pages:creo-site",
          "cloudflare:r2-domain:cdn.creo-memories.com",
          "cloudflare:r2:creo-attachments",
          "cloudflare:worker:api-gateway",
          "sakura-cloud:disk:creo-dev-01",
          "sakura-cloud:disk:creo-vps",
          "sakura-cloud:server:creo-dev-01",
          "sakura-cloud:server:creo-vps",
          "sakura-cloud:ssh-key:id_ed25519",
          "sakura-cloud:startup-script:fleetflow-docker-setup"
        ])
        for (const resource of desired) {
          assert.isDefined(resource.source)
          assert.strictEqual(resource.source?.file, NodePath.join(root, "fleet.kdl"))
        }
        const get = (key: string) => byKey(desired).get(key)!
        const sshKey = makeKey("ssh-key", "id_ed25519")
        const script = makeKey("startup-script", "fleetflow-docker-setup")
        const vps = get("sakura-cloud:server:creo-vps")
        assert.deepStrictEqual(vps.inputs, {
          zone: "tk1a",
          core: 2,
          memory: 4,
          commitment: "standard",
          status: "up",
          disk: ref(makeKey("disk", "creo-vps"), "id"),
          sshKeys: [ref(sshKey, "id")],
          startupScripts: [ref(script, "id")],
          tags: ["web"],
          hostname: "app"
        })
        assert.deepStrictEqual([...vps.dependsOn].sort(), [makeKey("disk", "creo-vps"), script, sshKey].sort())
        assert.strictEqual(vps.source?.path, 'stage "dev" > server "creo-vps"')
        assert.deepStrictEqual(get("sakura-cloud:disk:creo-vps").inputs, {
          zone: "tk1a",
          size: 40,
          plan: "ssd",
          connection: "virtio",
          os: "ubuntu2404"
        })
        assert.deepStrictEqual(get(sshKey).inputs, { publicKey: devKey, fingerprint: devKeyFingerprint })
        assert.deepStrictEqual(get(script).inputs.builtin, "fleetflow-docker-setup")
        assert.strictEqual(get(script).inputs.content, fleetflowDockerSetup)
        assert.match(String(get(script).inputs.contentHash), /^[0-9a-f]{64}$/)
        assert.deepStrictEqual(get("cloudflare:dns:app.creo-memories.com/A").inputs, {
          zone: "creo-memories.com",
          name: "app.creo-memories.com",
          type: "A",
          content: ref(makeKey("server", "creo-vps"), "ip"),
          proxied: false,
          ttl: 1
        })
        assert.deepStrictEqual(get("cloudflare:dns:www.creo-memories.com/CNAME").inputs, {
          zone: "creo-memories.com",
          name: "www.creo-memories.com",
          type: "CNAME",
          content: "app.creo-memories.com",
          proxied: false,
          ttl: 1
        })
        const dev01 = get("sakura-cloud:server:creo-dev-01")
        assert.strictEqual(dev01.inputs.core, 4)
        assert.strictEqual(dev01.inputs.memory, 8)
        assert.deepStrictEqual(dev01.inputs.sshKeys, [])
        assert.deepStrictEqual(get("cloudflare:r2:creo-attachments").inputs, {
          name: "creo-attachments",
          location: "APAC",
          cors: {
            allowedOrigins: ["https://api.creo-memories.com"],
            allowedMethods: ["GET", "PUT", "POST", "DELETE"],
            allowedHeaders: [],
            exposeHeaders: [],
            maxAge: 3600
          }
        })
        const domain = get("cloudflare:r2-domain:cdn.creo-memories.com")
        assert.deepStrictEqual(domain.inputs, {
          bucket: "creo-attachments",
          domain: "cdn.creo-memories.com",
          zone: "creo-memories.com",
          minTls: "1.0"
        })
        assert.deepStrictEqual(domain.dependsOn, ["cloudflare:r2:creo-attachments"])
        const worker = get("cloudflare:worker:api-gateway")
        assert.strictEqual(
          worker.inputs.source,
          "./workers/api-gateway",
          "kept relative to the config folder, so moving the checkout changes nothing"
        )
        assert.match(String(worker.inputs.sourceHash), /^[0-9a-f]{64}$/)
        assert.deepStrictEqual(worker.inputs.routes, [{ pattern: "api.creo-memories.com/*" }])
        assert.strictEqual(worker.inputs.compatibilityDate, "2026-11-01")
        assert.deepStrictEqual(worker.inputs.compatibilityFlags, [])
        assert.deepStrictEqual(worker.inputs.bindings, [
          { type: "r2", name: "ATTACHMENTS", bucket: "creo-attachments" },
          { type: "kv", name: "CACHE", namespace: "creo-cache" },
          { type: "var", name: "MODE", value: "dev" }
        ])
        assert.deepStrictEqual(worker.dependsOn, ["cloudflare:r2:creo-attachments"])
        const pages = get("cloudflare:pages:creo-site")
        assert.strictEqual(pages.inputs.directory, "./site/dist")
        assert.strictEqual(pages.inputs.productionBranch, "main")
        assert.match(String(pages.inputs.directoryHash), /^[0-9a-f]{64}$/)
        const api = get("cloudflare:dns:api.creo-memories.com/A")
        assert.deepStrictEqual(api.inputs, {
          zone: "creo-memories.com",
          name: "api.creo-memories.com",
          type: "A",
          content: ref(makeKey("server", "creo-dev-01"), "ip"),
          proxied: true,
          ttl: 1
        })
        assert.deepStrictEqual(api.dependsOn, [makeKey("server", "creo-dev-01")])
        assert.deepStrictEqual(get("cloudflare:dns:creo-memories.com/TXT").inputs, {
          zone: "creo-memories.com",
          name: "creo-memories.com",
          type: "TXT",
          content: "v=spf1 -all",
          proxied: false,
          ttl: 300
        })
      })
    )

    it.effect("expands stage live into two replicas with their own disks", () =>
      Effect.gen(function* () {
        const root = completeFolder()
        const config = yield* Config.load(NodePath.join(root, "fleet.kdl")).pipe(withEnv({ CF_ACCOUNT_ID: "a" }))
        const desired = yield* Config.desiredResources(config, "live").pipe(withEnv({}))
        assert.deepStrictEqual(keysOf(desired), [
          "sakura-cloud:disk:creo-live-01",
          "sakura-cloud:disk:creo-live-02",
          "sakura-cloud:server:creo-live-01",
          "sakura-cloud:server:creo-live-02"
        ])
        const scaled = yield* Config.desiredResources(config, "live", { scale: { "creo-live": 4 } })
        assert.strictEqual(scaled.filter((resource) => resource.type === "server").length, 4)
      })
    )

    it.effect("the worker's source hash ignores node_modules and follows the sources", () =>
      Effect.gen(function* () {
        const root = completeFolder()
        const run = Effect.flatMap(Config.load(NodePath.join(root, "fleet.kdl")), (config) =>
          Config.desiredResources(config, "dev")
        ).pipe(withEnv({ CF_ACCOUNT_ID: "a", HOME: NodePath.join(root, "home") }))
        const hashOf = (desired: ReadonlyArray<DesiredResource>) =>
          desired.find((resource) => resource.key === "cloudflare:worker:api-gateway")?.inputs.sourceHash
        const first = hashOf(yield* run)
        NodeFs.writeFileSync(NodePath.join(root, "workers/api-gateway/node_modules/dep/index.js"), "changed\n")
        assert.strictEqual(hashOf(yield* run), first)
        NodeFs.writeFileSync(NodePath.join(root, "workers/api-gateway/index.js"), "changed\n")
        assert.notStrictEqual(hashOf(yield* run), first)
      })
    )
  })

  describe("upstream FleetFlow files", () => {
    it.effect("cp.kdl: KDL v1, plan 2core-4gb, ubuntu, a key literal, the built-in script, dns", () =>
      Effect.gen(function* () {
        const config = yield* Config.load(NodePath.join(upstreamSamples, "cp.kdl"))
        assert.strictEqual(config.project, "fleetflow-cp")
        assert.deepStrictEqual(config.stages, ["live"])
        assert.strictEqual(yield* Config.selectStage(config, undefined), "live")
        assert.deepStrictEqual(config.retry, defaultPolicy)
        const desired = yield* Config.desiredResources(config, "live")
        const get = (key: string) => byKey(desired).get(key)!
        assert.deepStrictEqual(keysOf(desired), [
          "cloudflare:dns:cp.example.net/A",
          "cloudflare:dns:dashboard.example.net/CNAME",
          "sakura-cloud:disk:fleetflow-cp",
          "sakura-cloud:server:fleetflow-cp",
          "sakura-cloud:ssh-key:makoto-mito-mac-local",
          "sakura-cloud:startup-script:fleetflow-docker-setup"
        ])
        const server = get("sakura-cloud:server:fleetflow-cp")
        assert.strictEqual(server.inputs.core, 2)
        assert.strictEqual(server.inputs.memory, 4)
        assert.deepStrictEqual(server.inputs.tags, ["fleetflow:cp"])
        assert.strictEqual(server.inputs.hostname, "cp")
        assert.deepStrictEqual(get("sakura-cloud:disk:fleetflow-cp").inputs, {
          zone: "tk1a",
          size: 40,
          plan: "ssd",
          connection: "virtio",
          os: "ubuntu"
        })
        assert.strictEqual(get("sakura-cloud:ssh-key:makoto-mito-mac-local").inputs.fingerprint, upstreamKeyFingerprint)
      }).pipe(withEnv({ CLOUDFLARE_DOMAIN: "example.net" }))
    )

    it.effect("cp.kdl without a DNS zone anywhere says so", () =>
      Effect.gen(function* () {
        const config = yield* Config.load(NodePath.join(upstreamSamples, "cp.kdl"))
        const error = yield* failureOf(Config.desiredResources(config, "live"))
        assert.strictEqual(error.line, 27)
        assert.strictEqual(error.column, 5)
        assert.match(error.message, /no DNS zone/)
        assert.match(error.suggestion ?? "", /CLOUDFLARE_DOMAIN/)
      }).pipe(withEnv({}))
    )

    it.effect("fleet.kdl: container nodes ignored, a key name, debian, stages dev and live", () =>
      Effect.gen(function* () {
        const config = yield* Config.load(NodePath.join(upstreamSamples, "fleet.kdl"))
        assert.strictEqual(config.kdlVersion, 1)
        assert.strictEqual(config.project, "fleetflow-services")
        assert.deepStrictEqual(config.stages, ["dev", "live"])
        assert.deepStrictEqual(config.providers, { sakura: { zone: "tk1a" }, cloudflare: {} })
        assert.deepStrictEqual(yield* Config.desiredResources(config, "dev"), [])
        const live = yield* Config.desiredResources(config, "live")
        assert.deepStrictEqual(keysOf(live), [
          "sakura-cloud:disk:fleetflow-cp",
          "sakura-cloud:server:fleetflow-cp",
          "sakura-cloud:startup-script:fleetflow-docker-setup"
        ])
        const server = byKey(live).get("sakura-cloud:server:fleetflow-cp")!
        assert.deepStrictEqual(server.inputs.sshKeys, ["mito-mac.local"])
        assert.strictEqual(byKey(live).get("sakura-cloud:disk:fleetflow-cp")!.inputs.os, "debian")
        assert.isUndefined(server.inputs.hostname)
      }).pipe(withEnv({}))
    )
  })

  describe("values", () => {
    it.effect("KDL v1 booleans and properties", () =>
      Effect.gen(function* () {
        const config = yield* loadText(
          `dns "example.com" {\n  record "www" type="CNAME" value="example.com" proxied=true\n  record "@" type="MX" value="mx.example.com" priority=10\n}\n`
        )
        assert.strictEqual(config.kdlVersion, 1)
        const desired = yield* Config.desiredResources(config, "default")
        assert.strictEqual(byKey(desired).get("cloudflare:dns:www.example.com/CNAME")!.inputs.proxied, true)
        assert.strictEqual(byKey(desired).get("cloudflare:dns:example.com/MX")!.inputs.priority, 10)
      }).pipe(withEnv({}))
    )

    it.effect("references in KDL v1 strings and v2 identifiers make dependencies", () =>
      Effect.gen(function* () {
        const server = `server "web" { plan "1core-1gb"; disk-size 20; os "debian-12"; zone "is1b" }\n`
        const v1 = yield* desiredOf(
          server + `dns "example.com" { record "v1" type="AAAA" value="server.web.ipv6"; }\n`,
          "default"
        )
        const v2 = yield* desiredOf(
          server + `dns "example.com" { record "v2" type=A content=server.web.ip proxied=#false; }\n`,
          "default"
        )
        const one = byKey(v1).get("cloudflare:dns:v1.example.com/AAAA")!
        assert.deepStrictEqual(one.inputs.content, ref("sakura-cloud:server:web", "ipv6"))
        assert.deepStrictEqual(one.dependsOn, ["sakura-cloud:server:web"])
        const two = byKey(v2).get("cloudflare:dns:v2.example.com/A")!
        assert.deepStrictEqual(two.inputs.content, ref("sakura-cloud:server:web", "ip"))
        assert.deepStrictEqual(byKey(v2).get("sakura-cloud:disk:web")!.inputs.os, "debian12")
      }).pipe(withEnv({}))
    )

    it.effect("env= and default values in strings", () =>
      Effect.gen(function* () {
        const config = yield* loadText(
          [
            `project "\${PROJECT:-fallback}"`,
            `providers {`,
            `  sakura zone="\${ZONE}" profile="\${PROFILE:-default}"`,
            `  cloudflare account_id="\${ACCOUNT}" { zone env="DOMAIN" }`,
            `}`,
            `server "app" { plan core=1 memory=2; disk size=20 os="ubuntu"; tags "\${ROLE:-web}" "v\${VERSION}"; memory env="MEM" }`,
            `service "x" { image "ghcr.io/x:\${FLEETFLOW_VERSION:-latest}"; env { TOKEN "\${CLOUDFLARE_API_TOKEN}" } }`
          ].join("\n")
        ).pipe(withEnv({ ZONE: "is1a", ACCOUNT: "acc", DOMAIN: "Example.COM", VERSION: "2", MEM: "8" }))
        assert.strictEqual(config.project, "fallback")
        assert.deepStrictEqual(config.providers, {
          sakura: { zone: "is1a", profile: "default" },
          cloudflare: { accountId: "acc", zone: "example.com" }
        })
        const desired = yield* Config.desiredResources(config, "default")
        const server = byKey(desired).get("sakura-cloud:server:app")!
        assert.deepStrictEqual(server.inputs.tags, ["web", "v2"])
        assert.strictEqual(server.inputs.memory, 8)
        assert.strictEqual(server.inputs.zone, "is1a")
      }).pipe(withEnv({}))
    )

    it.effect("retry as properties or child nodes", () =>
      Effect.gen(function* () {
        const props = yield* loadText(`retry max-attempts=5 initial-delay="500ms" max-delay="2m" multiplier=1.5`)
        assert.strictEqual(props.retry.maxAttempts, 5)
        assert.strictEqual(Duration.toMillis(props.retry.initialDelay), 500)
        assert.strictEqual(Duration.toMillis(props.retry.maxDelay), 120_000)
        assert.strictEqual(props.retry.multiplier, 1.5)
        const children = yield* loadText(`retry {\n  max_attempts 2\n  backoff_multiplier 3\n}`)
        assert.strictEqual(children.retry.maxAttempts, 2)
        assert.strictEqual(children.retry.multiplier, 3)
        assert.isTrue(Duration.equals(children.retry.maxDelay, defaultPolicy.maxDelay))
        assert.deepStrictEqual(Config.parseDuration("2m").pipe(Option.map(Duration.toMillis)), Option.some(120_000))
        assert.isTrue(Option.isNone(Config.parseDuration("soon")))
      }).pipe(withEnv({}))
    )
  })

  describe("providers", () => {
    const server = `server "s" { plan "1core-1gb"; disk-size 20; os "ubuntu" }\n`
    const zoneOf = (text: string, vars: Record<string, string> = {}) =>
      Effect.map(loadText(text + server).pipe(withEnv(vars)), (config) => config.providers)

    it.effect("every spelling", () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(
          yield* zoneOf(
            `providers { sakura-cloud { zone "tk1b"; profile "p" }; cloudflare { account-id "a"; zone "x.com" } }\n`
          ),
          { sakura: { zone: "tk1b", profile: "p" }, cloudflare: { accountId: "a", zone: "x.com" } }
        )
        assert.deepStrictEqual(yield* zoneOf(`provider "sakura-cloud" { zone "is1c" }\n`), { sakura: { zone: "is1c" } })
        assert.deepStrictEqual(yield* zoneOf(`provider "sakura" zone="tk1v"\n`), { sakura: { zone: "tk1v" } })
        assert.deepStrictEqual(yield* zoneOf(`providers { sakura zone="is1a"; cloudflare account_id="b" }\n`), {
          sakura: { zone: "is1a" },
          cloudflare: { accountId: "b" }
        })
        assert.deepStrictEqual(
          yield* zoneOf(`providers { sakura zone="is1a" }\nprovider "cloudflare" {}\n`, {
            CLOUDFLARE_DOMAIN: "env.dev"
          }),
          {
            sakura: { zone: "is1a" },
            cloudflare: { zone: "env.dev" }
          }
        )
      })
    )

    it.effect("a server's zone overrides the provider's; no zone anywhere is an error", () =>
      Effect.gen(function* () {
        const desired = yield* desiredOf(
          `providers { sakura zone="is1a" }\nserver "s" { plan "1core-1gb"; disk-size 20; os "ubuntu"; zone "tk1b" }\n`,
          "default"
        )
        assert.strictEqual(byKey(desired).get("sakura-cloud:server:s")!.inputs.zone, "tk1b")
        const error = yield* failureOf(loadText(server))
        assert.strictEqual(error.message, "no zone: set providers { sakura-cloud { zone ... } } or zone on the server")
        assert.strictEqual(error.line, 1)
        assert.strictEqual(error.column, 1)
      }).pipe(withEnv({}))
    )
  })

  describe("templates and stages", () => {
    const base = [
      `providers { sakura zone="tk1a" }`,
      `server "web" {`,
      `  plan core=2 memory=4`,
      `  disk size=40 os="ubuntu"`,
      `  tags "a" "b"`,
      `}`
    ].join("\n")

    it.effect("include, inline and override", () =>
      Effect.gen(function* () {
        const config = yield* loadText(
          base +
            `\nstage "dev" { server "web" }\nstage "big" {\n  server "web" {\n    plan core=8 memory=32\n    tag "big"\n  }\n  server "extra" { plan "1core-1gb"; disk_size 20; os "debian" }\n}\n`
        )
        assert.deepStrictEqual(config.stages, ["dev", "big"])
        const dev = byKey(yield* Config.desiredResources(config, "dev")).get("sakura-cloud:server:web")!
        assert.strictEqual(dev.inputs.core, 2)
        assert.deepStrictEqual(dev.inputs.tags, ["a", "b"])
        const big = yield* Config.desiredResources(config, "big")
        const web = byKey(big).get("sakura-cloud:server:web")!
        assert.strictEqual(web.inputs.core, 8)
        assert.strictEqual(web.inputs.memory, 32)
        assert.deepStrictEqual(web.inputs.tags, ["big"])
        assert.strictEqual(byKey(big).get("sakura-cloud:disk:web")!.inputs.size, 40)
        assert.isTrue(byKey(big).has("sakura-cloud:server:extra"))
      }).pipe(withEnv({}))
    )

    it.effect("a file with no stage deploys its resources as `default`", () =>
      Effect.gen(function* () {
        const config = yield* loadText(base)
        assert.deepStrictEqual(config.stages, ["default"])
        assert.strictEqual(yield* Config.selectStage(config, undefined), "default")
      }).pipe(withEnv({}))
    )

    it.effect("stage selection: -s, FLEETFLOW_STAGE, FLEET_STAGE, and several stages with none chosen", () =>
      Effect.gen(function* () {
        const config = yield* loadText(base + `\nstage "dev" { server "web" }\nstage "live" { server "web" }\n`).pipe(
          withEnv({})
        )
        assert.strictEqual(yield* Config.selectStage(config, "live").pipe(withEnv({ FLEETFLOW_STAGE: "dev" })), "live")
        assert.strictEqual(
          yield* Config.selectStage(config, undefined).pipe(withEnv({ FLEETFLOW_STAGE: "dev" })),
          "dev"
        )
        assert.strictEqual(yield* Config.selectStage(config, undefined).pipe(withEnv({ FLEET_STAGE: "live" })), "live")
        const none = yield* Effect.flip(Config.selectStage(config, undefined).pipe(withEnv({})))
        assert.match(none.message, /`dev`, `live`/)
        assert.match(none.suggestion ?? "", /--stage/)
        // An unknown name says where it came from when the operator did not type it.
        const unknown = (requested: string | undefined, env: Record<string, string>) =>
          Effect.map(failureOf(Config.selectStage(config, requested).pipe(withEnv(env))), (error) => error.message)
        assert.strictEqual(yield* unknown("prod", { FLEETFLOW_STAGE: "dev" }), "unknown stage `prod`")
        assert.strictEqual(
          yield* unknown(undefined, { FLEETFLOW_STAGE: "prod" }),
          "unknown stage `prod` (from FLEETFLOW_STAGE)"
        )
        assert.strictEqual(
          yield* unknown(undefined, { FLEET_STAGE: "prod" }),
          "unknown stage `prod` (from FLEET_STAGE)"
        )
      })
    )

    it.effect("one SSH key and one script shared by several servers; different keys wanting one name", () =>
      Effect.gen(function* () {
        const other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIp3bRIORsFVVDDs0q34IDerUh6yOL40bHgrjAZPqFpy dev@example"
        const desired = yield* desiredOf(
          [
            `providers { sakura zone="tk1a" }`,
            `server "a" { plan "1core-1gb"; disk-size 20; os "ubuntu"; ssh-key "./keys/dev.pub"; startup-script "scripts/setup.sh" "my-note"; init-script-vars { DOMAIN "x.dev"; PORT 8080 } }`,
            `server "b" { plan "1core-1gb"; disk-size 20; os "ubuntu"; ssh-keys "${devKey}" "${other}"; startup-script "./scripts/setup.sh"; description "second"; deploy-path "/srv"; ssh-user "deploy"; deploy-services "api" "db" }`
          ].join("\n"),
          "default",
          { "keys/dev.pub": devKey + "\n", "scripts/setup.sh": "#!/bin/sh\necho hi\n" }
        )
        const keys = desired.filter((resource) => resource.type === "ssh-key").map((resource) => resource.name)
        assert.deepStrictEqual(keys, ["dev", "dev-example"])
        const scripts = desired.filter((resource) => resource.type === "startup-script")
        assert.deepStrictEqual(
          scripts.map((resource) => resource.name),
          ["setup"]
        )
        assert.strictEqual(scripts[0]!.inputs.content, "#!/bin/sh\necho hi\n")
        const a = byKey(desired).get("sakura-cloud:server:a")!
        assert.deepStrictEqual(a.inputs.startupScripts, [ref("sakura-cloud:startup-script:setup", "id"), "my-note"])
        assert.deepStrictEqual(a.inputs.startupScriptVars, { DOMAIN: "x.dev", PORT: "8080" })
        const b = byKey(desired).get("sakura-cloud:server:b")!
        assert.deepStrictEqual(b.inputs.sshKeys, [
          ref("sakura-cloud:ssh-key:dev", "id"),
          ref("sakura-cloud:ssh-key:dev-example", "id")
        ])
        assert.strictEqual(b.inputs.description, "second")
        assert.deepStrictEqual(b.inputs.metadata, {
          deployPath: "/srv",
          sshUser: "deploy",
          deployServices: ["api", "db"]
        })
      }).pipe(withEnv({}))
    )

    it.effect("scale: replicas, their records, the count from options and its range", () =>
      Effect.gen(function* () {
        const config = yield* loadText(
          [
            `providers { sakura zone="tk1a"; cloudflare zone="example.com" }`,
            `server "web" { plan "1core-1gb"; disk-size 20; os "ubuntu"; scale min=2 max=3; dns { hostname "web"; aliases "www" } }`,
            `dns "example.com" { record "second" type="A" value="server.web-02.ip"; record "first" type="A" value="server.web.ip" }`
          ].join("\n")
        )
        const desired = yield* Config.desiredResources(config, "default", { scale: { web: 3 } })
        assert.deepStrictEqual(
          desired.filter((resource) => resource.type === "server").map((resource) => resource.name),
          ["web-01", "web-02", "web-03"]
        )
        const get = (key: string) => byKey(desired).get(key)!
        assert.strictEqual(get("sakura-cloud:server:web-02").inputs.hostname, "web-02")
        assert.deepStrictEqual(
          get("cloudflare:dns:web.example.com/A").inputs.content,
          ref("sakura-cloud:server:web-01", "ip")
        )
        assert.deepStrictEqual(get("cloudflare:dns:second.example.com/A").dependsOn, ["sakura-cloud:server:web-02"])
        assert.deepStrictEqual(get("cloudflare:dns:first.example.com/A").dependsOn, ["sakura-cloud:server:web-01"])
        const tooMany = yield* failureOf(Config.desiredResources(config, "default", { scale: { web: 4 } }))
        assert.match(tooMany.message, /between 2 and 3, got 4/)
        assert.strictEqual(tooMany.line, 2)
        const unknown = yield* failureOf(Config.desiredResources(config, "default", { scale: { wbe: 2 } }))
        assert.match(unknown.suggestion ?? "", /did you mean `web`\?/)
      }).pipe(withEnv({}))
    )
  })

  describe("findConfigFile", () => {
    it.effect("searches upward, honours -f, and says what to do when there is none", () =>
      Effect.gen(function* () {
        const root = folder({ "fleet.kdl": "", "a/b/.keep": "", "other.kdl": "" })
        assert.strictEqual(yield* Config.findConfigFile(NodePath.join(root, "a/b")), NodePath.join(root, "fleet.kdl"))
        assert.strictEqual(yield* Config.findConfigFile(root, "other.kdl"), NodePath.join(root, "other.kdl"))
        const missing = yield* Effect.flip(Config.findConfigFile(root, "nope.kdl"))
        assert.strictEqual(missing.line, 0)
        const empty = folder({})
        const none = yield* Effect.flip(Config.findConfigFile(empty))
        assert.strictEqual(none.line, 0)
        assert.match(none.suggestion ?? "", /-f PATH/)
      })
    )
  })
})
