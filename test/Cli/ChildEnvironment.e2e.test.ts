/**
 * What of the user's environment reaches the processes FleetFlow starts, as the user would see it:
 * FleetFlow runs with a canary PGPASSWORD, FLEETFLOW_PG_URL with a password, a secret of the user's
 * that no list names, and NODE_ENV named by `build-env`. The real wrangler of `up --sandbox` (behind
 * a wrapper that writes down its environment) and the worker's own build command get NODE_ENV and
 * nothing else of those; a usacloud (the simulator behind a wrapper that does the same) gets its own
 * settings and none of them. A `build-env` that names the database's variables is refused by `validate`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { repository, run } from "../support/Cli.js"
import { step } from "../support/Step.js"

const canary = "canary-pg-5c1e07-never-in-a-child"

/** FleetFlow's own environment in every run. */
const parent = {
  PGPASSWORD: canary,
  FLEETFLOW_PG_URL: `postgres://fleet:${canary}@127.0.0.1:5432/state`,
  BUILD_DATABASE_URL: `postgresql://fleet:${canary}@127.0.0.1:5432/build`,
  MY_SECRET: `my-secret-${canary}`,
  NODE_ENV: "production",
  SAKURACLOUD_ACCESS_TOKEN_SECRET: "sakura-secret-of-the-user"
}

const fleet = `project "child-env"
providers {
    sakura-cloud {
        zone "tk1a"
    }
    cloudflare {
        account-id "0123456789abcdef0123456789abcdef"
        zone "example.com"
        build-env "NODE_ENV" "BUILD_*"
    }
}
stage "edge" {
    worker "env-api" {
        source "./worker"
        compatibility-date "2026-11-01"
    }
}
stage "servers" {
    server "env-01" {
        plan core=1 memory=1
        disk size=20 os="ubuntu-24.04"
    }
}
`

// The worker's build command, run by wrangler in the worker's folder: what a user's build would read.
const recordEnvironment = `require("node:fs").writeFileSync(require("node:path").join(__dirname, "build-env.json"), JSON.stringify(process.env))\n`

/** An executable that writes its environment to `<folder>/<pid>.env` and runs `target`. */
const recording = (file: string, folder: string, target: string) => {
  fs.mkdirSync(folder, { recursive: true })
  fs.writeFileSync(file, `#!/bin/sh\nenv -0 > "${folder}/$$.env"\nexec ${target} "$@"\n`, { mode: 0o755 })
  return file
}

/** The environments the wrapper in `folder` wrote down, one per run. */
const recorded = (folder: string): ReadonlyArray<Record<string, string>> =>
  fs.readdirSync(folder).map((name) =>
    Object.fromEntries(
      fs
        .readFileSync(path.join(folder, name), "utf8")
        .split("\0")
        .filter((entry) => entry !== "")
        .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)])
    )
  )

const setup = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-child-env-"))
  fs.writeFileSync(path.join(dir, "fleet.kdl"), fleet)
  fs.mkdirSync(path.join(dir, "worker"))
  fs.writeFileSync(path.join(dir, "worker", "index.js"), 'export default { fetch: () => new Response("ok") }\n')
  fs.writeFileSync(path.join(dir, "worker", "record-env.cjs"), recordEnvironment)
  fs.writeFileSync(
    path.join(dir, "worker", "wrangler.toml"),
    `name = "env-api"\nmain = "index.js"\n\n[build]\ncommand = "node record-env.cjs"\n`
  )
  return dir
}

/** The database's variables, the unlisted secret and a connection string under a listed name are all absent. */
const assertNoSecret = (env: Record<string, string>, who: string) => {
  assert.notInclude(JSON.stringify(env), canary, `${who} holds the database password or the user's secret`)
  for (const name of ["PGPASSWORD", "FLEETFLOW_PG_URL", "BUILD_DATABASE_URL", "MY_SECRET"]) {
    assert.notProperty(env, name, `${who} got ${name}`)
  }
}

describe("what the processes fleetflow starts get of its environment", () => {
  it.live(
    "wrangler and the worker's build: what build-env names, not the database's variables nor an unlisted secret",
    () =>
      Effect.gen(function* () {
        const dir = setup()
        const records = path.join(dir, "wrangler-env")
        const real = path.join(repository, "node_modules", ".bin", "wrangler")
        const wrangler = recording(path.join(dir, "wrangler"), records, `"${real}"`)
        const up = yield* run(["up", "--sandbox", "-f", "fleet.kdl", "--stage", "edge", "--yes"], dir, {
          ...parent,
          FLEETFLOW_WRANGLER: wrangler
        })
        assert.strictEqual(up.code, 0, up.stdout + up.stderr)
        assert.notInclude(up.stdout + up.stderr, canary)

        const runs = recorded(records)
        assert.isAbove(runs.length, 0, "wrangler ran")
        for (const env of runs) {
          assertNoSecret(env, "wrangler")
          assert.strictEqual(env.NODE_ENV, "production", "the variable build-env names reaches wrangler")
          assert.notProperty(env, "SAKURACLOUD_ACCESS_TOKEN_SECRET", "Sakura Cloud's secret reaches wrangler")
          assert.isDefined(env.PATH)
        }

        const build = JSON.parse(fs.readFileSync(path.join(dir, "worker", "build-env.json"), "utf8"))
        assertNoSecret(build, "the worker's build")
        assert.strictEqual(build.NODE_ENV, "production", "the variable build-env names reaches the build")
        fs.rmSync(dir, { recursive: true, force: true })
      }),
    60_000
  )

  it.live(
    "usacloud: its own settings, not the database's variables, an unlisted secret nor build-env's",
    () =>
      Effect.gen(function* () {
        const dir = setup()
        const records = path.join(dir, "usacloud-env")
        const simulator = path.join(repository, "dist", "usacloud-simulator.mjs")
        const usacloud = recording(path.join(dir, "usacloud"), records, `"${process.execPath}" "${simulator}"`)
        const up = yield* run(["up", "-f", "fleet.kdl", "--stage", "servers", "--yes"], dir, {
          ...parent,
          FLEETFLOW_USACLOUD: usacloud,
          // The simulator reads its store from the environment, as usacloud reads its settings.
          FLEETFLOW_USACLOUD_SIMULATOR_STORE: path.join(dir, "sakura.json")
        })
        assert.strictEqual(up.code, 0, up.stdout + up.stderr)
        assert.isTrue(fs.existsSync(path.join(dir, "sakura.json")), "the simulator found its store")

        const runs = recorded(records)
        assert.isAbove(runs.length, 1, "usacloud ran")
        for (const env of runs) {
          assertNoSecret(env, "usacloud")
          assert.notProperty(env, "NODE_ENV", "build-env is wrangler's")
          assert.strictEqual(env.SAKURACLOUD_ACCESS_TOKEN_SECRET, "sakura-secret-of-the-user")
          assert.isDefined(env.HOME)
        }
        fs.rmSync(dir, { recursive: true, force: true })
      }),
    60_000
  )

  it.live("a build-env that would pass the database's variables is refused where it is written", () =>
    Effect.gen(function* () {
      const dir = setup()
      for (const [written, column] of [
        [`"NODE_ENV" "PGPASSWORD"`, 30],
        [`"FLEETFLOW_*"`, 19]
      ] as const) {
        yield* step(
          written,
          Effect.gen(function* () {
            fs.writeFileSync(path.join(dir, "fleet.kdl"), fleet.replace(`"NODE_ENV" "BUILD_*"`, written))
            const validate = yield* run(["validate", "-f", "fleet.kdl", "--stage", "edge"], dir, parent)
            assert.strictEqual(validate.code, 1, validate.stderr)
            assert.include(validate.stderr, "could pass the state database's secrets to wrangler and your builds")
            assert.include(validate.stderr, `fleet.kdl:9:${column}`)
            assert.include(validate.stderr, "remove it")
            assert.notInclude(validate.stderr, canary)
          })
        )
      }
      fs.rmSync(dir, { recursive: true, force: true })
    })
  )
})
