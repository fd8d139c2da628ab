import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import * as Config from "../../src/Config.js"
import * as Fleet from "../../src/Fleet.js"
import * as Plan from "../../src/Plan.js"
import * as Render from "../../src/Render.js"
import { type ApplyRequest, CloudProvider, ProviderError } from "../../src/Provider.js"
import { makeKey, type StoredResource } from "../../src/Resource.js"
import * as SakuraProvider from "../../src/Sakura/Provider.js"
import * as Simulator from "../../src/Sakura/Simulator.js"
import { UsacloudTransport } from "../../src/Sakura/Transport.js"
import * as State from "../../src/State.js"
import { folder } from "../fixtures/config/support.js"
import { runOptions } from "../support/Desired.js"
import { createRequest, fastRetry, sshPublicKey } from "../support/Builders.js"
import { invocations, provider, providerOver } from "../support/SakuraSimulator.js"
import { flagValue, global, matchExact, zoned } from "../support/UsacloudArgs.js"

const devKey = sshPublicKey("dev@example")
const opsKey = sshPublicKey("ops@example")
const archiveName = "Ubuntu Server 24.04.2 LTS 64bit"

const fleet = (servers: string, memory = 2) =>
  [
    `project "shop"`,
    `providers { sakura-cloud { zone "is1a" } }`,
    `retry max-attempts=3 initial-delay="1ms" max-delay="5ms" multiplier=2.0`,
    `stage "dev" {`,
    servers.replaceAll("$MEMORY", String(memory)).replaceAll("$ARCHIVE", archiveName).replaceAll("$OPS_KEY", opsKey),
    `}`
  ].join("\n")

const threeServers = `
  server "web-01" {
    plan core=1 memory=1
    disk size=20 archive="$ARCHIVE"
    tags "web"
  }
  server "app-01" {
    plan core=2 memory=$MEMORY
    disk size=40 os="ubuntu-24.04"
    ssh-key "./keys/dev.pub"
    ssh-key "$OPS_KEY"
  }
  server "job-01" {
    plan core=1 memory=2
    disk size=20 os="debian-12"
    startup-script "fleetflow-docker-setup"
    startup-script "./scripts/setup.sh"
    init-script-vars { DOMAIN "job.example.com"; PORT 8080 }
  }
`

const files = { "keys/dev.pub": `${devKey}\n`, "scripts/setup.sh": "#!/bin/sh\necho setup\n" }

/** A target loaded from KDL the way the CLI loads it. */
const targetOf = (text: string) =>
  Effect.gen(function* () {
    const root = folder({ "fleet.kdl": text, ...files })
    const config = yield* Config.load(NodePath.join(root, "fleet.kdl"))
    const desired = yield* Config.desiredResources(config, "dev")
    return { config, stage: "dev", desired } satisfies Fleet.Target
  }).pipe(Effect.provide(NodeFileSystem.layer))

const world = (options: Simulator.SimulatorOptions = {}, settings: SakuraProvider.Settings = {}) =>
  Effect.gen(function* () {
    const store = yield* Simulator.memoryStore()
    const provider = SakuraProvider.layer(settings).pipe(Layer.provide(Simulator.layerTransport(store, options)))
    return { store, layer: Layer.merge(provider, State.layerMemory()) }
  })

/** `resource verb` of each invocation. */
const commandsOf = (calls: ReadonlyArray<ReadonlyArray<string>>) => calls.map((args) => `${args[0]} ${args[1]}`)

const count = (calls: ReadonlyArray<ReadonlyArray<string>>, command: string) =>
  commandsOf(calls).filter((name) => name === command).length

const mutating = ["create", "update", "delete", "boot", "shutdown"]

interface EditDisk {
  readonly HostName?: string | undefined
  readonly SSHKeyIDs?: ReadonlyArray<number> | undefined
  readonly DisablePWAuth?: boolean | undefined
  readonly Notes?: ReadonlyArray<{ readonly ID: number; readonly Variables?: Record<string, string> }> | undefined
}

/** The disks a `server create` connects (`--disks`), each with what it writes into it. */
const disksOf = (args: ReadonlyArray<string>) =>
  JSON.parse(flagValue(args, "--disks") ?? "[]") as ReadonlyArray<{ readonly ID: number; readonly EditDisk?: EditDisk }>

/** What a `server create` writes into the new disk it makes (`--disk-edit-*`). */
const newDiskEditOf = (args: ReadonlyArray<string>): EditDisk => {
  const ids = (flag: string) => flagValue(args, flag)?.split(",").map(Number)
  const notes = flagValue(args, "--disk-edit-notes")
  return {
    HostName: flagValue(args, "--disk-edit-host-name"),
    SSHKeyIDs: ids("--disk-edit-ssh-key-ids"),
    DisablePWAuth: args.includes("--disk-edit-disable-pw-auth"),
    Notes: notes === undefined ? ids("--disk-edit-note-ids")?.map((ID) => ({ ID })) : JSON.parse(notes)
  }
}

describe("the Sakura provider through the engine", () => {
  it.effect("three servers come up with the right usacloud commands, converge, follow a plan change, go down", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      const target = yield* targetOf(fleet(threeServers))
      yield* Effect.gen(function* () {
        const applied = yield* Fleet.up(target, runOptions())
        assert.deepStrictEqual(applied.plan.summary, { add: 10, change: 0, destroy: 0 })
        const calls = yield* invocations(store)

        // Every call matches exactly; every change is confirmed; zoned calls name one zone.
        for (const args of calls) {
          assert.include(args.join(" "), "--argument-match-mode exact")
          if (mutating.includes(args[1]!)) assert.include(args, "-y")
          if (args[0] === "server" || args[0] === "disk" || args[0] === "archive") {
            assert.strictEqual(flagValue(args, "--zone"), "is1a")
          }
        }
        // The zone's archives for the archive's name, and one list per OS type for the archive usacloud would take.
        assert.strictEqual(count(calls, "archive list"), 3)
        assert.sameMembers(
          calls
            .filter((args) => args[1] === "list" && args[0] === "archive")
            .map((args) => flagValue(args, "--os-type")),
          [undefined, "ubuntu2404", "debian12"]
        )
        assert.strictEqual(count(calls, "ssh-key create"), 2)
        assert.strictEqual(count(calls, "note create"), 2)
        // One server create per server makes its disk, writes into it, boots it and waits until it is up.
        assert.strictEqual(count(calls, "disk create"), 0)
        assert.strictEqual(count(calls, "server create"), 3)
        assert.strictEqual(count(calls, "server boot"), 0)
        assert.strictEqual(count(calls, "server wait-until-ready"), 0)
        assert.strictEqual(count(calls, "disk update"), 0)
        assert.strictEqual(count(calls, "server read"), 0)
        assert.strictEqual(count(calls, "disk read"), 0)
        // What might exist already is looked for with one list per type and zone.
        assert.strictEqual(count(calls, "server list"), 1)
        assert.strictEqual(count(calls, "disk list"), 1)

        const state = applied.state.resources
        const idOf = (type: "server" | "disk" | "ssh-key" | "startup-script", name: string) =>
          state[makeKey(type, name)]!.id
        const cloud = yield* Simulator.inspect(store).pipe(Effect.orDie)
        const serverCreates = calls.filter((args) => args[0] === "server" && args[1] === "create")
        const createOf = (name: string) => serverCreates.find((args) => flagValue(args, "--name") === name)!

        // The disk from an archive: its name resolved to the zone's archive ID.
        const fromArchive = createOf("web-01")
        assert.match(flagValue(fromArchive, "--disk-source-archive-id")!, /^\d{12}$/)
        assert.strictEqual(
          cloud.disks.find((disk) => String(disk.id) === idOf("disk", "web-01"))?.sourceArchiveId,
          Number(flagValue(fromArchive, "--disk-source-archive-id"))
        )
        // A disk from an OS: made from the archive `--disk-os-type` would take, so the state knows which.
        const fromOs = createOf("app-01")
        const osDisk = cloud.disks.find((disk) => String(disk.id) === idOf("disk", "app-01"))!
        assert.strictEqual(flagValue(fromOs, "--disk-source-archive-id"), String(osDisk.sourceArchiveId))
        assert.strictEqual(state[makeKey("disk", "app-01")]!.attributes.sourceArchive, String(osDisk.sourceArchiveId))
        const [ubuntu] = yield* usacloud(store, ...zoned("archive", "is1a").list("--os-type", "ubuntu2404"))
        assert.strictEqual(osDisk.sourceArchiveId, ubuntu!.ID)
        assert.strictEqual(flagValue(fromOs, "--disk-size"), "40")

        // Each disk is named and tagged as a disk create would make it, and the state holds the one its server has.
        const editOf = (name: string) => {
          const create = createOf(name)
          assert.strictEqual(flagValue(create, "--disk-name"), name)
          assert.isUndefined(flagValue(create, "--disks"))
          assert.isUndefined(flagValue(create, "--disk-ids"))
          const disk = cloud.disks.find((each) => String(each.id) === idOf("disk", name))!
          assert.strictEqual(String(disk.serverId), idOf("server", name))
          assert.isTrue(SakuraProvider.isOwnedBy(disk.tags, { project: "shop", stage: "dev", name }))
          assert.strictEqual(state[makeKey("disk", name)]!.attributes.server, idOf("server", name))
          return newDiskEditOf(create)
        }
        for (const name of ["web-01", "app-01", "job-01"]) {
          const create = createOf(name)
          assert.strictEqual(flagValue(create, "--network-interface-upstream"), "shared")
          assert.include(create, "--boot-after-create")
          assert.strictEqual(editOf(name).HostName, name)
          const server = state[makeKey("server", name)]!
          assert.strictEqual(server.attributes.status, "up")
          assert.strictEqual(server.attributes.hostname, name)
          assert.match(String(server.attributes.ip), /^153\.120\.\d+\.\d+$/)
          assert.strictEqual(server.attributes.disk, idOf("disk", name))
          assert.strictEqual(server.inputs.disk, idOf("disk", name))
        }
        assert.deepStrictEqual(
          editOf("app-01")
            .SSHKeyIDs?.map((id) => String(id))
            .sort(),
          [idOf("ssh-key", "dev"), idOf("ssh-key", "ops-example")].sort()
        )
        assert.isTrue(editOf("app-01").DisablePWAuth)
        const notes = editOf("job-01").Notes!
        assert.deepStrictEqual(
          notes.map((note) => String(note.ID)),
          [idOf("startup-script", "fleetflow-docker-setup"), idOf("startup-script", "setup")]
        )
        assert.deepStrictEqual(notes[0]!.Variables, { DOMAIN: "job.example.com", PORT: "8080" })
        const setupNote = cloud.notes.find((note) => note.name === "fleetflow-docker-setup")!
        assert.include(setupNote.content, "docker")

        // Ownership tags on everything that has tags; the user's tags beside them.
        const web = cloud.servers.find((server) => server.name === "web-01")!
        assert.isTrue(SakuraProvider.isOwnedBy(web.tags, { project: "shop", stage: "dev", name: "web-01" }))
        assert.include(web.tags, "web")
        assert.strictEqual(web.hostName, "web-01")
        for (const disk of cloud.disks) {
          assert.isTrue(SakuraProvider.isOwnedBy(disk.tags, { project: "shop", stage: "dev", name: disk.name }))
        }

        // Nothing to do on a second plan.
        const again = yield* Fleet.plan(target, { refresh: true })
        assert.isFalse(Plan.hasChanges(again.plan))

        // A memory change: shut down, change, boot; the state follows the new ID.
        const before = idOf("server", "app-01")
        const bigger = yield* targetOf(fleet(threeServers, 4))
        const before2 = (yield* invocations(store)).length
        const changed = yield* Fleet.up(bigger, runOptions())
        assert.deepStrictEqual(changed.plan.summary, { add: 0, change: 1, destroy: 0 })
        const after = changed.state.resources[makeKey("server", "app-01")]!
        assert.notStrictEqual(after.id, before)
        assert.strictEqual(after.attributes.status, "up")
        const updateCalls = (yield* invocations(store)).slice(before2)
        assert.deepStrictEqual(
          commandsOf(updateCalls.filter((args) => mutating.includes(args[1]!) || args[1]!.startsWith("wait"))),
          ["server shutdown", "server update", "server boot"]
        )
        const update = updateCalls.find((args) => args[1] === "update")!
        assert.strictEqual(update[2], before)
        assert.strictEqual(flagValue(update, "--memory"), "4")
        const moved = (yield* Simulator.inspect(store).pipe(Effect.orDie)).servers.find(
          (server) => String(server.id) === after.id
        )!
        assert.include(moved.tags, `@previous-id=${before}`)
        assert.strictEqual(moved.memoryMB, 4096)
        const settled = yield* Fleet.plan(bigger, { refresh: true })
        assert.isFalse(Plan.hasChanges(settled.plan))

        // Down: servers first (forced off), then disks, keys and notes; nothing is left.
        yield* Fleet.down(bigger, runOptions())
        const empty = yield* Simulator.inspect(store).pipe(Effect.orDie)
        assert.deepStrictEqual(
          [empty.servers.length, empty.disks.length, empty.sshKeys.length, empty.notes.length],
          [0, 0, 0, 0]
        )
        const downCalls = (yield* invocations(store)).filter((args) => args[1] === "delete")
        assert.isTrue(downCalls.every((args) => !args.includes("--with-disks")))
      }).pipe(Effect.provide(layer))
    })
  )
})

describe("reads started early", () => {
  it.live("an up starts the lookups and the OS archive its creates need while the credentials are checked", () =>
    Effect.gen(function* () {
      const store = yield* Simulator.memoryStore()
      const spans: Array<{ readonly command: string; readonly start: number; end?: number }> = []
      // Every usacloud run takes 50 ms: what overlaps shows in when each began and ended.
      const transport = Layer.succeed(UsacloudTransport, {
        run: (args) =>
          Effect.suspend(() => {
            const span: { command: string; start: number; end?: number } = {
              command: commandsOf([args])[0]!,
              start: performance.now()
            }
            spans.push(span)
            return Effect.zipLeft(
              Effect.delay(Effect.orDie(Simulator.run(args, {}, store)), "50 millis"),
              Effect.sync(() => {
                span.end = performance.now()
              })
            )
          })
      })
      const layer = Layer.merge(SakuraProvider.layer().pipe(Layer.provide(transport)), State.layerMemory())
      const target = yield* targetOf(fleet(`server "a-01" { plan core=1 memory=1; disk size=20 os="ubuntu" }`))
      // A plan alone checks the credentials and reads what its creates would meet, nothing an up's creates need besides.
      yield* Fleet.plan(target, { refresh: true }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(spans.map((span) => span.command).sort(), ["auth-status -o", "disk list", "server list"])
      spans.length = 0
      yield* Fleet.up(target, runOptions()).pipe(Effect.provide(layer))
      const check = spans.find((span) => span.command === "auth-status -o")!
      for (const read of ["server list", "disk list", "archive list"]) {
        const span = spans.find((each) => each.command === read)
        assert.isDefined(span, `${read} ran`)
        assert.isBelow(span!.start, check.end!, `${read} started before the credentials were checked`)
      }
      assert.deepStrictEqual(
        spans.filter((span) => span.command.endsWith("list")).length,
        3,
        "each read once, the creates using what was started"
      )
    })
  )
})

/** A server created by hand with the ownership tags FleetFlow gives `name`, not booted. */
const handMade = (name: string, extra: ReadonlyArray<string> = []) =>
  zoned("server", "is1a").create(
    "--name",
    name,
    "--tags",
    SakuraProvider.ownershipTags({ project: "shop", stage: "dev", name }).join(","),
    "--network-interface-upstream",
    "shared",
    ...extra
  )

const usacloud = (store: Simulator.SimulatorStore, ...args: ReadonlyArray<string>) =>
  Effect.map(Simulator.run(args, {}, store).pipe(Effect.orDie), (output) => {
    assert.strictEqual(output.exitCode, 0, output.stderr)
    return output.stdout === "" ? [] : (JSON.parse(output.stdout) as ReadonlyArray<{ readonly ID: number }>)
  })

const serverArgs = (name: string) =>
  zoned("server", "is1a").create(
    "--name",
    name,
    "--network-interface-upstream",
    "shared",
    "--disk-size",
    "20",
    "--disk-os-type",
    "ubuntu2404",
    "--boot-after-create"
  )

const stored = (type: StoredResource["type"], name: string, id: string, inputs: StoredResource["inputs"]) =>
  [
    makeKey(type, name),
    {
      provider: "sakura-cloud",
      type,
      name,
      stage: "dev",
      id,
      attributes: {},
      inputs,
      dependsOn: [],
      created_at: "2025-01-01T00:00:00Z",
      updated_at: "2025-01-01T00:00:00Z"
    } satisfies StoredResource
  ] as const

const scope = { project: "shop", stage: "dev" }

const request = (type: ApplyRequest["type"], name: string, inputs: ApplyRequest["inputs"]) =>
  createRequest(scope, type, name, inputs)

/** Fifty servers made directly in the simulator, as the state would record them. */
const fiftyServers = (store: Simulator.SimulatorStore) =>
  Effect.gen(function* () {
    const resources = new Map<string, StoredResource>()
    for (let index = 1; index <= 50; index++) {
      const name = `web-${String(index).padStart(2, "0")}`
      const [created] = yield* usacloud(store, ...serverArgs(name))
      const [key, resource] = stored("server", name, String(created!.ID), { zone: "is1a" })
      resources.set(key, resource)
    }
    return resources
  })

describe("getState", () => {
  it.effect("reads fifty servers of one zone with one server list", () =>
    Effect.gen(function* () {
      const { service, store } = yield* provider()
      const resources = yield* fiftyServers(store)
      const [, gone] = stored("server", "gone", "100000099999", { zone: "is1a" })
      resources.set(makeKey("server", "gone"), gone)
      const before = (yield* invocations(store)).length
      const observed = yield* service.getState(scope, resources)
      const calls = (yield* invocations(store)).slice(before)
      assert.deepStrictEqual(commandsOf(calls), ["server list"])
      assert.deepStrictEqual(calls[0], [...zoned("server", "is1a").list(), ...matchExact])
      assert.strictEqual(observed.size, 50)
      assert.isFalse(observed.has(makeKey("server", "gone")))
      const first = observed.get(makeKey("server", "web-01"))!
      assert.strictEqual(first.attributes.status, "up")
      assert.strictEqual(first.attributes.zone, "is1a")
      assert.match(String(first.attributes.ip), /^153\.120\./)
    })
  )

  it.live("a 503 on the first attempt is retried and the read succeeds", () =>
    Effect.gen(function* () {
      const faults = Either.getOrThrow(Simulator.parseFaults("server list=503*1"))
      const { service, store } = yield* provider({ faults }, { readRetry: fastRetry })
      const resources = yield* fiftyServers(store)
      const observed = yield* service.getState(scope, resources)
      assert.strictEqual(observed.size, 50)
      assert.strictEqual(count(yield* invocations(store), "server list"), 2)
    })
  )

  it.live("a 401 fails after one attempt and says to run usacloud config", () =>
    Effect.gen(function* () {
      const faults = Either.getOrThrow(Simulator.parseFaults("server list=401"))
      const { service, store } = yield* provider({ faults }, { readRetry: fastRetry })
      const resources = yield* fiftyServers(store)
      const error = yield* Effect.flip(service.getState(scope, resources))
      assert.instanceOf(error, ProviderError)
      assert.strictEqual(error.reason, "auth")
      assert.include(error.hint, "usacloud config")
      assert.include(error.message, "usacloud config")
      assert.strictEqual(count(yield* invocations(store), "server list"), 1)
    })
  )

  it.live("output that is not JSON is an error, not an empty list", () =>
    Effect.gen(function* () {
      const faults = Either.getOrThrow(Simulator.parseFaults("server list=garbage"))
      const { service, store } = yield* provider({ faults }, { readRetry: fastRetry })
      const resources = yield* fiftyServers(store)
      const error = yield* Effect.flip(service.getState(scope, resources))
      assert.instanceOf(error, ProviderError)
      assert.strictEqual(error.operation, "usacloud server list")
    })
  )

  it.effect("a server whose plan changed outside FleetFlow is followed through @previous-id", () =>
    Effect.gen(function* () {
      const { service, store } = yield* provider()
      const [created] = yield* usacloud(store, ...serverArgs("web-01"))
      const [moved] = yield* usacloud(store, ...zoned("server", "is1a").update(String(created!.ID), "--memory", "2"))
      const observed = yield* service.getState(
        scope,
        new Map([stored("server", "web-01", String(created!.ID), { zone: "is1a" })])
      )
      assert.strictEqual(observed.get(makeKey("server", "web-01"))?.id, String(moved!.ID))
      // The new plan is read back, so the engine can show it as drift.
      assert.strictEqual(observed.get(makeKey("server", "web-01"))?.inputs?.memory, 2)
    })
  )
})

describe("apply and destroy", () => {
  it.effect("an SSH key two servers share is registered once; an existing key is adopted and kept", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      const [registered] = yield* usacloud(store, ...global("ssh-key").create("--name", "mine", "--public-key", opsKey))
      const target = yield* targetOf(
        fleet(`
          server "a-01" { plan core=1 memory=1; disk size=20 os="ubuntu"; ssh-key "./keys/dev.pub"; ssh-key "$OPS_KEY" }
          server "b-01" { plan core=1 memory=1; disk size=20 os="ubuntu"; ssh-key "./keys/dev.pub"; ssh-key "$OPS_KEY" }
        `)
      )
      yield* Effect.gen(function* () {
        const applied = yield* Fleet.up(target, runOptions())
        const calls = yield* invocations(store)
        assert.strictEqual(count(calls, "ssh-key create"), 2)
        const ops = applied.state.resources[makeKey("ssh-key", "ops-example")]!
        assert.strictEqual(ops.id, String(registered!.ID))
        assert.strictEqual(ops.attributes.adopted, true)
        const edits = calls.filter((args) => args[0] === "server" && args[1] === "create").map(newDiskEditOf)
        assert.strictEqual(edits.length, 2)
        for (const edit of edits) assert.include(edit.SSHKeyIDs!.map(String), ops.id)
        const down = yield* Fleet.down(target, runOptions())
        // The adopted key stays: the plan and the summary say it is forgotten, not destroyed.
        assert.deepStrictEqual(down.plan.summary, { add: 0, change: 0, destroy: 5, forget: 1 })
        const text = Render.plan(down.plan, { color: false })
        assert.include(text, "# sakura-cloud:ssh-key:ops-example will be forgotten and left in place")
        assert.include(text, "Plan: 0 to add, 0 to change, 5 to destroy, 1 to forget (left in place).")
        const left = yield* Simulator.inspect(store).pipe(Effect.orDie)
        assert.deepStrictEqual(
          left.sshKeys.map((key) => key.name),
          ["mine"]
        )
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("a changed startup script updates its note in place and leaves the server alone", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      const servers = `server "a-01" { plan core=1 memory=1; disk size=20 os="ubuntu"; startup-script "./scripts/setup.sh" }`
      const text = fleet(servers)
      const root = folder({ "fleet.kdl": text, ...files })
      const load = Effect.gen(function* () {
        const config = yield* Config.load(NodePath.join(root, "fleet.kdl"))
        return { config, stage: "dev", desired: yield* Config.desiredResources(config, "dev") } satisfies Fleet.Target
      }).pipe(Effect.provide(NodeFileSystem.layer))
      yield* Effect.gen(function* () {
        const first = yield* Fleet.up(yield* load, runOptions())
        const noteId = first.state.resources[makeKey("startup-script", "setup")]!.id
        NodeFs.writeFileSync(NodePath.join(root, "scripts/setup.sh"), "#!/bin/sh\necho changed\n")
        const before = (yield* invocations(store)).length
        const second = yield* Fleet.up(yield* load, runOptions())
        // The note keeps its ID through the update: the server that refers to it has nothing to change.
        assert.deepStrictEqual(second.plan.summary, { add: 0, change: 1, destroy: 0 })
        const calls = (yield* invocations(store)).slice(before)
        const changes = calls.filter((args) => mutating.includes(args[1]!))
        assert.deepStrictEqual(commandsOf(changes), ["note update"])
        assert.strictEqual(changes[0]![2], noteId)
        const cloud = yield* Simulator.inspect(store).pipe(Effect.orDie)
        assert.strictEqual(cloud.notes[0]!.content, "#!/bin/sh\necho changed\n")
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect(
    "credentials Sakura Cloud refuses fail the plan once, before anything is made, saying how to set them",
    () =>
      Effect.gen(function* () {
        const refused = Either.getOrThrow(Simulator.parseFaults("auth-status=401"))
        const { layer, store } = yield* world({ faults: refused })
        const target = yield* targetOf(fleet(`server "a-01" { plan core=1 memory=1; disk size=20 os="ubuntu" }`))
        const failure = yield* Effect.flip(Fleet.plan(target, { refresh: true }).pipe(Effect.provide(layer)))
        assert.strictEqual(failure._tag, "ProviderError")
        if (failure._tag !== "ProviderError") return
        assert.strictEqual(failure.reason, "auth")
        assert.include(failure.hint ?? "", "SAKURACLOUD_ACCESS_TOKEN")
        // Beside the check, only what the creates would meet was read.
        assert.deepStrictEqual(
          commandsOf(yield* invocations(store)).sort(),
          ["auth-status -o", "disk list", "server list"],
          "nothing but the credentials check and reads ran"
        )
      })
  )

  it.live("a plan's search for what its creates would meet retries a busy list, as the plan's other reads do", () =>
    Effect.gen(function* () {
      const busy = Either.getOrThrow(Simulator.parseFaults("server list=503*1"))
      const { layer, store } = yield* world({ faults: busy }, { readRetry: fastRetry })
      const target = yield* targetOf(fleet(`server "a-01" { plan core=1 memory=1; disk size=20 os="ubuntu" }`))
      const planned = yield* Fleet.plan(target, { refresh: true }).pipe(Effect.provide(layer))
      assert.strictEqual(planned.plan.summary.add, 2)
      assert.strictEqual(count(yield* invocations(store), "server list"), 2)
    })
  )

  it.live("a transient failure is retried by the engine alone: once, and three attempts at most", () =>
    Effect.gen(function* () {
      const once = Either.getOrThrow(Simulator.parseFaults("server create=503*1"))
      const target = yield* targetOf(fleet(`server "a-01" { plan core=1 memory=1; disk size=20 os="ubuntu" }`))
      const flaky = yield* world({ faults: once })
      const applied = yield* Fleet.up(target, runOptions()).pipe(Effect.provide(flaky.layer))
      assert.strictEqual(applied.state.resources[makeKey("server", "a-01")]?.attributes.status, "up")
      assert.strictEqual(count(yield* invocations(flaky.store), "server create"), 2)

      const always = Either.getOrThrow(Simulator.parseFaults("server create=503"))
      const down = yield* world({ faults: always })
      const exit = yield* Effect.exit(Fleet.up(target, runOptions()).pipe(Effect.provide(down.layer)))
      assert.isTrue(exit._tag === "Failure")
      assert.strictEqual(count(yield* invocations(down.store), "server create"), 3)
    })
  )

  it.effect("an unknown archive name is an invalid error that names it", () =>
    Effect.gen(function* () {
      const { service, store } = yield* provider()
      const error = yield* Effect.flip(
        service.apply(
          request("disk", "web-01", { zone: "is1a", size: 20, plan: "ssd", archive: "Ubuntu Server 99.04" })
        )
      )
      assert.strictEqual(error.reason, "invalid")
      assert.include(error.message, '"Ubuntu Server 99.04"')
      assert.include(error.hint, "Ubuntu Server")
      assert.strictEqual(count(yield* invocations(store), "disk create"), 0)
    })
  )

  it.effect("an SSH key or note name must exist in Sakura Cloud; names of existing ones resolve to IDs", () =>
    Effect.gen(function* () {
      const { service, store } = yield* provider()
      const disk = yield* service.apply(request("disk", "a-01", { zone: "is1a", size: 20, os: "ubuntu-24.04" }))
      const server = { zone: "is1a", core: 1, memory: 1, disk: disk.id, sshKeys: ["laptop"], startupScripts: [] }
      const missing = yield* Effect.flip(service.apply(request("server", "a-01", server)))
      assert.strictEqual(missing.reason, "invalid")
      assert.include(missing.message, 'no SSH key named "laptop"')
      assert.include(missing.hint, "usacloud ssh-key create")
      assert.strictEqual(count(yield* invocations(store), "server create"), 0)

      const [key] = yield* usacloud(store, ...global("ssh-key").create("--name", "laptop", "--public-key", devKey))
      const [note] = yield* usacloud(store, ...global("note").create("--name", "tools", "--content", "echo"))
      const observed = yield* service.apply(request("server", "a-01", { ...server, startupScripts: ["tools"] }))
      assert.strictEqual(observed.attributes.status, "up")
      const create = (yield* invocations(store)).find((args) => args[0] === "server" && args[1] === "create")!
      const [connected] = disksOf(create)
      assert.deepStrictEqual(connected!.EditDisk!.SSHKeyIDs, [key!.ID])
      assert.deepStrictEqual(connected!.EditDisk!.Notes, [{ ID: note!.ID }])
    })
  )

  it.effect("a disk still connected to its server is a conflict; a server already gone counts as removed", () =>
    Effect.gen(function* () {
      const { service, store } = yield* provider()
      const disk = yield* service.apply(request("disk", "a-01", { zone: "is1a", size: 20, os: "ubuntu" }))
      const server = yield* service.apply(
        request("server", "a-01", { zone: "is1a", core: 1, memory: 1, disk: disk.id })
      )
      const [diskKey, diskStored] = stored("disk", "a-01", disk.id, { zone: "is1a" })
      const conflict = yield* Effect.flip(service.destroy(scope, diskKey, diskStored))
      assert.strictEqual(conflict.reason, "conflict")
      const [serverKey, serverStored] = stored("server", "a-01", server.id, { zone: "is1a" })
      yield* service.destroy(scope, serverKey, serverStored)
      yield* service.destroy(scope, serverKey, serverStored)
      yield* service.destroy(scope, diskKey, diskStored)
      const left = yield* Simulator.inspect(store).pipe(Effect.orDie)
      assert.deepStrictEqual([left.servers.length, left.disks.length], [0, 0])
      // A running server is deleted by one run that shuts it down first (forced), as usacloud's --force does.
      const calls = (yield* invocations(store)).filter((args) => args[0] === "server")
      assert.notInclude(
        calls.map((args) => args[1]),
        "shutdown"
      )
      assert.include(calls.find((args) => args[1] === "delete") ?? [], "--force")
    })
  )

  it.effect("a server or disk whose ownership tags name another project or stage is never deleted", () =>
    Effect.gen(function* () {
      const { service, store } = yield* provider()
      const blog = { project: "blog", stage: "dev" }
      const disk = yield* service.apply(createRequest(blog, "disk", "web", { zone: "is1a", size: 20, os: "ubuntu" }))
      const server = yield* service.apply(
        createRequest(blog, "server", "web", { zone: "is1a", core: 1, memory: 1, disk: disk.id })
      )
      for (const [type, id, stage] of [
        ["server", server.id, "dev"],
        ["disk", disk.id, "dev"],
        ["server", server.id, "live"]
      ] as const) {
        const [key, resource] = stored(type, "web", id, { zone: "is1a" })
        const refused = yield* Effect.flip(
          service.destroy({ project: stage === "dev" ? "shop" : "blog", stage }, key, resource)
        )
        assert.strictEqual(refused.reason, "conflict")
        assert.include(refused.message, `belongs to project "blog", stage "dev"`)
      }
      const cloud = yield* Simulator.inspect(store).pipe(Effect.orDie)
      assert.deepStrictEqual([cloud.servers.length, cloud.disks.length], [1, 1], "nothing was deleted")
      assert.strictEqual(
        count(yield* invocations(store), "server delete") + count(yield* invocations(store), "disk delete"),
        0
      )
    })
  )

  it.effect("a run stopped between disk and server creation, run again, takes the disk it made", () =>
    Effect.gen(function* () {
      const { layer, store } = yield* world()
      const target = yield* targetOf(fleet(`server "a-01" { plan core=1 memory=1; disk size=20 os="ubuntu" }`))
      const disk = target.desired.find((resource) => resource.type === "disk")!
      yield* Effect.gen(function* () {
        // The disk exists in the cloud; the state never learnt of it.
        const provider = yield* CloudProvider
        const made = yield* provider.apply({ ...request("disk", "a-01", disk.inputs) })
        const applied = yield* Fleet.up(target, runOptions())
        assert.strictEqual(applied.state.resources[makeKey("disk", "a-01")]?.id, made.id)
        const cloud = yield* Simulator.inspect(store).pipe(Effect.orDie)
        assert.strictEqual(cloud.disks.length, 1)
        assert.strictEqual(count(yield* invocations(store), "disk create"), 1)
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("a create after an interrupted one carries on with the server it finds by its tags", () =>
    Effect.gen(function* () {
      const { service, store } = yield* provider()
      const disk = yield* service.apply(request("disk", "a-01", { zone: "is1a", size: 20, os: "ubuntu" }))
      const inputs = { zone: "is1a", core: 1, memory: 1, disk: disk.id }
      // The earlier run created the server, then stopped before it booted it.
      yield* usacloud(store, ...handMade("a-01", ["--disk-ids", disk.id]))
      const next = yield* providerOver(store)
      const observed = yield* next.apply(request("server", "a-01", inputs))
      assert.strictEqual(observed.attributes.status, "up")
      const cloud = yield* Simulator.inspect(store).pipe(Effect.orDie)
      assert.strictEqual(cloud.servers.length, 1)
      assert.strictEqual(String(cloud.servers[0]!.id), observed.id)
      const calls = (yield* invocations(store)).slice(-3)
      assert.deepStrictEqual(commandsOf(calls), ["disk update", "server boot", "server read"])
    })
  )

  it.effect("a server an interrupted create left without its disk is deleted and made again", () =>
    Effect.gen(function* () {
      const { service, store } = yield* provider()
      const disk = yield* service.apply(request("disk", "a-01", { zone: "is1a", size: 20, os: "ubuntu" }))
      // The earlier run's server create stopped after it made the server, before it connected the disk.
      const [left] = yield* usacloud(store, ...handMade("a-01"))
      const next = yield* providerOver(store)
      const observed = yield* next.apply(request("server", "a-01", { zone: "is1a", core: 1, memory: 1, disk: disk.id }))
      assert.notStrictEqual(observed.id, String(left!.ID))
      assert.strictEqual(observed.attributes.disk, disk.id)
      const cloud = yield* Simulator.inspect(store).pipe(Effect.orDie)
      assert.deepStrictEqual(
        cloud.servers.map((server) => String(server.id)),
        [observed.id]
      )
    })
  )

  it.live("a create that failed after the server was made is looked up again when retried: nothing twice", () =>
    Effect.gen(function* () {
      const store = yield* Simulator.memoryStore()
      let timedOut = false
      // The first server create makes the server, but usacloud reports a timeout (transient, and ambiguous).
      const transport = Layer.succeed(UsacloudTransport, {
        run: (args) =>
          Effect.map(Effect.orDie(Simulator.run(args, {}, store)), (output) => {
            if (timedOut || args[0] !== "server" || args[1] !== "create") return output
            timedOut = true
            return {
              exitCode: 1,
              stdout: "",
              stderr: "\ncommand[server/create] timed out: context deadline exceeded\n"
            }
          })
      })
      const layer = Layer.merge(SakuraProvider.layer().pipe(Layer.provide(transport)), State.layerMemory())
      const target = yield* targetOf(fleet(`server "a-01" { plan core=1 memory=1; disk size=20 os="ubuntu" }`))
      const applied = yield* Fleet.up(target, runOptions()).pipe(Effect.provide(layer))
      const calls = yield* invocations(store)
      assert.strictEqual(count(calls, "server create"), 1)
      // The shared list was read before the create; the retry lists the server's own tags again.
      assert.strictEqual(count(calls, "server list"), 2)
      const cloud = yield* Simulator.inspect(store).pipe(Effect.orDie)
      assert.strictEqual(cloud.servers.length, 1)
      assert.strictEqual(applied.state.resources[makeKey("server", "a-01")]?.id, String(cloud.servers[0]!.id))
      // The timed-out call had made the disk too: it is taken over, not made again.
      assert.strictEqual(count(calls, "disk create"), 0)
      assert.strictEqual(cloud.disks.length, 1)
      assert.strictEqual(applied.state.resources[makeKey("disk", "a-01")]?.id, String(cloud.disks[0]!.id))
    })
  )
})

describe("ownership tags", () => {
  it("fit Sakura's tag rules whatever the names", () => {
    const owner = { project: "a".repeat(40), stage: "dev stage", name: "server-with-a-very-long-name-01" }
    const tags = SakuraProvider.ownershipTags(owner)
    assert.strictEqual(tags.length, 4)
    for (const tag of tags) {
      assert.isAtMost([...tag].length, 32)
      assert.notMatch(tag, /\s/)
    }
    assert.isTrue(SakuraProvider.isOwnedBy([...tags, "web"], owner))
    assert.isFalse(SakuraProvider.isOwnedBy(tags, { ...owner, name: "server-with-a-very-long-name-02" }))
    assert.isFalse(SakuraProvider.isOwnedBy(tags, { ...owner, stage: "live" }))
    assert.deepStrictEqual(SakuraProvider.userTags([...tags, "web", "@previous-id=100000000001"]), ["web"])
  })
})
