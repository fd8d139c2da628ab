import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { ResourceType } from "../../src/Resource.js"
import * as Sandbox from "../../src/Sandbox.js"
import { hasStackTrace, run, workspace } from "../support/Cli.js"
import { step } from "../support/Step.js"
import { sandboxState } from "../support/StateFile.js"

const cloud = (dir: string) =>
  Sandbox.inspect(path.join(dir, ".fleetflow", "sandbox")).pipe(Effect.provide(NodeContext.layer))

const sandbox = ["--sandbox", "-f", "fleet.kdl", "--stage", "dev"]

describe("fleetflow on the sandbox cloud, as an operator runs it", () => {
  it.live(
    "brings the example stage up, finds nothing to change, applies one changed field, and tears it down",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        yield* step(
          "up makes every kind of resource",
          Effect.gen(function* () {
            const up = yield* run(["up", ...sandbox, "--yes"], dir)
            assert.strictEqual(up.code, 0, up.stderr)
            assert.include(up.stdout, "Apply complete!")

            const kinds = new Set((yield* cloud(dir)).map((resource) => resource.type))
            for (const kind of ResourceType.literals) {
              assert.isTrue(kinds.has(kind), `the sandbox cloud holds a ${kind}`)
            }
            const state = sandboxState(dir)
            const record = state.resources["cloudflare:dns:api.creo-memories.com/A"]!
            const target = state.resources["sakura-cloud:server:creo-dev-01"]!
            assert.strictEqual(
              record.inputs.content,
              target.attributes.ip,
              "the A record holds the address the server got"
            )
          })
        )

        yield* step(
          "a second plan has no changes, and leaves the sandbox's clouds as they were on disk",
          Effect.gen(function* () {
            const stores = ["usacloud.json", "cloudflare-api.json"].map((name) =>
              path.join(dir, ".fleetflow", "sandbox", name)
            )
            // A write replaces a file (a new inode), whatever it holds.
            const stamps = () => stores.map((file) => `${fs.statSync(file).ino} ${fs.statSync(file).mtimeMs}`)
            const before = stamps()
            const again = yield* run(["plan", ...sandbox, "--detailed-exitcode"], dir)
            assert.strictEqual(again.code, 0, again.stderr)
            assert.include(again.stdout, "No changes.")
            assert.deepStrictEqual(stamps(), before, "a plan only reads the clouds' files")
          })
        )

        yield* step(
          "a memory change is planned and applied in place",
          Effect.gen(function* () {
            const file = path.join(dir, "fleet.kdl")
            fs.writeFileSync(
              file,
              fs.readFileSync(file, "utf8").replace("plan core=2 memory=4", "plan core=2 memory=8")
            )
            const changed = yield* run(["plan", ...sandbox, "--detailed-exitcode"], dir)
            assert.strictEqual(changed.code, 2, changed.stderr)
            assert.include(changed.stdout, "~ memory = 4 -> 8")
            assert.include(changed.stdout, "Plan: 0 to add, 1 to change, 0 to destroy.")
            assert.notInclude(changed.stdout, "will be created")

            const json = yield* run(["plan", ...sandbox, "--json"], dir)
            const plan = JSON.parse(json.stdout).plan
            const changes = plan.actions.filter((action: { _tag: string }) => action._tag !== "NoOp")
            assert.deepStrictEqual(
              changes.map((action: { _tag: string; key: string }) => [action._tag, action.key]),
              [["Update", "sakura-cloud:server:creo-vps"]]
            )

            const apply = yield* run(["up", ...sandbox, "--yes"], dir)
            assert.strictEqual(apply.code, 0, apply.stderr)
            assert.include(apply.stdout, "Resources: 0 added, 1 changed, 0 destroyed.")
            const updated = (yield* cloud(dir)).find(
              (resource) => resource.name === "creo-vps" && resource.type === "server"
            )
            assert.strictEqual((updated?.inputs as { memory?: number } | undefined)?.memory, 8)
          })
        )

        yield* step(
          "plan --destroy shows what down would destroy and changes nothing; down without a terminal points to it",
          Effect.gen(function* () {
            const held = Object.keys(sandboxState(dir).resources).length
            const before = yield* cloud(dir)
            const preview = yield* run(["plan", "--destroy", ...sandbox, "--detailed-exitcode"], dir)
            assert.strictEqual(preview.code, 2, preview.stderr)
            assert.include(preview.stdout, "# sakura-cloud:server:creo-vps will be destroyed")
            assert.include(preview.stdout, `Plan: 0 to add, 0 to change, ${held} to destroy.`)
            assert.notInclude(preview.stdout, "will be created")

            const unasked = yield* run(["down", ...sandbox], dir)
            assert.strictEqual(unasked.code, 1)
            assert.include(unasked.stderr, "`fleetflow plan --destroy --sandbox --file fleet.kdl --stage dev`")

            const saved = yield* run(["plan", "--destroy", "--out", "down.plan", ...sandbox], dir)
            assert.strictEqual(saved.code, 1)
            assert.include(saved.stderr, "--out: a saved plan is for `fleetflow up FILE")
            assert.isFalse(fs.existsSync(path.join(dir, "down.plan")))

            assert.strictEqual(Object.keys(sandboxState(dir).resources).length, held)
            assert.deepStrictEqual(yield* cloud(dir), before)
          })
        )

        yield* step(
          "down empties the cloud and the state",
          Effect.gen(function* () {
            const down = yield* run(["down", ...sandbox, "--yes"], dir)
            assert.strictEqual(down.code, 0, down.stderr)
            assert.deepStrictEqual(yield* cloud(dir), [])
            assert.deepStrictEqual(Object.keys(sandboxState(dir).resources), [])
            const list = yield* run(["state", "list", ...sandbox], dir)
            assert.strictEqual(list.stdout.trim(), "")
            // Nothing left to destroy is not a match with the file, which now differs from the clouds in everything.
            for (const args of [
              ["down", ...sandbox, "--yes"],
              ["plan", "--destroy", ...sandbox]
            ]) {
              const again = yield* run(args, dir)
              assert.strictEqual(again.code, 0, again.stderr)
              assert.include(
                again.stdout,
                'No changes. The state records nothing to destroy (project "creo", stage "dev").'
              )
              assert.notInclude(again.stdout, "matches the configuration")
              assert.include(again.stdout, "`fleetflow state recover --sandbox --file fleet.kdl --stage dev`")
            }
          })
        )
      }),
    120_000
  )

  it.live("refuses to apply without a terminal unless told --yes, and says why", () =>
    Effect.gen(function* () {
      const dir = workspace()
      const result = yield* run(["up", ...sandbox], dir)
      assert.strictEqual(result.code, 1)
      assert.include(result.stderr, "--yes")
      assert.isFalse(fs.existsSync(path.join(dir, ".fleetflow", "sandbox", "state.json")))
    })
  )

  it.live("state history and rollback on the local state say they need PostgreSQL, before any confirmation", () =>
    Effect.gen(function* () {
      const dir = workspace()
      assert.strictEqual(
        (yield* run(["up", ...sandbox, "--yes", "--target", "cloudflare:r2:creo-attachments"], dir)).code,
        0
      )
      const before = fs.readFileSync(path.join(dir, ".fleetflow", "sandbox", "state.json"), "utf8")
      const needsHistory = (command: string) =>
        `\`fleetflow state ${command} --sandbox --file fleet.kdl --stage dev\` needs a store that keeps every version`
      const rollback = yield* run(["state", "rollback", "1", ...sandbox], dir)
      assert.strictEqual(rollback.code, 1)
      assert.include(rollback.stderr, needsHistory("rollback 1"))
      assert.notInclude(rollback.stderr, "needs a confirmation")
      const history = yield* run(["state", "history", ...sandbox], dir)
      assert.strictEqual(history.code, 1)
      assert.include(history.stderr, needsHistory("history"))
      assert.strictEqual(fs.readFileSync(path.join(dir, ".fleetflow", "sandbox", "state.json"), "utf8"), before)

      // Without --sandbox the real clouds' state is read: empty, and the operator is told where the sandbox's is.
      const hint = "The sandbox cloud's state is kept apart, in .fleetflow/sandbox/: add --sandbox to read it."
      for (const command of [["state", "list"], ["output"]]) {
        const real = yield* run([...command, "-f", "fleet.kdl", "--stage", "dev"], dir, { FLEETFLOW_SANDBOX: "" })
        assert.strictEqual(real.code, 0, real.stderr)
        assert.strictEqual(real.stdout, "")
        assert.include(real.stderr, hint)
      }
      const sandboxList = yield* run(["state", "list", ...sandbox], dir)
      assert.strictEqual(sandboxList.stdout, "cloudflare:r2:creo-attachments\n")
    })
  )

  it.live("refuses a truncated state naming the backup, and applies nothing", () =>
    Effect.gen(function* () {
      const dir = workspace()
      yield* step(
        "up, in two runs",
        Effect.gen(function* () {
          assert.strictEqual(
            (yield* run(["up", ...sandbox, "--yes", "--target", "cloudflare:r2:creo-attachments"], dir)).code,
            0
          )
          assert.strictEqual((yield* run(["up", ...sandbox, "--yes"], dir)).code, 0)
        })
      )
      yield* step(
        "a truncated state is refused, naming the backup",
        Effect.gen(function* () {
          const before = yield* cloud(dir)
          const statePath = path.join(dir, ".fleetflow", "sandbox", "state.json")
          const content = fs.readFileSync(statePath, "utf8")
          fs.writeFileSync(statePath, content.slice(0, content.length / 2))
          const file = path.join(dir, "fleet.kdl")
          fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("plan core=2 memory=4", "plan core=2 memory=8"))
          const result = yield* run(["up", ...sandbox, "--yes"], dir)
          assert.strictEqual(result.code, 1)
          assert.include(result.stderr, "state.json.backup")
          assert.isFalse(hasStackTrace(result.stderr))
          assert.deepStrictEqual(yield* cloud(dir), before)
          assert.strictEqual(fs.readFileSync(statePath, "utf8"), content.slice(0, content.length / 2))
        })
      )
    })
  )
})
