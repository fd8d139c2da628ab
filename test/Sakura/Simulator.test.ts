import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as Simulator from "../../src/Sakura/Simulator.js"
import type { SimulatorStore } from "../../src/Sakura/Simulator.js"
import { UsacloudTransport } from "../../src/Sakura/Transport.js"
import { authStatus, global, matchExact, serverWithNewDisk, zoned } from "../support/UsacloudArgs.js"

type Json = Record<string, unknown>

/** The command lines of each resource, in the zone is1a where zoned. */
const usacloudServer = zoned("server", "is1a")
const usacloudDisk = zoned("disk", "is1a")
const usacloudSshKey = global("ssh-key")
const usacloudNote = global("note")

const createServer = (name: string, zone = "is1a", extra: ReadonlyArray<string> = []) =>
  serverWithNewDisk(zone, name, { cpu: 2, memory: 4, disk: 40 }, ...extra)

const setup = (options?: Simulator.SimulatorOptions) =>
  Effect.gen(function* () {
    const store = yield* Simulator.memoryStore()
    const usacloud = (...args: ReadonlyArray<string>) => Simulator.run(args, {}, store, options)
    return { store, usacloud }
  })

const parse = (stdout: string): Array<Json> => JSON.parse(stdout) as Array<Json>

const sortedDeep = (value: unknown): boolean => {
  if (Array.isArray(value)) return value.every(sortedDeep)
  if (value === null || typeof value !== "object") return true
  const keys = Object.keys(value)
  return keys.join() === [...keys].sort().join() && Object.values(value).every(sortedDeep)
}

/** The output is a sorted, 4-space indented JSON array, as usacloud prints it. */
const assertUsacloudJson = (stdout: string): Array<Json> => {
  const values = parse(stdout)
  assert.isTrue(Array.isArray(values))
  assert.isTrue(sortedDeep(values))
  assert.strictEqual(stdout, `${JSON.stringify(values, null, 4)}\n`)
  return values
}

const keysOf = (value: unknown) => Object.keys(value as Json)

const serverKeys = [
  "Availability",
  "BundleInfo",
  "CDROMID",
  "CPU",
  "CPUModel",
  "Commitment",
  "ConfidentialVM",
  "CreatedAt",
  "Description",
  "Disks",
  "GPU",
  "GPUModel",
  "Generation",
  "HostName",
  "ID",
  "IconID",
  "InstanceBeforeStatus",
  "InstanceHostInfoURL",
  "InstanceHostName",
  "InstanceStatus",
  "InstanceStatusChangedAt",
  "InstanceWarnings",
  "InstanceWarningsValue",
  "InterfaceDriver",
  "Interfaces",
  "MemoryMB",
  "ModifiedAt",
  "Name",
  "PrivateHostID",
  "PrivateHostName",
  "ServerPlanID",
  "ServerPlanName",
  "Tags",
  "Zone"
]

const diskKeys = [
  "Availability",
  "BundleInfo",
  "Connection",
  "ConnectionOrder",
  "CreatedAt",
  "Description",
  "DiskPlanID",
  "DiskPlanName",
  "DiskPlanStorageClass",
  "EncryptionAlgorithm",
  "ID",
  "IconID",
  "JobStatus",
  "KMSKeyID",
  "MigratedMB",
  "ModifiedAt",
  "Name",
  "ReinstallCount",
  "ServerID",
  "ServerName",
  "SizeMB",
  "SourceArchiveAvailability",
  "SourceArchiveID",
  "SourceDiskAvailability",
  "SourceDiskID",
  "Storage",
  "Tags",
  "Zone"
]

const publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb6j2Sx3Nf1bKjV0mF5Nq8kC1tQ0wz0jv2o3c9yH2x4 deploy@example"

describe("usacloud simulator", () => {
  describe("JSON output", () => {
    it.effect("server create prints one server with every Go field, sorted, 4-space indented", () =>
      Effect.gen(function* () {
        const { usacloud } = yield* setup()
        const output = yield* usacloud(...createServer("web-01", "is1a", ["--tags", "app=web,fleetflow"]))
        assert.strictEqual(output.exitCode, 0)
        assert.strictEqual(output.stderr, "")
        const [server, ...rest] = assertUsacloudJson(output.stdout)
        assert.strictEqual(rest.length, 0)
        assert.deepStrictEqual(keysOf(server), serverKeys)
        assert.strictEqual(server!.ID, 100000000001)
        assert.strictEqual(server!.CPU, 2)
        assert.strictEqual(server!.MemoryMB, 4096)
        assert.deepStrictEqual(server!.Tags, ["app=web", "fleetflow"])
        assert.strictEqual(server!.CreatedAt, "0001-01-01T00:00:00Z")
        const zone = server!.Zone as Json
        assert.deepStrictEqual(keysOf(zone), [
          "DisplayName",
          "FTPServer",
          "ID",
          "IsDummy",
          "Name",
          "Region",
          "VNCProxy"
        ])
        assert.strictEqual(zone.Name, "is1a")
        const [nic] = server!.Interfaces as Array<Json>
        assert.match(String(nic!.IPAddress), /^153\.120\.\d+\.\d+$/)
        assert.strictEqual(nic!.SwitchScope, "shared")
        assert.strictEqual(nic!.UpstreamType, "shared")
        const [disk] = server!.Disks as Array<Json>
        assert.deepStrictEqual(keysOf(disk), [
          "Availability",
          "Connection",
          "ConnectionOrder",
          "DiskPlanID",
          "EncryptionAlgorithm",
          "ID",
          "Name",
          "ReinstallCount",
          "SizeMB",
          "Storage"
        ])
        assert.strictEqual(disk!.SizeMB, 40960)
        assert.strictEqual(disk!.DiskPlanID, 4)
      })
    )

    it.effect("disk, ssh-key, note, archive and auth-status print their own shapes", () =>
      Effect.gen(function* () {
        const { usacloud } = yield* setup()
        yield* usacloud(...createServer("db-01"))
        const disks = assertUsacloudJson((yield* usacloud(...usacloudDisk.list())).stdout)
        assert.deepStrictEqual(keysOf(disks[0]), diskKeys)
        assert.strictEqual(disks[0]!.Zone, "is1a")
        assert.strictEqual(disks[0]!.ServerName, "db-01")
        assert.strictEqual(typeof disks[0]!.SourceArchiveID, "number")

        const key = yield* usacloud(...usacloudSshKey.create("--name", "deploy", "--public-key", publicKey))
        const [created] = assertUsacloudJson(key.stdout)
        assert.deepStrictEqual(keysOf(created), ["CreatedAt", "Description", "Fingerprint", "ID", "Name", "PublicKey"])
        assert.match(String(created!.Fingerprint), /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/)

        const note = yield* usacloud(
          ...usacloudNote.create("--name", "setup", "--class", "shell", "--content", "#!/bin/sh\necho hi")
        )
        const [script] = assertUsacloudJson(note.stdout)
        assert.deepStrictEqual(keysOf(script), [
          "Availability",
          "Class",
          "Content",
          "CreatedAt",
          "Description",
          "ID",
          "IconID",
          "ModifiedAt",
          "Name",
          "Scope",
          "Tags"
        ])
        assert.strictEqual(script!.Content, "#!/bin/sh\necho hi")

        const archives = assertUsacloudJson(
          (yield* usacloud(...zoned("archive", "tk1b").list("--os-type", "ubuntu2404"))).stdout
        )
        assert.strictEqual(archives.length, 1)
        assert.strictEqual(archives[0]!.Scope, "shared")
        assert.strictEqual(archives[0]!.Zone, "tk1b")
        assert.match(String(archives[0]!.Name), /^Ubuntu Server 24\.04/)

        const auth = yield* usacloud(...authStatus)
        assert.match(auth.stderr, /^\[WARN\] auth-status is deprecated\./)
        assert.deepStrictEqual(keysOf(assertUsacloudJson(auth.stdout)[0]), [
          "AccountClass",
          "AccountCode",
          "AccountID",
          "AccountName",
          "AuthClass",
          "AuthMethod",
          "ExternalPermission",
          "IsAPIKey",
          "MemberClass",
          "MemberCode",
          "OperationPenalty",
          "Permission"
        ])
      })
    )

    it.effect("an empty result prints nothing at all", () =>
      Effect.gen(function* () {
        const { usacloud } = yield* setup()
        for (const args of [
          usacloudServer.list(),
          ["iaas", "disk", "list", "--zone", "is1a", "-o", "json"],
          usacloudSshKey.list(),
          usacloudNote.list(),
          zoned("archive", "is1a").list("--scope", "user")
        ]) {
          const output = yield* usacloud(...args)
          assert.deepStrictEqual(output, { exitCode: 0, stdout: "", stderr: "" }, args.join(" "))
        }
      })
    )
  })

  describe("arguments", () => {
    it.effect("partial matching picks every name containing the argument; exact mode does not", () =>
      Effect.gen(function* () {
        const { store, usacloud } = yield* setup()
        const create = ["-y", "--zone", "is1a", "--cpu", "1", "--memory", "1"]
        yield* usacloud("server", "create", "--name", "foo-1", ...create)
        yield* usacloud("server", "create", "--name", "foo-2", ...create)
        yield* usacloud("server", "create", "--name", "bar", ...create)

        const exact = yield* usacloud(
          "server",
          "delete",
          "foo",
          "--argument-match-mode",
          "exact",
          "--zone",
          "is1a",
          "-y"
        )
        assert.strictEqual(exact.exitCode, 1)
        assert.strictEqual(exact.stderr, '\ntarget resource not found: query=["foo"]\n')

        const single = yield* usacloud(...usacloudServer.read("foo"))
        assert.strictEqual(single.stderr, '\nin this operation, only a single target is allowed: query=["foo"]\n')

        const partial = yield* usacloud("server", "delete", "foo", "--zone", "is1a", "-y")
        assert.deepStrictEqual(partial, { exitCode: 0, stdout: "", stderr: "" })
        const left = yield* Simulator.inspect(store)
        assert.deepStrictEqual(
          left.servers.map((server) => server.name),
          ["bar"]
        )
        const byId = yield* usacloud(
          "--argument-match-mode",
          "exact",
          "server",
          "read",
          String(left.servers[0]!.id),
          "--zone=is1a",
          "-ojson"
        )
        assert.strictEqual(parse(byId.stdout)[0]!.Name, "bar")
      })
    )

    it.effect("-y is required to change anything, --zone on zoned commands, and unknown flags are cobra errors", () =>
      Effect.gen(function* () {
        const { store, usacloud } = yield* setup()
        const noYes = yield* usacloud("server", "create", "--zone", "is1a", "--name", "a", "-o", "json")
        assert.deepStrictEqual(noYes, {
          exitCode: 1,
          stdout: "",
          stderr: "\nthe confirm dialog cannot be used without the terminal. Please use --assumeyes(-y) option\n"
        })
        const noZone = yield* usacloud("server", "list", "-o", "json")
        assert.deepStrictEqual(noZone, { exitCode: 1, stdout: "", stderr: "\nvalidation error:\n\t--zone: required\n" })
        const envZone = yield* Simulator.run(["server", "list", "-o", "json"], { SAKURACLOUD_ZONE: "is1a" }, store)
        assert.strictEqual(envZone.exitCode, 0)
        const unknown = yield* usacloud("server", "list", "--zone", "is1a", "--colour")
        assert.deepStrictEqual(unknown, { exitCode: 1, stdout: "", stderr: "Error: unknown flag: --colour\n" })
        const global = yield* usacloud("ssh-key", "list", "--zone", "is1a")
        assert.strictEqual(global.stderr, "Error: unknown flag: --zone\n")
        const tags = yield* usacloud(
          "server",
          "create",
          "-y",
          "--zone",
          "is1a",
          "--name",
          "a",
          "--tags",
          "fleetflow-project=a-project-name-that-is-too-long"
        )
        assert.strictEqual(tags.stderr, "\nvalidation error:\n\t--tags[0]: max=32\n")
        const space = yield* usacloud("server", "create", "-y", "--zone", "is1a", "--name", "a", "--tags", "two words")
        assert.match(space.stderr, /Status:"400 Bad Request"/)
        assert.strictEqual((yield* Simulator.inspect(store)).servers.length, 0)
      })
    )

    it.effect("a --parameters file that does not parse is a config error: exit 0, nothing on stdout", () =>
      Effect.gen(function* () {
        const { usacloud } = yield* setup()
        const output = yield* usacloud("server", "list", "--zone", "is1a", "-o", "json", "--parameters", "{oops")
        assert.strictEqual(output.exitCode, 0)
        assert.strictEqual(output.stdout, "")
        assert.match(output.stderr, /^invalid character 'o' looking for beginning of value\n$/)
      })
    )

    it.effect("--zone=all on create creates one server in every zone", () =>
      Effect.gen(function* () {
        const { store, usacloud } = yield* setup()
        const output = yield* usacloud(...createServer("everywhere", "all"))
        const servers = parse(output.stdout)
        assert.deepStrictEqual(
          servers.map((server) => (server.Zone as Json).Name),
          ["tk1a", "tk1b", "is1a", "is1b", "is1c", "tk1v"]
        )
        assert.strictEqual((yield* Simulator.inspect(store)).disks.length, 6)
      })
    )
  })

  describe("existing disks", () => {
    const createDisk = (name: string) => usacloudDisk.create("--name", name, "--size", "20", "--os-type", "ubuntu2404")
    const createWithDisk = (name: string, diskId: string, extra: ReadonlyArray<string> = []) =>
      usacloudServer.create("--name", name, "--network-interface-upstream", "shared", "--disk-ids", diskId, ...extra)

    it.effect("server create --disk-ids connects existing disks, once, and not beside a new one", () =>
      Effect.gen(function* () {
        const { store, usacloud } = yield* setup()
        const [disk] = parse((yield* usacloud(...createDisk("web-01"))).stdout)
        const diskId = String(disk!.ID)
        const [server] = parse((yield* usacloud(...createWithDisk("web-01", diskId))).stdout)
        assert.deepStrictEqual(
          (server!.Disks as Array<Json>).map((item) => item.ID),
          [disk!.ID]
        )
        assert.strictEqual(server!.InstanceStatus, "down")
        const cloud = yield* Simulator.inspect(store)
        assert.strictEqual(cloud.disks.length, 1)
        assert.strictEqual(cloud.disks[0]!.serverId, server!.ID)

        const taken = yield* usacloud(...createWithDisk("web-02", diskId))
        assert.strictEqual(taken.exitCode, 1)
        assert.include(taken.stderr, "409 Conflict")
        const missing = yield* usacloud(...createWithDisk("web-03", "100000099999"))
        assert.include(missing.stderr, "404 Not Found")
        const both = yield* usacloud(...createWithDisk("web-04", diskId, ["--disk-size", "20"]))
        assert.include(both.stderr, "--disk & --disks & --disk-ids: only one of them can be specified")
        assert.strictEqual((yield* Simulator.inspect(store)).servers.length, 1)
      })
    )

    it.effect("disk update --edit-disk-* edits a disk whose server is down and gives the server its host name", () =>
      Effect.gen(function* () {
        const { usacloud } = yield* setup()
        const [disk] = parse((yield* usacloud(...createDisk("web-01"))).stdout)
        const diskId = String(disk!.ID)
        const [server] = parse((yield* usacloud(...createWithDisk("web-01", diskId))).stdout)
        const serverId = String(server!.ID)
        const edit = usacloudDisk.update(diskId, "--edit-disk-host-name", "app")
        const edited = yield* usacloud(...edit)
        assert.strictEqual(edited.exitCode, 0, edited.stderr)
        const [read] = parse((yield* usacloud(...usacloudServer.read(serverId))).stdout)
        assert.strictEqual(read!.HostName, "app")

        yield* usacloud(...usacloudServer.change("boot", serverId))
        const running = yield* usacloud(...edit)
        assert.strictEqual(running.exitCode, 1)
        assert.include(running.stderr, "409 Conflict")
      })
    )

    it.effect(
      "server create --disks connects each disk, writes its EditDisk into it and, with --boot-after-create, waits until up",
      () =>
        Effect.gen(function* () {
          const { store, usacloud } = yield* setup({ bootTime: Duration.seconds(20) })
          const [key] = parse(
            (yield* usacloud(...usacloudSshKey.create("--name", "k", "--public-key", publicKey))).stdout
          )
          const [disk] = parse((yield* usacloud(...createDisk("web-01"))).stdout)
          const withDisks = (name: string, disks: string, extra: ReadonlyArray<string> = []) =>
            usacloudServer.create(
              "--name",
              name,
              "--network-interface-upstream",
              "shared",
              "--disks",
              disks,
              "--boot-after-create",
              ...extra
            )
          // Keys match whatever their case, as Go reads JSON; IDs may be strings of digits.
          const disks = JSON.stringify([
            { id: String(disk!.ID), EditDisk: { hostname: "app", SSHKeyIDs: [key!.ID], DisablePWAuth: true } }
          ])
          const creating = yield* Effect.fork(usacloud(...withDisks("web-01", disks)))
          yield* TestClock.adjust(Duration.seconds(19))
          assert.isTrue((yield* Fiber.poll(creating))._tag === "None")
          yield* TestClock.adjust(Duration.seconds(1))
          const output = yield* Fiber.join(creating)
          assert.strictEqual(output.exitCode, 0, output.stderr)
          const [server] = parse(output.stdout)
          assert.strictEqual(server!.InstanceStatus, "up")
          assert.strictEqual(server!.HostName, "app")
          assert.deepStrictEqual(
            (server!.Disks as Array<Json>).map((item) => item.ID),
            [disk!.ID]
          )
          assert.strictEqual((yield* Simulator.inspect(store)).disks[0]!.serverId, server!.ID)

          const [other] = parse((yield* usacloud(...createDisk("web-02"))).stdout)
          const unknownKey = JSON.stringify([{ ID: other!.ID, EditDisk: { SSHKeyIDs: [100000099999] } }])
          assert.include((yield* usacloud(...withDisks("web-02", unknownKey))).stderr, "404 Not Found")
          const wrongType = JSON.stringify([{ ID: other!.ID, EditDisk: { HostName: 7 } }])
          assert.include(
            (yield* usacloud(...withDisks("web-02", wrongType))).stderr,
            "json: cannot unmarshal number into Go struct field diskApplyParameter.EditDisk.HostName of type string"
          )
          assert.include((yield* usacloud(...withDisks("web-02", "[{"))).stderr, "unexpected end of JSON input")
          const both = yield* usacloud(...withDisks("web-02", disks, ["--disk-ids", String(other!.ID)]))
          assert.include(both.stderr, "--disk & --disks & --disk-ids: only one of them can be specified")
          assert.strictEqual((yield* Simulator.inspect(store)).servers.length, 1)
        })
    )
  })

  describe("servers over time", () => {
    it.effect(
      "a new server is migrating, then available and up once booted; create --boot-after-create and wait-until-ready wait for it",
      () =>
        Effect.gen(function* () {
          const { store, usacloud } = yield* setup({ bootTime: Duration.seconds(60) })
          const creating = yield* Effect.fork(usacloud(...createServer("web-01")))
          yield* TestClock.adjust(Duration.seconds(30))
          assert.isTrue((yield* Fiber.poll(creating))._tag === "None")
          const id = String((yield* Simulator.inspect(store)).servers[0]!.id)
          const [half] = parse((yield* usacloud(...usacloudServer.read(id))).stdout)
          assert.strictEqual(half!.Availability, "migrating")
          assert.strictEqual(half!.InstanceStatus, "")
          const waiting = yield* Effect.fork(usacloud(...usacloudServer.wait("wait-until-ready", id)))
          yield* TestClock.adjust(Duration.seconds(30))
          assert.deepStrictEqual(yield* Fiber.join(waiting), { exitCode: 0, stdout: "", stderr: "" })
          // usacloud prints the server as it is once up.
          const [created] = parse((yield* Fiber.join(creating)).stdout)
          assert.strictEqual(String(created!.ID), id)
          assert.strictEqual(created!.Availability, "available")
          assert.strictEqual(created!.InstanceStatus, "up")
          const [ready] = parse((yield* usacloud(...usacloudServer.read(id))).stdout)
          assert.strictEqual(ready!.Availability, "available")
          assert.strictEqual(ready!.InstanceStatus, "up")
        })
    )

    it.effect("a plan change gives the server a new ID tagged @previous-id, its disk follows, it boots again", () =>
      Effect.gen(function* () {
        const { store, usacloud } = yield* setup({ bootTime: Duration.seconds(10) })
        const creating = yield* Effect.fork(usacloud(...createServer("app", "is1a", ["--tags", "role=app"])))
        yield* TestClock.adjust(Duration.seconds(10))
        const [created] = parse((yield* Fiber.join(creating)).stdout)
        const oldId = String(created!.ID)
        const update = yield* Effect.fork(usacloud(...usacloudServer.update(oldId, "--cpu", "4", "--memory", "8")))
        yield* TestClock.adjust(Duration.seconds(10))
        const output = yield* Fiber.join(update)
        const [updated] = parse(output.stdout)
        assert.notStrictEqual(String(updated!.ID), oldId)
        assert.deepStrictEqual(updated!.Tags, [`@previous-id=${oldId}`, "role=app"])
        assert.strictEqual(updated!.CPU, 4)
        const cloud = yield* Simulator.inspect(store)
        assert.deepStrictEqual(
          cloud.servers.map((server) => server.id),
          [updated!.ID]
        )
        assert.strictEqual(cloud.disks[0]!.serverId, updated!.ID)
        const gone = yield* usacloud(...usacloudServer.read(oldId), ...matchExact)
        assert.strictEqual(gone.exitCode, 1)
        const [now] = parse((yield* usacloud(...usacloudServer.read(String(updated!.ID)))).stdout)
        assert.strictEqual(now!.InstanceStatus, "up")
      })
    )

    it.effect("a running server is not deleted without -f; -f --with-disks removes it and its disks", () =>
      Effect.gen(function* () {
        const { store, usacloud } = yield* setup()
        const [server] = parse((yield* usacloud(...createServer("web"))).stdout)
        const id = String(server!.ID)
        const refused = yield* usacloud("server", "delete", id, "--zone", "is1a", "-y")
        assert.deepStrictEqual(refused, {
          exitCode: 1,
          stdout: "",
          stderr: `\ntarget is1a:"${id}" has not yet shut down\n`
        })
        const diskId = String((yield* Simulator.inspect(store)).disks[0]!.id)
        const attached = yield* usacloud("disk", "delete", diskId, "--zone", "is1a", "-y")
        assert.strictEqual(attached.exitCode, 1)
        assert.match(attached.stderr, /Status:"409 Conflict", ErrorCode:"conflict"/)
        assert.deepStrictEqual(yield* usacloud("server", "shutdown", id, "--zone", "is1a", "-y"), {
          exitCode: 0,
          stdout: "",
          stderr: ""
        })
        const [down] = parse((yield* usacloud(...usacloudServer.read(id))).stdout)
        assert.strictEqual(down!.InstanceStatus, "down")
        yield* usacloud("server", "power-on", id, "--zone", "is1a", "-y")
        const deleted = yield* usacloud("server", "delete", id, "--zone", "is1a", "-y", "-f", "--with-disks")
        assert.deepStrictEqual(deleted, { exitCode: 0, stdout: "", stderr: "" })
        const cloud = yield* Simulator.inspect(store)
        assert.strictEqual(cloud.servers.length + cloud.disks.length, 0)
      })
    )
  })

  describe("faults", () => {
    const faults = (spec: string) => {
      const parsed = Simulator.parseFaults(spec)
      if (Either.isLeft(parsed)) throw new Error(parsed.left)
      return parsed.right
    }

    it.effect("503 twice, then the command works", () =>
      Effect.gen(function* () {
        const { store, usacloud } = yield* setup({ faults: faults("server create=503*2") })
        for (const _ of [1, 2]) {
          const failed = yield* usacloud(...createServer("web"))
          assert.strictEqual(failed.exitCode, 1)
          assert.match(
            failed.stderr,
            /^\nError in response: &iaas\.APIErrorResponse\{IsFatal:true, Serial:"[0-9a-f]{32}", Status:"503 Service Unavailable", ErrorCode:"service_unavailable", ErrorMessage:".+"\}\n$/
          )
        }
        assert.strictEqual((yield* usacloud(...createServer("web"))).exitCode, 0)
        assert.strictEqual((yield* Simulator.inspect(store)).servers.length, 1)
      })
    )

    it.effect("401 fails every time with the API's auth error; garbage exits 0", () =>
      Effect.gen(function* () {
        const { usacloud } = yield* setup({ faults: faults("disk delete=401, server list=garbage, note @is1a=config") })
        for (const _ of [1, 2]) {
          const failed = yield* usacloud("disk", "delete", "1", "--zone", "is1a", "-y")
          assert.strictEqual(failed.exitCode, 1)
          assert.match(failed.stderr, /Status:"401 Unauthorized", ErrorCode:"unauthorized"/)
        }
        const garbage = yield* usacloud(...usacloudServer.list())
        assert.strictEqual(garbage.exitCode, 0)
        assert.throws(() => JSON.parse(garbage.stdout))
        assert.isTrue(garbage.stderr.length > 0 && !garbage.stderr.startsWith("[WARN]"))
        assert.strictEqual((yield* usacloud(...usacloudDisk.list())).exitCode, 0)
      })
    )

    it.effect("a hang is stopped by the transport's timeout", () =>
      Effect.gen(function* () {
        const store = yield* Simulator.memoryStore()
        const fiber = yield* Effect.fork(
          Effect.gen(function* () {
            const transport = yield* UsacloudTransport
            return yield* transport.run(usacloudServer.list(), { timeout: "5 seconds" })
          }).pipe(Effect.provide(Simulator.layerTransport(store, { faults: faults("*=hang") })), Effect.exit)
        )
        yield* TestClock.adjust(Duration.seconds(5))
        const exit = yield* Fiber.join(fiber)
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) assert.match(String(exit.cause), /UsacloudTimeout/)
      })
    )

    it("the spec language says what is wrong", () => {
      assert.isTrue(Either.isLeft(Simulator.parseFaults("server explode=503")))
      assert.isTrue(Either.isLeft(Simulator.parseFaults("server create=418")))
      assert.isTrue(Either.isLeft(Simulator.parseFaults("server create=503*0")))
      const parsed = Simulator.parseFaults("server create@is1b=503*2, *=hang")
      assert.deepStrictEqual(Either.getOrThrow(parsed), [
        { command: "server create", zone: "is1b", kind: 503, times: 2 },
        { command: "*", kind: "hang" }
      ])
    })
  })

  it.effect("every argument list is recorded, in order, whatever it printed", () =>
    Effect.gen(function* () {
      const { store, usacloud } = yield* setup()
      yield* usacloud(...usacloudServer.list())
      yield* usacloud("server", "bogus")
      yield* usacloud("iaas", "ssh-key", "list", "-o", "json")
      assert.deepStrictEqual(yield* Simulator.invocations(store), [
        usacloudServer.list(),
        ["server", "bogus"],
        ["iaas", "ssh-key", "list", "-o", "json"]
      ])
    })
  )

  it.effect("the in-process transport answers like the executable", () =>
    Effect.gen(function* () {
      const store: SimulatorStore = yield* Simulator.memoryStore()
      const output = yield* Effect.gen(function* () {
        const transport = yield* UsacloudTransport
        return yield* transport.run(createServer("via-layer"))
      }).pipe(Effect.provide(Simulator.layerTransport(store)))
      assert.strictEqual(parse(output.stdout)[0]!.Name, "via-layer")
    })
  )
})

describe("usacloud simulator: a server's disk and NIC", () => {
  it.effect("a disk leaves and joins its server only while the server is down; neither prints anything", () =>
    Effect.gen(function* () {
      const { usacloud } = yield* setup()
      const [server] = parse((yield* usacloud(...createServer("web"), ...matchExact)).stdout)
      const serverId = String(server!.ID)
      const diskId = String((server!.Disks as Array<Json>)[0]!.ID)
      const disconnect = usacloudDisk.change("disconnect-from-server", diskId)
      const running = yield* usacloud(...disconnect)
      assert.strictEqual(running.exitCode, 1)
      assert.include(running.stderr, "409")
      yield* usacloud(...usacloudServer.change("shutdown", serverId))
      assert.deepInclude(yield* usacloud(...disconnect), { exitCode: 0, stdout: "" })
      const [alone] = parse((yield* usacloud(...usacloudServer.read(serverId))).stdout)
      assert.deepStrictEqual(alone!.Disks, [])
      const connect = usacloudDisk.change("connect-to-server", diskId, "--server-id", serverId)
      assert.deepInclude(yield* usacloud(...connect), { exitCode: 0, stdout: "" })
      const [joined] = parse((yield* usacloud(...usacloudServer.read(serverId))).stdout)
      assert.strictEqual(String((joined!.Disks as Array<Json>)[0]!.ID), diskId)
    })
  )

  it.effect(
    "server update --network-interfaces moves the NIC off the shared segment and back, with a new address",
    () =>
      Effect.gen(function* () {
        const { usacloud } = yield* setup()
        const [server] = parse((yield* usacloud(...createServer("web"))).stdout)
        const id = String(server!.ID)
        const nicOf = (stdout: string) => (parse(stdout)[0]!.Interfaces as Array<Json>)[0]!
        const upstream = (value: string) => ["--network-interfaces", JSON.stringify([{ Upstream: value }])]
        const off = nicOf((yield* usacloud(...usacloudServer.update(id, ...upstream("disconnected")))).stdout)
        assert.deepInclude(off, { IPAddress: "", UpstreamType: "none", SwitchScope: "" })
        const on = nicOf((yield* usacloud(...usacloudServer.update(id, ...upstream("shared")))).stdout)
        assert.deepInclude(on, { UpstreamType: "shared", SwitchScope: "shared" })
        assert.notStrictEqual(on.IPAddress, (server!.Interfaces as Array<Json>)[0]!.IPAddress)
        const [after] = parse((yield* usacloud(...usacloudServer.read(id))).stdout)
        assert.strictEqual(after!.InstanceStatus, "up")
      })
  )

  it.effect("a disk's connector changes only while its server is down", () =>
    Effect.gen(function* () {
      const { usacloud } = yield* setup()
      const [server] = parse((yield* usacloud(...createServer("web"))).stdout)
      const diskId = String((server!.Disks as Array<Json>)[0]!.ID)
      const change = usacloudDisk.update(diskId, "--connector", "ide")
      assert.strictEqual((yield* usacloud(...change)).exitCode, 1)
      yield* usacloud(...usacloudServer.change("shutdown", String(server!.ID)))
      const [disk] = parse((yield* usacloud(...change)).stdout)
      assert.strictEqual(disk!.Connection, "ide")
    })
  )
})
