/**
 * The CLI without --sandbox on both clouds through their real paths: Sakura Cloud through a
 * `usacloud` that runs the usacloud simulator, Cloudflare through the REST API and the real
 * wrangler, both pointed by CLOUDFLARE_API_BASE_URL at the Cloudflare API simulator served by
 * this test on 127.0.0.1. The token is a canary that must show up nowhere.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as CloudflareSimulator from "../../src/Cloudflare/Simulator.js"
import * as UsacloudSimulator from "../../src/Sakura/Simulator.js"
import { hasStackTrace, repository, run } from "../support/Cli.js"
import { step } from "../support/Step.js"

const canary = "canary-e2e-7f3c19d2-never-print-me"
const account = CloudflareSimulator.defaultAccountId
const usacloudSimulator = path.join(repository, "dist", "usacloud-simulator.mjs")

const fleet = (origin: string) => `project "edge"
providers {
    sakura-cloud { zone "tk1a"; }
    cloudflare { account-id "${account}"; zone "example.com"; }
}
retry max-attempts=3 initial-delay="100ms" max-delay="1s"

stage "dev" {
    server "web" {
        plan core=1 memory=2
        disk size=20 os="ubuntu-24.04"
    }
    r2-bucket "edge-assets" {
        location "apac"
        cors {
            allowed-origins "${origin}"
            allowed-methods "GET" "HEAD"
            max-age 600
        }
        custom-domain "assets.example.com" zone="example.com"
    }
    worker "edge-api" {
        source "./worker"
        route "api.example.com/*" zone="example.com"
        compatibility-date "2026-11-01"
        bindings {
            r2 "ASSETS" bucket="edge-assets"
            var "MODE" "dev"
        }
    }
    pages "edge-site" {
        directory "./site"
        production-branch "main"
    }
    dns "example.com" {
        record "www" type="A" value=server.web.ip
    }
}
`

/** A folder with the configuration, a worker, a site and a `usacloud` that runs the simulator. */
const setup = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-cloudflare-"))
  fs.writeFileSync(path.join(dir, "fleet.kdl"), fleet("https://example.com"))
  fs.mkdirSync(path.join(dir, "worker"))
  fs.writeFileSync(
    path.join(dir, "worker", "index.js"),
    "export default { async fetch(request, env) { return new Response(env.MODE) } }\n"
  )
  fs.mkdirSync(path.join(dir, "site"))
  fs.writeFileSync(path.join(dir, "site", "index.html"), "<h1>edge</h1>\n")
  fs.writeFileSync(path.join(dir, "site", "about.html"), "<h1>about</h1>\n")
  const bin = path.join(dir, "bin")
  fs.mkdirSync(bin)
  const usacloud = path.join(bin, "usacloud")
  fs.writeFileSync(usacloud, `#!/bin/sh\nexec "${process.execPath}" "${usacloudSimulator}" "$@"\n`, { mode: 0o755 })
  return { dir, usacloudStore: path.join(dir, "usacloud.json"), usacloud }
}

/** Every file under `dir`, recursively. */
const filesUnder = (dir: string): ReadonlyArray<string> =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((entry) =>
          entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]
        )
    : []

/** What the usacloud simulator's store file holds. */
const sakuraCloud = (store: string) =>
  Effect.orDie(
    Effect.flatMap(UsacloudSimulator.fileStore(store), (simulator) => UsacloudSimulator.inspect(simulator))
  ).pipe(Effect.provide(NodeFileSystem.layer))

const stageArgs = ["-f", "fleet.kdl", "--stage", "dev"]

/** Both clouds' settings for the CLI: the usacloud simulator, and the Cloudflare one at `baseUrl` with the canary token. */
const cloudEnv = (baseUrl: string, folder: ReturnType<typeof setup>) => ({
  FLEETFLOW_USACLOUD: folder.usacloud,
  [UsacloudSimulator.environment.store]: folder.usacloudStore,
  CLOUDFLARE_API_BASE_URL: baseUrl,
  CF_API_TOKEN: canary,
  CLOUDFLARE_API_TOKEN: "",
  CF_ACCOUNT_ID: "",
  CLOUDFLARE_ACCOUNT_ID: ""
})

describe("fleetflow on Cloudflare (REST and the real wrangler) and Sakura Cloud, against simulators", () => {
  it.scopedLive(
    "up creates everything, a second plan has no changes, a CORS change is applied in place, down empties both clouds",
    () =>
      Effect.gen(function* () {
        const store = yield* CloudflareSimulator.memoryStore()
        const baseUrl = yield* CloudflareSimulator.serve(store, { token: canary, zones: ["example.com"] })
        const folder = setup()
        const { dir, usacloudStore } = folder
        const env = cloudEnv(baseUrl, folder)
        const outputs: Array<string> = []
        const cli = (args: ReadonlyArray<string>, extra: Record<string, string> = {}) =>
          Effect.tap(run(args, dir, { ...env, ...extra }), (result) =>
            Effect.sync(() => outputs.push(result.stdout, result.stderr))
          )

        const bucket = yield* step(
          "up creates everything in both clouds",
          Effect.gen(function* () {
            const up = yield* cli(["up", ...stageArgs, "--yes"])
            assert.strictEqual(up.code, 0, up.stdout + up.stderr)
            assert.include(up.stdout, "Apply complete!")

            const sakura = yield* sakuraCloud(usacloudStore)
            const server = sakura.servers.find((item) => item.name === "web")
            assert.isDefined(server)
            const cloud = yield* Effect.orDie(CloudflareSimulator.inspect(store))
            const made = cloud.buckets.find((item) => item.name === "edge-assets")
            assert.isDefined(made)
            assert.strictEqual(made?.location, "APAC")
            assert.deepStrictEqual(made?.cors?.[0]?.allowed.origins, ["https://example.com"])
            assert.deepStrictEqual(
              made?.domains.map((domain) => domain.domain),
              ["assets.example.com"]
            )
            const record = cloud.records.find((item) => item.name === "www.example.com")
            // The record holds the address the server got, so it can only have been made after it.
            assert.strictEqual(record?.type, "A")
            assert.strictEqual(record?.content, server?.interfaces[0]?.ipAddress)

            const worker = cloud.workers.find((item) => item.name === "edge-api")
            assert.isDefined(worker, "wrangler deployed the worker")
            assert.deepInclude(worker?.bindings, { type: "r2_bucket", name: "ASSETS", bucket_name: "edge-assets" })
            assert.deepInclude(worker?.bindings, { type: "plain_text", name: "MODE", text: "dev" })
            assert.deepStrictEqual(
              cloud.routes.filter((route) => route.script === "edge-api").map((route) => route.pattern),
              ["api.example.com/*"]
            )
            const project = cloud.pages.find((item) => item.name === "edge-site")
            assert.isDefined(project, "wrangler created the Pages project")
            assert.strictEqual(project?.deployments.length, 1)
            return made
          })
        )

        yield* step(
          "a second plan has no changes",
          Effect.gen(function* () {
            const again = yield* cli(["plan", ...stageArgs, "--detailed-exitcode"])
            assert.strictEqual(again.code, 0, again.stdout + again.stderr)
            assert.include(again.stdout, "No changes.")
          })
        )

        yield* step(
          "a CORS change is applied in place",
          Effect.gen(function* () {
            fs.writeFileSync(path.join(dir, "fleet.kdl"), fleet("https://www.example.com"))
            const changed = yield* cli(["plan", ...stageArgs, "--detailed-exitcode"])
            assert.strictEqual(changed.code, 2, changed.stdout + changed.stderr)
            assert.include(changed.stdout, "cloudflare:r2:edge-assets will be updated in place")
            assert.include(changed.stdout, "1 to change")
            const corsUp = yield* cli(["up", ...stageArgs, "--yes"])
            assert.strictEqual(corsUp.code, 0, corsUp.stdout + corsUp.stderr)
            const afterCors = yield* Effect.orDie(CloudflareSimulator.inspect(store))
            const updated = afterCors.buckets.find((item) => item.name === "edge-assets")
            assert.deepStrictEqual(updated?.cors?.[0]?.allowed.origins, ["https://www.example.com"])
            assert.strictEqual(updated?.createdOn, bucket?.createdOn, "updated in place, not re-created")
          })
        )

        yield* step(
          "the plan prints JSON",
          Effect.gen(function* () {
            const json = yield* cli(["plan", ...stageArgs, "--json"])
            assert.strictEqual(json.code, 0, json.stderr)
          })
        )

        yield* step(
          "down empties both clouds",
          Effect.gen(function* () {
            const down = yield* cli(["down", ...stageArgs, "--yes"])
            assert.strictEqual(down.code, 0, down.stdout + down.stderr)
            const empty = yield* Effect.orDie(CloudflareSimulator.inspect(store))
            assert.deepStrictEqual(empty.buckets, [])
            assert.deepStrictEqual(empty.records, [])
            assert.deepStrictEqual(empty.workers, [])
            assert.deepStrictEqual(empty.pages, [])
            assert.deepStrictEqual(empty.routes, [])
            const sakuraAfter = yield* sakuraCloud(usacloudStore)
            assert.deepStrictEqual(sakuraAfter.servers, [])
          })
        )

        // The canary: not in any output, the state, its backup, or wrangler's logs.
        yield* step(
          "the token shows up in no output, state file or log",
          Effect.sync(() => {
            const stateFiles = filesUnder(path.join(dir, ".fleetflow"))
            const wranglerLogs = filesUnder(path.join(dir, ".fleetflow", "logs", "wrangler"))
            assert.isAbove(wranglerLogs.length, 0, "wrangler wrote its logs where FleetFlow keeps them")
            for (const output of outputs) {
              assert.notInclude(output, canary)
              assert.isFalse(hasStackTrace(output), output)
            }
            for (const file of stateFiles) assert.notInclude(fs.readFileSync(file, "utf8"), canary, file)
          })
        )
      }),
    240_000
  )

  it.scopedLive(
    "an authentication error (10000) stops after one request, naming CF_API_TOKEN, and never shows the token",
    () =>
      Effect.gen(function* () {
        const store = yield* CloudflareSimulator.memoryStore()
        const baseUrl = yield* CloudflareSimulator.serve(store, { token: "the-right-token", zones: ["example.com"] })
        const folder = setup()
        const up = yield* run(["up", ...stageArgs, "--yes"], folder.dir, cloudEnv(baseUrl, folder))
        assert.notStrictEqual(up.code, 0)
        assert.include(up.stdout + up.stderr, "CF_API_TOKEN")
        assert.notInclude(up.stdout + up.stderr, canary)
        assert.isFalse(hasStackTrace(up.stderr), up.stderr)
        const requests = yield* Effect.orDie(CloudflareSimulator.requests(store))
        assert.isAbove(requests.length, 0)
        // 403 from the API, 401 from the token check wrangler makes.
        for (const request of requests) assert.include([401, 403], request.status)
        // Each refused call is made once; wrangler asks who the token belongs to after each of its failures.
        const calls = requests
          .filter((request) => !request.path.startsWith("/user"))
          .map((request) => `${request.method} ${request.path}`)
        assert.isAbove(calls.length, 0)
        assert.deepStrictEqual(calls, [...new Set(calls)], "no call was made twice")
      }),
    120_000
  )

  it.scopedLive(
    "a plan of 30 buckets, 100 records, a worker and a project starts no process and lists once per account and zone",
    () =>
      Effect.gen(function* () {
        const store = yield* CloudflareSimulator.memoryStore()
        const baseUrl = yield* CloudflareSimulator.serve(store, { token: canary, zones: ["example.com"] })
        const { dir } = setup()
        const buckets = Array.from({ length: 30 }, (_, index) => `    r2-bucket "bulk-${index}" { location "apac"; }`)
        const records = Array.from(
          { length: 100 },
          (_, index) => `        record "host-${index}" type="A" value="192.0.2.${index + 1}"`
        )
        fs.writeFileSync(
          path.join(dir, "fleet.kdl"),
          `project "bulk"
providers { cloudflare { account-id "${account}"; } }
stage "dev" {
${buckets.join("\n")}
    worker "bulk-api" {
        source "./worker"
        compatibility-date "2026-11-01"
    }
    pages "bulk-site" {
        directory "./site"
        production-branch "main"
    }
    dns "example.com" {
${records.join("\n")}
    }
}
`
        )
        // A wrangler that notes each run before handing over to the real one.
        const runs = path.join(dir, "wrangler-runs.log")
        const wrangler = path.join(dir, "bin", "wrangler")
        fs.writeFileSync(
          wrangler,
          `#!/bin/sh\necho "$1" >> "${runs}"\nexec "${path.join(repository, "node_modules", ".bin", "wrangler")}" "$@"\n`,
          { mode: 0o755 }
        )
        const env = {
          FLEETFLOW_WRANGLER: wrangler,
          FLEETFLOW_USACLOUD: path.join(dir, "bin", "no-usacloud"),
          CLOUDFLARE_API_BASE_URL: baseUrl,
          CF_API_TOKEN: canary,
          CF_ACCOUNT_ID: ""
        }
        yield* step(
          "up runs wrangler once per deploy, project and upload",
          Effect.gen(function* () {
            const up = yield* run(["up", ...stageArgs, "--yes"], dir, env)
            assert.strictEqual(up.code, 0, up.stdout + up.stderr)
            const runsAfterUp = fs.readFileSync(runs, "utf8").trim().split("\n")
            assert.sameMembers(runsAfterUp, ["deploy", "pages", "pages"], "one deploy, one project create, one upload")
          })
        )

        yield* step(
          "the plan starts no process and lists once per account and zone",
          Effect.gen(function* () {
            const before = (yield* Effect.orDie(CloudflareSimulator.requests(store))).length
            const plan = yield* run(["plan", ...stageArgs, "--detailed-exitcode"], dir, env)
            assert.strictEqual(plan.code, 0, plan.stdout + plan.stderr)
            assert.strictEqual(
              fs.readFileSync(runs, "utf8").trim().split("\n").length,
              3,
              "the plan started no wrangler"
            )
            const requests = (yield* Effect.orDie(CloudflareSimulator.requests(store))).slice(before)
            const count = (pattern: RegExp) =>
              requests.filter((request) => request.method === "GET" && pattern.test(request.path)).length
            assert.strictEqual(count(/^\/accounts\/[^/]+\/r2\/buckets$/), 1, "one bucket list for the account")
            assert.strictEqual(count(/^\/zones\/[^/]+\/dns_records$/), 1, "one record list for the zone")
            assert.strictEqual(count(/^\/accounts\/[^/]+\/workers\/scripts$/), 1, "one worker list")
            assert.strictEqual(count(/^\/accounts\/[^/]+\/pages\/projects$/), 1, "one project list")
            assert.strictEqual(count(/^\/zones$/), 1, "one zone lookup")
            // No bucket declares CORS, so no bucket is read on its own: the lists, the token's check
            // before the plan, and the worker's workers.dev setting are all.
            assert.strictEqual(count(/^\/user\/tokens\/verify$/), 1, "one token check")
            assert.strictEqual(count(/\/workers\/scripts\/[^/]+\/subdomain$/), 1, "one workers.dev read")
            assert.strictEqual(requests.length, 4 + 1 + 2)
          })
        )
      }),
    180_000
  )

  it.scopedLive("a missing wrangler is reported when the plan is made, before anything is applied", () =>
    Effect.gen(function* () {
      const store = yield* CloudflareSimulator.memoryStore()
      const baseUrl = yield* CloudflareSimulator.serve(store, { token: canary, zones: ["example.com"] })
      const folder = setup()
      const env = { ...cloudEnv(baseUrl, folder), FLEETFLOW_WRANGLER: path.join(folder.dir, "no-such-wrangler") }
      for (const command of [
        ["plan", ...stageArgs],
        ["up", ...stageArgs, "--yes"]
      ]) {
        const result = yield* run(command, folder.dir, env)
        assert.strictEqual(result.code, 1, result.stdout + result.stderr)
        assert.include(result.stderr, "wrangler could not be run")
        assert.include(result.stderr, "npm install --save-dev wrangler")
        assert.isFalse(hasStackTrace(result.stderr), result.stderr)
      }
      assert.deepStrictEqual((yield* Effect.orDie(CloudflareSimulator.inspect(store))).buckets, [])
      const sakura = yield* sakuraCloud(folder.usacloudStore)
      assert.deepStrictEqual(sakura.servers, [], "nothing was applied")
    })
  )

  it.scopedLive(
    "up sends the records of a zone as one batch; a record Cloudflare refuses fails alone, by its key",
    () =>
      Effect.gen(function* () {
        const store = yield* CloudflareSimulator.memoryStore()
        const baseUrl = yield* CloudflareSimulator.serve(store, { token: canary, zones: ["example.com"] })
        const folder = setup()
        const env = cloudEnv(baseUrl, folder)
        const records = (count: number) => `project "records"
providers { cloudflare { account-id "${account}"; zone "example.com"; } }
retry max-attempts=3 initial-delay="100ms" max-delay="1s"
stage "dev" {
    dns "example.com" {
${Array.from({ length: count }, (_, index) => `        record "host-${index}" type="A" value="192.0.2.${index}"`).join("\n")}
    }
}
`
        const writes = (from: number) =>
          Effect.map(Effect.orDie(CloudflareSimulator.requests(store)), (requests) =>
            requests
              .slice(from)
              .filter((request) => request.method !== "GET" && request.path.includes("/dns_records"))
              .map((request) => `${request.method} ${request.path.replace(/[0-9a-f]{32}/g, "{id}")}`)
          )

        yield* step(
          "100 records come up in at most 2 requests",
          Effect.gen(function* () {
            fs.writeFileSync(path.join(folder.dir, "fleet.kdl"), records(100))
            const up = yield* run(["up", ...stageArgs, "--yes"], folder.dir, env)
            assert.strictEqual(up.code, 0, up.stdout + up.stderr)
            const made = yield* writes(0)
            assert.isAtMost(made.length, 2, made.join(", "))
            assert.include(made, "POST /zones/{id}/dns_records/batch")
            assert.strictEqual((yield* Effect.orDie(CloudflareSimulator.inspect(store))).records.length, 100)
          })
        )

        yield* step(
          "of 20 new records, the one whose name a CNAME holds fails with Cloudflare's reason; the others are made",
          Effect.gen(function* () {
            const zone = CloudflareSimulator.zoneId(account, "example.com")
            const outside = yield* Effect.orDie(
              CloudflareSimulator.handle(
                {
                  method: "POST",
                  url: `/client/v4/zones/${zone}/dns_records`,
                  headers: { authorization: `Bearer ${canary}` },
                  body: JSON.stringify({ type: "CNAME", name: "host-107.example.com", content: "origin.example.net" })
                },
                store,
                { token: canary, zones: ["example.com"] }
              )
            )
            assert.strictEqual(outside.status, 200, outside.body)
            fs.writeFileSync(path.join(folder.dir, "fleet.kdl"), records(120))
            const before = (yield* Effect.orDie(CloudflareSimulator.requests(store))).length
            const up = yield* run(["up", ...stageArgs, "--yes"], folder.dir, env)
            const output = up.stdout + up.stderr
            // 3: the apply stopped part way (README: the command exits 3 and lists what failed).
            assert.strictEqual(up.code, 3, output)
            assert.include(output, "cloudflare:dns:host-107.example.com/A: Failed after")
            assert.include(
              output,
              `dns record create A "host-107.example.com" in zone ${zone}: ` +
                "An A, AAAA, or CNAME record with that host already exists. (code 81053)"
            )
            assert.strictEqual(output.match(/Failed after/g)?.length, 1, "one record failed")
            assert.strictEqual(output.match(/Creation complete/g)?.length, 19, output)
            assert.isFalse(hasStackTrace(up.stderr), up.stderr)
            assert.include(yield* writes(before), "POST /zones/{id}/dns_records/batch")
            const names = (yield* Effect.orDie(CloudflareSimulator.inspect(store))).records.map(
              (record) => `${record.type} ${record.name}`
            )
            assert.strictEqual(names.length, 120)
            assert.include(names, "CNAME host-107.example.com")
            assert.include(names, "A host-119.example.com")
            assert.notInclude(names, "A host-107.example.com")
          })
        )
      })
  )
})
