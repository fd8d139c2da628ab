/**
 * A Worker's workers.dev address is the file's to say (`workers-dev true|false`); unset, the plan
 * shows what wrangler would do (on only without routes), so removing the last route never publishes
 * a Worker on workers.dev unseen.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodePath from "node:path"
import * as Config from "../../src/Config.js"
import * as Fake from "../../src/Fake.js"
import * as Fleet from "../../src/Fleet.js"
import * as Plan from "../../src/Plan.js"
import * as Render from "../../src/Render.js"
import * as State from "../../src/State.js"
import { folder } from "../fixtures/config/support.js"
import { runOptions } from "../support/Desired.js"

const source = 'export default { fetch() { return new Response("hi") } }\n'

const fleet = (worker: string) => `project "shop"
providers { cloudflare { account-id "023e105f4ecef8ad9ca31a8372d0c353"; zone "example.com" } }
stage "dev" {
    worker "edge" {
        source "./worker"
        compatibility-date "2025-01-01"
        ${worker}
    }
}
`

const target = (root: string, worker: string) =>
  Effect.gen(function* () {
    const { writeFileSync } = yield* Effect.promise(() => import("node:fs"))
    writeFileSync(NodePath.join(root, "fleet.kdl"), fleet(worker))
    const config = yield* Config.load(NodePath.join(root, "fleet.kdl"))
    return { config, stage: "dev", desired: yield* Config.desiredResources(config, "dev") } satisfies Fleet.Target
  }).pipe(Effect.provide(NodeFileSystem.layer))

const workersDevChange = (plan: Plan.Plan) =>
  plan.actions.flatMap((action) => action.changes.filter((change) => change.field === "workersDev"))

describe("a Worker on workers.dev", () => {
  it.effect("removing the last route shows workers.dev turning on in the plan; workers-dev #false keeps it off", () =>
    Effect.gen(function* () {
      const root = folder({ "worker/index.js": source })
      yield* Fleet.up(yield* target(root, 'route "api.example.com/*" zone="example.com"'), runOptions())

      const unrouted = yield* Fleet.plan(yield* target(root, ""), { refresh: true })
      assert.deepStrictEqual(
        workersDevChange(unrouted.plan).map((change) => [change.before, change.after]),
        [[false, true]]
      )
      assert.include(Render.plan(unrouted.plan, { color: false }), "workersDev = false -> true")

      const kept = yield* Fleet.up(yield* target(root, "workers-dev #false"), runOptions())
      assert.deepStrictEqual(workersDevChange(kept.plan), [])
      const fake = yield* Fake.FakeCloud
      const subdomain = yield* fake.cloudflareApi({
        method: "GET",
        path: "/accounts/023e105f4ecef8ad9ca31a8372d0c353/workers/scripts/edge/subdomain"
      })
      assert.isFalse(JSON.parse(subdomain.body).result.enabled, "not on workers.dev")
      assert.isFalse(
        Plan.hasChanges((yield* Fleet.plan(yield* target(root, "workers-dev #false"), { refresh: true })).plan)
      )
    }).pipe(Effect.provide(Layer.merge(Fake.layer(), State.layerMemory())))
  )
})
