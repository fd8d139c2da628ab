import * as NodeContext from "@effect/platform-node/NodeContext"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Simulator from "../../src/Cloudflare/Simulator.js"
import * as Wrangler from "../../src/Cloudflare/Wrangler.js"
import { isRunning } from "../support/Processes.js"

const canary = "canary-wrangler-5c1e07-do-not-print"
const account = Simulator.defaultAccountId

// A stand-in wrangler: what it does depends on its arguments; it records them next to itself.
const script = `#!/usr/bin/env node
const fs = require("node:fs")
const path = require("node:path")
const args = process.argv.slice(2)
const out = process.env.WRANGLER_OUTPUT_FILE_PATH
const record = (value) => fs.appendFileSync(out, JSON.stringify({ version: 1, ...value, timestamp: "now" }) + "\\n")
fs.appendFileSync(path.join(__dirname, "calls.ndjson"), JSON.stringify({ args, cwd: process.cwd() }) + "\\n")
record({ type: "wrangler-session", command_line_args: args })
const e = process.env
if (args[0] === "env") {
  const wrangler = Object.fromEntries(Object.entries(e).filter(([name]) => name.startsWith("WRANGLER_")))
  process.stdout.write(JSON.stringify({
    token: e.CLOUDFLARE_API_TOKEN, account: e.CLOUDFLARE_ACCOUNT_ID, baseUrl: e.CLOUDFLARE_API_BASE_URL ?? null,
    home: e.HOME, xdg: e.XDG_CONFIG_HOME, ci: e.CI, noColor: e.NO_COLOR, wrangler, path: e.PATH !== undefined,
    leaked: Object.keys(e).filter((name) => /^(CF_|HTTPS?_PROXY$|https?_proxy$)/.test(name)),
    keep: e.FLEETFLOW_TEST_KEEP ?? null, unlisted: e.FLEETFLOW_TEST_UNLISTED ?? null,
    cwd: process.cwd(), stdinIsTty: process.stdin.isTTY ?? false
  }))
} else if (args[0] === "deploy") {
  record({ type: "deploy", worker_name: "api", worker_tag: "t", version_id: "v-123",
    targets: ["https://api.fleet.workers.dev", "api.example.com/*"] })
  record({ type: "some-future-record", anything: [1, 2] })
} else if (args[0] === "pages" && args[1] === "deploy") {
  record({ type: "pages-deploy", deployment_id: "d-1", url: "https://d-1.site.pages.dev" })
  record({ type: "pages-deploy-detailed", pages_project: "site", deployment_id: "d-1",
    url: "https://d-1.site.pages.dev", environment: "production", alias: null })
} else if (args[0] === "pages" && args[2] === "delete") {
  record({ type: "command-failed", code: 8000007, message: "A request to the Cloudflare API (/accounts/a/pages/projects/x) failed." })
  process.stderr.write("\\u001b[31m✘ \\u001b[41;31m[\\u001b[41;97mERROR\\u001b[41;31m]\\u001b[0m \\u001b[1mA request to the Cloudflare API failed.\\u001b[0m\\n")
  process.exitCode = 1
} else if (args[0] === "r2") {
  process.stderr.write("\\u001b[31m✘ \\u001b[41;31m[\\u001b[41;97mERROR\\u001b[41;31m]\\u001b[0m \\u001b[1mA request to the Cloudflare API (/accounts/a/r2/buckets/gone) failed.\\u001b[0m\\n\\n" +
    "  The specified bucket does not exist. [code: 10006]\\n  \\n  If you think this is a bug, please open an issue at: \\u001b[4mhttps://github.com/cloudflare/workers-sdk/issues/new/choose\\u001b[0m\\n")
  process.exitCode = 1
} else if (args[0] === "whoami") {
  process.stdout.write("a line some version prints first\\n" + JSON.stringify({ loggedIn: true, accounts: [{ id: "acc-1", name: "Fleet" }] }, null, 2) + "\\n")
} else if (args[0] === "hang") {
  fs.writeFileSync(path.join(__dirname, "hang.pid"), String(process.pid))
  setInterval(() => {}, 1000)
}
`

let dir = ""
let fake = ""
/** This file's temporary folder: other test files run wrangler at the same time and make theirs in the shared one. */
let temporary = ""
const sharedTemporary = process.env.TMPDIR

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-wrangler-test-"))
  temporary = path.join(dir, "tmp")
  fs.mkdirSync(temporary)
  process.env.TMPDIR = temporary
  fake = path.join(dir, "wrangler")
  // CommonJS, whatever the surrounding package says.
  fs.writeFileSync(path.join(dir, "package.json"), '{ "type": "commonjs" }\n')
  fs.writeFileSync(fake, script, { mode: 0o755 })
})

afterAll(() => {
  if (sharedTemporary === undefined) delete process.env.TMPDIR
  else process.env.TMPDIR = sharedTemporary
  fs.rmSync(dir, { recursive: true, force: true })
})

const calls = (): ReadonlyArray<{ readonly args: ReadonlyArray<string>; readonly cwd: string }> => {
  const file = path.join(dir, "calls.ndjson")
  if (!fs.existsSync(file)) return []
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line))
}

/** The client, reading no environment variables but those in `variables`. */
const client = (settings: Wrangler.Settings, variables: Record<string, string> = {}) =>
  Wrangler.make(settings).pipe(
    Effect.provide(NodeContext.layer),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(variables))))
  )

const failure = <A>(effect: Effect.Effect<A, Wrangler.WranglerError>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    if (Exit.isFailure(exit) && exit.cause._tag === "Fail") return exit.cause.error
    return assert.fail(`expected a WranglerError, got ${Exit.isSuccess(exit) ? "success" : String(exit.cause)}`)
  })

const filesUnder = (root: string): ReadonlyArray<string> =>
  fs
    .readdirSync(root, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(root, entry.name)) : [path.join(root, entry.name)]))

const privateFolders = () => new Set(fs.readdirSync(temporary).filter((name) => /^fleetflow-wrangler-/.test(name)))

describe("Wrangler against the real wrangler and the simulated Cloudflare API", () => {
  it.scopedLive("whoami, r2 bucket create, exists, auth and a 503; the token is nowhere", () =>
    Effect.gen(function* () {
      const before = privateFolders()
      const store = yield* Simulator.memoryStore()
      const baseUrl = yield* Simulator.serve(store, { token: canary })
      const logDirectory = path.join(dir, "logs")
      // The binary is found on its own (PATH under npx, else node_modules/.bin).
      const wrangler = yield* client({ token: Redacted.make(canary), accountId: account, baseUrl, logDirectory })
      const seen: Array<string> = []

      const me = yield* wrangler.whoami
      assert.deepStrictEqual(
        me.accounts.map((item) => item.id),
        [account]
      )

      const created = yield* wrangler.run(["r2", "bucket", "create", "fleet-assets"])
      seen.push(created.stdout, created.stderr, JSON.stringify(created.records))
      assert.strictEqual(created.exitCode, 0)
      assert.isTrue(created.records.some((record) => record.type === "wrangler-session"))
      const contents = yield* Simulator.inspect(store)
      assert.deepStrictEqual(
        contents.buckets.map((bucket) => bucket.name),
        ["fleet-assets"]
      )

      const exists = yield* failure(wrangler.run(["r2", "bucket", "create", "fleet-assets"]))
      assert.strictEqual(exists.reason, "exists")
      assert.strictEqual(exists.code, 10004)
      assert.isFalse(exists.transient)
      assert.strictEqual(exists.command, "wrangler r2 bucket create fleet-assets")
      assert.include(exists.message, "already exists")
      assert.notInclude(exists.message, "\u001b")

      const wrong = yield* client({ token: Redacted.make("wrong-token-0000"), accountId: account, baseUrl })
      const auth = yield* failure(wrong.run(["r2", "bucket", "create", "other-bucket"]))
      assert.strictEqual(auth.reason, "auth")
      assert.strictEqual(auth.code, 10000)
      assert.include(auth.hint, "CF_API_TOKEN")
      assert.isFalse(Wrangler.isRetryable(auth))
      assert.strictEqual(Wrangler.toProviderError(auth, "cloudflare:r2:other-bucket").reason, "auth")

      yield* Simulator.injectFaults(
        store,
        Either.getOrThrow(Simulator.parseFaults("POST /accounts/*/r2/buckets=503*1"))
      )
      const busy = yield* failure(wrangler.run(["r2", "bucket", "create", "busy-bucket"]))
      assert.isTrue(busy.transient, busy.message)
      assert.strictEqual(busy.reason, "transient")
      assert.strictEqual(Wrangler.toProviderError(busy).reason, "transient")

      for (const error of [exists, auth, busy]) seen.push(error.message, error.hint ?? "", JSON.stringify(error))
      for (const text of seen) assert.notInclude(text, canary)
      const logs = filesUnder(logDirectory)
      assert.isAbove(logs.length, 0, "wrangler wrote no log to the log directory")
      for (const file of logs) assert.notInclude(fs.readFileSync(file, "utf8"), canary, file)
      // Each run's private HOME is gone.
      assert.deepStrictEqual(
        [...privateFolders()].filter((name) => !before.has(name)),
        []
      )
    })
  )

  it.scopedLive("a kept log folder holds wrangler's newest run logs, and the user's own files", () =>
    Effect.gen(function* () {
      const store = yield* Simulator.memoryStore()
      const baseUrl = yield* Simulator.serve(store, { token: canary })
      const logDirectory = path.join(dir, "kept-logs")
      fs.mkdirSync(logDirectory, { recursive: true })
      // Named as wrangler names them, older runs, one more than are kept.
      const older = Array.from(
        { length: Wrangler.keptLogFiles + 1 },
        (_, index) => `wrangler-2026-01-01_00-00-${String(index).padStart(3, "0")}_000.log`
      )
      for (const name of [...older, "notes.txt"]) fs.writeFileSync(path.join(logDirectory, name), "")
      const wrangler = yield* client({ token: Redacted.make(canary), accountId: account, baseUrl, logDirectory })
      yield* wrangler.whoami

      const kept = fs.readdirSync(logDirectory).sort()
      assert.include(kept, "notes.txt")
      const logs = kept.filter((name) => name.startsWith("wrangler-"))
      assert.lengthOf(logs, Wrangler.keptLogFiles)
      assert.notInclude(logs, older[0])
      assert.notInclude(logs, older[1])
      assert.include(logs, older[2])
      assert.isAbove(fs.statSync(path.join(logDirectory, logs.at(-1)!)).size, 0, "this run's log is the one kept last")
    })
  )
})

describe("Wrangler's typed operations against the real wrangler", () => {
  it.scopedLive("deploys and deletes a Worker, creates, deploys and deletes a Pages project", () =>
    Effect.gen(function* () {
      const store = yield* Simulator.memoryStore()
      const baseUrl = yield* Simulator.serve(store, { token: canary })
      const wrangler = yield* client({ token: Redacted.make(canary), accountId: account, baseUrl })
      const project = fs.mkdtempSync(path.join(dir, "worker-"))
      fs.writeFileSync(path.join(project, "index.js"), 'export default { fetch() { return new Response("hi") } }\n')
      fs.writeFileSync(
        path.join(project, "wrangler.json"),
        JSON.stringify({ main: "index.js", compatibility_date: "2025-01-01" })
      )
      const deployed = yield* wrangler.deploy({ cwd: project, configPath: "wrangler.json", name: "fleet-api" })
      assert.isString(deployed.versionId)
      assert.isTrue(
        deployed.urls.some((url) => url.includes("fleet-api.") && url.includes("workers.dev")),
        deployed.urls.join(", ")
      )
      yield* wrangler.deleteWorker("fleet-api")
      const noWorker = yield* failure(wrangler.deleteWorker("fleet-api"))
      assert.strictEqual(noWorker.reason, "not-found")

      const site = path.join(project, "site")
      fs.mkdirSync(site)
      fs.writeFileSync(path.join(site, "index.html"), "<p>hi</p>\n")
      yield* wrangler.createPagesProject({ name: "fleet-site", productionBranch: "main" })
      const pages = yield* wrangler.deployPages({ directory: site, project: "fleet-site", branch: "main" })
      assert.strictEqual(pages.environment, "production")
      assert.include(pages.url, "fleet-site.pages.dev")
      assert.isAbove(pages.deploymentId.length, 0)
      yield* wrangler.deletePagesProject("fleet-site")
      const noProject = yield* failure(wrangler.deletePagesProject("fleet-site"))
      assert.strictEqual(noProject.reason, "not-found")
      assert.strictEqual(noProject.code, 8000007)
      for (const text of [noWorker.message, noProject.message]) assert.notInclude(text, canary)
    })
  )
})

describe("Wrangler settings and failures", () => {
  const settings = { token: Redacted.make(canary), accountId: account }

  it.live("FLEETFLOW_WRANGLER naming a missing file is missing-binary, with how to install", () =>
    Effect.gen(function* () {
      const wrangler = yield* client(settings, { FLEETFLOW_WRANGLER: path.join(dir, "no-such-wrangler") })
      const error = yield* failure(wrangler.whoami)
      assert.strictEqual(error.reason, "missing-binary")
      assert.include(error.hint, "npm install --save-dev wrangler")
      assert.include(error.message, "FLEETFLOW_WRANGLER")
      assert.isFalse(error.transient)
      const checked = yield* failure(wrangler.check)
      assert.strictEqual(checked.reason, "missing-binary", "found missing before any run")
    })
  )

  it.live("a missing token or account is an auth error before any process starts", () =>
    Effect.gen(function* () {
      const count = calls().length
      const noToken = yield* client({ binary: fake, accountId: account })
      const token = yield* failure(noToken.run(["env"]))
      assert.strictEqual(token.reason, "auth")
      assert.include(token.message, "CF_API_TOKEN")
      const noAccount = yield* client({ binary: fake, token: Redacted.make(canary) })
      const accountError = yield* failure(noAccount.run(["env"]))
      assert.strictEqual(accountError.reason, "auth")
      assert.include(accountError.message, "CF_ACCOUNT_ID")
      const fromVariables = yield* client({ binary: fake }, { CF_API_TOKEN: canary, CLOUDFLARE_ACCOUNT_ID: "acc-9" })
      const env = JSON.parse((yield* fromVariables.run(["env"])).stdout)
      assert.strictEqual(env.account, "acc-9")
      assert.strictEqual(calls().length, count + 1)
    })
  )

  it.live("the environment: what wrangler needs and build-env names, no proxy nor CF_*, plus a private HOME", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        const saved = { ...process.env }
        Object.assign(process.env, {
          HTTPS_PROXY: "http://proxy.invalid:3128",
          http_proxy: "http://proxy.invalid:3128",
          CF_API_TOKEN: "parent-token",
          CLOUDFLARE_ACCOUNT_ID: "parent-account",
          FLEETFLOW_TEST_KEEP: "kept",
          FLEETFLOW_TEST_UNLISTED: "dropped"
        })
        return saved
      }),
      () =>
        Effect.gen(function* () {
          const logDirectory = path.join(dir, "env-logs")
          const wrangler = yield* client({
            ...settings,
            binary: fake,
            baseUrl: "http://127.0.0.1:9/client/v4",
            logDirectory,
            buildEnv: ["FLEETFLOW_TEST_KEEP"]
          })
          const result = yield* wrangler.run(["env"])
          const env = JSON.parse(result.stdout)
          // The fake printed the token; nothing FleetFlow returns holds it.
          assert.strictEqual(env.token, "<redacted>")
          assert.notInclude(result.stdout, canary)
          assert.strictEqual(env.account, account)
          assert.strictEqual(env.baseUrl, "http://127.0.0.1:9/client/v4")
          assert.deepStrictEqual(env.leaked, [])
          assert.strictEqual(env.keep, "kept")
          assert.strictEqual(env.unlisted, null)
          assert.isTrue(env.path)
          assert.strictEqual(env.ci, "true")
          assert.strictEqual(env.noColor, "1")
          assert.isFalse(env.stdinIsTty)
          assert.strictEqual(env.wrangler.WRANGLER_SEND_METRICS, "false")
          assert.strictEqual(env.wrangler.WRANGLER_SEND_ERROR_REPORTS, "false")
          assert.strictEqual(env.wrangler.WRANGLER_HIDE_BANNER, "true")
          assert.strictEqual(env.wrangler.WRANGLER_LOG_PATH, logDirectory)
          assert.isTrue(env.xdg.startsWith(env.home))
          assert.isTrue(env.wrangler.WRANGLER_OUTPUT_FILE_PATH.startsWith(env.home))
          assert.isTrue(env.wrangler.WRANGLER_CACHE_DIR.startsWith(env.home))
          // The run happened in its private folder, which is gone now.
          assert.strictEqual(path.basename(env.cwd), path.basename(env.home))
          assert.isFalse(fs.existsSync(env.home))
          assert.isTrue(fs.existsSync(logDirectory))
        }),
      (saved) =>
        Effect.sync(() => {
          for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
          Object.assign(process.env, saved)
        })
    )
  )

  it.live("deploy, Pages and whoami read wrangler's output records and JSON", () =>
    Effect.gen(function* () {
      const wrangler = yield* client({ ...settings, binary: fake })
      const project = fs.mkdtempSync(path.join(dir, "project-"))
      const deployed = yield* wrangler.deploy({
        cwd: project,
        configPath: "wrangler.json",
        name: "api",
        extraArgs: ["--compatibility-date", "2025-01-01"]
      })
      assert.deepStrictEqual(deployed, {
        versionId: "v-123",
        urls: ["https://api.fleet.workers.dev", "api.example.com/*"]
      })
      const deployCall = calls().at(-1)
      assert.deepStrictEqual(deployCall?.args, [
        "deploy",
        "--config",
        "wrangler.json",
        "--name",
        "api",
        "--compatibility-date",
        "2025-01-01"
      ])
      assert.strictEqual(fs.realpathSync(deployCall?.cwd ?? ""), fs.realpathSync(project))

      const pages = yield* wrangler.deployPages({ directory: project, project: "site", branch: "main" })
      assert.deepStrictEqual(pages, {
        deploymentId: "d-1",
        url: "https://d-1.site.pages.dev",
        environment: "production"
      })
      assert.deepStrictEqual(calls().at(-1)?.args, [
        "pages",
        "deploy",
        project,
        "--project-name",
        "site",
        "--branch",
        "main"
      ])

      const result = yield* wrangler.run(["deploy", "--config", "x.json"], { cwd: project })
      assert.deepStrictEqual(
        result.records.map((record) => record.type),
        ["wrangler-session", "deploy", "some-future-record"]
      )
      assert.deepStrictEqual((result.records[2] as Wrangler.OtherRecord).anything, [1, 2])

      const me = yield* wrangler.whoami
      assert.deepStrictEqual(me.accounts, [{ id: "acc-1", name: "Fleet" }])

      const gone = yield* failure(wrangler.deletePagesProject("site"))
      assert.strictEqual(gone.reason, "not-found")
      assert.strictEqual(gone.code, 8000007)
      assert.deepStrictEqual(calls().at(-1)?.args, ["pages", "project", "delete", "site", "-y"])
    })
  )

  it.live("ANSI-coloured stderr: [code: 10006] is not-found, and the message has no escape codes", () =>
    Effect.gen(function* () {
      const wrangler = yield* client({ ...settings, binary: fake })
      const error = yield* failure(wrangler.run(["r2", "bucket", "delete", "gone"]))
      assert.strictEqual(error.reason, "not-found")
      assert.strictEqual(error.code, 10006)
      assert.strictEqual(error.command, "wrangler r2 bucket delete gone")
      assert.include(error.message, "The specified bucket does not exist")
      assert.notInclude(error.message, "\u001b")
      assert.notMatch(error.message, /\[(4|0|1|31)m/)
      assert.strictEqual(Wrangler.toProviderError(error, "cloudflare:r2:gone").reason, "not-found")
    })
  )

  it.live("a run past its timeout is a transient timeout error, and the process is gone", () =>
    Effect.gen(function* () {
      const wrangler = yield* client({ ...settings, binary: fake, timeout: "1 second" })
      const started = Date.now()
      const error = yield* failure(wrangler.run(["hang"]))
      assert.isBelow(Date.now() - started, 10_000)
      assert.strictEqual(error.reason, "timeout")
      assert.isTrue(error.transient)
      const pid = Number(fs.readFileSync(path.join(dir, "hang.pid"), "utf8"))
      assert.isFalse(isRunning(pid), `process ${pid} still runs`)
    })
  )
})
