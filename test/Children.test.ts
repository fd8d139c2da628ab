import * as Command from "@effect/platform/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as ChildProcess from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as ChildEnvironment from "../src/Children/Environment.js"
import * as Executor from "../src/Children/Executor.js"
import * as Leftovers from "../src/Children/Leftovers.js"
import * as Proc from "../src/Children/Proc.js"
import * as Registry from "../src/Children/Registry.js"
import { environment } from "../src/Cloudflare/Wrangler/RunEnvironment.js"
import * as ProcessTransport from "../src/Sakura/ProcessTransport.js"

const canary = "canary-pg-8b20c4"

const parent = {
  PATH: "/usr/bin:/bin",
  HOME: "/home/op",
  XDG_CONFIG_HOME: "/home/op/.config",
  LANG: "C.UTF-8",
  LC_TIME: "ja_JP.UTF-8",
  TMPDIR: "/var/tmp/op",
  SSL_CERT_FILE: "/etc/company/ca.pem",
  NO_PROXY: "localhost,.corp.example",
  HTTPS_PROXY: "http://proxy.corp.example:3128",
  NODE_OPTIONS: "--max-old-space-size=4096",
  NODE_EXTRA_CA_CERTS: "/etc/company/ca.pem",
  NODE_ENV: "production",
  SENTRY_RELEASE: "r-42",
  SENTRY_DSN: `postgres://fleet:${canary}@db/state`,
  MY_SECRET: "not-for-children",
  BUILD_FLAVOUR: "unlisted",
  PGPASSWORD: canary,
  PGHOST: "db.internal",
  FLEETFLOW_PG_URL: `postgres://fleet:${canary}@db/state`,
  TEAM_STATE_URL: ` postgresql://fleet:${canary}@db/state`,
  SAKURACLOUD_ACCESS_TOKEN: "sakura-token",
  SAKURACLOUD_ACCESS_TOKEN_SECRET: "sakura-secret",
  USACLOUD_PROFILE: "work",
  FLEETFLOW_USACLOUD_SIMULATOR_STORE: "/tmp/sakura.json",
  CF_API_TOKEN: "cf-token",
  CLOUDFLARE_ACCOUNT_ID: "cf-account",
  WRANGLER_LOG: "debug",
  WRANGLER_CI_OVERRIDE_NAME: "another-name"
}

const run = { token: Redacted.make("chosen"), accountId: "acc", home: "/tmp/h", logDirectory: "/tmp/h/logs" }

describe("what a child inherits", () => {
  it("wrangler: what it needs and what build-env names, FleetFlow's own settings over the parent's", () => {
    const env = environment(parent, { ...run, outputFile: "/tmp/h/out", buildEnv: ["NODE_ENV", "SENTRY_*"] })
    assert.notInclude(JSON.stringify(env), canary)
    assert.deepStrictEqual(Object.keys(env).sort(), [
      "CI",
      "CLOUDFLARE_ACCOUNT_ID",
      "CLOUDFLARE_API_TOKEN",
      "HOME",
      "LANG",
      "LC_TIME",
      "NODE_ENV",
      "NODE_EXTRA_CA_CERTS",
      "NODE_OPTIONS",
      "NO_COLOR",
      "NO_PROXY",
      "PATH",
      "SENTRY_RELEASE",
      "SSL_CERT_FILE",
      "TMPDIR",
      "WRANGLER_CACHE_DIR",
      "WRANGLER_HIDE_BANNER",
      "WRANGLER_LOG",
      "WRANGLER_LOG_PATH",
      "WRANGLER_LOG_SANITIZE",
      "WRANGLER_OUTPUT_FILE_PATH",
      "WRANGLER_SEND_ERROR_REPORTS",
      "WRANGLER_SEND_METRICS",
      "XDG_CONFIG_HOME"
    ])
    assert.strictEqual(env.CLOUDFLARE_API_TOKEN, "chosen")
    assert.strictEqual(env.CLOUDFLARE_ACCOUNT_ID, "acc")
    assert.strictEqual(env.HOME, "/tmp/h")
    assert.strictEqual(env.NODE_ENV, "production")
  })

  it("wrangler: without build-env, none of the user's other variables", () => {
    const env = environment(parent, { ...run, outputFile: "/tmp/h/out" })
    for (const name of ["NODE_ENV", "SENTRY_RELEASE", "MY_SECRET", "BUILD_FLAVOUR", "HTTPS_PROXY"]) {
      assert.notProperty(env, name)
    }
  })

  it("wrangler: a build-env that names a database variable still does not pass it", () => {
    const env = environment(parent, {
      ...run,
      outputFile: "/tmp/h/out",
      buildEnv: ["PGPASSWORD", "FLEETFLOW_PG_URL", "TEAM_STATE_URL", "SENTRY_DSN", "*"]
    })
    assert.notInclude(JSON.stringify(env), canary)
    assert.property(env, "MY_SECRET", "`*` passes the user's variables")
  })

  it("usacloud: its settings, profiles, proxy and the simulator's, nothing of the database's nor Cloudflare's", () => {
    const env = ChildEnvironment.pick(parent, ChildEnvironment.usacloud)
    assert.deepStrictEqual(Object.keys(env).sort(), [
      "FLEETFLOW_USACLOUD_SIMULATOR_STORE",
      "HOME",
      "HTTPS_PROXY",
      "LANG",
      "LC_TIME",
      "NO_PROXY",
      "PATH",
      "SAKURACLOUD_ACCESS_TOKEN",
      "SAKURACLOUD_ACCESS_TOKEN_SECRET",
      "SSL_CERT_FILE",
      "TMPDIR",
      "USACLOUD_PROFILE",
      "XDG_CONFIG_HOME"
    ])
  })

  it("a build-env name or prefix that could reach the database is refused", () => {
    const state = ["TEAM_STATE_URL", "DB_PASSWORD"]
    for (const pattern of ["PGPASSWORD", "PGHOST", "FLEETFLOW_PG_URL", "TEAM_STATE_URL", "DB_PASSWORD"]) {
      assert.isTrue(ChildEnvironment.couldPassDatabase(pattern, state), pattern)
    }
    for (const pattern of ["*", "P*", "PG*", "PGPASS*", "F*", "FLEETFLOW_*", "TEAM_*", "DB_*", "D*"]) {
      assert.isTrue(ChildEnvironment.couldPassDatabase(pattern, state), pattern)
    }
    for (const pattern of ["NODE_ENV", "SENTRY_*", "PG_SHARD", "PG_*", "PAGES_*", "FLEETFLOW_SANDBOX_*", "DB"]) {
      assert.isFalse(ChildEnvironment.couldPassDatabase(pattern, state), pattern)
    }
    assert.isFalse(ChildEnvironment.couldPassDatabase("TEAM_STATE_URL", []))
  })

  it.live("a usacloud run sees no PostgreSQL password of the parent", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        const saved = { ...process.env }
        Object.assign(process.env, { PGPASSWORD: canary, CF_API_TOKEN: "cf-token", MY_SECRET: "not-for-children" })
        return saved
      }),
      () =>
        Effect.gen(function* () {
          const transport = yield* ProcessTransport.make("/usr/bin/env")
          const output = yield* transport.run([], { env: { ASKED: "yes" } })
          assert.notInclude(output.stdout, canary)
          assert.notInclude(output.stdout, "CF_API_TOKEN")
          assert.notInclude(output.stdout, "MY_SECRET")
          assert.include(output.stdout, "ASKED=yes")
          assert.include(output.stdout, "PATH=")
        }).pipe(Effect.provide(NodeContext.layer)),
      (saved) =>
        Effect.sync(() => {
          process.env = saved
        })
    )
  )
})

describe("a supervised child", () => {
  it.live("is ended with its whole process group when its scope closes, a grandchild deaf to SIGTERM included", () =>
    Effect.gen(function* () {
      const registry = Registry.make()
      const directory = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-children-"))
      registry.recordIn(directory)
      const marker = `${Registry.markerVariable}=${registry.markerValue}`
      const command = Command.make("sh", "-c", "(trap '' TERM; exec sleep 300) & exec sleep 300")
      const started = Date.now()
      const exit = yield* Command.exitCode(command).pipe(
        Effect.timeout(Duration.millis(500)),
        Effect.exit,
        Effect.provide(Executor.layer(registry).pipe(Layer.provide(NodeContext.layer)))
      )
      assert.strictEqual(exit._tag, "Failure")
      assert.deepStrictEqual(Proc.carrying(marker), [], "nothing of the group is left")
      assert.isBelow(Date.now() - started, 500 + Registry.graceMillis + 1500)
      assert.deepStrictEqual(fs.readdirSync(directory), [], "its record is gone with it")
      fs.rmSync(directory, { recursive: true, force: true })
    })
  )
})

describe("what a killed run left", () => {
  it.live("is ended by the next sweep, whole group; the children of a run still going are left alone", () =>
    Effect.gen(function* () {
      const directory = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-leftovers-"))
      // An owner that no longer runs: a start time no process of that pid has.
      const dead = { pid: process.pid, start: "1" }
      const alive = Proc.identityOf(process.pid)!
      const spawn = (owner: Proc.Identity) => {
        const child = ChildProcess.spawn(
          "sh",
          ["-c", "(trap '' TERM; exec sleep 300) & trap '' TERM; exec sleep 300"],
          {
            detached: true,
            stdio: "ignore",
            env: { PATH: process.env.PATH, [Registry.markerVariable]: `${owner.pid}:${owner.start}` }
          }
        )
        child.unref()
        const record: Registry.ChildRecord = {
          owner,
          child: Proc.identityOf(child.pid!)!,
          program: "sh -c"
        }
        fs.writeFileSync(Registry.recordFile(directory, owner.pid, child.pid!), JSON.stringify(record))
        return child.pid!
      }
      spawn(dead)
      const current = spawn(alive)
      yield* Effect.sleep("200 millis")
      const orphanMarker = `${Registry.markerVariable}=${dead.pid}:${dead.start}`
      assert.lengthOf(Proc.carrying(orphanMarker), 2)

      const swept = yield* Leftovers.sweep(directory)
      assert.strictEqual(swept.ended, 2)
      // A killed process leaves /proc when the kernel has torn it down, a moment later on a busy machine.
      const left = yield* Effect.iterate(Proc.carrying(orphanMarker), {
        while: (pids) => pids.length > 0,
        body: () =>
          Effect.zipRight(
            Effect.sleep("50 millis"),
            Effect.sync(() => Proc.carrying(orphanMarker))
          )
      }).pipe(
        Effect.timeoutTo({
          duration: "2 seconds",
          onSuccess: (pids) => pids,
          onTimeout: () => Proc.carrying(orphanMarker)
        })
      )
      assert.deepStrictEqual(left, [])
      assert.isTrue(Proc.signalGroup(current, 0), "a running owner's child is not touched")
      assert.deepStrictEqual(fs.readdirSync(directory), [
        path.basename(Registry.recordFile(directory, alive.pid, current))
      ])

      Proc.signalGroup(current, "SIGKILL")
      fs.rmSync(directory, { recursive: true, force: true })
    })
  )
})
