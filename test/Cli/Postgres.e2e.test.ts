/**
 * The CLI with its state in a real PostgreSQL server: the sandbox end to end, two operators at
 * once, migration both ways, history and rollback, and the configuration's mistakes.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as NodePath from "node:path"
import { type Result, run, start, waitFor, workspace } from "../support/Cli.js"
import { step } from "../support/Step.js"
import * as TestPostgres from "../support/Postgres.js"
import { readState } from "../support/StateFile.js"

const server = await TestPostgres.forTests("the CLI tests with PostgreSQL state")
afterAll(() => server?.stop())

const url = server?.url ?? "postgres://unused@127.0.0.1:1/none"
const env = { FLEETFLOW_PG_URL: url }

/**
 * A copy of the examples as a project of its own (so tests share the server, not a state), its
 * `state` block pointing at the server through FLEETFLOW_PG_URL when `stateBlock` is set.
 */
const project = (stateBlock: boolean) => {
  const dir = workspace()
  const name = `creo-${Crypto.randomUUID().slice(0, 8)}`
  const file = NodePath.join(dir, "fleet.kdl")
  const schema = `s_${Crypto.randomUUID().slice(0, 8)}`
  const text = Fs.readFileSync(file, "utf8").replace('project "creo"', `project "${name}"`)
  Fs.writeFileSync(
    file,
    stateBlock
      ? `${text}\nstate {\n    backend "postgres"\n    url env="FLEETFLOW_PG_URL"\n    schema "${schema}"\n}\n`
      : text
  )
  return { dir, name }
}

const sandbox = (stage: string) => ["--sandbox", "-f", "fleet.kdl", "--stage", stage]

/** Neither the password nor the whole connection string shows in anything a command printed. */
const assertNoSecret = (...results: ReadonlyArray<Pick<Result, "stdout" | "stderr">>) => {
  for (const result of results) {
    for (const secret of [server?.password ?? "unused", url]) {
      assert.notInclude(result.stdout, secret)
      assert.notInclude(result.stderr, secret)
    }
  }
}

interface HistoryEntry {
  readonly serial: number
  readonly operation?: string
  readonly resources: number
  readonly written_by: string
}

const history = (dir: string, extra: ReadonlyArray<string> = []) =>
  Effect.map(run(["state", "history", "--sandbox", "--json", "--limit", "0", ...extra], dir, env), (result) => {
    assert.strictEqual(result.code, 0, result.stderr)
    return JSON.parse(result.stdout) as ReadonlyArray<HistoryEntry>
  })

describe.skipIf(server === undefined)("the CLI with its state in PostgreSQL", () => {
  it.scopedLive(
    "runs the sandbox end to end with no state file, keeps every version, and rolls back to an earlier one",
    () =>
      Effect.gen(function* () {
        const { dir } = project(true)
        const up = yield* step(
          "up keeps the state in PostgreSQL only",
          Effect.gen(function* () {
            const up = yield* run(["up", ...sandbox("dev"), "--yes"], dir, env)
            assert.strictEqual(up.code, 0, up.stderr)
            assert.include(up.stdout, "Apply complete! Resources: 20 added")
            assert.isFalse(Fs.existsSync(NodePath.join(dir, ".fleetflow", "sandbox", "state.json")))
            assert.isFalse(Fs.existsSync(NodePath.join(dir, ".fleetflow", "sandbox", "state.journal")))
            return up
          })
        )

        const { plan, again, versions } = yield* step(
          "a converged up writes no version",
          Effect.gen(function* () {
            const plan = yield* run(["plan", ...sandbox("dev"), "--detailed-exitcode"], dir, env)
            assert.strictEqual(plan.code, 0, plan.stdout + plan.stderr)
            assert.include(plan.stdout, "No changes")
            // Once the refresh has recorded what the clouds filled in after the first run (a disk's server),
            // a converged `up` writes no version.
            const again = yield* run(["up", ...sandbox("dev"), "--yes"], dir, env)
            assert.strictEqual(again.code, 0, again.stderr)
            const before = yield* history(dir)
            assert.strictEqual((yield* run(["up", ...sandbox("dev"), "--yes"], dir, env)).code, 0)
            const versions = yield* history(dir)
            assert.deepStrictEqual(versions, before)
            assert.strictEqual(versions[0]!.resources, 20)
            assert.strictEqual(versions[0]!.operation, "up")
            assert.deepStrictEqual(
              versions.map((entry) => entry.serial),
              versions.map((_, index) => versions.length - index)
            )
            return { plan, again, versions }
          })
        )

        const table = yield* step(
          "state history lists the versions",
          Effect.gen(function* () {
            const table = yield* run(["state", "history", "--sandbox", "--limit", "3"], dir, env)
            assert.strictEqual(table.code, 0, table.stderr)
            assert.match(table.stdout, /^SERIAL +WRITTEN +BY +COMMAND +RESOURCES/)
            assert.match(table.stdout, new RegExp(`\\n${versions[0]!.serial} .* up +20 +\\(current\\)`))
            assert.include(table.stdout, `${versions.length - 3} older versions`)
            return table
          })
        )

        const { unconfirmed, later, rollback } = yield* step(
          "state rollback needs a confirmation, refuses a later serial, then restores",
          Effect.gen(function* () {
            // Rollback: needs a confirmation, refuses what is not an earlier version, then restores.
            // Writes made together record several resources at once: take a version about halfway.
            const target = versions.find((entry) => entry.resources > 0 && entry.resources <= 12)!
            const unconfirmed = yield* run(["state", "rollback", String(target.serial), "--sandbox"], dir, env)
            assert.strictEqual(unconfirmed.code, 1)
            assert.include(unconfirmed.stderr, `fleetflow state rollback ${target.serial} --yes`)
            // What it would change is shown before the confirmation is refused.
            assert.match(
              unconfirmed.stdout,
              new RegExp(`^Restoring serial ${target.serial} changes the record of:\n  `)
            )
            const later = yield* run(["state", "rollback", "9999", "--sandbox", "--yes"], dir, env)
            assert.strictEqual(later.code, 1)
            assert.include(later.stderr, `serial 9999 is not an earlier version`)
            const rollback = yield* run(["state", "rollback", String(target.serial), "--sandbox", "--yes"], dir, env)
            assert.strictEqual(rollback.code, 0, rollback.stderr)
            assert.include(rollback.stdout, `a copy of serial ${target.serial}`)
            const after = yield* history(dir)
            assert.strictEqual(after[0]!.serial, versions[0]!.serial + 1)
            assert.strictEqual(after[0]!.resources, target.resources)
            assert.strictEqual(after[0]!.operation, "state rollback")
            return { unconfirmed, later, rollback }
          })
        )

        const { converge, settled } = yield* step(
          "up records again what the clouds still hold",
          Effect.gen(function* () {
            // The clouds still hold everything: up records it again without making anything twice.
            const converge = yield* run(["up", ...sandbox("dev"), "--yes"], dir, env)
            assert.strictEqual(converge.code, 0, converge.stderr)
            assert.include(converge.stderr, "Made before it stopped, now recorded")
            const settled = yield* run(["plan", ...sandbox("dev"), "--detailed-exitcode"], dir, env)
            assert.strictEqual(settled.code, 0, settled.stdout + settled.stderr)
            const clouds = JSON.parse(
              Fs.readFileSync(NodePath.join(dir, ".fleetflow", "sandbox", "usacloud.json"), "utf8")
            ) as { servers: ReadonlyArray<{ name: string }> }
            assert.deepStrictEqual(clouds.servers.map((server) => server.name).sort(), [
              "creo-batch",
              "creo-dev-01",
              "creo-vps"
            ])
            return { converge, settled }
          })
        )

        const down = yield* step(
          "down destroys everything",
          Effect.gen(function* () {
            const down = yield* run(["down", ...sandbox("dev"), "--yes"], dir, env)
            assert.strictEqual(down.code, 0, down.stderr)
            assert.include(down.stdout, "20 destroyed")
            return down
          })
        )
        yield* step(
          "no output shows the secret",
          Effect.sync(() => {
            assertNoSecret(up, plan, again, table, unconfirmed, later, rollback, converge, settled, down)
          })
        )
      }),
    180_000
  )

  it.scopedLive(
    "lets one of two concurrent `up`s apply and stops the other with exit 4 naming the holder; with --lock-timeout the other waits and applies on top",
    () =>
      Effect.gen(function* () {
        const { dir } = project(true)
        const first = yield* step(
          "a second up stops with exit 4 naming the holder",
          Effect.gen(function* () {
            // Servers take a while to boot, so the first `up` holds the lock long enough to meet it.
            const slow = { ...env, FLEETFLOW_SANDBOX_BOOT_TIME: "4s" }
            const first = yield* start(["up", ...sandbox("dev"), "--yes"], dir, slow)
            yield* waitFor(
              () => first.output().stdout.includes("sakura-cloud:server:creo-vps: Creating..."),
              "the first up to start a server"
            )
            const second = yield* run(["up", ...sandbox("dev"), "--yes"], dir, env)
            assert.strictEqual(second.code, 4, second.stdout + second.stderr)
            assert.match(second.stderr, /locked by .+@.+ \(pid \d+, `up`/)
            assert.include(second.stderr, "fleetflow force-unlock")
            assertNoSecret(second)
            return first
          })
        )

        const waiting = yield* step(
          "another stage waits for the lock and applies after the first",
          Effect.gen(function* () {
            // Another stage of the same project shares the state, and so the lock: it waits its turn.
            const waiting = yield* start(["up", ...sandbox("live"), "--yes", "--lock-timeout", "90s"], dir, env)
            assert.strictEqual(yield* first.process.exitCode, 0, first.output().stderr)
            assert.strictEqual(yield* waiting.process.exitCode, 0, waiting.output().stderr)
            assert.include(waiting.output().stdout, "Apply complete!")
            const firstDone = (yield* history(dir)).filter((entry) =>
              entry.written_by.includes(`pid ${first.process.pid}`)
            )
            const waitingDone = (yield* history(dir)).filter((entry) =>
              entry.written_by.includes(`pid ${waiting.process.pid}`)
            )
            assert.isAbove(firstDone.length, 0)
            assert.isAbove(waitingDone.length, 0)
            assert.isAbove(
              Math.min(...waitingDone.map((entry) => entry.serial)),
              Math.max(...firstDone.map((e) => e.serial))
            )
            return waiting
          })
        )

        yield* step(
          "both stages have no changes left",
          Effect.gen(function* () {
            const list = yield* run(["state", "list", "--sandbox", "--json"], dir, env)
            const keys = JSON.parse(list.stdout) as ReadonlyArray<string>
            const stages = yield* Effect.forEach(["dev", "live"], (stage) =>
              run(["plan", ...sandbox(stage), "--detailed-exitcode"], dir, env)
            )
            for (const plan of stages) assert.strictEqual(plan.code, 0, plan.stdout + plan.stderr)
            assert.isAbove(keys.length, 20)
            assertNoSecret(first.output(), waiting.output())
          })
        )
      }),
    180_000
  )

  it.scopedLive(
    "migrates a local state to PostgreSQL and back with lineage and serial kept, and refuses to overwrite another state",
    () =>
      Effect.gen(function* () {
        const { dir, name } = project(false)
        const local = NodePath.join(dir, ".fleetflow", "sandbox", "state.json")
        const before = yield* step(
          "up on a local state",
          Effect.gen(function* () {
            assert.strictEqual((yield* run(["up", ...sandbox("dev"), "--yes"], dir)).code, 0)
            const before = readState(local)
            return before
          })
        )
        const flag = ["--state-url", url]

        const early = yield* step(
          "without a database migrate refuses, and a command pointed at an empty one stops",
          Effect.gen(function* () {
            const noDatabase = yield* run(["state", "migrate", "--to", "postgres", "--sandbox"], dir)
            assert.strictEqual(noDatabase.code, 1)
            assert.include(noDatabase.stderr, "no PostgreSQL database is configured for the state")

            // Pointed at the database before the state is copied there, a command stops rather than plan from nothing.
            const early = yield* run(["plan", ...sandbox("dev"), ...flag], dir)
            assert.strictEqual(early.code, 1, early.stdout)
            assert.include(early.stderr, `holds no state for this project, but ${local} does (serial ${before.serial})`)
            assert.include(early.stderr, "fleetflow state migrate --to postgres")
            return early
          })
        )

        const there = yield* step(
          "migrate copies the state to PostgreSQL with its lineage and serial",
          Effect.gen(function* () {
            const there = yield* run(["state", "migrate", "--to", "postgres", "--sandbox", "--json", ...flag], dir)
            assert.strictEqual(there.code, 0, there.stderr)
            const copied = JSON.parse(there.stdout) as { outcome: string; version: { lineage: string; serial: number } }
            assert.strictEqual(copied.outcome, "copied")
            assert.deepStrictEqual(copied.version, { lineage: before.lineage, serial: before.serial })
            assert.include(there.stdout, `project ${name} (sandbox)`)
            return there
          })
        )

        const { plan, scale } = yield* step(
          "work goes on in PostgreSQL",
          Effect.gen(function* () {
            // Work goes on in PostgreSQL: the plan finds the migrated state converged; a change writes there.
            const plan = yield* run(["plan", ...sandbox("dev"), "--detailed-exitcode", ...flag], dir)
            assert.strictEqual(plan.code, 0, plan.stdout + plan.stderr)
            const scale = yield* run(["scale", ...sandbox("live"), "creo-live", "3", ...flag], dir)
            assert.strictEqual(scale.code, 0, scale.stdout + scale.stderr)
            assert.strictEqual(readState(local).serial, before.serial)
            return { plan, scale }
          })
        )

        const { back, same } = yield* step(
          "migrate copies it back to the local folder",
          Effect.gen(function* () {
            const back = yield* run(["state", "migrate", "--to", "local", "--sandbox", ...flag], dir)
            assert.strictEqual(back.code, 0, back.stderr)
            assert.include(back.stdout, "Copied the state")
            const returned = readState(local)
            assert.strictEqual(returned.lineage, before.lineage)
            assert.strictEqual(returned.serial, before.serial + 1)
            assert.deepStrictEqual(returned.scale?.live, { "creo-live": 3 })
            const same = yield* run(["state", "migrate", "--to", "local", "--sandbox", ...flag], dir)
            assert.include(same.stdout, "nothing was copied")
            return { back, same }
          })
        )

        const { refused, unchanged } = yield* step(
          "another lineage is refused",
          Effect.gen(function* () {
            // The same project elsewhere, started afresh: another lineage, which must not overwrite this one.
            const other = workspace()
            Fs.copyFileSync(NodePath.join(dir, "fleet.kdl"), NodePath.join(other, "fleet.kdl"))
            assert.strictEqual((yield* run(["up", ...sandbox("dev"), "--yes"], other)).code, 0)
            const refused = yield* run(["state", "migrate", "--to", "postgres", "--sandbox", ...flag], other)
            assert.strictEqual(refused.code, 1, refused.stdout)
            assert.include(refused.stderr, "it already holds another state")
            assert.notInclude(refused.stderr, "    at ")
            const unchanged = yield* run(["state", "history", "--sandbox", "--json", "--limit", "1", ...flag], dir)
            assert.strictEqual(
              (JSON.parse(unchanged.stdout) as ReadonlyArray<HistoryEntry>)[0]!.serial,
              before.serial + 1
            )
            return { refused, unchanged }
          })
        )
        yield* step(
          "no output shows the secret",
          Effect.sync(() => {
            assertNoSecret(early, there, plan, scale, back, same, refused, unchanged)
          })
        )
      }),
    180_000
  )

  it.scopedLive("explains a state configuration that cannot work, without showing the secret", () =>
    Effect.gen(function* () {
      const { dir } = project(false)
      const file = NodePath.join(dir, "fleet.kdl")
      const text = Fs.readFileSync(file, "utf8")
      const withState = (block: string) => Fs.writeFileSync(file, `${text}\n${block}\n`)

      withState(`state { backend "postgres"; url "${url}"; }`)
      const written = yield* run(["plan", ...sandbox("dev")], dir)
      assert.strictEqual(written.code, 1)
      assert.include(written.stderr, "a database password must not be written in the configuration file")
      assert.include(written.stderr, "(state > url)")

      withState(`state { backend "postgres"; url env="FLEETFLOW_PG_URL"; }`)
      const unset = yield* run(["plan", ...sandbox("dev")], dir)
      assert.strictEqual(unset.code, 1)
      assert.include(unset.stderr, "environment variable FLEETFLOW_PG_URL is not set")
      // Only the commands that open the state need it.
      assert.strictEqual((yield* run(["validate", "-f", "fleet.kdl"], dir)).code, 0)

      withState(`state { backend "postgres"; }`)
      const missing = yield* run(["plan", ...sandbox("dev")], dir)
      assert.strictEqual(missing.code, 1)
      assert.include(missing.stderr, "`state` uses the postgres backend but gives no `url`")

      withState(`state { backend "postgress"; }`)
      const typo = yield* run(["validate", "-f", "fleet.kdl"], dir)
      assert.strictEqual(typo.code, 1)
      assert.include(typo.stderr, "postgres")

      withState(`state { backend "postgres"; url env="FLEETFLOW_PG_URL"; }`)
      const unreachable = `postgres://fleetflow:${server?.password}@127.0.0.1:1/postgres`
      const refused = yield* run(["plan", ...sandbox("dev")], dir, { FLEETFLOW_PG_URL: unreachable })
      assert.strictEqual(refused.code, 1)
      assert.include(refused.stderr, "postgres://fleetflow:***@127.0.0.1:1/postgres")
      assert.notInclude(refused.stderr, "    at ")

      const local = project(false)
      const noHistory = yield* run(["state", "history", "--sandbox"], local.dir)
      assert.strictEqual(noHistory.code, 1)
      assert.include(noHistory.stderr, "needs a store that keeps every version")
      assertNoSecret(written, unset, missing, typo, refused, noHistory)
    })
  )
})
