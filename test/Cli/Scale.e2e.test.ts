import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { makeKey } from "../../src/Resource.js"
import * as Sandbox from "../../src/Sandbox.js"
import { hasStackTrace, run, workspace } from "../support/Cli.js"
import { step } from "../support/Step.js"
import { sandboxState } from "../support/StateFile.js"

const live = ["--sandbox", "-f", "fleet.kdl", "--stage", "live"]

/** The servers and disks the sandbox cloud holds, by resource key. */
const cloudKeys = (dir: string) =>
  Sandbox.inspect(path.join(dir, ".fleetflow", "sandbox")).pipe(
    Effect.map((resources) =>
      resources.map((resource) => makeKey(resource.type, Sandbox.ownerOf(resource).name ?? resource.name)).sort()
    ),
    Effect.provide(NodeContext.layer)
  )

const replicas = (...numbers: ReadonlyArray<number>) =>
  numbers
    .flatMap((n) => {
      const name = `creo-live-${String(n).padStart(2, "0")}`
      return [`sakura-cloud:disk:${name}`, `sakura-cloud:server:${name}`]
    })
    .sort()

const recorded = (dir: string) => sandboxState(dir).scale

describe("fleetflow scale, as an operator runs it", () => {
  it.live(
    "records the count, `up` converges 2 → 4 → 3 servers with their disks, and `down` removes them all",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        yield* step(
          "up starts the minimum of 2",
          Effect.gen(function* () {
            const first = yield* run(["up", ...live, "--yes"], dir)
            assert.strictEqual(first.code, 0, first.stderr)
            assert.deepStrictEqual(yield* cloudKeys(dir), replicas(1, 2), "min=2 to start with")
          })
        )

        yield* step(
          "scale to 4 records the count and the plan adds 2 servers",
          Effect.gen(function* () {
            const up4 = yield* run(["scale", ...live, "creo-live", "4"], dir)
            assert.strictEqual(up4.code, 0, up4.stderr)
            assert.include(
              up4.stdout,
              "creo-live: 2 → 4 servers; run `fleetflow up --sandbox --file fleet.kdl --stage live` to apply"
            )
            assert.deepStrictEqual(recorded(dir), { live: { "creo-live": 4 } })
            assert.deepStrictEqual(yield* cloudKeys(dir), replicas(1, 2), "scale applies nothing itself")

            const plan4 = yield* run(["plan", ...live, "--detailed-exitcode"], dir)
            assert.strictEqual(plan4.code, 2, plan4.stderr)
            assert.include(plan4.stdout, "sakura-cloud:server:creo-live-03 will be created")
            assert.include(plan4.stdout, "sakura-cloud:server:creo-live-04 will be created")
            assert.include(plan4.stdout, "Plan: 4 to add, 0 to change, 0 to destroy.")

            const validated = yield* run(["validate", ...live], dir)
            assert.strictEqual(validated.code, 0, validated.stderr)
            assert.include(validated.stdout, "sakura-cloud:server:creo-live-04")
          })
        )

        yield* step(
          "up makes 4",
          Effect.gen(function* () {
            const applied4 = yield* run(["up", ...live, "--yes"], dir)
            assert.strictEqual(applied4.code, 0, applied4.stderr)
            assert.include(applied4.stdout, "Resources: 4 added, 0 changed, 0 destroyed.")
            assert.deepStrictEqual(yield* cloudKeys(dir), replicas(1, 2, 3, 4))
          })
        )

        yield* step(
          "scale to 3 and up remove the fourth server and its disk",
          Effect.gen(function* () {
            const down3 = yield* run(["scale", ...live, "creo-live", "3", "--lock-timeout", "5s"], dir)
            assert.strictEqual(down3.code, 0, down3.stderr)
            assert.include(down3.stdout, "creo-live: 4 → 3 servers")

            const plan3 = yield* run(["plan", ...live], dir)
            assert.strictEqual(plan3.code, 0, plan3.stderr)
            assert.include(plan3.stdout, "sakura-cloud:server:creo-live-04 will be destroyed")
            assert.include(plan3.stdout, "Plan: 0 to add, 0 to change, 2 to destroy.")

            const applied3 = yield* run(["up", ...live, "--yes"], dir)
            assert.strictEqual(applied3.code, 0, applied3.stderr)
            assert.deepStrictEqual(yield* cloudKeys(dir), replicas(1, 2, 3), "creo-live-04 and its disk are gone")

            const settled = yield* run(["plan", ...live, "--detailed-exitcode"], dir)
            assert.strictEqual(settled.code, 0, settled.stderr)
          })
        )

        yield* step(
          "down removes them all",
          Effect.gen(function* () {
            const down = yield* run(["down", ...live, "--yes"], dir)
            assert.strictEqual(down.code, 0, down.stderr)
            assert.deepStrictEqual(yield* cloudKeys(dir), [])
          })
        )
      }),
    120_000
  )

  it.live(
    "refuses a count outside the range and a server without `scale`, and changes nothing",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        const tooMany = yield* run(["scale", ...live, "creo-live", "9"], dir)
        assert.strictEqual(tooMany.code, 1)
        assert.include(tooMany.stderr, "`creo-live` runs from 2 to 4 servers")
        assert.include(tooMany.stderr, "9 is outside that range")
        assert.isFalse(hasStackTrace(tooMany.stderr))

        const unknown = yield* run(["scale", ...live, "nope", "3"], dir)
        assert.strictEqual(unknown.code, 1)
        assert.include(unknown.stderr, 'stage "live" has no scaled server `nope`')
        assert.include(unknown.stderr, "scaled servers: `creo-live`")

        const typo = yield* run(["scale", ...live, "creo-lvie", "3"], dir)
        assert.strictEqual(typo.code, 1)
        assert.include(typo.stderr, "did you mean `creo-live`?")

        const single = yield* run(["scale", "--sandbox", "-f", "fleet.kdl", "--stage", "dev", "creo-vps", "2"], dir)
        assert.strictEqual(single.code, 1)
        assert.include(single.stderr, 'server `creo-vps` of stage "dev" has no `scale` range')

        assert.isFalse(fs.existsSync(path.join(dir, ".fleetflow", "sandbox", "state.json")), "nothing was recorded")
      }),
    120_000
  )

  it.live(
    "a recorded count the file's range no longer allows stops plan and up with what to run",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        yield* step(
          "scale to 4",
          Effect.gen(function* () {
            const scaled = yield* run(["scale", ...live, "creo-live", "4", "--json"], dir)
            assert.strictEqual(scaled.code, 0, scaled.stderr)
            assert.deepInclude(JSON.parse(scaled.stdout), { stage: "live", server: "creo-live", from: 2, to: 4 })
          })
        )

        yield* step(
          "a range narrowed to 3 stops plan and up",
          Effect.gen(function* () {
            const file = path.join(dir, "fleet.kdl")
            fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("scale min=2 max=4", "scale min=2 max=3"))
            for (const command of [["plan"], ["up", "--yes"]]) {
              const refused = yield* run([...command, ...live], dir)
              assert.strictEqual(refused.code, 1, command.join(" "))
              assert.include(refused.stderr, 'the state records 4 servers of `creo-live` for stage "live"')
              assert.include(refused.stderr, "range 2 to 3")
              assert.include(refused.stderr, "fleetflow scale creo-live 3 -s live --sandbox")
            }
            assert.deepStrictEqual(yield* cloudKeys(dir), [], "nothing was created")
          })
        )

        yield* step(
          "scale to 3 lets the plan go on",
          Effect.gen(function* () {
            const fixed = yield* run(["scale", ...live, "creo-live", "3"], dir)
            assert.strictEqual(fixed.code, 0, fixed.stderr)
            const plan = yield* run(["plan", ...live], dir)
            assert.strictEqual(plan.code, 0, plan.stderr)
            assert.include(plan.stdout, "Plan: 6 to add, 0 to change, 0 to destroy.")
          })
        )
      }),
    120_000
  )
})
