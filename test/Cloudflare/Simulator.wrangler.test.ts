/**
 * The real wrangler (the pinned devDependency) against the simulator served on 127.0.0.1:
 * what it needs for `whoami`, R2, `deploy`/`delete` and Pages must be there, with the codes
 * it reports. Assertions read the simulator's contents and wrangler's ND-JSON output file,
 * never its banner or tables.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ChildProcess from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as NodeUrl from "node:url"
import * as Simulator from "../../src/Cloudflare/Simulator.js"

const token = "canary-wrangler-9c2e51-do-not-print"
const account = Simulator.defaultAccountId
const wranglerBin = NodeUrl.fileURLToPath(new URL("../../node_modules/.bin/wrangler", import.meta.url))
const fixtures = NodeUrl.fileURLToPath(new URL("../fixtures/wrangler", import.meta.url))
const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g")

interface Run {
  readonly code: number
  readonly stdout: string
  /** Without colour codes. */
  readonly stderr: string
  /** The ND-JSON records of `WRANGLER_OUTPUT_FILE_PATH`. */
  // biome-ignore lint/suspicious/noExplicitAny: wrangler's output records have many shapes
  readonly records: ReadonlyArray<any>
}

/** A temporary folder for as long as the scope lasts. */
const tempDirectory = Effect.acquireRelease(
  Effect.sync(() => NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "ff-wrangler-"))),
  (directory) => Effect.sync(() => NodeFs.rmSync(directory, { recursive: true, force: true }))
)

/** Runs wrangler in `cwd` against the simulator at `baseUrl`, with a clean environment and a fresh home. */
const wrangler = (baseUrl: string, cwd: string, args: ReadonlyArray<string>) =>
  Effect.async<Run>((resume) => {
    const home = NodeFs.mkdtempSync(NodePath.join(cwd, ".home-"))
    const output = NodePath.join(home, "out.ndjson")
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: home,
      XDG_CONFIG_HOME: NodePath.join(home, "config"),
      WRANGLER_LOG_PATH: NodePath.join(home, "logs"),
      WRANGLER_OUTPUT_FILE_PATH: output,
      CLOUDFLARE_API_BASE_URL: baseUrl,
      CLOUDFLARE_API_TOKEN: token,
      CLOUDFLARE_ACCOUNT_ID: account,
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_SEND_ERROR_REPORTS: "false",
      WRANGLER_HIDE_BANNER: "true",
      CI: "true"
    }
    const child = ChildProcess.execFile(
      wranglerBin,
      [...args],
      { cwd, env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        const records = NodeFs.existsSync(output)
          ? NodeFs.readFileSync(output, "utf8")
              .split("\n")
              .filter((line) => line.trim() !== "")
              .map((line) => JSON.parse(line))
          : []
        resume(Effect.succeed({ code, stdout, stderr: stderr.replace(ansi, ""), records }))
      }
    )
    return Effect.sync(() => {
      child.kill()
    })
  })

/** The simulator served for this scope, a folder to run wrangler in, and a way to run it there. */
const world = (options: Partial<Simulator.SimulatorOptions> = {}) =>
  Effect.gen(function* () {
    const store = yield* Simulator.memoryStore()
    const baseUrl = yield* Simulator.serve(store, {
      token,
      zones: ["example.com"],
      kvNamespaces: ["cache"],
      ...options
    })
    const cwd = yield* tempDirectory
    const run = (...args: ReadonlyArray<string>) => wrangler(baseUrl, cwd, args)
    const expectSuccess = (...args: ReadonlyArray<string>) =>
      Effect.tap(run(...args), (result) =>
        assert.strictEqual(result.code, 0, `wrangler ${args.join(" ")}\n${result.stdout}\n${result.stderr}`)
      )
    const api = (method: string, path: string, body?: unknown) =>
      Effect.promise(() =>
        fetch(`${baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}` },
          ...(body === undefined ? {} : { body: JSON.stringify(body) })
        }).then((response) => response.json())
      )
    return { store, baseUrl, cwd, run, expectSuccess, api }
  })

const workerConfig = (fields: { readonly mode: string; readonly bucket: string; readonly name?: string }) => ({
  name: fields.name ?? "edge-api",
  main: "index.js",
  compatibility_date: "2025-01-01",
  compatibility_flags: ["global_fetch_strictly_public"],
  r2_buckets: [{ binding: "ASSETS", bucket_name: fields.bucket }],
  kv_namespaces: [{ binding: "CACHE", id: Simulator.kvNamespaceId(account, "cache") }],
  vars: { MODE: fields.mode },
  routes: [{ pattern: "api.example.com/*", zone_name: "example.com" }]
})

const paths = (log: ReadonlyArray<Simulator.RequestEntry>, from: number) =>
  log.slice(from).map((entry) => `${entry.method} ${entry.path.replace(`/accounts/${account}`, "")}`)

describe("Cloudflare simulator with the real wrangler", () => {
  it.scopedLive(
    "answers whoami and R2 bucket commands",
    () =>
      Effect.gen(function* () {
        const { store, cwd, run, expectSuccess } = yield* world({ accountName: "Edge Team" })
        const whoami = yield* expectSuccess("whoami", "--json")
        const identity = JSON.parse(whoami.stdout)
        assert.isTrue(identity.loggedIn)
        assert.deepStrictEqual(
          identity.accounts.map((item: { id: string; name: string }) => [item.id, item.name]),
          [[account, "Edge Team"]]
        )

        yield* expectSuccess("r2", "bucket", "create", "edge-assets", "--location", "apac")
        NodeFs.writeFileSync(
          NodePath.join(cwd, "cors.json"),
          JSON.stringify({
            rules: [{ allowed: { origins: ["https://example.com"], methods: ["GET"] }, maxAgeSeconds: 3600 }]
          })
        )
        yield* expectSuccess("r2", "bucket", "cors", "set", "edge-assets", "--file", "cors.json", "-y")
        const zone = Simulator.zoneId(account, "example.com")
        yield* expectSuccess(
          "r2",
          "bucket",
          "domain",
          "add",
          "edge-assets",
          "--domain",
          "cdn.example.com",
          "--zone-id",
          zone,
          "-y"
        )
        const info = yield* expectSuccess("r2", "bucket", "info", "edge-assets", "--json")
        assert.strictEqual(JSON.parse(info.stdout).location, "APAC")
        const bucket = (yield* Simulator.inspect(store)).buckets[0]
        assert.deepStrictEqual(bucket?.cors?.[0]?.allowed.origins, ["https://example.com"])
        assert.deepStrictEqual(
          bucket?.domains.map((domain) => [domain.domain, domain.zoneId]),
          [["cdn.example.com", zone]]
        )

        yield* expectSuccess("r2", "bucket", "delete", "edge-assets")
        const missing = yield* run("r2", "bucket", "info", "edge-assets")
        assert.strictEqual(missing.code, 1)
        assert.include(missing.stderr, "[code: 10006]")
        assert.deepStrictEqual((yield* Simulator.inspect(store)).buckets, [])
      }),
    120_000
  )

  it.scopedLive(
    "deploys a Worker with bindings and a route, redeploys it, refuses a missing bucket and deletes it",
    () =>
      Effect.gen(function* () {
        const { store, cwd, run, expectSuccess, api } = yield* world()
        yield* api("POST", `/accounts/${account}/r2/buckets`, { name: "edge-assets" })
        NodeFs.copyFileSync(NodePath.join(fixtures, "worker", "index.js"), NodePath.join(cwd, "index.js"))
        const configure = (config: object) =>
          NodeFs.writeFileSync(NodePath.join(cwd, "wrangler.json"), JSON.stringify(config, null, 2))

        configure(workerConfig({ mode: "one", bucket: "edge-assets" }))
        const first = yield* expectSuccess("deploy")
        const afterFirst = yield* Simulator.inspect(store)
        const worker = afterFirst.workers[0]
        assert.strictEqual(worker?.name, "edge-api")
        assert.deepStrictEqual(worker?.bindings, [
          { name: "MODE", type: "plain_text", text: "one" },
          { name: "CACHE", type: "kv_namespace", namespace_id: Simulator.kvNamespaceId(account, "cache") },
          { name: "ASSETS", type: "r2_bucket", bucket_name: "edge-assets" }
        ])
        assert.strictEqual(worker?.compatibilityDate, "2025-01-01")
        assert.deepStrictEqual(worker?.compatibilityFlags, ["global_fetch_strictly_public"])
        assert.strictEqual(worker?.mainModule, "index.js")
        assert.deepStrictEqual(
          afterFirst.routes.map((route) => [route.zoneId, route.pattern, route.script]),
          [[Simulator.zoneId(account, "example.com"), "api.example.com/*", "edge-api"]]
        )
        const deployRecord = first.records.find((record) => record.type === "deploy")
        assert.strictEqual(deployRecord?.version_id, worker?.versions[0]?.id)
        const firstCalls = paths(yield* Simulator.requests(store), 1)
        assert.includeMembers(firstCalls, [
          "GET /workers/services/edge-api",
          "PUT /workers/scripts/edge-api",
          "POST /workers/scripts/edge-api/subdomain",
          "PUT /workers/scripts/edge-api/routes"
        ])

        const logLength = (yield* Simulator.requests(store)).length
        configure(workerConfig({ mode: "two", bucket: "edge-assets" }))
        const second = yield* expectSuccess("deploy")
        const redeployed = (yield* Simulator.inspect(store)).workers[0]
        assert.strictEqual(redeployed?.tag, worker?.tag)
        assert.strictEqual(redeployed?.versions.length, 2)
        assert.strictEqual(redeployed?.deployments.length, 2)
        assert.deepInclude(redeployed?.bindings ?? [], { name: "MODE", type: "plain_text", text: "two" })
        assert.strictEqual(
          second.records.find((record) => record.type === "deploy")?.version_id,
          redeployed?.versions[1]?.id
        )
        const secondCalls = paths(yield* Simulator.requests(store), logLength)
        assert.includeMembers(secondCalls, [
          "POST /workers/scripts/edge-api/versions",
          "POST /workers/scripts/edge-api/deployments",
          "PUT /workers/scripts/edge-api/routes"
        ])
        assert.notInclude(secondCalls, "PUT /workers/scripts/edge-api")

        // wrangler creates a missing bucket itself unless provisioning is off; then the API refuses it.
        configure(workerConfig({ mode: "one", bucket: "not-there", name: "edge-broken" }))
        const refused = yield* run("deploy", "--x-provision=false")
        assert.strictEqual(refused.code, 1)
        assert.include(refused.stderr, "R2 bucket 'not-there' not found")
        assert.include(refused.stderr, "[code: 10085]")
        assert.strictEqual(refused.records.find((record) => record.type === "command-failed")?.code, 10085)
        assert.deepStrictEqual(
          (yield* Simulator.inspect(store)).workers.map((item) => item.name),
          ["edge-api"]
        )

        yield* expectSuccess("delete", "edge-api", "--force")
        const gone = yield* Simulator.inspect(store)
        assert.deepStrictEqual(gone.workers, [])
        assert.deepStrictEqual(gone.routes, [])
        assert.notInclude(JSON.stringify(yield* store.load), token)
      }),
    120_000
  )

  it.scopedLive(
    "creates a Pages project, deploys a folder to production and to a preview branch, lists and deletes it",
    () =>
      Effect.gen(function* () {
        const { store, cwd, expectSuccess } = yield* world()
        NodeFs.cpSync(NodePath.join(fixtures, "site"), NodePath.join(cwd, "site"), { recursive: true })
        yield* expectSuccess("pages", "project", "create", "edge-site", "--production-branch", "main")
        const created = (yield* Simulator.inspect(store)).pages[0]
        assert.strictEqual(created?.name, "edge-site")
        assert.strictEqual(created?.productionBranch, "main")

        const production = yield* expectSuccess("pages", "deploy", "site", "--project-name", "edge-site")
        const detailed = production.records.find((record) => record.type === "pages-deploy-detailed")
        const deployment = (yield* Simulator.inspect(store)).pages[0]?.deployments[0]
        assert.strictEqual(deployment?.environment, "production")
        assert.strictEqual(deployment?.branch, "main")
        assert.strictEqual(deployment?.fileCount, 2)
        assert.strictEqual(detailed?.deployment_id, deployment?.id)
        assert.strictEqual(detailed?.environment, "production")
        assert.strictEqual(detailed?.url, `https://${deployment?.id.slice(0, 8)}.edge-site.pages.dev`)
        assert.strictEqual((yield* Simulator.inspect(store)).pages[0]?.assets.length, 2)

        const uploads = Effect.map(
          Simulator.requests(store),
          (log) => log.filter((entry) => entry.path === "/pages/assets/upload").length
        )
        const uploadsBefore = yield* uploads
        assert.isAbove(uploadsBefore, 0)
        const preview = yield* expectSuccess(
          "pages",
          "deploy",
          "site",
          "--project-name",
          "edge-site",
          "--branch",
          "next"
        )
        const previewRecord = preview.records.find((record) => record.type === "pages-deploy-detailed")
        assert.strictEqual(previewRecord?.environment, "preview")
        assert.strictEqual(previewRecord?.alias, "https://next.edge-site.pages.dev")
        // Nothing to upload the second time: check-missing found every hash.
        assert.strictEqual(yield* uploads, uploadsBefore)

        const listed = yield* expectSuccess("pages", "project", "list", "--json")
        assert.deepStrictEqual(
          JSON.parse(listed.stdout).map((project: Record<string, string>) => project["Project Name"]),
          ["edge-site"]
        )
        yield* expectSuccess("pages", "project", "delete", "edge-site", "-y")
        assert.deepStrictEqual((yield* Simulator.inspect(store)).pages, [])
      }),
    120_000
  )
})
