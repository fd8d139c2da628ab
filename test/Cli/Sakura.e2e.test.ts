/**
 * The CLI without --sandbox, on Sakura Cloud through the real process path: FLEETFLOW_USACLOUD
 * names an executable that runs the usacloud simulator shipped in dist/, whose cloud is a
 * store file the test reads afterwards (what it holds, and every command it received).
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as LogLevel from "effect/LogLevel"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Config from "../../src/Config.js"
import * as Fleet from "../../src/Fleet.js"
import * as SakuraProvider from "../../src/Sakura/Provider.js"
import * as Simulator from "../../src/Sakura/Simulator.js"
import * as State from "../../src/State.js"
import { hasStackTrace, repository, run, start, waitFor } from "../support/Cli.js"
import { lockPath, readLock, readState, statePath } from "../support/StateFile.js"
import { step } from "../support/Step.js"
import { flagValue } from "../support/UsacloudArgs.js"

const simulator = path.join(repository, "dist", "usacloud-simulator.mjs")
const literalKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIp3bRIORsFVVDDs0q34IDerUh6yOL40bHgrjAZPqFpy ops@creo"
const archive = "Ubuntu Server 24.04.2 LTS 64bit"

/** A folder with `fleet.kdl`, the example's key and script, and a `usacloud` that runs the simulator. */
const setup = (kdl: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-sakura-"))
  fs.cpSync(path.join(repository, "examples", "keys"), path.join(dir, "keys"), { recursive: true })
  fs.cpSync(path.join(repository, "examples", "scripts"), path.join(dir, "scripts"), { recursive: true })
  fs.writeFileSync(path.join(dir, "fleet.kdl"), kdl)
  const bin = path.join(dir, "bin")
  fs.mkdirSync(bin)
  const usacloud = path.join(bin, "usacloud")
  fs.writeFileSync(usacloud, `#!/bin/sh\nexec "${process.execPath}" "${simulator}" "$@"\n`, { mode: 0o755 })
  const store = path.join(dir, "store.json")
  const env = {
    FLEETFLOW_USACLOUD: usacloud,
    [Simulator.environment.store]: store,
    [Simulator.environment.log]: "1"
  }
  return { dir, store, env }
}

/** `fleetflow up --yes` of the stage dev, in this process, on the simulator store. */
const upInProcess = (dir: string, store: string) =>
  Effect.gen(function* () {
    const config = yield* Config.load(path.join(dir, "fleet.kdl"))
    const desired = yield* Config.desiredResources(config, "dev")
    return yield* Fleet.up(
      { config, stage: "dev", desired },
      {
        parallelism: 10,
        refresh: true,
        confirm: () => Effect.succeed(true),
        onFailure: () => Effect.succeed("abort" as const)
      }
    )
  }).pipe(
    Effect.provide(
      Layer.mergeAll(
        SakuraProvider.layer().pipe(
          Layer.provide(
            Layer.unwrapEffect(
              Effect.map(Simulator.fileStore(store), (simulator) => Simulator.layerTransport(simulator))
            )
          )
        ),
        State.layerLocal(path.join(dir, ".fleetflow"))
      )
    ),
    Effect.provide(NodeContext.layer),
    Logger.withMinimumLogLevel(LogLevel.Warning),
    Effect.orDie
  )

const opened = (store: string) => Effect.provide(Simulator.fileStore(store), NodeContext.layer)
const cloudOf = (store: string) =>
  Effect.orDie(Effect.flatMap(opened(store), (simulator) => Simulator.inspect(simulator)))

const storedState = (dir: string) =>
  Effect.flatMap(State.makeLocal(path.join(dir, ".fleetflow")), (store) => store.read).pipe(
    Effect.map(Option.getOrThrow),
    Effect.provide(NodeContext.layer),
    Effect.orDie
  )
const invocationsOf = (store: string) =>
  Effect.orDie(Effect.flatMap(opened(store), (simulator) => Simulator.invocations(simulator)))

const commandOf = (args: ReadonlyArray<string>) => `${args[0]} ${args[1]}`

const zoned = ["server", "disk", "archive"]
const readsOutput = ["list", "read", "create", "update"]
const mutates = ["create", "update", "delete", "boot", "shutdown"]

/** What every usacloud run FleetFlow makes must look like. */
const assertWellFormed = (invocations: ReadonlyArray<ReadonlyArray<string>>) => {
  assert.isAbove(invocations.length, 0)
  for (const args of invocations) {
    const shown = args.join(" ")
    const [resource = "", verb = ""] = args
    assert.strictEqual(flagValue(args, "--argument-match-mode"), "exact", shown)
    assert.isFalse(
      args.some((arg) => arg.startsWith("--zone=")),
      shown
    )
    if (zoned.includes(resource)) {
      const zone = flagValue(args, "--zone")
      assert.isDefined(zone, `${shown}: --zone`)
      assert.notStrictEqual(zone, "all", shown)
    } else {
      assert.notInclude(args, "--zone", shown)
    }
    if (readsOutput.includes(verb)) assert.strictEqual(flagValue(args, "-o"), "json", shown)
    if (mutates.includes(verb)) assert.include(args, "-y", shown)
  }
}

const three = `project "creo"
providers { sakura-cloud { zone "tk1a"; } }
retry max-attempts=3 initial-delay="100ms" max-delay="1s"

stage "dev" {
    server "batch" {
        plan core=1 memory=2
        disk size=40 archive="${archive}"
        zone "is1a"
    }
    server "web" {
        plan core=2 memory=4
        disk size=40 os="ubuntu-24.04"
        ssh-key "./keys/deploy.pub"
        ssh-key "${literalKey}"
    }
    server "api" {
        plan core=1 memory=2
        disk size=20 os="debian-12"
        startup-script "./scripts/bootstrap.sh"
        init-script-vars {
            ROLE "api"
        }
    }
}
`

const stageArgs = ["-f", "fleet.kdl", "--stage", "dev"]

describe("fleetflow on Sakura Cloud through usacloud (the simulator as the binary)", () => {
  it.live(
    "up, no changes, a memory change in place followed to the new ID, and down leave the cloud as it was",
    () =>
      Effect.gen(function* () {
        const { dir, env, store } = setup(three)
        yield* step(
          "up creates the servers with their disks, keys and script",
          Effect.gen(function* () {
            const up = yield* run(["up", ...stageArgs, "--yes"], dir, env)
            assert.strictEqual(up.code, 0, up.stdout + up.stderr)
            assert.include(up.stdout, "Apply complete!")

            const cloud = yield* cloudOf(store)
            assert.sameMembers(
              cloud.servers.map((server) => `${server.name}@${server.zone}`),
              ["batch@is1a", "web@tk1a", "api@tk1a"]
            )
            assert.strictEqual(cloud.disks.length, 3)
            assert.strictEqual(cloud.sshKeys.length, 2)
            assert.strictEqual(cloud.notes.length, 1)
            for (const disk of cloud.disks)
              assert.include(
                cloud.servers.map((server) => server.id),
                disk.serverId
              )

            const invocations = yield* invocationsOf(store)
            assertWellFormed(invocations)
            const runsOf = (command: string) => invocations.filter((args) => commandOf(args) === command)
            // One server create per server makes its disk, writes into it and boots it.
            assert.strictEqual(runsOf("server create").length, 3)
            assert.strictEqual(runsOf("disk create").length, 0)
            assert.strictEqual(runsOf("ssh-key create").length, 2)
            assert.strictEqual(runsOf("note create").length, 1)
            // The archive is resolved to its ID in its zone; each OS to the archive usacloud would take for it.
            const archives = runsOf("archive list")
            assert.sameMembers(
              archives.map((args) => `${flagValue(args, "--zone")} ${flagValue(args, "--os-type") ?? "by name"}`),
              ["is1a by name", "tk1a ubuntu2404", "tk1a debian12"]
            )
            const creates = new Map(runsOf("server create").map((args) => [flagValue(args, "--name"), args]))
            const web = cloud.servers.find((server) => server.name === "web")!
            const api = cloud.servers.find((server) => server.name === "api")!
            const diskOf = (serverId: number) => cloud.disks.find((disk) => disk.serverId === serverId)!
            for (const [name, create] of creates) {
              const server = cloud.servers.find((each) => each.name === name)!
              assert.include(create, "--boot-after-create")
              assert.strictEqual(flagValue(create, "--disk-name"), name)
              assert.notInclude(create, "--disk-os-type", "the state knows the archive a disk was made from")
              assert.strictEqual(
                flagValue(create, "--disk-source-archive-id"),
                String(diskOf(server.id).sourceArchiveId)
              )
            }
            // Keys and the script are written into the disks before the first boot, by the server create.
            assert.sameMembers(
              (flagValue(creates.get("web")!, "--disk-edit-ssh-key-ids") ?? "").split(","),
              cloud.sshKeys.map((key) => String(key.id))
            )
            assert.deepStrictEqual(JSON.parse(flagValue(creates.get("api")!, "--disk-edit-notes") ?? "null"), [
              { ID: cloud.notes[0]!.id, Variables: { ROLE: "api" } }
            ])
            assert.isDefined(api)
            assert.strictEqual(web.hostName, "web")
            assert.deepStrictEqual(runsOf("disk update"), [])
            assert.deepStrictEqual(runsOf("server boot"), [])
            assert.include(
              cloud.notes[0]!.content,
              fs.readFileSync(path.join(dir, "scripts", "bootstrap.sh"), "utf8").trim()
            )
          })
        )

        yield* step(
          "a second plan has no changes",
          Effect.gen(function* () {
            const again = yield* run(["plan", ...stageArgs, "--detailed-exitcode"], dir, env)
            assert.strictEqual(again.code, 0, again.stdout + again.stderr)
            assert.include(again.stdout, "No changes.")
          })
        )

        yield* step(
          "a memory change is applied in place and the state follows the new ID",
          Effect.gen(function* () {
            const before = JSON.parse(
              (yield* run(["state", "show", "sakura-cloud:server:web", "--json"], dir, env)).stdout
            )
            const file = path.join(dir, "fleet.kdl")
            fs.writeFileSync(
              file,
              fs.readFileSync(file, "utf8").replace("plan core=2 memory=4", "plan core=2 memory=8")
            )
            const changed = yield* run(["plan", ...stageArgs, "--detailed-exitcode"], dir, env)
            assert.strictEqual(changed.code, 2, changed.stderr)
            assert.include(changed.stdout, "~ memory = 4 -> 8")
            assert.include(changed.stdout, "Plan: 0 to add, 1 to change, 0 to destroy.")
            const apply = yield* run(["up", ...stageArgs, "--yes"], dir, env)
            assert.strictEqual(apply.code, 0, apply.stdout + apply.stderr)
            assert.include(apply.stdout, "Resources: 0 added, 1 changed, 0 destroyed.")
            const after = JSON.parse(
              (yield* run(["state", "show", "sakura-cloud:server:web", "--json"], dir, env)).stdout
            )
            assert.notStrictEqual(after.id, before.id, "a plan change gives the server a new ID")
            const moved = (yield* cloudOf(store)).servers.find((server) => server.name === "web")!
            assert.strictEqual(String(moved.id), after.id, "the state follows the new ID")
            assert.strictEqual(moved.memoryMB, 8 * 1024)
            assert.include(moved.tags, `@previous-id=${before.id}`)
            const settled = yield* run(["plan", ...stageArgs, "--detailed-exitcode"], dir, env)
            assert.strictEqual(settled.code, 0, settled.stdout + settled.stderr)
          })
        )

        yield* step(
          "down empties the cloud",
          Effect.gen(function* () {
            const down = yield* run(["down", ...stageArgs, "--yes"], dir, env)
            assert.strictEqual(down.code, 0, down.stdout + down.stderr)
            const left = yield* cloudOf(store)
            assert.deepStrictEqual(
              { servers: left.servers, disks: left.disks, sshKeys: left.sshKeys, notes: left.notes },
              { servers: [], disks: [], sshKeys: [], notes: [] }
            )
            assertWellFormed(yield* invocationsOf(store))
          })
        )
      }),
    120_000
  )

  it.live(
    "a plan for 50 servers in one zone runs one server list and one disk list for that zone",
    () =>
      Effect.gen(function* () {
        const servers = Array.from(
          { length: 50 },
          (_, index) => `    server "node-${String(index + 1).padStart(2, "0")}" {
        plan core=1 memory=1
        disk size=20 os="ubuntu-24.04"
    }`
        ).join("\n")
        const { dir, env, store } = setup(
          `project "creo"\nproviders { sakura-cloud { zone "tk1a"; } }\nstage "dev" {\n${servers}\n}\n`
        )
        // The 50 servers are made in process, through the same provider and simulator store, into
        // the state the CLI reads: only the plan's own usacloud runs are counted.
        yield* upInProcess(dir, store)
        assert.strictEqual((yield* cloudOf(store)).servers.length, 50)

        const before = (yield* invocationsOf(store)).length
        const plan = yield* run(["plan", ...stageArgs, "--detailed-exitcode"], dir, env)
        assert.strictEqual(plan.code, 0, plan.stdout + plan.stderr)
        const planned = (yield* invocationsOf(store)).slice(before)
        assertWellFormed(planned)
        // The credentials are checked once before the plan; then one list per type and zone.
        const [checks, lists] = [
          planned.filter((args) => args[0] === "auth-status"),
          planned.filter((args) => args[0] !== "auth-status")
        ]
        assert.strictEqual(checks.length, 1)
        assert.deepStrictEqual(lists.map((args) => `${commandOf(args)} ${flagValue(args, "--zone")}`).sort(), [
          "disk list tk1a",
          "server list tk1a"
        ])
      }),
    120_000
  )

  it.live(
    "a server create refused twice with 503 is retried and succeeds; a 401 fails after one attempt, saying to run `usacloud config`",
    () =>
      Effect.gen(function* () {
        const one = `project "creo"
providers { sakura-cloud { zone "tk1a"; } }
retry max-attempts=3 initial-delay="100ms" max-delay="1s"
stage "dev" {
    server "web" {
        plan core=1 memory=1
        disk size=20 os="ubuntu-24.04"
    }
}
`
        yield* step(
          "a server create refused twice with 503 is retried",
          Effect.gen(function* () {
            const busy = setup(one)
            const retried = yield* run(["up", ...stageArgs, "--yes"], busy.dir, {
              ...busy.env,
              [Simulator.environment.faults]: "server create=503*2"
            })
            assert.strictEqual(retried.code, 0, retried.stdout + retried.stderr)
            assert.include(retried.stdout, "sakura-cloud:server:web: Retrying")
            const creates = (yield* invocationsOf(busy.store)).filter((args) => commandOf(args) === "server create")
            assert.strictEqual(creates.length, 3)
            assert.strictEqual((yield* cloudOf(busy.store)).servers.length, 1)
          })
        )

        yield* step(
          "a 401 fails after one attempt",
          Effect.gen(function* () {
            const denied = setup(one)
            const refused = yield* run(["up", ...stageArgs, "--yes"], denied.dir, {
              ...denied.env,
              [Simulator.environment.faults]: "server create=401"
            })
            assert.strictEqual(refused.code, 3, refused.stdout + refused.stderr)
            assert.include(refused.stderr, "usacloud config")
            assert.isFalse(hasStackTrace(refused.stderr), refused.stderr)
            assert.notInclude(refused.stdout, "sakura-cloud:server:web: Retrying")
            const attempts = (yield* invocationsOf(denied.store)).filter((args) => commandOf(args) === "server create")
            assert.strictEqual(attempts.length, 1)
            assert.strictEqual((yield* cloudOf(denied.store)).servers.length, 0)
          })
        )
      }),
    120_000
  )

  it.live(
    "without --sandbox: missing Cloudflare credentials are reported at plan time, and a missing usacloud says how to install it",
    () =>
      Effect.gen(function* () {
        const { dir, env, store } = setup(
          `${three}\nstage "site" {\n    r2-bucket "files" { location "APAC"; }\n    server "web" {\n        plan core=1 memory=1\n        disk size=20 os="ubuntu-24.04"\n    }\n}\n`
        )
        yield* step(
          "missing Cloudflare credentials are reported at plan time",
          Effect.gen(function* () {
            const noCredentials = {
              CF_API_TOKEN: "",
              CLOUDFLARE_API_TOKEN: "",
              CF_ACCOUNT_ID: "",
              CLOUDFLARE_ACCOUNT_ID: ""
            }
            const cloudflare = yield* run(["plan", "-f", "fleet.kdl", "--stage", "site"], dir, {
              ...env,
              ...noCredentials
            })
            assert.strictEqual(cloudflare.code, 1, cloudflare.stdout + cloudflare.stderr)
            assert.include(cloudflare.stderr, "no Cloudflare API token")
            assert.include(cloudflare.stderr, "CF_API_TOKEN")
            assert.strictEqual(cloudflare.stderr.split("Error:").length - 1, 1, "exactly one error")
            assert.isFalse(hasStackTrace(cloudflare.stderr), cloudflare.stderr)
          })
        )

        yield* step(
          "a missing usacloud says how to install it",
          Effect.gen(function* () {
            const missing = { ...env, FLEETFLOW_USACLOUD: path.join(dir, "no-such-usacloud") }
            for (const command of [
              ["plan", ...stageArgs],
              ["up", ...stageArgs, "--yes"]
            ]) {
              const result = yield* run(command, dir, missing)
              assert.strictEqual(result.code, 1, result.stdout + result.stderr)
              assert.include(result.stderr, "usacloud could not be run")
              assert.include(result.stderr, "usacloud config")
              assert.include(result.stderr, "FLEETFLOW_USACLOUD")
              assert.include(result.stderr, "https://docs.usacloud.jp/usacloud/installation/")
              assert.isFalse(hasStackTrace(result.stderr), result.stderr)
            }
            // Commands that need no Sakura call do not look for it.
            const ran = () => (fs.existsSync(store) ? fs.readFileSync(store, "utf8") : "")
            const before = ran()
            const validate = yield* run(["validate", ...stageArgs], dir, env)
            assert.strictEqual(validate.code, 0, validate.stderr)
            assert.strictEqual(ran(), before, "validate ran no usacloud")
          })
        )

        yield* step(
          "with both clouds unusable, the plan reports both, as text and as JSON",
          Effect.gen(function* () {
            const neither = {
              ...env,
              FLEETFLOW_USACLOUD: path.join(dir, "no-such-usacloud"),
              CF_API_TOKEN: "",
              CLOUDFLARE_API_TOKEN: ""
            }
            const plan = yield* run(["plan", "-f", "fleet.kdl", "--stage", "site"], dir, neither)
            assert.strictEqual(plan.code, 1, plan.stdout + plan.stderr)
            const errors = plan.stderr.split("\n\n").filter((block) => block.startsWith("Error: "))
            // In the order the file first names each cloud: the bucket comes before the server.
            assert.strictEqual(errors.length, 2, plan.stderr)
            assert.include(errors[0], "no Cloudflare API token")
            assert.include(errors[0], "\n  Set CF_API_TOKEN")
            assert.include(errors[1], "usacloud could not be run")
            const json = yield* run(["plan", "-f", "fleet.kdl", "--stage", "site", "--json"], dir, neither)
            assert.strictEqual(json.code, 1)
            const error = JSON.parse(json.stdout).error
            assert.strictEqual(error.provider, "cloudflare")
            assert.deepStrictEqual(
              error.also.map((problem: { provider: string; reason: string }) => [problem.provider, problem.reason]),
              [["sakura-cloud", "failed"]]
            )
          })
        )
      })
  )

  it.scopedLive(
    "a run killed while its server create makes the server and its disk, then run again, adopts both: nothing twice",
    () =>
      Effect.gen(function* () {
        const { dir, env, store } = setup(
          `project "p"\nproviders { sakura-cloud { zone "tk1a" } }\nstage "dev" {\n    server "web" {\n        plan core=2 memory=4\n        disk size=20 os="ubuntu-24.04"\n    }\n}\n`
        )
        const made = yield* step(
          "a run killed while the server is made ready leaves intents for the disk and the server",
          Effect.gen(function* () {
            // The new server takes seconds to be ready: the first run is killed while it waits.
            const slow = { ...env, [Simulator.environment.bootTime]: "8s" }
            const first = yield* start(["up", "-f", "fleet.kdl", "--yes"], dir, slow)
            const serverMade = () => {
              if (!fs.existsSync(store)) return false
              try {
                const document = JSON.parse(fs.readFileSync(store, "utf8")) as { servers: ReadonlyArray<unknown> }
                return document.servers.length > 0
              } catch {
                return false
              }
            }
            yield* waitFor(serverMade, "the first run to create the server")
            const made = yield* cloudOf(store)
            assert.strictEqual(made.disks.length, 1)
            assert.strictEqual(made.servers.length, 1)
            yield* first.process.kill("SIGKILL")
            yield* first.process.exitCode.pipe(Effect.ignore)
            // What a killed run left: state.json and the journal lines it flushed, read as every command reads them.
            const state = yield* storedState(dir)
            assert.deepStrictEqual(state.resources, {}, "killed before the call that makes both returned")
            assert.sameDeepMembers(
              state.pending.map((operation: { operation: string; key: string }) => [
                operation.operation,
                operation.key
              ]),
              [
                ["create", "sakura-cloud:disk:web"],
                ["create", "sakura-cloud:server:web"]
              ]
            )
            return made
          })
        )

        yield* step(
          "its lock is reported stale and force-unlock removes it",
          Effect.gen(function* () {
            const stale = yield* run(["up", "-f", "fleet.kdl", "--yes"], dir, env)
            assert.strictEqual(stale.code, 4, "the killed run's lock is reported")
            const lockId = readLock(lockPath(path.join(dir, ".fleetflow"))).id
            assert.strictEqual((yield* run(["force-unlock", "-f", "fleet.kdl", "--yes", lockId], dir, env)).code, 0)
          })
        )

        yield* step(
          "the run again adopts the server: nothing twice",
          Effect.gen(function* () {
            const again = yield* run(["up", "-f", "fleet.kdl", "--yes"], dir, env)
            assert.strictEqual(again.code, 0, again.stdout + again.stderr)
            const cloud = yield* cloudOf(store)
            assert.strictEqual(cloud.disks.length, 1, "no second disk")
            assert.deepStrictEqual(
              cloud.servers.map((server) => server.id),
              made.servers.map((server) => server.id),
              "the server of the killed run was adopted, not made again"
            )
            const invocations = yield* invocationsOf(store)
            assert.strictEqual(invocations.filter((args) => commandOf(args) === "server create").length, 1)
            assert.strictEqual(invocations.filter((args) => commandOf(args) === "disk create").length, 0)
            const after = readState(statePath(path.join(dir, ".fleetflow")))
            assert.strictEqual(after.resources["sakura-cloud:server:web"]?.id, String(made.servers[0]!.id))
            assert.strictEqual(after.resources["sakura-cloud:disk:web"]?.id, String(made.disks[0]!.id))
            assert.deepStrictEqual(after.pending, [])
          })
        )
      }),
    120_000
  )
})
