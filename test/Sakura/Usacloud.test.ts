import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import { ProviderError } from "../../src/Provider.js"
import * as Retry from "../../src/Retry.js"
import { type Output, UsacloudTimeout, UsacloudTransport, UsacloudUnavailable } from "../../src/Sakura/Transport.js"
import * as Usacloud from "../../src/Sakura/Usacloud.js"
import * as Errors from "../../src/Sakura/Usacloud/Errors.js"
import { authStatus, global, matchExact, withProfile, zoned } from "../support/UsacloudArgs.js"

// ---------------------------------------------------------------------------------------------
// A scripted usacloud: canned replies per argv, every argv recorded.

type Reply = Output | UsacloudTimeout | UsacloudUnavailable

const ok = (stdout: string, stderr = ""): Output => ({ exitCode: 0, stdout, stderr })
const failed = (stderr: string, exitCode = 1): Output => ({ exitCode, stdout: "", stderr })

const fake = (reply: (args: ReadonlyArray<string>, attempt: number) => Reply, settings: Usacloud.Settings = {}) => {
  const calls = Ref.unsafeMake<ReadonlyArray<ReadonlyArray<string>>>([])
  const transport = Layer.succeed(UsacloudTransport, {
    run: (args) =>
      Effect.gen(function* () {
        const before = yield* Ref.getAndUpdate(calls, (all) => [...all, args])
        const answer = reply(args, before.length + 1)
        if (answer instanceof UsacloudTimeout || answer instanceof UsacloudUnavailable) return yield* answer
        return answer
      })
  })
  return { layer: Usacloud.layer(settings).pipe(Layer.provide(transport)), calls: Ref.get(calls) }
}

/** Runs `body` against a fake that always gives `reply`; returns the result and the argv seen. */
const withReply = <A>(
  reply: Reply | ((args: ReadonlyArray<string>, attempt: number) => Reply),
  body: (usacloud: Usacloud.UsacloudService) => Effect.Effect<A, Usacloud.UsacloudError>,
  settings: Usacloud.Settings = {}
) => {
  const script = fake(typeof reply === "function" ? reply : () => reply, settings)
  return Effect.gen(function* () {
    const usacloud = yield* Usacloud.Usacloud
    const exit = yield* Effect.exit(body(usacloud))
    return { exit, calls: yield* script.calls }
  }).pipe(Effect.provide(script.layer))
}

const failure = <A>(exit: Exit.Exit<A, Usacloud.UsacloudError>): Usacloud.UsacloudError => {
  if (Exit.isSuccess(exit)) return assert.fail(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (error === undefined) return assert.fail(`expected a typed failure, got ${exit.cause._tag}`)
  return error
}

const success = <A>(exit: Exit.Exit<A, Usacloud.UsacloudError>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  return assert.fail(`expected a success, got ${JSON.stringify(exit.cause)}`)
}

// ---------------------------------------------------------------------------------------------
// What usacloud v1 prints (4-space indent, sorted keys, IDs as JSON numbers).

const json = (items: ReadonlyArray<unknown>) => `${JSON.stringify(items, null, 4)}\n`

const serverJson = {
  Availability: "available",
  CPU: 2,
  CreatedAt: "2025-05-01T10:00:00+09:00",
  Description: "web server",
  Disks: [
    {
      Availability: "available",
      Connection: "virtio",
      ConnectionOrder: 1,
      DiskPlanID: 4,
      ID: 113600000101,
      Name: "web-01",
      ReinstallCount: 0,
      SizeMB: 40960
    }
  ],
  GPU: 0,
  HostName: "web-01",
  ID: 113600000001,
  InstanceStatus: "up",
  InstanceStatusChangedAt: "2025-05-01T10:02:00+09:00",
  InterfaceDriver: "virtio",
  Interfaces: [
    {
      HostName: "",
      ID: 113600000201,
      IPAddress: "203.0.113.10",
      MACAddress: "9c:a3:ba:00:00:01",
      PacketFilterID: 0,
      SubnetDefaultRoute: "203.0.113.1",
      SubnetNetworkAddress: "203.0.113.0",
      SubnetNetworkMaskLen: 24,
      SwitchID: 113600000301,
      SwitchScope: "shared",
      UpstreamType: "shared",
      UserIPAddress: ""
    }
  ],
  MemoryMB: 4096,
  ModifiedAt: "2025-05-01T10:02:00+09:00",
  Name: "web-01",
  ServerPlanID: 100004001,
  ServerPlanName: "プラン/2Core-4GB",
  Commitment: "standard",
  Tags: ["fleetflow", "stage=dev"],
  Zone: {
    DisplayName: "石狩第1ゾーン",
    ID: 31001,
    Name: "is1a",
    Region: { Description: "石狩", ID: 310, Name: "石狩" }
  }
}

const diskJson = {
  Availability: "available",
  Connection: "virtio",
  CreatedAt: "2025-05-01T10:00:00+09:00",
  Description: "",
  DiskPlanID: 4,
  DiskPlanName: "SSDプラン",
  ID: 113600000101,
  Name: "web-01",
  ServerID: 113600000001,
  ServerName: "web-01",
  SizeMB: 40960,
  SourceArchiveID: 113600000401,
  Tags: [],
  Zone: "is1a"
}

const detachedDiskJson = { ...diskJson, ID: 113600000102, ServerID: 0, ServerName: "", SourceArchiveID: 0 }

const sshKeyJson = {
  CreatedAt: "2025-05-01T09:00:00+09:00",
  Description: "",
  Fingerprint: "SHA256:Zr3kQ2Jw2fK8bQy7cV4nL0pT5sX1uM9hD6gA3eR8wYk",
  ID: 113600000501,
  Name: "deploy",
  PublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx0Yz1Sxv0B5GBqYwYw1pnmR9Ilp6X0FPxLrr8kDQ2L deploy@example"
}

const archiveJson = {
  Availability: "available",
  CreatedAt: "2024-04-26T11:00:00+09:00",
  Description: "Ubuntu Server 24.04 LTS 64bit",
  DiskPlanID: 2,
  ID: 113600000401,
  Name: "Ubuntu Server 24.04.1 LTS 64bit",
  Scope: "shared",
  SizeMB: 20480,
  Tags: ["@size-extendable", "distro-ubuntu", "distro-ver-24.04", "os-linux"],
  Zone: "is1a"
}

const noteJson = {
  Availability: "available",
  Class: "shell",
  Content: "#!/bin/bash\necho hello\n",
  CreatedAt: "2025-05-01T09:00:00+09:00",
  Description: "",
  ID: 113600000601,
  ModifiedAt: "2025-05-01T09:00:00+09:00",
  Name: "fleetflow-docker-setup",
  Scope: "user",
  Tags: null
}

const authStatusJson = {
  AccountClass: "account",
  AccountCode: "abc12345",
  AccountID: 111111111111,
  AccountName: "FleetFlow Inc.",
  AuthClass: "account",
  AuthMethod: "apikey",
  ExternalPermission: "bill+eventlog+cdn",
  IsAPIKey: true,
  MemberClass: "member",
  MemberCode: "fleet",
  OperationPenalty: "none",
  Permission: "create"
}

const apiError = (status: string, code: string, message: string) =>
  `\nError in response: &iaas.APIErrorResponse{IsFatal:true, Serial:"6a4d0e3c1b", Status:"${status}", ` +
  `ErrorCode:"${code}", ErrorMessage:"${message}"}\n`

const without = (object: Record<string, unknown>, key: string) =>
  Object.fromEntries(Object.entries(object).filter(([name]) => name !== key))

// ---------------------------------------------------------------------------------------------

describe("Usacloud: argument vectors", () => {
  const profiled = withProfile("fleet")
  const settings: Usacloud.Settings = { profile: "fleet" }

  const replyFor = (args: ReadonlyArray<string>): Reply => {
    if (!args.includes("-o")) return ok("")
    switch (args[0]) {
      case "server":
        return ok(json([serverJson]))
      case "disk":
        return ok(json([diskJson]))
      case "ssh-key":
        return ok(json([sshKeyJson]))
      case "archive":
        return ok(json([archiveJson]))
      case "note":
        return ok(json([noteJson]))
      default:
        return ok(json([authStatusJson]))
    }
  }

  const cases: ReadonlyArray<
    readonly [
      string,
      (usacloud: Usacloud.UsacloudService) => Effect.Effect<unknown, Usacloud.UsacloudError>,
      Array<string>
    ]
  > = [
    [
      "server list",
      (u) => u.servers.list("is1a", { names: ["web-01", "web-02"], tags: ["fleetflow"] }),
      zoned("server", "is1a").list("--names", "web-01,web-02", "--tags", "fleetflow")
    ],
    ["server read", (u) => u.servers.read("is1a", "113600000001"), zoned("server", "is1a").read("113600000001")],
    [
      "server create",
      (u) =>
        u.servers.create("is1a", {
          name: "web-01",
          description: "web server",
          tags: ["fleetflow", "stage=dev"],
          cpu: 2,
          memory: 4,
          commitment: "standard",
          disk: { size: 40, osType: "ubuntu2404" },
          hostName: "web-01",
          sshKeyIds: ["113600000501"],
          sshKeys: ["/home/ops/.ssh/id_ed25519.pub"],
          notes: [{ id: "113600000601" }, { id: "113600000602", variables: { user: "ops", port: 22 } }],
          disablePasswordAuth: true
        }),
      zoned("server", "is1a").create(
        "--name",
        "web-01",
        "--description",
        "web server",
        "--tags",
        "fleetflow,stage=dev",
        "--cpu",
        "2",
        "--memory",
        "4",
        "--commitment",
        "standard",
        "--network-interface-upstream",
        "shared",
        "--disk-disk-plan",
        "ssd",
        "--disk-size",
        "40",
        "--disk-connection",
        "virtio",
        "--disk-os-type",
        "ubuntu2404",
        "--disk-edit-host-name",
        "web-01",
        "--disk-edit-ssh-key-ids",
        "113600000501",
        "--disk-edit-ssh-keys",
        "/home/ops/.ssh/id_ed25519.pub",
        "--disk-edit-disable-pw-auth",
        "--disk-edit-notes",
        '[{"ID":113600000601},{"ID":113600000602,"Variables":{"user":"ops","port":22}}]',
        "--boot-after-create"
      )
    ],
    [
      "server create from an archive, notes without variables",
      (u) =>
        u.servers.create("tk1b", {
          name: "db",
          cpu: 1,
          memory: 1,
          disk: { size: 20, plan: "hdd", sourceArchiveId: "113600000401" },
          notes: [{ id: "113600000601" }, { id: "113600000602" }],
          bootAfterCreate: false
        }),
      zoned("server", "tk1b").create(
        "--name",
        "db",
        "--cpu",
        "1",
        "--memory",
        "1",
        "--network-interface-upstream",
        "shared",
        "--disk-disk-plan",
        "hdd",
        "--disk-size",
        "20",
        "--disk-connection",
        "virtio",
        "--disk-source-archive-id",
        "113600000401",
        "--disk-edit-note-ids",
        "113600000601,113600000602"
      )
    ],
    [
      "server create over an existing disk, edited, then booted",
      (u) =>
        u.servers.create("is1a", {
          name: "web-02",
          cpu: 1,
          memory: 2,
          disks: [
            {
              id: "113600000301",
              edit: {
                hostName: "web-02",
                sshKeyIds: ["113600000501"],
                disablePasswordAuth: true,
                notes: [{ id: "113600000601", variables: { port: 22 } }]
              }
            }
          ]
        }),
      zoned("server", "is1a").create(
        "--name",
        "web-02",
        "--cpu",
        "1",
        "--memory",
        "2",
        "--network-interface-upstream",
        "shared",
        "--disks",
        '[{"ID":113600000301,"EditDisk":{"HostName":"web-02","DisablePWAuth":true,"SSHKeyIDs":[113600000501],"Notes":[{"ID":113600000601,"Variables":{"port":22}}]}}]',
        "--boot-after-create"
      )
    ],
    [
      "server update",
      (u) => u.servers.update("is1a", "113600000001", { cpu: 4, memory: 8, tags: [] }),
      zoned("server", "is1a").update("113600000001", "--tags", "", "--cpu", "4", "--memory", "8")
    ],
    [
      "server update of the NIC",
      (u) => u.servers.update("is1a", "113600000001", { network: "shared" }),
      zoned("server", "is1a").update("113600000001", "--network-interfaces", '[{"Upstream":"shared"}]')
    ],
    [
      "server boot",
      (u) => u.servers.boot("is1a", "113600000001"),
      zoned("server", "is1a").change("boot", "113600000001")
    ],
    [
      "server shutdown",
      (u) => u.servers.shutdown("is1a", "113600000001", { force: true }),
      zoned("server", "is1a").change("shutdown", "113600000001", "--force")
    ],
    [
      "server wait-until-ready",
      (u) => u.servers.waitUntilReady("is1a", "113600000001"),
      zoned("server", "is1a").wait("wait-until-ready", "113600000001")
    ],
    [
      "server wait-until-shutdown",
      (u) => u.servers.waitUntilShutdown("is1a", "113600000001"),
      zoned("server", "is1a").wait("wait-until-shutdown", "113600000001")
    ],
    [
      "server delete",
      (u) => u.servers.delete("is1a", "113600000001", { force: true, withDisks: true }),
      zoned("server", "is1a").change("delete", "113600000001", "--force", "--with-disks")
    ],
    ["disk list", (u) => u.disks.list("is1b"), zoned("disk", "is1b").list()],
    ["disk read", (u) => u.disks.read("is1a", "113600000101"), zoned("disk", "is1a").read("113600000101")],
    [
      "disk create",
      (u) =>
        u.disks.create("is1a", {
          name: "data",
          tags: ["fleetflow"],
          size: 100,
          osType: "ubuntu2404",
          edit: { hostName: "data", sshKeyIds: ["113600000501"], disablePasswordAuth: true }
        }),
      zoned("disk", "is1a").create(
        "--name",
        "data",
        "--tags",
        "fleetflow",
        "--disk-plan",
        "ssd",
        "--size",
        "100",
        "--connector",
        "virtio",
        "--os-type",
        "ubuntu2404",
        "--edit-disk-host-name",
        "data",
        "--edit-disk-ssh-key-ids",
        "113600000501",
        "--edit-disk-disable-pw-auth"
      )
    ],
    [
      "disk update",
      (u) => u.disks.update("is1a", "113600000101", { name: "data-2", description: "" }),
      zoned("disk", "is1a").update("113600000101", "--name", "data-2", "--description", "")
    ],
    [
      "disk update of the connection",
      (u) => u.disks.update("is1a", "113600000101", { connection: "virtio" }),
      zoned("disk", "is1a").update("113600000101", "--connector", "virtio")
    ],
    [
      "disk delete",
      (u) => u.disks.delete("is1a", "113600000101"),
      zoned("disk", "is1a").change("delete", "113600000101")
    ],
    ["ssh-key list", (u) => u.sshKeys.list({ names: ["deploy"] }), global("ssh-key").list("--names", "deploy")],
    ["ssh-key read", (u) => u.sshKeys.read("113600000501"), global("ssh-key").read("113600000501")],
    [
      "ssh-key create",
      (u) => u.sshKeys.create({ name: "deploy", publicKey: sshKeyJson.PublicKey }),
      global("ssh-key").create("--name", "deploy", "--public-key", sshKeyJson.PublicKey)
    ],
    [
      "ssh-key update",
      (u) => u.sshKeys.update("113600000501", { name: "deploy" }),
      global("ssh-key").update("113600000501", "--name", "deploy")
    ],
    ["ssh-key delete", (u) => u.sshKeys.delete("113600000501"), global("ssh-key").change("delete", "113600000501")],
    [
      "archive list",
      (u) => u.archives.list("is1a", { osType: "ubuntu2404" }),
      zoned("archive", "is1a").list("--os-type", "ubuntu2404")
    ],
    ["note list", (u) => u.notes.list({ names: ["a,b"] }), global("note").list("--names", '"a,b"')],
    ["note read", (u) => u.notes.read("113600000601"), global("note").read("113600000601")],
    [
      "note create",
      (u) => u.notes.create({ name: "setup", content: noteJson.Content, tags: ["fleetflow"] }),
      global("note").create("--name", "setup", "--tags", "fleetflow", "--class", "shell", "--content", noteJson.Content)
    ],
    [
      "note update",
      (u) => u.notes.update("113600000601", { content: "#!/bin/bash\n" }),
      global("note").update("113600000601", "--content", "#!/bin/bash\n")
    ],
    ["note delete", (u) => u.notes.delete("113600000601"), global("note").change("delete", "113600000601")],
    ["auth-status", (u) => u.authStatus(), [...authStatus]]
  ]

  for (const [name, operation, expected] of cases) {
    it.effect(name, () =>
      Effect.gen(function* () {
        const plain = yield* withReply(replyFor, operation)
        success(plain.exit)
        assert.deepStrictEqual(plain.calls, [[...expected, ...matchExact]])
        const withProfile = yield* withReply(replyFor, operation, settings)
        success(withProfile.exit)
        assert.deepStrictEqual(withProfile.calls, [[...expected, ...profiled]])
      })
    )
  }

  it.effect("never --zone=all, no --zone on global resources, -y exactly on changes", () =>
    Effect.gen(function* () {
      const seen: Array<ReadonlyArray<string>> = []
      for (const [, operation] of cases) {
        const { calls } = yield* withReply(replyFor, operation)
        seen.push(...calls)
      }
      for (const args of seen) {
        const zoneAt = args.indexOf("--zone")
        assert.isFalse(
          args.some((arg) => arg.startsWith("--zone=")),
          args.join(" ")
        )
        if (args[0] === "ssh-key" || args[0] === "note" || args[0] === "auth-status") assert.strictEqual(zoneAt, -1)
        else assert.notStrictEqual(args[zoneAt + 1], "all")
        const changes = ["create", "update", "delete", "boot", "shutdown"].includes(args[1] ?? "")
        assert.strictEqual(args.includes("-y"), changes, args.join(" "))
      }
    })
  )

  it.effect("a non-numeric ID or zone `all` is refused before anything runs", () =>
    Effect.gen(function* () {
      const attempts: ReadonlyArray<(u: Usacloud.UsacloudService) => Effect.Effect<unknown, Usacloud.UsacloudError>> = [
        (u) => u.servers.read("is1a", "web-01"),
        (u) => u.servers.delete("is1a", "1136 00000001"),
        (u) => u.servers.boot("is1a", "0"),
        (u) => u.disks.delete("is1a", "-1"),
        (u) => u.sshKeys.delete("deploy"),
        (u) => u.notes.update("1e12", { name: "x" }),
        (u) => u.servers.list("all"),
        (u) =>
          u.servers.create("is1a", { name: "web", cpu: 1, memory: 1, disk: { size: 20, sourceArchiveId: "ubuntu" } }),
        (u) =>
          u.servers.create("is1a", {
            name: "web",
            cpu: 1,
            memory: 1,
            disk: { size: 20, osType: "ubuntu2404" },
            sshKeyIds: ["deploy"]
          }),
        (u) => u.servers.create("is1a", { name: "web", cpu: 1.5, memory: 1, disk: { size: 20, osType: "ubuntu2404" } }),
        (u) => u.servers.create("is1a", { name: "web", cpu: 1, memory: 1, disk: { size: 20 } }),
        (u) => u.servers.create("is1a", { name: "web", cpu: 1, memory: 1, disks: [{ id: "web-disk" }] }),
        (u) =>
          u.servers.create("is1a", {
            name: "web",
            cpu: 1,
            memory: 1,
            disks: [{ id: "113600000301", edit: { sshKeyIds: ["deploy"] } }]
          }),
        (u) =>
          u.servers.create("is1a", {
            name: "web",
            cpu: 1,
            memory: 1,
            disks: [{ id: "113600000301" }],
            diskIds: ["113600000302"]
          }),
        (u) =>
          u.servers.create("is1a", {
            name: "web",
            cpu: 1,
            memory: 1,
            disks: [{ id: "113600000301" }],
            hostName: "web"
          })
      ]
      for (const operation of attempts) {
        const { exit, calls } = yield* withReply(ok(json([serverJson])), operation)
        assert.strictEqual(failure(exit).reason, "invalid")
        assert.deepStrictEqual(calls, [])
      }
    })
  )
})

describe("Usacloud: reading output", () => {
  it.effect("an empty stdout is an empty list, but an error for read and create", () =>
    Effect.gen(function* () {
      const listed = yield* withReply(ok(""), (u) => u.servers.list("is1a"))
      assert.deepStrictEqual(success(listed.exit), [])
      const notes = yield* withReply(ok("\n"), (u) => u.notes.list())
      assert.deepStrictEqual(success(notes.exit), [])
      const read = yield* withReply(ok(""), (u) => u.servers.read("is1a", "113600000001"))
      assert.strictEqual(failure(read.exit).reason, "failed")
      const created = yield* withReply(ok(""), (u) => u.sshKeys.create({ name: "k", publicKey: "ssh-ed25519 AAAA" }))
      assert.strictEqual(failure(created.exit).reason, "failed")
    })
  )

  it.effect("stdout that is not JSON is an error, never an empty list", () =>
    Effect.gen(function* () {
      const table = "+----+------+\n| ID | Name |\n+----+------+\n"
      const { exit } = yield* withReply(ok(table), (u) => u.servers.list("is1a"))
      const error = failure(exit)
      assert.strictEqual(error.reason, "failed")
      assert.include(error.message, "not JSON")
      assert.strictEqual(error.command, "server list")
    })
  )

  it.effect("exit 0 with an error on stderr is a failure (usacloud's config errors exit 0)", () =>
    Effect.gen(function* () {
      const stderr = 'validation error:\n--parameters: loading parameter file "x.json" failed\n'
      const garbage = yield* withReply(ok("not json", stderr), (u) => u.servers.list("is1a"))
      assert.strictEqual(failure(garbage.exit).reason, "invalid")
      const empty = yield* withReply(
        ok("", "client setup failed: open /home/ops/.usacloud/x: permission denied\n"),
        (u) => u.servers.list("is1a")
      )
      const error = failure(empty.exit)
      assert.strictEqual(error.reason, "failed")
      assert.include(error.message, "client setup failed")
      const deleted = yield* withReply(ok("", "client setup failed\n"), (u) => u.servers.delete("is1a", "113600000001"))
      assert.strictEqual(failure(deleted.exit).reason, "failed")
    })
  )

  it.effect("[WARN] lines on stderr are ignored", () =>
    Effect.gen(function* () {
      const warn = "[WARN] auth-status is deprecated, use `usacloud rest` instead\n"
      const status = yield* withReply(ok(json([authStatusJson]), warn), (u) => u.authStatus())
      assert.strictEqual(success(status.exit).accountId, "111111111111")
      const listed = yield* withReply(ok("", `${warn}[WARN] loading profile "x" is failed\n`), (u) =>
        u.disks.list("is1a")
      )
      assert.deepStrictEqual(success(listed.exit), [])
      const booted = yield* withReply(ok("", warn), (u) => u.servers.boot("is1a", "113600000001"))
      success(booted.exit)
    })
  )

  it.effect("every documented shape decodes, IDs exact as strings", () =>
    Effect.gen(function* () {
      const servers = yield* withReply(ok(json([serverJson])), (u) => u.servers.list("is1a"))
      const [server] = success(servers.exit)
      assert.deepStrictEqual(server?.id, "113600000001")
      assert.strictEqual(server?.zone.name, "is1a")
      assert.strictEqual(server?.interfaces[0]?.ipAddress, "203.0.113.10")
      assert.strictEqual(server?.interfaces[0]?.switchScope, "shared")
      assert.strictEqual(server?.disks[0]?.id, "113600000101")
      assert.strictEqual(server?.memoryMB, 4096)
      assert.deepStrictEqual(server?.tags, ["fleetflow", "stage=dev"])

      const read = yield* withReply(ok(json([serverJson])), (u) => u.servers.read("is1a", "113600000001"))
      assert.strictEqual(success(read.exit).instanceStatus, "up")

      const disks = yield* withReply(ok(json([diskJson, detachedDiskJson])), (u) => u.disks.list("is1a"))
      const [attached, detached] = success(disks.exit)
      assert.strictEqual(attached?.zone, "is1a")
      assert.strictEqual(attached?.serverId, "113600000001")
      assert.strictEqual(attached?.sourceArchiveId, "113600000401")
      assert.strictEqual(detached?.serverId, undefined)
      assert.strictEqual(detached?.sourceArchiveId, undefined)

      const key = yield* withReply(ok(json([sshKeyJson])), (u) => u.sshKeys.read("113600000501"))
      assert.strictEqual(success(key.exit).fingerprint, sshKeyJson.Fingerprint)

      const archives = yield* withReply(ok(json([archiveJson])), (u) => u.archives.list("is1a"))
      assert.strictEqual(success(archives.exit)[0]?.id, "113600000401")

      const notes = yield* withReply(ok(json([noteJson])), (u) => u.notes.list())
      const [note] = success(notes.exit)
      assert.deepStrictEqual(note?.tags, [])
      assert.strictEqual(note?.content, noteJson.Content)

      const status = yield* withReply(ok(json([authStatusJson])), (u) => u.authStatus())
      assert.strictEqual(success(status.exit).accountName, "FleetFlow Inc.")

      // A server with no NIC and no disk: Go leaves the empty lists out.
      const bare = without(without(serverJson, "Interfaces"), "Disks")
      const bareServer = yield* withReply(ok(json([bare])), (u) => u.servers.read("is1a", "113600000001"))
      assert.deepStrictEqual(success(bareServer.exit).interfaces, [])
    })
  )

  it.effect("a missing documented field fails and is named", () =>
    Effect.gen(function* () {
      const noZone = yield* withReply(ok(json([without(serverJson, "Zone")])), (u) => u.servers.list("is1a"))
      const error = failure(noZone.exit)
      assert.strictEqual(error.reason, "failed")
      assert.include(error.message, "at [0].Zone: is missing")

      const nested = { ...serverJson, Interfaces: [without(serverJson.Interfaces[0] ?? {}, "IPAddress")] }
      const noAddress = yield* withReply(ok(json([nested])), (u) => u.servers.list("is1a"))
      assert.include(failure(noAddress.exit).message, "Interfaces[0].IPAddress: is missing")

      const noFingerprint = yield* withReply(ok(json([without(sshKeyJson, "Fingerprint")])), (u) => u.sshKeys.list())
      assert.include(failure(noFingerprint.exit).message, "Fingerprint: is missing")

      const noDiskZone = yield* withReply(ok(json([without(diskJson, "Zone")])), (u) =>
        u.disks.read("is1a", "113600000101")
      )
      assert.include(failure(noDiskZone.exit).message, "Zone: is missing")
    })
  )

  it.effect("IDs must be whole JSON numbers below 2^53", () =>
    Effect.gen(function* () {
      const asString = yield* withReply(ok(json([{ ...sshKeyJson, ID: "113600000501" }])), (u) => u.sshKeys.list())
      assert.include(failure(asString.exit).message, "ID")
      const tooBig = `[{"ID": 9007199254740993, "Name": "k", "Description": "", "CreatedAt": "", "PublicKey": "", "Fingerprint": ""}]`
      const big = yield* withReply(ok(tooBig), (u) => u.sshKeys.list())
      assert.include(failure(big.exit).message, "below 2^53")
      const fraction = yield* withReply(ok(json([{ ...sshKeyJson, ID: 1.5 }])), (u) => u.sshKeys.list())
      assert.strictEqual(failure(fraction.exit).reason, "failed")
    })
  )

  it.effect("read insists on the asked ID; create on exactly one result", () =>
    Effect.gen(function* () {
      const other = yield* withReply(ok(json([serverJson])), (u) => u.servers.read("is1a", "113600000009"))
      assert.strictEqual(failure(other.exit).reason, "failed")
      const two = yield* withReply(ok(json([diskJson, detachedDiskJson])), (u) =>
        u.disks.create("is1a", { name: "d", size: 20, osType: "ubuntu2404" })
      )
      assert.strictEqual(failure(two.exit).reason, "failed")
    })
  )
})

describe("Usacloud: errors and retries", () => {
  const fixedJitter = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.withRandom(effect, Random.fixed([0.5]))

  it.effect("503 is transient, retried, and the third attempt succeeds", () =>
    Effect.gen(function* () {
      const script = fake((_, attempt) =>
        attempt < 3
          ? failed(apiError("503 Service Unavailable", "service_unavailable", "メンテナンス中です"))
          : ok(json([serverJson]))
      )
      const fiber = yield* Effect.fork(
        Effect.flatMap(Usacloud.Usacloud, (u) => u.servers.list("is1a")).pipe(Effect.provide(script.layer), fixedJitter)
      )
      yield* TestClock.adjust(Duration.seconds(1))
      assert.strictEqual((yield* script.calls).length, 2)
      yield* TestClock.adjust(Duration.seconds(2))
      const servers = yield* Fiber.join(fiber)
      assert.strictEqual(servers.length, 1)
      assert.strictEqual((yield* script.calls).length, 3)
    })
  )

  it.effect("transient failures stop after the policy's attempts", () =>
    Effect.gen(function* () {
      const policy: Retry.RetryPolicy = { ...Retry.defaultPolicy, maxAttempts: 2 }
      const script = fake(() => failed(apiError("429 Too Many Requests", "too_many_requests", "slow down")), {
        retry: policy
      })
      const fiber = yield* Effect.fork(
        Effect.flatMap(Usacloud.Usacloud, (u) => Effect.exit(u.disks.list("is1a"))).pipe(Effect.provide(script.layer))
      )
      yield* TestClock.adjust(Duration.minutes(1))
      const error = failure(yield* Fiber.join(fiber))
      assert.strictEqual(error.reason, "transient")
      assert.strictEqual(error.status, "429 Too Many Requests")
      assert.strictEqual((yield* script.calls).length, 2)
    })
  )

  it.effect("401 is auth: one attempt, and the message says how to give credentials", () =>
    Effect.gen(function* () {
      const reply = failed(apiError("401 Unauthorized", "unauthorized", "認証に失敗しました"))
      const { exit, calls } = yield* withReply(reply, (u) => u.servers.list("is1a"))
      const error = failure(exit)
      assert.strictEqual(error.reason, "auth")
      assert.strictEqual(error.status, "401 Unauthorized")
      assert.strictEqual(error.errorCode, "unauthorized")
      assert.include(error.message, "usacloud config")
      assert.include(error.message, "SAKURACLOUD_ACCESS_TOKEN")
      assert.strictEqual(calls.length, 1)
    })
  )

  it.effect("404 and `target resource not found` are not-found, once", () =>
    Effect.gen(function* () {
      const api = yield* withReply(failed(apiError("404 Not Found", "not_found", "対象が見つかりません")), (u) =>
        u.disks.read("is1a", "113600000101")
      )
      assert.strictEqual(failure(api.exit).reason, "not-found")
      assert.strictEqual(failure(api.exit).message, "404 Not Found: 対象が見つかりません (not_found)")
      assert.strictEqual(api.calls.length, 1)
      const selector = yield* withReply(failed('\ntarget resource not found: query=["113600000001"]\n'), (u) =>
        u.servers.delete("is1a", "113600000001")
      )
      assert.strictEqual(failure(selector.exit).reason, "not-found")
      assert.strictEqual(selector.calls.length, 1)
    })
  )

  it.effect("a run past its timeout is transient and retried", () =>
    Effect.gen(function* () {
      const script = fake((args, attempt) =>
        attempt === 1 ? new UsacloudTimeout({ args: [...args], timeoutMillis: 120_000 }) : ok(json([diskJson]))
      )
      const fiber = yield* Effect.fork(
        Effect.flatMap(Usacloud.Usacloud, (u) => u.disks.read("is1a", "113600000101")).pipe(
          Effect.provide(script.layer),
          fixedJitter
        )
      )
      yield* TestClock.adjust(Duration.seconds(1))
      const disk = yield* Fiber.join(fiber)
      assert.strictEqual(disk.id, "113600000101")
      assert.strictEqual((yield* script.calls).length, 2)
    })
  )

  it.effect("a create is not run again after a timeout (it may have happened), but is after a 503", () =>
    Effect.gen(function* () {
      const spec: Usacloud.ServerCreateSpec = {
        name: "web",
        cpu: 1,
        memory: 1,
        disk: { size: 20, osType: "ubuntu2404" }
      }
      const timedOut = yield* withReply(
        (args) => new UsacloudTimeout({ args: [...args], timeoutMillis: 600_000 }),
        (u) => u.servers.create("is1a", spec)
      )
      assert.strictEqual(failure(timedOut.exit).reason, "transient")
      assert.strictEqual(timedOut.calls.length, 1)

      const script = fake((_, attempt) =>
        attempt === 1
          ? failed(apiError("503 Service Unavailable", "service_unavailable", "busy"))
          : ok(json([serverJson]))
      )
      const fiber = yield* Effect.fork(
        Effect.flatMap(Usacloud.Usacloud, (u) => u.servers.create("is1a", spec)).pipe(
          Effect.provide(script.layer),
          fixedJitter
        )
      )
      yield* TestClock.adjust(Duration.seconds(1))
      assert.strictEqual((yield* Fiber.join(fiber)).id, "113600000001")
      assert.strictEqual((yield* script.calls).length, 2)
    })
  )

  it.effect("a missing binary is a failure with the install hint", () =>
    Effect.gen(function* () {
      const { exit, calls } = yield* withReply(
        new UsacloudUnavailable({ binary: "usacloud", detail: "no such file or command" }),
        (u) => u.authStatus()
      )
      const error = failure(exit)
      assert.strictEqual(error.reason, "failed")
      assert.include(error.hint ?? "", "Install usacloud")
      assert.strictEqual(calls.length, 1)
    })
  )

  it("classifies exit code and stderr", () => {
    const table: ReadonlyArray<readonly [string, Errors.Reason]> = [
      [apiError("503 Service Unavailable", "service_unavailable", "x"), "transient"],
      [apiError("502 Bad Gateway", "bad_gateway", "x"), "transient"],
      [apiError("504 Gateway Timeout", "gateway_timeout", "x"), "transient"],
      [apiError("423 Locked", "locked", "x"), "transient"],
      [apiError("429 Too Many Requests", "too_many_requests", "x"), "transient"],
      [apiError("409 Conflict", "still_creating", "x"), "transient"],
      [apiError("409 Conflict", "busy", "x"), "transient"],
      [apiError("409 Conflict", "conflict", "x"), "conflict"],
      [apiError("400 Bad Request", "bad_request", "x"), "invalid"],
      [apiError("401 Unauthorized", "unauthorized", "x"), "auth"],
      [apiError("403 Forbidden", "forbidden", "x"), "auth"],
      [apiError("404 Not Found", "not_found", "x"), "not-found"],
      ["\ncommand[server/create] timed out: context deadline exceeded\n", "transient"],
      [
        '\nGet "https://secure.sakura.ad.jp/cloud/zone/is1a/api/cloud/1.1/server": dial tcp: lookup secure.sakura.ad.jp: no such host\n',
        "transient"
      ],
      ["\nread tcp 10.0.0.2:51234->203.0.113.1:443: read: connection reset by peer\n", "transient"],
      ["\nconnection refused\n", "transient"],
      ['\ntarget resource not found: query=["113600000001"]\n', "not-found"],
      ["\nserver plan not found\n", "invalid"],
      ["Error: unknown flag: --bogus\n", "invalid"],
      ["\nthe confirm dialog cannot be used without the terminal. Please use --assumeyes(-y) option\n", "invalid"],
      ['\nin this operation, only a single target is allowed: query=["web"]\n', "invalid"],
      ["validation error:\n--name: required\n", "invalid"],
      ['\ntarget is1a:"113600000001" has not yet shut down\n', "conflict"],
      ['\ngot unexpected value of Availability: got "failed"\n', "failed"],
      ["", "failed"]
    ]
    for (const [stderr, reason] of table) {
      assert.strictEqual(Errors.classify("server create", failed(stderr)).reason, reason, stderr)
    }
    const quoted = Errors.parseApiError(apiError("400 Bad Request", "bad_request", 'name \\"x\\" is \\u00e9 bad'))
    assert.strictEqual(quoted?.errorMessage, 'name "x" is é bad')
  })

  it("toProviderError keeps the reason, code and a hint", () => {
    const auth = Errors.classify("server list", failed(apiError("401 Unauthorized", "unauthorized", "denied")))
    const provider = Usacloud.toProviderError(auth, "sakura-cloud:server:web-01")
    assert.instanceOf(provider, ProviderError)
    assert.strictEqual(provider.provider, "sakura-cloud")
    assert.strictEqual(provider.operation, "usacloud server list")
    assert.strictEqual(provider.key, "sakura-cloud:server:web-01")
    assert.strictEqual(provider.reason, "auth")
    assert.strictEqual(provider.code, 401)
    assert.include(provider.message, "usacloud config")
    assert.isString(provider.hint)

    const busy = Usacloud.toProviderError(
      Errors.classify("server create", failed(apiError("409 Conflict", "still_creating", "wait")))
    )
    assert.strictEqual(busy.reason, "transient")
    assert.strictEqual(busy.key, undefined)
    assert.strictEqual(busy.code, 409)

    const plain = Usacloud.toProviderError(Errors.classify("server read", failed("\nserver plan not found\n")))
    assert.strictEqual(plain.reason, "invalid")
    assert.strictEqual(plain.code, undefined)
  })
})
