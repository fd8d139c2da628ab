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

const sandbox = ["--sandbox", "-f", "fleet.kdl", "--stage", "dev"]
const workerFails = { FLEETFLOW_SANDBOX_FAULTS: "create:cloudflare:worker:*=permanent" }
const worker = "cloudflare:worker:api-gateway"

const cloudKeys = (dir: string) =>
  Sandbox.inspect(path.join(dir, ".fleetflow", "sandbox")).pipe(
    Effect.map((resources) =>
      resources.map((resource) => makeKey(resource.type, Sandbox.ownerOf(resource).name ?? resource.name)).sort()
    ),
    Effect.provide(NodeContext.layer)
  )

const stateKeys = (dir: string) => {
  const state = sandboxState(dir)
  assert.deepStrictEqual(state.pending, [], "no intent is left pending after a failure the engine saw")
  return Object.keys(state.resources).sort()
}

describe("a permanent failure in the middle of an apply", () => {
  it.live(
    "abort: exits 3, and the state lists exactly what was created",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        const result = yield* run(["up", ...sandbox, "--yes", "--on-failure", "abort"], dir, workerFails)
        assert.strictEqual(result.code, 3, result.stderr)
        assert.include(result.stderr, `create ${worker}`)
        assert.include(result.stderr, "Not started:")
        assert.isFalse(hasStackTrace(result.stderr))
        const created = yield* cloudKeys(dir)
        assert.deepStrictEqual(stateKeys(dir), created)
        assert.notInclude(created, worker)
        assert.isBelow(created.length, 20)
      }),
    60_000
  )

  it.live(
    "continue: runs everything that does not depend on the failure, then exits 3",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        yield* step(
          "continue runs all but the worker and exits 3",
          Effect.gen(function* () {
            const result = yield* run(["up", ...sandbox, "--yes", "--on-failure", "continue"], dir, workerFails)
            assert.strictEqual(result.code, 3, result.stderr)
            const created = yield* cloudKeys(dir)
            assert.deepStrictEqual(stateKeys(dir), created)
            assert.strictEqual(created.length, 19, "all but the worker")
            assert.notInclude(created, worker)
          })
        )

        yield* step(
          "the next up adds the worker",
          Effect.gen(function* () {
            const fixed = yield* run(["up", ...sandbox, "--yes"], dir)
            assert.strictEqual(fixed.code, 0, fixed.stderr)
            assert.include(fixed.stdout, "Resources: 1 added, 0 changed, 0 destroyed.")
          })
        )
      }),
    60_000
  )

  it.live(
    "rollback: undoes what the run created, then exits 3",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        const result = yield* run(["up", ...sandbox, "--yes", "--on-failure", "rollback"], dir, workerFails)
        assert.strictEqual(result.code, 3, result.stderr)
        assert.deepStrictEqual(yield* cloudKeys(dir), [])
        assert.deepStrictEqual(stateKeys(dir), [])
      }),
    60_000
  )

  it.live(
    "a transient failure is retried with backoff and the apply succeeds",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        const file = path.join(dir, "fleet.kdl")
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('initial-delay="1s"', 'initial-delay="100ms"'))
        const result = yield* run(["up", ...sandbox, "--yes"], dir, {
          FLEETFLOW_SANDBOX_FAULTS: "create:cloudflare:r2:*=transient*2"
        })
        assert.strictEqual(result.code, 0, result.stderr)
        assert.include(result.stdout, "cloudflare:r2:creo-attachments: Retrying")
        assert.strictEqual((yield* cloudKeys(dir)).length, 20)
      }),
    60_000
  )

  it.live(
    "a transient failure that outlasts the retry policy (--retry overrides the file's) fails after max-attempts",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        yield* step(
          "a failure that outlasts --retry fails after max-attempts",
          Effect.gen(function* () {
            const result = yield* run(
              ["up", ...sandbox, "--yes", "--retry", "max-attempts=2,initial-delay=50ms"],
              dir,
              {
                FLEETFLOW_SANDBOX_FAULTS: "create:cloudflare:pages:*=transient*5"
              }
            )
            assert.strictEqual(result.code, 3, result.stderr)
            assert.strictEqual(
              result.stdout.split("cloudflare:pages:creo-site: Retrying").length - 1,
              1,
              "two attempts: one retry"
            )
          })
        )
        yield* step(
          "an unknown --retry field is refused",
          Effect.gen(function* () {
            const bad = yield* run(["up", ...sandbox, "--yes", "--retry", "max-tries=2"], dir)
            assert.strictEqual(bad.code, 1)
            assert.include(bad.stderr, "--retry: unknown field")
          })
        )
      }),
    60_000
  )
})
