/**
 * Rebuilding a deleted state from the clouds, and importing a resource, through the built CLI
 * on the sandbox cloud, as an operator would after losing `.fleetflow/state.json`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import { hasStackTrace, run, workspace } from "../support/Cli.js"
import { step } from "../support/Step.js"
import * as StateFile from "../support/StateFile.js"

const sandbox = ["--sandbox", "-f", "fleet.kdl", "--stage", "dev"]

const statePath = (dir: string) => StateFile.statePath(StateFile.sandboxFolder(dir))

const resourcesOf = (dir: string) => StateFile.sandboxState(dir).resources

describe("state recover and import through the CLI", () => {
  it.live(
    "a deleted state file is rebuilt for the example stage (servers, buckets, records, a worker, a site): the next plan has no changes",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        const before = yield* step(
          "up, then the state file is lost",
          Effect.gen(function* () {
            const up = yield* run(["up", ...sandbox, "--yes"], dir)
            assert.strictEqual(up.code, 0, up.stderr)
            const before = resourcesOf(dir)
            fs.rmSync(statePath(dir))
            // The backup left alone says what was most likely lost, once.
            const onlyBackup = yield* run(["plan", ...sandbox, "--detailed-exitcode"], dir)
            assert.strictEqual(onlyBackup.code, 2, onlyBackup.stderr)
            const warning = `${statePath(dir)} does not exist, but its backup ${statePath(dir)}.backup does`
            assert.strictEqual(onlyBackup.stderr.split(warning).length - 1, 1, onlyBackup.stderr)
            assert.include(onlyBackup.stderr, "copy the backup back, or run `fleetflow state recover --sandbox")
            fs.rmSync(`${statePath(dir)}.backup`, { force: true })

            const lost = yield* run(["plan", ...sandbox, "--detailed-exitcode"], dir)
            assert.strictEqual(lost.code, 2, "without a state everything looks new")
            assert.notInclude(lost.stderr, "does not exist, but its backup")
            return before
          })
        )

        yield* step(
          "state recover rebuilds it and the next plan has no changes",
          Effect.gen(function* () {
            const recovered = yield* run(["state", "recover", ...sandbox], dir)
            assert.strictEqual(recovered.code, 0, recovered.stdout + recovered.stderr)
            assert.include(recovered.stdout, "Found in the clouds and recorded:")
            assert.include(recovered.stdout, "sakura-cloud:server:creo-dev-01")
            assert.include(recovered.stdout, "cloudflare:r2:creo-attachments")
            assert.notInclude(recovered.stdout, "Not found")
            const after = resourcesOf(dir)
            assert.sameMembers(Object.keys(after), Object.keys(before))
            for (const [key, resource] of Object.entries(before)) assert.strictEqual(after[key]?.id, resource.id, key)

            const plan = yield* run(["plan", ...sandbox, "--detailed-exitcode"], dir)
            assert.strictEqual(plan.code, 0, plan.stdout + plan.stderr)
            assert.include(plan.stdout, "No changes.")
          })
        )

        yield* step(
          "import adopts a forgotten bucket by its ID",
          Effect.gen(function* () {
            // import: forget one bucket, then adopt it again by its ID.
            const recorded = StateFile.sandboxState(dir)
            const { "cloudflare:r2:creo-attachments": _forgotten, ...resources } = recorded.resources
            fs.writeFileSync(statePath(dir), JSON.stringify({ ...recorded, resources, serial: recorded.serial + 1 }))
            const unknown = yield* run(["import", "cloudflare:r2:creo-attachments", "no-such-bucket", ...sandbox], dir)
            assert.strictEqual(unknown.code, 1)
            assert.include(unknown.stderr, "no r2 with the ID no-such-bucket")
            assert.isFalse(hasStackTrace(unknown.stderr), unknown.stderr)
            const imported = yield* run(
              ["import", "cloudflare:r2:creo-attachments", "creo-attachments", ...sandbox],
              dir
            )
            assert.strictEqual(imported.code, 0, imported.stdout + imported.stderr)
            assert.include(imported.stdout, "Imported cloudflare:r2:creo-attachments")
            const settled = yield* run(["plan", ...sandbox, "--detailed-exitcode"], dir)
            assert.strictEqual(settled.code, 0, settled.stdout + settled.stderr)
          })
        )
      }),
    120_000
  )
})
