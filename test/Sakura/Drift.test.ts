/**
 * Drift on Sakura Cloud, field by field: for every field of every type's inputs that the cloud
 * can report (its Schema's fields but `unobservedFields`), a change made outside FleetFlow with
 * usacloud against the simulator shows in the plan (its drift names the field), `up` puts the
 * file's value back in the cloud, and the next plan has no changes. A field without a case
 * fails the suite.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Fleet from "../../src/Fleet.js"
import * as Plan from "../../src/Plan.js"
import type { StoredResource } from "../../src/Resource.js"
import * as Model from "../../src/Sakura/Model.js"
import * as SakuraProvider from "../../src/Sakura/Provider.js"
import * as Simulator from "../../src/Sakura/Simulator.js"
import { fingerprintOf, publicArchivesIn } from "../../src/Sakura/Simulator/Cloud.js"
import * as State from "../../src/State.js"
import { sshPublicKey } from "../support/Builders.js"
import { runOptions } from "../support/Desired.js"
import { fleetText, targetOf } from "../support/SakuraFleet.js"
import { global, zoned } from "../support/UsacloudArgs.js"

type Type = keyof typeof Model.unobservedFields

/** Each type's inputs Schema, for its fields. */
const inputs: { readonly [T in Type]: { readonly fields: object } } = {
  server: Model.ServerInputs,
  disk: Model.DiskInputs,
  "ssh-key": Model.SshKeyInputs,
  "startup-script": Model.StartupScriptInputs
}

const devPublicKey = sshPublicKey("dev@example")
const archiveName = "Ubuntu Server 24.04.2 LTS 64bit"
const script = "#!/bin/sh\necho setup\n"

const fleet = (disk: string) =>
  fleetText([
    `server "web-01" {`,
    `  plan core=1 memory=1`,
    `  disk size=20 ${disk}`,
    `  tags "web"`,
    `  description "the web server"`,
    `  ssh-key "./keys/dev.pub"`,
    `  startup-script "./scripts/setup.sh"`,
    `}`
  ])

const fromOs = fleet(`os="ubuntu-24.04"`)
const fromArchive = fleet(`archive="${archiveName}"`)

const filesOf = (text: string) => ({
  "fleet.kdl": text,
  "keys/dev.pub": `${devPublicKey}\n`,
  "scripts/setup.sh": script
})

/** What the first `up` made: the IDs an operator would give usacloud. */
interface Made {
  readonly server: string
  readonly disk: string
  readonly sshKey: string
  readonly note: string
  readonly serverTags: ReadonlyArray<string>
  readonly diskTags: ReadonlyArray<string>
  readonly noteTags: ReadonlyArray<string>
}

interface Outside {
  readonly made: Made
  /** A usacloud command line, as an operator runs it; it must succeed. */
  readonly usacloud: (...args: ReadonlyArray<string>) => Effect.Effect<void>
  /** A change no usacloud command can make, written into the simulated cloud as its API would hold it. */
  readonly edit: (change: (document: Simulator.SimulatorDocument) => Simulator.SimulatorDocument) => Effect.Effect<void>
}

type Cloud = Simulator.CloudContents

interface Case {
  readonly type: Type
  readonly field: string
  readonly fleet?: string
  readonly change: (outside: Outside) => Effect.Effect<void>
  /** The simulated cloud holds the file's value again. */
  readonly holds: (cloud: Cloud) => void
}

/** A field no change outside FleetFlow can make differ, and why. */
interface Unchangeable {
  readonly type: Type
  readonly field: string
  readonly why: string
}

const server = zoned("server", "is1a")
const disk = zoned("disk", "is1a")

const ours = <A extends { readonly name: string }>(items: ReadonlyArray<A>, name: string): A => {
  const found = items.filter((item) => item.name === name)
  assert.lengthOf(found, 1, `one ${name}`)
  return found[0]!
}
const web = (cloud: Cloud) => ours(cloud.servers, "web-01")
const webDisk = (cloud: Cloud) => ours(cloud.disks, "web-01")
const devKey = (cloud: Cloud) => ours(cloud.sshKeys, "dev")
const setup = (cloud: Cloud) => ours(cloud.notes, "setup")

const archiveIn = (name: string) => publicArchivesIn("is1a").find((archive) => archive.name === name)!.id

const otherKey = sshPublicKey("someone@else")

const cases: ReadonlyArray<Case> = [
  {
    type: "server",
    field: "name",
    change: ({ made, usacloud }) => usacloud(...server.update(made.server, "--name", "renamed")),
    holds: (cloud) => assert.strictEqual(web(cloud).name, "web-01")
  },
  {
    type: "server",
    field: "status",
    change: ({ made, usacloud }) => usacloud(...server.change("shutdown", made.server)),
    holds: (cloud) => assert.strictEqual(web(cloud).power, "up")
  },
  {
    type: "server",
    field: "core",
    change: ({ made, usacloud }) => usacloud(...server.update(made.server, "--cpu", "2")),
    holds: (cloud) => assert.deepStrictEqual([web(cloud).cpu, web(cloud).power], [1, "up"])
  },
  {
    type: "server",
    field: "memory",
    change: ({ made, usacloud }) => usacloud(...server.update(made.server, "--memory", "2")),
    holds: (cloud) => assert.deepStrictEqual([web(cloud).memoryMB, web(cloud).power], [1024, "up"])
  },
  {
    type: "server",
    field: "commitment",
    change: ({ made, usacloud }) => usacloud(...server.update(made.server, "--commitment", "dedicatedcpu")),
    holds: (cloud) => assert.deepStrictEqual([web(cloud).commitment, web(cloud).power], ["standard", "up"])
  },
  {
    type: "server",
    field: "disk",
    change: ({ made, usacloud }) =>
      Effect.gen(function* () {
        yield* usacloud(...server.change("shutdown", made.server))
        yield* usacloud(...disk.change("disconnect-from-server", made.disk))
        yield* usacloud(...server.change("boot", made.server))
      }),
    holds: (cloud) => {
      assert.strictEqual(webDisk(cloud).serverId, web(cloud).id)
      assert.strictEqual(web(cloud).power, "up")
    }
  },
  {
    type: "server",
    field: "network",
    change: ({ made, usacloud }) =>
      usacloud(...server.update(made.server, "--network-interfaces", JSON.stringify([{ Upstream: "disconnected" }]))),
    holds: (cloud) => {
      const [nic] = web(cloud).interfaces
      assert.strictEqual(nic?.upstream, "shared")
      assert.match(nic?.ipAddress ?? "", /^153\.120\./)
    }
  },
  {
    type: "server",
    field: "hostname",
    change: ({ made, usacloud }) =>
      Effect.gen(function* () {
        yield* usacloud(...server.change("shutdown", made.server))
        yield* usacloud(...disk.update(made.disk, "--edit-disk-host-name", "other"))
        yield* usacloud(...server.change("boot", made.server))
      }),
    holds: (cloud) => assert.deepStrictEqual([web(cloud).hostName, web(cloud).power], ["web-01", "up"])
  },
  {
    type: "server",
    field: "tags",
    change: ({ made, usacloud }) =>
      usacloud(...server.update(made.server, "--tags", [...made.serverTags, "extra"].join(","))),
    holds: (cloud) => {
      assert.include(web(cloud).tags, "web")
      assert.notInclude(web(cloud).tags, "extra")
    }
  },
  {
    type: "server",
    field: "description",
    change: ({ made, usacloud }) => usacloud(...server.update(made.server, "--description", "changed by hand")),
    holds: (cloud) => assert.strictEqual(web(cloud).description, "the web server")
  },
  {
    type: "disk",
    field: "name",
    change: ({ made, usacloud }) => usacloud(...disk.update(made.disk, "--name", "renamed")),
    holds: (cloud) => assert.strictEqual(webDisk(cloud).name, "web-01")
  },
  {
    type: "disk",
    field: "tags",
    change: ({ made, usacloud }) =>
      usacloud(...disk.update(made.disk, "--tags", [...made.diskTags, "extra"].join(","))),
    holds: (cloud) => assert.notInclude(webDisk(cloud).tags, "extra")
  },
  {
    type: "disk",
    field: "description",
    change: ({ made, usacloud }) => usacloud(...disk.update(made.disk, "--description", "changed by hand")),
    holds: (cloud) => assert.strictEqual(webDisk(cloud).description, "")
  },
  {
    type: "disk",
    field: "connection",
    change: ({ made, usacloud }) =>
      Effect.gen(function* () {
        yield* usacloud(...server.change("shutdown", made.server))
        yield* usacloud(...disk.update(made.disk, "--connector", "ide"))
        yield* usacloud(...server.change("boot", made.server))
      }),
    holds: (cloud) => assert.deepStrictEqual([webDisk(cloud).connection, web(cloud).power], ["virtio", "up"])
  },
  // No usacloud command changes a disk's size, plan or source: each is written into the cloud
  // directly, and `up` replaces the disk (and the server on it).
  {
    type: "disk",
    field: "size",
    change: ({ made, edit }) => edit(withDisk(made.disk, { sizeMB: 40 * 1024 })),
    holds: (cloud) =>
      assert.deepStrictEqual([webDisk(cloud).sizeMB, webDisk(cloud).serverId], [20 * 1024, web(cloud).id])
  },
  {
    type: "disk",
    field: "plan",
    change: ({ made, edit }) => edit(withDisk(made.disk, { planId: 2 })),
    holds: (cloud) => assert.deepStrictEqual([webDisk(cloud).planId, webDisk(cloud).serverId], [4, web(cloud).id])
  },
  {
    type: "disk",
    field: "os",
    change: ({ made, edit }) =>
      edit(withDisk(made.disk, { sourceArchiveId: archiveIn("Debian GNU/Linux 12.10.0 64bit") })),
    holds: (cloud) => assert.strictEqual(webDisk(cloud).sourceArchiveId, archiveIn(archiveName))
  },
  {
    type: "disk",
    field: "archive",
    fleet: fromArchive,
    change: ({ made, edit }) =>
      edit(withDisk(made.disk, { sourceArchiveId: archiveIn("Debian GNU/Linux 12.10.0 64bit") })),
    holds: (cloud) => assert.strictEqual(webDisk(cloud).sourceArchiveId, archiveIn(archiveName))
  },
  {
    type: "ssh-key",
    field: "name",
    change: ({ made, usacloud }) => usacloud(...global("ssh-key").update(made.sshKey, "--name", "renamed")),
    holds: (cloud) => assert.strictEqual(devKey(cloud).publicKey, devPublicKey)
  },
  // A key's public key never changes in Sakura Cloud (`ssh-key update` takes a name and a
  // description): written directly, it replaces the key.
  {
    type: "ssh-key",
    field: "publicKey",
    change: ({ made, edit }) => edit(withKey(made.sshKey, otherKey)),
    holds: (cloud) => assert.strictEqual(devKey(cloud).publicKey, devPublicKey)
  },
  {
    type: "ssh-key",
    field: "fingerprint",
    change: ({ made, edit }) => edit(withKey(made.sshKey, otherKey)),
    holds: (cloud) => assert.strictEqual(devKey(cloud).publicKey, devPublicKey)
  },
  {
    type: "startup-script",
    field: "content",
    change: ({ made, usacloud }) =>
      usacloud(...global("note").update(made.note, "--content", "#!/bin/sh\necho other\n")),
    holds: (cloud) => assert.strictEqual(setup(cloud).content, script)
  },
  {
    type: "startup-script",
    field: "contentHash",
    change: ({ made, usacloud }) =>
      usacloud(...global("note").update(made.note, "--content", "#!/bin/sh\necho other\n")),
    holds: (cloud) => assert.strictEqual(setup(cloud).content, script)
  },
  {
    type: "startup-script",
    field: "name",
    change: ({ made, usacloud }) => usacloud(...global("note").update(made.note, "--name", "renamed")),
    holds: (cloud) => assert.strictEqual(setup(cloud).content, script)
  },
  {
    type: "startup-script",
    field: "tags",
    change: ({ made, usacloud }) =>
      usacloud(...global("note").update(made.note, "--tags", [...made.noteTags, "extra"].join(","))),
    holds: (cloud) => assert.notInclude(setup(cloud).tags, "extra")
  }
]

const unchangeable: ReadonlyArray<Unchangeable> = [
  {
    type: "server",
    field: "zone",
    why: "a server never leaves its zone, and is read in the zone the state records: elsewhere it is gone"
  },
  {
    type: "disk",
    field: "zone",
    why: "a disk never leaves its zone, and is read in the zone the state records: elsewhere it is gone"
  }
]

const withDisk =
  (id: string, change: Partial<Simulator.SimulatorDocument["disks"][number]>) =>
  (document: Simulator.SimulatorDocument): Simulator.SimulatorDocument => ({
    ...document,
    disks: document.disks.map((item) => (String(item.id) === id ? { ...item, ...change } : item))
  })

const withKey =
  (id: string, publicKey: string) =>
  (document: Simulator.SimulatorDocument): Simulator.SimulatorDocument => ({
    ...document,
    sshKeys: document.sshKeys.map((item) =>
      String(item.id) === id ? { ...item, publicKey, fingerprint: fingerprintOf(publicKey)! } : item
    )
  })

const idOf = (resources: Readonly<Record<string, StoredResource>>, type: Type) => {
  const found = Object.values(resources).filter((resource) => resource.type === type)
  assert.lengthOf(found, 1, type)
  return found[0]!.id
}

const madeIn = (resources: Readonly<Record<string, StoredResource>>, cloud: Cloud): Made => ({
  server: idOf(resources, "server"),
  disk: idOf(resources, "disk"),
  sshKey: idOf(resources, "ssh-key"),
  note: idOf(resources, "startup-script"),
  serverTags: web(cloud).tags,
  diskTags: webDisk(cloud).tags,
  noteTags: setup(cloud).tags
})

const keyOf = (resources: Readonly<Record<string, StoredResource>>, type: Type) =>
  Object.entries(resources).find(([, resource]) => resource.type === type)![0]

const run = (test: Case) =>
  Effect.gen(function* () {
    const store = yield* Simulator.memoryStore()
    const layer = Layer.merge(
      SakuraProvider.layer().pipe(Layer.provide(Simulator.layerTransport(store))),
      State.layerMemory()
    )
    const target = yield* targetOf(filesOf(test.fleet ?? fromOs))
    const inspect = Simulator.inspect(store).pipe(Effect.orDie)
    yield* Effect.gen(function* () {
      const first = yield* Fleet.up(target, runOptions())
      const outside: Outside = {
        made: madeIn(first.state.resources, yield* inspect),
        usacloud: (...args) =>
          Effect.map(Simulator.run(args, {}, store).pipe(Effect.orDie), (output) =>
            assert.strictEqual(output.exitCode, 0, `${args.join(" ")}: ${output.stderr}`)
          ),
        edit: (change) =>
          store.modify((document) => Effect.succeed([undefined, change(document)] as const)).pipe(Effect.orDie)
      }
      yield* test.change(outside)

      const key = keyOf(first.state.resources, test.type)
      const drifted = yield* Fleet.plan(target, { refresh: true })
      assert.isTrue(Plan.hasChanges(drifted.plan), "the plan has changes")
      const fields = drifted.plan.drift.filter((drift) => drift.key === key).flatMap((drift) => drift.changes)
      assert.include(
        fields.map((change) => change.field),
        test.field,
        "the drift names the field"
      )

      yield* Fleet.up(target, runOptions())
      test.holds(yield* inspect)
      const settled = yield* Fleet.plan(target, { refresh: true })
      assert.isFalse(Plan.hasChanges(settled.plan), "the next plan has no changes")
      assert.deepStrictEqual(settled.plan.drift, [], "nor drift")
    }).pipe(Effect.provide(layer))
  })

describe("drift on Sakura Cloud", () => {
  it("every field the cloud reports has a case: a change outside FleetFlow, or why none can be made", () => {
    for (const type of Object.keys(inputs) as ReadonlyArray<Type>) {
      const unobserved: ReadonlyArray<string> = Model.unobservedFields[type]
      const observed = Object.keys(inputs[type].fields).filter((field) => !unobserved.includes(field))
      const covered = [...cases, ...unchangeable].filter((item) => item.type === type).map((item) => item.field)
      assert.deepStrictEqual(
        observed.filter((field) => !covered.includes(field)),
        [],
        `${type}: fields without a drift case`
      )
      assert.deepStrictEqual(
        covered.filter((field) => !observed.includes(field)),
        [],
        `${type}: cases of fields the model does not observe`
      )
    }
  })

  for (const test of cases) {
    it.effect(`${test.type} ${test.field}: changed outside, planned as drift, put back by up`, () => run(test))
  }
})
