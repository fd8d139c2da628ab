import * as NodeContext from "@effect/platform-node/NodeContext"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as ProcessTransport from "../../src/Sakura/ProcessTransport.js"
import { UsacloudTimeout, UsacloudTransport, UsacloudUnavailable } from "../../src/Sakura/Transport.js"
import * as Usacloud from "../../src/Sakura/Usacloud.js"
import { zoned } from "../support/UsacloudArgs.js"
import { isRunning } from "../support/Processes.js"

// A stand-in usacloud: prints its argv as JSON, some stderr, and exits with FAKE_EXIT.
const script = `#!/usr/bin/env node
const fs = require("node:fs")
const args = process.argv.slice(2)
if (process.env.FAKE_PID_FILE) fs.writeFileSync(process.env.FAKE_PID_FILE, String(process.pid))
if (process.env.FAKE_HANG) {
  setInterval(() => {}, 1000)
} else if (args[0] === "auth-status") {
  process.stderr.write("[WARN] auth-status is deprecated\\n")
  process.stdout.write(JSON.stringify([{ AccountID: 111111111111, AccountName: "FleetFlow Inc.", AccountCode: "abc",
    AuthClass: "account", AuthMethod: "apikey", Permission: "create" }], null, 4) + "\\n")
} else {
  process.stdout.write(JSON.stringify({ args, home: process.env.HOME !== undefined, extra: process.env.FAKE_EXTRA ?? null }))
  process.stderr.write(process.env.FAKE_STDERR ?? "")
  process.exitCode = Number(process.env.FAKE_EXIT ?? "0")
}
`

let dir = ""
let binary = ""

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-usacloud-"))
  binary = path.join(dir, "usacloud")
  // CommonJS, whatever the surrounding package says.
  fs.writeFileSync(path.join(dir, "package.json"), '{ "type": "commonjs" }\n')
  fs.writeFileSync(binary, script, { mode: 0o755 })
})

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

const transport = (bin: string) => ProcessTransport.make(bin).pipe(Effect.provide(NodeContext.layer))

describe("ProcessTransport", () => {
  it.live("reads exit code, stdout and stderr together, with the parent's environment and the call's", () =>
    Effect.gen(function* () {
      const run = (yield* transport(binary)).run
      const serverList = zoned("server", "is1a").list()
      const output = yield* run(serverList, {
        env: { FAKE_EXIT: "3", FAKE_STDERR: "\nsomething failed\n", FAKE_EXTRA: "yes" }
      })
      assert.strictEqual(output.exitCode, 3)
      assert.strictEqual(output.stderr, "\nsomething failed\n")
      assert.deepStrictEqual(JSON.parse(output.stdout), {
        args: serverList,
        home: true,
        extra: "yes"
      })
      const quiet = yield* run(["server", "boot", "1"])
      assert.strictEqual(quiet.exitCode, 0)
      assert.strictEqual(quiet.stderr, "")
    })
  )

  it.live("a missing binary is UsacloudUnavailable with the install hint", () =>
    Effect.gen(function* () {
      const run = (yield* transport(path.join(dir, "no-such-usacloud"))).run
      const exit = yield* Effect.exit(run(["auth-status", "-o", "json"]))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") {
        const error = exit.cause.error
        assert.instanceOf(error, UsacloudUnavailable)
        assert.include(error.message, "Install usacloud")
        assert.include(error.message, "FLEETFLOW_USACLOUD")
      } else {
        assert.fail("expected UsacloudUnavailable")
      }
    })
  )

  it.live("a run past its timeout is UsacloudTimeout and the process is gone", () =>
    Effect.gen(function* () {
      const run = (yield* transport(binary)).run
      const pidFile = path.join(dir, "hang.pid")
      const started = Date.now()
      const exit = yield* Effect.exit(
        run(["server", "wait-until-ready", "1"], {
          env: { FAKE_HANG: "1", FAKE_PID_FILE: pidFile },
          timeout: "1 second"
        })
      )
      assert.isBelow(Date.now() - started, 10_000)
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") {
        const error = exit.cause.error
        assert.instanceOf(error, UsacloudTimeout)
        assert.strictEqual((error as UsacloudTimeout).timeoutMillis, 1000)
      } else {
        assert.fail("expected UsacloudTimeout")
      }
      const pid = Number(fs.readFileSync(pidFile, "utf8"))
      assert.isFalse(isRunning(pid), `process ${pid} still runs`)
    })
  )

  it.live("the layer runs FLEETFLOW_USACLOUD, and the client decodes what it prints", () =>
    Effect.gen(function* () {
      const provider = ConfigProvider.fromMap(new Map([["FLEETFLOW_USACLOUD", binary]]))
      const layer = Usacloud.layer({ profile: "fleet" }).pipe(
        Layer.provideMerge(ProcessTransport.layer),
        Layer.provide(NodeContext.layer)
      )
      const { echoed, status } = yield* Effect.gen(function* () {
        const echoed = yield* Effect.flatMap(UsacloudTransport, (t) => t.run(["ssh-key", "list"]))
        const status = yield* Effect.flatMap(Usacloud.Usacloud, (u) => u.authStatus())
        return { echoed, status }
      }).pipe(Effect.provide(layer), Effect.withConfigProvider(provider))
      assert.deepStrictEqual(JSON.parse(echoed.stdout).args, ["ssh-key", "list"])
      assert.strictEqual(status.accountId, "111111111111")
      assert.strictEqual(status.accountName, "FleetFlow Inc.")
    })
  )

  it.effect("the binary defaults to usacloud on PATH", () =>
    Effect.gen(function* () {
      const unset = yield* ProcessTransport.binary.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
      assert.strictEqual(unset, "usacloud")
      const set = yield* ProcessTransport.binary.pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["FLEETFLOW_USACLOUD", "/opt/usacloud"]])))
      )
      assert.strictEqual(set, "/opt/usacloud")
    })
  )
})
