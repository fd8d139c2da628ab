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
  LANG: "C.UTF-8",
  NODE_OPTIONS: "--max-old-space-size=4096",
  BUILD_FLAVOUR: "kept",
  PGPASSWORD: canary,
  PGHOST: "db.internal",
  FLEETFLOW_PG_URL: `postgres://fleet:${canary}@db/state`,
  TEAM_STATE_URL: ` postgresql://fleet:${canary}@db/state`,
  SAKURACLOUD_ACCESS_TOKEN: "sakura-token",
  SAKURACLOUD_ACCESS_TOKEN_SECRET: "sakura-secret",
  CF_API_TOKEN: "cf-token",
  CLOUDFLARE_ACCOUNT_ID: "cf-account",
  WRANGLER_LOG: "debug"
}

describe("what a child inherits", () => {
  it("wrangler: the user's variables, neither the state database's nor Sakura Cloud's", () => {
    const env = environment(parent, {
      token: Redacted.make("chosen"),
      accountId: "acc",
      home: "/tmp/h",
      logDirectory: "/tmp/h/logs",
      outputFile: "/tmp/h/out"
    })
    assert.notInclude(JSON.stringify(env), canary)
    assert.includeMembers(Object.keys(env), ["PATH", "LANG", "NODE_OPTIONS", "BUILD_FLAVOUR", "WRANGLER_LOG"])
    for (const name of [
      "PGPASSWORD",
      "PGHOST",
      "FLEETFLOW_PG_URL",
      "TEAM_STATE_URL",
      "SAKURACLOUD_ACCESS_TOKEN_SECRET"
    ]) {
      assert.notProperty(env, name)
    }
    assert.strictEqual(env.CLOUDFLARE_API_TOKEN, "chosen")
  })

  it("usacloud: its own variables and the user's, neither the state database's nor Cloudflare's", () => {
    const env = ChildEnvironment.inherited(parent, ChildEnvironment.isCloudflareVariable)
    assert.deepStrictEqual(Object.keys(env).sort(), [
      "BUILD_FLAVOUR",
      "HOME",
      "LANG",
      "NODE_OPTIONS",
      "PATH",
      "SAKURACLOUD_ACCESS_TOKEN",
      "SAKURACLOUD_ACCESS_TOKEN_SECRET"
    ])
  })

  it.live("a usacloud run sees no PostgreSQL password of the parent", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        const saved = { ...process.env }
        Object.assign(process.env, { PGPASSWORD: canary, CF_API_TOKEN: "cf-token" })
        return saved
      }),
      () =>
        Effect.gen(function* () {
          const transport = yield* ProcessTransport.make("/usr/bin/env")
          const output = yield* transport.run([], { env: { ASKED: "yes" } })
          assert.notInclude(output.stdout, canary)
          assert.notInclude(output.stdout, "CF_API_TOKEN")
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
