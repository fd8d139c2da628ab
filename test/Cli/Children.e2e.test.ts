/**
 * Nothing FleetFlow starts outlives it. `up --sandbox` deploys a worker through the real wrangler,
 * slowed by the sandbox's latency, behind a wrapper that also leaves a `sleep` ignoring SIGTERM in
 * wrangler's process group, as a hung esbuild would. Each stop (Ctrl-C twice, SIGTERM, SIGHUP,
 * SIGKILL) must leave, within 5 s, no process that carries the marker FleetFlow gives its children
 * (nor its watchdog); a SIGKILL of FleetFlow and its watchdog together leaves them to the next
 * command, which ends them first. The next `up` deploys the worker once. A canary PostgreSQL
 * password in FleetFlow's environment never reaches a child's.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ChildProcess from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { bundle, repository, run, type Started, start, waitFor } from "../support/Cli.js"
import { cmdline, environ, startedBy } from "../support/Processes.js"
import * as StateFile from "../support/StateFile.js"
import { step } from "../support/Step.js"

const canary = "canary-pg-3e9d71-never-in-a-child"
const args = ["--sandbox", "-f", "fleet.kdl", "--stage", "dev"]

const fleet = `project "children"
providers {
    cloudflare {
        account-id "0123456789abcdef0123456789abcdef"
        zone "example.com"
        build-env "BUILD_FLAVOUR"
    }
}
stage "dev" {
    worker "slow-api" {
        source "./worker"
        compatibility-date "2026-11-01"
    }
}
`

/** A folder with the worker, and a wrangler that leaves a `sleep` deaf to SIGTERM in its process group. */
const setup = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-children-"))
  fs.writeFileSync(path.join(dir, "fleet.kdl"), fleet)
  fs.mkdirSync(path.join(dir, "worker"))
  fs.writeFileSync(path.join(dir, "worker", "index.js"), 'export default { fetch: () => new Response("ok") }\n')
  const wrangler = path.join(dir, "wrangler")
  const real = path.join(repository, "node_modules", ".bin", "wrangler")
  fs.writeFileSync(
    wrangler,
    `#!/bin/sh\n(trap '' TERM; exec sleep 300) </dev/null >/dev/null 2>&1 &\nexec "${real}" "$@"\n`,
    { mode: 0o755 }
  )
  return { dir, env: { FLEETFLOW_WRANGLER: wrangler, BUILD_FLAVOUR: "kept" } }
}

/** The environment each run gets: the canary as libpq's password, FleetFlow's URL, and a URL under another name. */
const secrets = {
  PGPASSWORD: canary,
  FLEETFLOW_PG_URL: `postgres://fleet:${canary}@127.0.0.1:5432/state`,
  TEAM_STATE_URL: `postgresql://fleet:${canary}@127.0.0.1:5432/state`
}

const watchdogOf = (cli: number) =>
  startedBy(cli).filter((pid) => environ(pid).some((entry) => entry.startsWith("FLEETFLOW_WATCHDOG_MARKER=")))

/** Starts a slow `up` and waits for wrangler's deploy and the `sleep` it left; checks their environments. */
const deploying = (dir: string, env: Record<string, string>) =>
  Effect.gen(function* () {
    const started = yield* start(["up", ...args, "--yes"], dir, {
      ...env,
      ...secrets,
      FLEETFLOW_SANDBOX_LATENCY: "500ms"
    })
    const cli = Number(started.process.pid)
    const running = () => startedBy(cli).map((pid) => cmdline(pid))
    // wrangler's environment as read while it deploys: a process can end between the listing and the read.
    let wrangler: ReadonlyArray<string> = []
    yield* waitFor(
      () => {
        const deploying = startedBy(cli).filter((pid) => cmdline(pid).includes("wrangler deploy"))
        wrangler = deploying.map(environ).find((entries) => entries.some((entry) => entry !== "")) ?? []
        return wrangler.length > 0 && running().some((line) => line.startsWith("sleep"))
      },
      "wrangler to deploy",
      20_000
    )
    for (const pid of startedBy(cli)) {
      assert.notInclude(environ(pid).join("\n"), canary, `${cmdline(pid)} holds the database password`)
    }
    assert.include(wrangler, "BUILD_FLAVOUR=kept", "the variables build-env names reach wrangler")
    assert.isTrue(
      wrangler.every((entry) => !/^PG|^FLEETFLOW_PG_URL=|^TEAM_STATE_URL=/.test(entry)),
      "no database variable reaches wrangler"
    )
    return { started, cli }
  })

/** Waits at most 5 s from now for `cli` to exit and everything it started to be gone. */
const allGone = (started: Started, cli: number) =>
  Effect.gen(function* () {
    const from = Date.now()
    // A process ended by a signal has no exit code: the platform fails, naming the signal.
    const code = yield* started.process.exitCode.pipe(
      Effect.timeout("5 seconds"),
      Effect.catchTag("SystemError", () => Effect.succeed("killed" as const)),
      Effect.mapError((error) => new Error(String(error))),
      Effect.orDie
    )
    yield* waitFor(
      () => startedBy(cli).length === 0,
      "the processes FleetFlow started to end",
      5_000 - (Date.now() - from)
    )
    return code
  })

/** The next `up` deploys the worker once and converges. */
const converges = (dir: string, env: Record<string, string>) =>
  Effect.gen(function* () {
    const next = yield* run(["up", ...args, "--yes"], dir, { ...env, ...secrets })
    assert.strictEqual(next.code, 0, next.stdout + next.stderr)
    const cloud = JSON.parse(
      fs.readFileSync(path.join(StateFile.sandboxFolder(dir), "cloudflare-api.json"), "utf8")
    ) as { workers: ReadonlyArray<{ name: string }> }
    assert.deepStrictEqual(
      cloud.workers.map((worker) => worker.name),
      ["slow-api"],
      "one worker, deployed once"
    )
    const plan = yield* run(["plan", ...args], dir, env)
    assert.strictEqual(plan.code, 0, plan.stdout + plan.stderr)
    assert.include(plan.stdout, "No changes")
  })

const signalled = (name: string, signals: ReadonlyArray<NodeJS.Signals>) =>
  it.scopedLive(
    `${name}: nothing it started outlives it by 5 s, the lock is released, the next up converges`,
    () =>
      Effect.gen(function* () {
        const { dir, env } = setup()
        const { started, cli } = yield* deploying(dir, env)
        const code = yield* step(
          "the stop",
          Effect.gen(function* () {
            for (const [index, signal] of signals.entries()) {
              if (index > 0) yield* Effect.sleep("300 millis")
              process.kill(cli, signal)
            }
            return yield* allGone(started, cli)
          })
        )
        assert.strictEqual<unknown>(code, 130, started.output().stderr)
        assert.isFalse(fs.existsSync(StateFile.lockPath(StateFile.sandboxFolder(dir))), "the lock is released")
        yield* step("the next up", converges(dir, env))
        fs.rmSync(dir, { recursive: true, force: true })
      }),
    40_000
  )

describe("the processes fleetflow starts end with it", () => {
  signalled("Ctrl-C twice", ["SIGINT", "SIGINT"])
  signalled("SIGTERM", ["SIGTERM"])
  signalled("SIGHUP", ["SIGHUP"])

  it.scopedLive(
    "SIGKILL: the watchdog ends what it started within 5 s; killed with its watchdog, the next command ends them first",
    () =>
      Effect.gen(function* () {
        const { dir, env } = setup()
        const lock = StateFile.lockPath(StateFile.sandboxFolder(dir))
        const unlock = () => run(["force-unlock", ...args, "--yes", StateFile.readLock(lock).id], dir, env)

        yield* step(
          "SIGKILL of FleetFlow alone",
          Effect.gen(function* () {
            const { started, cli } = yield* deploying(dir, env)
            process.kill(cli, "SIGKILL")
            assert.strictEqual(yield* allGone(started, cli), "killed")
            const unlocked = yield* unlock()
            assert.strictEqual(unlocked.code, 0, unlocked.stderr)
          })
        )

        yield* step(
          "SIGKILL of FleetFlow and its watchdog",
          Effect.gen(function* () {
            const { started, cli } = yield* deploying(dir, env)
            // FleetFlow starts its watchdog once the child's spawn is reported, which a busy machine may delay.
            yield* waitFor(() => watchdogOf(cli).length > 0, "FleetFlow's watchdog", 5_000)
            const watchdogs = watchdogOf(cli)
            assert.lengthOf(watchdogs, 1)
            for (const pid of [cli, ...watchdogs]) process.kill(pid, "SIGKILL")
            yield* started.process.exitCode.pipe(Effect.ignore)
            yield* Effect.sleep("500 millis")
            const left = startedBy(cli)
            assert.isTrue(
              left.some((pid) => cmdline(pid).startsWith("sleep")),
              "the sleep deaf to SIGTERM is left"
            )
            const unlocked = yield* unlock()
            assert.strictEqual(unlocked.code, 0, unlocked.stderr)
            assert.include(unlocked.stderr, "A FleetFlow run that was killed left")
            assert.deepStrictEqual(startedBy(cli), [], "the next command ended them")
          })
        )

        yield* step("the next up", converges(dir, env))
        fs.rmSync(dir, { recursive: true, force: true })
      }),
    50_000
  )

  it.live(
    "a reader of stdout that goes away (`up | head -1`) stops it like Ctrl-C: the lock is released, the next up converges",
    () =>
      Effect.gen(function* () {
        const { dir, env } = setup()
        const shell = `"${process.execPath}" "${bundle}" up ${args.join(" ")} --yes | head -1; echo "exit \${PIPESTATUS[0]}" >&2`
        const result = ChildProcess.spawnSync("bash", ["-c", shell], {
          cwd: dir,
          env: { ...process.env, ...env, ...secrets, FLEETFLOW_SANDBOX_LATENCY: "300ms", NO_COLOR: "1" },
          encoding: "utf8",
          timeout: 30_000
        })
        assert.include(result.stderr, "The reader of stdout went away")
        assert.include(result.stderr, "exit 130")
        assert.isFalse(fs.existsSync(StateFile.lockPath(StateFile.sandboxFolder(dir))), "the lock is released")
        yield* step("the next up", converges(dir, env))
        fs.rmSync(dir, { recursive: true, force: true })
      }),
    40_000
  )
})
