import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import { run, start, waitFor, workspace } from "../support/Cli.js"
import { step } from "../support/Step.js"
import * as StateFile from "../support/StateFile.js"

const sandbox = ["--sandbox", "-f", "fleet.kdl", "--stage", "dev"]
// Servers take a while to boot, so the first `up` holds the lock long enough to meet it.
const slow = { FLEETFLOW_SANDBOX_BOOT_TIME: "20s" }

const lockPath = (dir: string) => StateFile.lockPath(StateFile.sandboxFolder(dir))
const lockId = (dir: string) => StateFile.readLock(lockPath(dir)).id

describe("the state lock, between two operators", () => {
  it.scopedLive(
    "lets one `up` proceed and stops the other with exit 4 naming the holder; a killed holder leaves a stale lock that force-unlock removes",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        const first = yield* step(
          "a second up stops with exit 4 naming the holder",
          Effect.gen(function* () {
            const first = yield* start(["up", ...sandbox, "--yes"], dir, slow)
            yield* waitFor(
              () => first.output().stdout.includes("sakura-cloud:server:creo-vps: Creating..."),
              "the first up to start a server"
            )

            const second = yield* run(["up", ...sandbox, "--yes"], dir)
            assert.strictEqual(second.code, 4, second.stderr)
            assert.match(second.stderr, /locked by .+@.+ \(pid \d+/)
            assert.include(second.stderr, lockId(dir))
            return first
          })
        )

        const id = yield* step(
          "a killed holder leaves a stale lock",
          Effect.gen(function* () {
            yield* first.process.kill("SIGKILL")
            yield* first.process.exitCode.pipe(Effect.ignore)
            const id = lockId(dir)

            const third = yield* run(["up", ...sandbox, "--yes"], dir)
            assert.strictEqual(third.code, 4)
            assert.include(third.stderr, "stale")
            // The hint carries the flags that chose this state: without --sandbox it would name the real one.
            assert.include(third.stderr, `fleetflow force-unlock ${id} --sandbox --file fleet.kdl --stage dev\``)
            return id
          })
        )

        yield* step(
          "force-unlock removes it given its ID",
          Effect.gen(function* () {
            const unasked = yield* run(["force-unlock", ...sandbox, id], dir)
            assert.strictEqual(unasked.code, 1, "no terminal to confirm on")
            assert.include(unasked.stderr, "needs a confirmation")
            assert.include(unasked.stderr, `fleetflow force-unlock ${id} --yes --sandbox --file fleet.kdl --stage dev`)
            assert.isTrue(fs.existsSync(lockPath(dir)))

            const wrong = yield* run(["force-unlock", ...sandbox, "--yes", "not-the-id"], dir)
            assert.strictEqual(wrong.code, 1)
            assert.include(wrong.stderr, `there is no lock with ID not-the-id; the current lock is ${id}`)
            assert.isTrue(fs.existsSync(lockPath(dir)))
            // A wrong ID is refused as such before any confirmation is asked for.
            const unaskedWrong = yield* run(["force-unlock", ...sandbox, "not-the-id"], dir)
            assert.strictEqual(unaskedWrong.code, 1)
            assert.include(unaskedWrong.stderr, "there is no lock with ID not-the-id")
            assert.notInclude(unaskedWrong.stderr, "needs a confirmation")

            const unlock = yield* run(["force-unlock", ...sandbox, "--yes", id], dir)
            assert.strictEqual(unlock.code, 0, unlock.stderr)
            assert.isFalse(fs.existsSync(lockPath(dir)))
            StateFile.sandboxState(dir)
          })
        )
      }),
    60_000
  )

  it.scopedLive(
    "on Ctrl-C lets running actions finish and be recorded, starts nothing new, and releases the lock",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        yield* step(
          "Ctrl-C lets running actions finish and releases the lock",
          Effect.gen(function* () {
            const holder = yield* start(["up", ...sandbox, "--yes"], dir, { FLEETFLOW_SANDBOX_BOOT_TIME: "3s" })
            yield* waitFor(
              () => holder.output().stdout.includes("sakura-cloud:server:creo-vps: Creating..."),
              "a server to boot"
            )
            yield* holder.process.kill("SIGINT")
            const code = yield* holder.process.exitCode
            assert.strictEqual(code, 130)
            assert.include(holder.output().stderr, "Interrupt received")
            assert.include(holder.output().stdout, "sakura-cloud:server:creo-vps: Creation complete")
            assert.notInclude(holder.output().stdout, "cloudflare:dns:app.creo-memories.com/A: Creating...")
            assert.isFalse(fs.existsSync(lockPath(dir)), "the lock is gone")
            const state = StateFile.sandboxState(dir)
            assert.deepStrictEqual(state.pending, [], "nothing was left half done")
            assert.property(state.resources, "sakura-cloud:server:creo-vps")
            assert.notProperty(state.resources, "cloudflare:dns:app.creo-memories.com/A")
          })
        )

        yield* step(
          "the next up goes on from what was recorded",
          Effect.gen(function* () {
            const next = yield* run(["up", ...sandbox, "--yes"], dir)
            assert.strictEqual(next.code, 0, next.stderr)
            assert.include(next.stdout, "0 destroyed")
            assert.notInclude(next.stdout, "sakura-cloud:server:creo-vps: Creating...")
          })
        )
      }),
    60_000
  )

  it.scopedLive(
    "waits for the lock with --lock-timeout and then applies",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        const first = yield* start(["up", ...sandbox, "--yes"], dir, { FLEETFLOW_SANDBOX_BOOT_TIME: "2s" })
        yield* waitFor(() => fs.existsSync(lockPath(dir)), "the first up to take the lock")
        const second = yield* run(["up", ...sandbox, "--yes", "--lock-timeout", "60s"], dir)
        assert.strictEqual(yield* first.process.exitCode, 0)
        assert.strictEqual(second.code, 0, second.stderr)
        assert.include(second.stdout, "No changes.")
      }),
    90_000
  )
})
