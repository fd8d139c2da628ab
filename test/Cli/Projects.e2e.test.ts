/**
 * A state belongs to one project: a folder copied from another project, its `project` renamed,
 * finds the other project's state and refuses it, rather than destroy that project's resources.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Sandbox from "../../src/Sandbox.js"
import { run } from "../support/Cli.js"
import { step } from "../support/Step.js"

const fleet = (project: string) => `project "${project}"
providers { cloudflare { account-id "023e105f4ecef8ad9ca31a8372d0c353"; zone "example.com" } }
stage "dev" {
    r2-bucket "${project}-assets" { location "APAC" }
    dns "example.com" { record "www" type="A" value="203.0.113.10" }
}
`

const cloud = (dir: string) =>
  Sandbox.inspect(path.join(dir, ".fleetflow", "sandbox")).pipe(Effect.provide(NodeContext.layer))

const sandbox = ["--sandbox", "-f", "fleet.kdl", "--stage", "dev"]

describe("a state is one project's", () => {
  it.live(
    "a copied folder with another project name refuses the state it found, and destroys nothing",
    () =>
      Effect.gen(function* () {
        const first = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-projects-"))
        fs.writeFileSync(path.join(first, "fleet.kdl"), fleet("shop"))
        yield* step(
          "project shop comes up",
          Effect.gen(function* () {
            const up = yield* run(["up", ...sandbox, "--yes"], first)
            assert.strictEqual(up.code, 0, up.stderr)
          })
        )
        const copy = `${first}-copy`
        fs.cpSync(first, copy, { recursive: true })
        fs.writeFileSync(path.join(copy, "fleet.kdl"), fleet("blog"))
        const before = (yield* cloud(copy)).length

        yield* step(
          "plan, up and state list in the copy refuse shop's state and say what to do",
          Effect.gen(function* () {
            for (const args of [
              ["plan", ...sandbox],
              ["up", ...sandbox, "--yes"],
              ["state", "list", ...sandbox]
            ]) {
              const refused = yield* run(args, copy)
              assert.strictEqual(refused.code, 1, `${args[0]}: ${refused.stdout}${refused.stderr}`)
              assert.include(refused.stderr, 'holds the state of project "shop", but the file declares project "blog"')
              assert.include(refused.stderr, "move its state away")
              assert.notInclude(refused.stdout, "destroy")
            }
            assert.strictEqual((yield* cloud(copy)).length, before, "nothing was destroyed")
          })
        )
      }),
    120_000
  )
})
