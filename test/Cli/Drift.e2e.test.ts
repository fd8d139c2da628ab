/**
 * Drift through the CLI on the sandbox cloud, as an operator meets it: a server stopped and a DNS
 * record edited outside FleetFlow make `plan --detailed-exitcode` exit 2 and name both fields under
 * the drift note; `up` puts them back and the next plan exits 0.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as CloudflareSimulator from "../../src/Cloudflare/Simulator.js"
import * as SakuraSimulator from "../../src/Sakura/Simulator.js"
import * as Sandbox from "../../src/Sandbox.js"
import { run } from "../support/Cli.js"
import { step } from "../support/Step.js"

const fleet = `project "shop"
providers {
    sakura-cloud { zone "tk1a" }
    cloudflare { account-id "023e105f4ecef8ad9ca31a8372d0c353"; zone "example.com" }
}
stage "dev" {
    server "web" {
        plan core=1 memory=2
        disk size=20 os="ubuntu-24.04"
    }
    dns "example.com" {
        record "api" type="A" value="203.0.113.10"
    }
}
`

const sandbox = ["--sandbox", "-f", "fleet.kdl", "--stage", "dev"]
const sandboxDirectory = (dir: string) => path.join(dir, ".fleetflow", "sandbox")

/** Someone stops the server with usacloud. */
const stopServer = (dir: string) =>
  Effect.gen(function* () {
    const store = yield* SakuraSimulator.fileStore(Sandbox.usacloudStorePath(sandboxDirectory(dir)))
    const [server] = (yield* SakuraSimulator.inspect(store)).servers
    const output = yield* SakuraSimulator.run(
      ["server", "shutdown", String(server!.id), "-y", "--zone", "tk1a"],
      {},
      store
    )
    assert.strictEqual(output.exitCode, 0, output.stderr)
  }).pipe(Effect.orDie, Effect.provide(NodeContext.layer))

/** Someone edits the record on the dashboard. */
const editRecord = (dir: string) =>
  Effect.gen(function* () {
    const store = yield* CloudflareSimulator.fileStore(Sandbox.cloudflareApiStorePath(sandboxDirectory(dir)))
    const [record] = (yield* CloudflareSimulator.inspect(store)).records
    const edited = yield* CloudflareSimulator.handle(
      {
        method: "PATCH",
        url: `/client/v4/zones/${record!.zoneId}/dns_records/${record!.id}`,
        headers: { authorization: "Bearer fleetflow-sandbox-token", "content-type": "application/json" },
        body: JSON.stringify({ content: "198.51.100.66", proxied: true })
      },
      store,
      { token: "fleetflow-sandbox-token" }
    )
    assert.strictEqual(edited.status, 200, edited.body)
  }).pipe(Effect.orDie, Effect.provide(NodeContext.layer))

describe("drift through the CLI", () => {
  it.live(
    "a stopped server and an edited record: plan exits 2 naming both, up puts them back, the next plan exits 0",
    () =>
      Effect.gen(function* () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-drift-"))
        fs.writeFileSync(path.join(dir, "fleet.kdl"), fleet)
        const up = yield* run(["up", ...sandbox, "--yes"], dir)
        assert.strictEqual(up.code, 0, up.stderr)
        yield* stopServer(dir)
        yield* editRecord(dir)

        yield* step(
          "plan shows the drift and exits 2",
          Effect.gen(function* () {
            const plan = yield* run(["plan", ...sandbox, "--detailed-exitcode"], dir)
            assert.strictEqual(plan.code, 2, plan.stdout + plan.stderr)
            const note = plan.stdout.slice(plan.stdout.indexOf("Note: the refresh found changes"))
            assert.match(note, /# sakura-cloud:server:web has changed\n\s+~ status = "up" -> "down"/)
            assert.match(note, /# cloudflare:dns:api\.example\.com\/A has changed/)
            assert.match(note, /~ content += "203\.0\.113\.10" -> "198\.51\.100\.66"/)
            assert.match(note, /~ proxied += false -> true/)
          })
        )

        yield* step(
          "up puts them back; the next plan exits 0",
          Effect.gen(function* () {
            const again = yield* run(["up", ...sandbox, "--yes"], dir)
            assert.strictEqual(again.code, 0, again.stdout + again.stderr)
            const cloud = yield* Sandbox.inspect(sandboxDirectory(dir)).pipe(Effect.provide(NodeContext.layer))
            const record = cloud.find((item) => item.type === "dns")!
            assert.strictEqual(record.attributes.content ?? record.inputs?.content, "203.0.113.10")
            const settled = yield* run(["plan", ...sandbox, "--detailed-exitcode"], dir)
            assert.strictEqual(settled.code, 0, settled.stdout + settled.stderr)
          })
        )
      }),
    120_000
  )
})
