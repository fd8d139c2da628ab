/**
 * A state store that fails while actions run: PostgreSQL stopped in the middle of a write during
 * `up` and during `down`, and a local journal that can no longer be written. The apply stops as a
 * partial apply that says what the state holds and what to do, and once the store is back the
 * next command settles the actions in flight from their intents and converges with no duplicate.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as NodePath from "node:path"
import { hasStackTrace, type Result, run, start, waitFor, workspace } from "../support/Cli.js"
import * as TestPostgres from "../support/Postgres.js"

const server = await TestPostgres.forTests("the CLI tests of a state store outage")
afterAll(() => server?.stop())

const env = { FLEETFLOW_PG_URL: server?.url ?? "postgres://unused@127.0.0.1:1/none" }
const slow = { FLEETFLOW_SANDBOX_LATENCY: "500ms", FLEETFLOW_SANDBOX_BOOT_TIME: "2s" }
const sandbox = ["--sandbox", "-f", "fleet.kdl", "--stage", "dev"]

/** A copy of the examples as a project of its own, its state in PostgreSQL when `schema` is given. */
const project = (schema?: string) => {
  const dir = workspace()
  const file = NodePath.join(dir, "fleet.kdl")
  const text = Fs.readFileSync(file, "utf8").replace('project "creo"', `project "creo-${schema ?? "local"}"`)
  const state = `\nstate {\n    backend "postgres"\n    url env="FLEETFLOW_PG_URL"\n    schema "${schema}"\n}\n`
  Fs.writeFileSync(file, schema === undefined ? text : `${text}${state}`)
  return dir
}

/** `psql` on the test server, in the background: it ends with its statements or with the server. */
const psql = (statements: string) => {
  const child = ChildProcess.spawn(
    TestPostgres.findPsql() ?? "psql",
    [server!.url, "-q", "-t", "-A", "-c", statements],
    {
      stdio: ["ignore", "pipe", "ignore"]
    }
  )
  let output = ""
  child.stdout.on("data", (chunk) => {
    output += String(chunk)
  })
  const ended = new Promise<void>((resolve, reject) => {
    child.once("error", reject)
    child.once("exit", () => resolve())
  })
  return { output: () => output, ended }
}

/**
 * Stops the server while a write of the CLI is inside its transaction: a session holds the
 * `states` table until the CLI waits on it, then the server goes.
 */
const stopMidWrite = (schema: string) =>
  Effect.gen(function* () {
    const holder = psql(`BEGIN; LOCK TABLE "${schema}".states IN EXCLUSIVE MODE; SELECT pg_sleep(60);`)
    yield* Effect.promise(async () => {
      for (;;) {
        const waiting = psql("SELECT count(*) FROM pg_locks WHERE NOT granted")
        await waiting.ended
        if (Number(waiting.output().trim()) > 0) return
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })
    yield* Effect.promise(() => server!.halt())
    yield* Effect.promise(() => holder.ended)
  })

/** A partial apply stopped by the store, said as such: what ran, what to do, and nothing raw. */
const assertStoreFailure = (result: Result, cause: RegExp, whenBack: string) => {
  const output = result.stdout + result.stderr
  assert.strictEqual(result.code, 3, output)
  for (const part of ["Error: the apply did not complete.", "Failed:", "Succeeded and kept", "Not started:"]) {
    assert.include(result.stderr, part)
  }
  assert.match(result.stderr, /The state holds what was recorded before the failure; \d+ actions? (was|were) in flight/)
  assert.match(result.stderr, cause)
  assert.include(result.stderr, whenBack)
  assert.notInclude(output, "The state holds exactly what exists")
  assert.notInclude(output, "Failed to execute statement")
  assert.notInclude(output, "SqlError")
  assert.isFalse(hasStackTrace(output), output)
  if (server !== undefined) assert.notInclude(output, server.password)
}

/** What to do, naming the command that failed with the flags it was given. */
const postgresBack = (command: "up" | "down") =>
  `When PostgreSQL is back, run \`fleetflow ${command} ${sandbox.join(" ").replace("-f", "--file")}\` again; ` +
  "the intents recorded before each call let it settle what ran."
const unreachable =
  /PostgreSQL at postgres:\/\/fleetflow:\*\*\*@127\.0\.0\.1:\d+\/postgres \(schema .+\) could not be reached: /

/** The names of the servers the sandbox's Sakura cloud holds, one per server, sorted. */
const serverNames = (dir: string): ReadonlyArray<string> => {
  const cloud = JSON.parse(Fs.readFileSync(NodePath.join(dir, ".fleetflow", "sandbox", "usacloud.json"), "utf8")) as {
    readonly servers: ReadonlyArray<{ readonly name: string }>
  }
  return cloud.servers.map((server) => server.name).sort()
}

describe("a local state that cannot be written during an apply", () => {
  it.scopedLive(
    "a journal write that fails: exit 3, an honest summary naming the file, then the next run converges",
    () =>
      Effect.gen(function* () {
        const dir = project()
        const folder = NodePath.join(dir, ".fleetflow", "sandbox")
        const journal = NodePath.join(folder, "state.journal")
        const up = yield* start(["up", ...sandbox, "--yes"], dir, slow)
        yield* waitFor(() => up.output().stdout.includes("server:creo-vps: Creating..."), "a server create to start")
        // A folder where the journal was: appending to it fails as a full or broken disk would.
        if (Fs.existsSync(journal)) Fs.renameSync(journal, `${journal}.kept`)
        Fs.mkdirSync(journal)
        const failed = { code: yield* up.process.exitCode, ...up.output() }
        assertStoreFailure(
          failed,
          /cannot (read|write) .+state\.journal: /,
          "can be written again (space, permissions), run `fleetflow up --sandbox --file fleet.kdl --stage dev` again; " +
            "the intents recorded before each call let it settle what ran."
        )

        Fs.rmdirSync(journal)
        if (Fs.existsSync(`${journal}.kept`)) Fs.renameSync(`${journal}.kept`, journal)
        const again = yield* run(["up", ...sandbox, "--yes"], dir)
        assert.strictEqual(again.code, 0, again.stdout + again.stderr)
        assert.deepStrictEqual(serverNames(dir), ["creo-batch", "creo-dev-01", "creo-vps"])
        const plan = yield* run(["plan", ...sandbox, "--detailed-exitcode"], dir)
        assert.strictEqual(plan.code, 0, plan.stdout + plan.stderr)
      })
  )
})

/**
 * Runs `command` slowly, stops PostgreSQL in the middle of a write once `started` shows, checks
 * what the command said, then starts PostgreSQL again and runs `command` once more to its end.
 */
const outageDuring = (dir: string, schema: string, command: "up" | "down", started: string) =>
  Effect.gen(function* () {
    const stopped = yield* start([command, ...sandbox, "--yes"], dir, { ...env, ...slow })
    yield* waitFor(() => stopped.output().stdout.includes(started), `"${started}" from ${command}`)
    yield* stopMidWrite(schema)
    assertStoreFailure(
      { code: yield* stopped.process.exitCode, ...stopped.output() },
      unreachable,
      postgresBack(command)
    )
    yield* Effect.promise(() => server!.resume())
    const again = yield* run([command, ...sandbox, "--yes"], dir, env)
    assert.strictEqual(again.code, 0, again.stdout + again.stderr)
  })

describe.skipIf(server === undefined)("a state store that fails during an apply", () => {
  it.scopedLive(
    "PostgreSQL stopped mid-create and mid-delete: exit 3, an honest summary, then the next run converges",
    () =>
      Effect.gen(function* () {
        const schema = `s_${Crypto.randomUUID().slice(0, 8)}`
        const dir = project(schema)
        yield* outageDuring(dir, schema, "up", "server:creo-vps: Creating...")
        const plan = yield* run(["plan", ...sandbox, "--detailed-exitcode"], dir, env)
        assert.strictEqual(plan.code, 0, plan.stdout + plan.stderr)
        assert.deepStrictEqual(serverNames(dir), ["creo-batch", "creo-dev-01", "creo-vps"])

        yield* outageDuring(dir, schema, "down", "Destroying...")
        assert.deepStrictEqual(serverNames(dir), [])
      }),
    60_000
  )
})
