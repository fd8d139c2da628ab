/**
 * usacloud's output is read for the fields FleetFlow uses and nothing more: for each command the
 * provider runs, every field of the simulator's real output that the schema leaves unread is
 * removed in turn (and an unknown one added), and the client still decodes the same values and
 * `getState` still observes the same; a field the schema requires, removed, is an error naming it.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as NodePath from "node:path"
import * as Config from "../../src/Config.js"
import * as Fleet from "../../src/Fleet.js"
import { CloudProvider } from "../../src/Provider.js"
import type { ResourceKey, ResourceType, StoredResource } from "../../src/Resource.js"
import * as SakuraProvider from "../../src/Sakura/Provider.js"
import * as Simulator from "../../src/Sakura/Simulator.js"
import { UsacloudTransport } from "../../src/Sakura/Transport.js"
import * as Usacloud from "../../src/Sakura/Usacloud.js"
import * as Schemas from "../../src/Sakura/Usacloud/Schemas.js"
import * as State from "../../src/State.js"
import { folder } from "../fixtures/config/support.js"
import { fastRetry, sshPublicKey } from "../support/Builders.js"
import { runOptions } from "../support/Desired.js"
import {
  type FieldPath,
  holds,
  requiredFields,
  shown,
  unreadFields,
  withUnknownField,
  without
} from "../support/SchemaFields.js"

const scope = { project: "shop", stage: "dev" }

const fleet = [
  `project "shop"`,
  `providers { sakura-cloud { zone "is1a" } }`,
  `stage "dev" {`,
  `  server "web-01" {`,
  `    plan core=1 memory=1`,
  `    disk size=20 archive="Ubuntu Server 24.04.2 LTS 64bit"`,
  `    tags "web"`,
  `    ssh-key "./keys/dev.pub"`,
  `    startup-script "./scripts/setup.sh"`,
  `  }`,
  `  server "app-01" {`,
  `    plan core=2 memory=2`,
  `    disk size=40 os="ubuntu-24.04"`,
  `    description "the app"`,
  `  }`,
  `}`
].join("\n")

const files = {
  "fleet.kdl": fleet,
  "keys/dev.pub": `${sshPublicKey("dev@example")}\n`,
  "scripts/setup.sh": "#!/bin/sh\necho setup\n"
}

/** `resource verb` of a command line (`auth-status` alone). */
const commandOf = (args: ReadonlyArray<string>) => (args[0] === "auth-status" ? "auth-status" : `${args[0]} ${args[1]}`)

type Edit = (output: unknown) => unknown

/**
 * A simulated cloud holding what the fleet made, the state's resources, and a client and a
 * provider whose transport hands `command`'s output through `edit` first.
 */
const world = Effect.gen(function* () {
  const store = yield* Simulator.memoryStore()
  const plain = Simulator.layerTransport(store, {})
  const root = folder(files)
  const config = yield* Config.load(NodePath.join(root, "fleet.kdl"))
  const desired = yield* Config.desiredResources(config, "dev")
  const resources = yield* Effect.gen(function* () {
    yield* Fleet.up({ config, stage: "dev", desired }, runOptions())
    const file = yield* Effect.flatMap(State.StateStore, (state) => state.read)
    return State.resourcesOfStage(Option.getOrThrow(file), "dev")
  }).pipe(Effect.provide(Layer.merge(SakuraProvider.layer().pipe(Layer.provide(plain)), State.layerMemory())))

  const editing = (command: string, edit: Edit) =>
    Layer.effect(
      UsacloudTransport,
      Effect.map(UsacloudTransport, (inner) => ({
        run: (args: ReadonlyArray<string>, options?: Parameters<typeof inner.run>[1]) =>
          Effect.map(inner.run(args, options), (output) =>
            commandOf(args) === command && output.stdout.trim() !== ""
              ? { ...output, stdout: JSON.stringify(edit(JSON.parse(output.stdout))) }
              : output
          )
      }))
    ).pipe(Layer.provide(plain))

  /** The client's answer and `getState`'s observation with `command`'s output edited. */
  const readWith = <A>(
    command: string,
    edit: Edit,
    call: (client: Usacloud.UsacloudService) => Effect.Effect<A, Usacloud.UsacloudError>
  ) =>
    Effect.gen(function* () {
      const transport = editing(command, edit)
      const decoded = yield* Effect.exit(Effect.flatMap(Usacloud.make(), call).pipe(Effect.provide(transport)))
      const provider = SakuraProvider.layer({ readRetry: fastRetry }).pipe(Layer.provide(transport))
      const observed = yield* Effect.exit(
        Effect.flatMap(CloudProvider, (service) => service.getState(scope, resources)).pipe(Effect.provide(provider))
      )
      return { decoded, observed }
    })

  /** What `command` prints now, as JSON. */
  const sample = (
    command: string,
    call: (client: Usacloud.UsacloudService) => Effect.Effect<unknown, Usacloud.UsacloudError>
  ) =>
    Effect.gen(function* () {
      let printed: unknown
      yield* readWith(
        command,
        (output) => {
          printed = output
          return output
        },
        call
      )
      return printed
    })

  return { resources, readWith, sample }
}).pipe(Effect.provide(NodeFileSystem.layer))

type Resources = ReadonlyMap<ResourceKey, StoredResource>

/** The ID of the first resource of `type` the fleet made. */
const idOf = (resources: Resources, type: ResourceType) =>
  [...resources.values()].find((resource) => resource.type === type)!.id

interface Case {
  readonly command: string
  readonly item: Schema.Schema.Any
  readonly call: (
    client: Usacloud.UsacloudService,
    resources: Resources
  ) => Effect.Effect<unknown, Usacloud.UsacloudError>
}

const cases: ReadonlyArray<Case> = [
  { command: "server list", item: Schemas.Server, call: (client) => client.servers.list("is1a") },
  {
    command: "server read",
    item: Schemas.Server,
    call: (client, resources) => client.servers.read("is1a", idOf(resources, "server"))
  },
  { command: "disk list", item: Schemas.Disk, call: (client) => client.disks.list("is1a") },
  { command: "ssh-key list", item: Schemas.SshKey, call: (client) => client.sshKeys.list() },
  {
    command: "ssh-key read",
    item: Schemas.SshKey,
    call: (client, resources) => client.sshKeys.read(idOf(resources, "ssh-key"))
  },
  { command: "note list", item: Schemas.Note, call: (client) => client.notes.list() },
  { command: "archive list", item: Schemas.Archive, call: (client) => client.archives.list("is1a") },
  { command: "auth-status", item: Schemas.AuthStatus, call: (client) => client.authStatus() }
]

describe("usacloud output is read tolerantly", () => {
  for (const { call, command, item } of cases) {
    it.effect(
      `${command}: an unread field missing or an unknown one added changes nothing; a required one missing is named`,
      () =>
        Effect.gen(function* () {
          const { readWith, resources, sample } = yield* world
          const run = (client: Usacloud.UsacloudService) => call(client, resources)
          const printed = yield* sample(command, run)
          assert.isArray(printed, `${command} printed a list`)
          const baseline = yield* readWith(command, (output) => output, run)
          assert.isTrue(Exit.isSuccess(baseline.decoded), `${command} decodes as printed`)
          assert.isTrue(Exit.isSuccess(baseline.observed), "getState reads the cloud as printed")

          const same = (what: string, edit: Edit) =>
            Effect.gen(function* () {
              const edited = yield* readWith(command, edit, run)
              assert.deepStrictEqual(
                edited.decoded,
                baseline.decoded,
                `${command} ${what}: the client decodes the same`
              )
              assert.deepStrictEqual(
                edited.observed,
                baseline.observed,
                `${command} ${what}: getState observes the same`
              )
            })
          const unread: ReadonlyArray<FieldPath> = unreadFields(Schema.Array(item), printed)
          for (const path of unread) yield* same(`without ${shown(path)}`, (output) => without(output, path))
          yield* same("with an unknown field", (output) => withUnknownField(output))

          for (const path of requiredFields(item)) {
            assert.isTrue(holds(printed, path), `the simulator's ${command} prints ${shown(path)}`)
            const edited = yield* readWith(command, (output) => without(output, path), run)
            assert.isTrue(Exit.isFailure(edited.decoded), `${command} without ${shown(path)} fails`)
            if (Exit.isFailure(edited.decoded)) {
              const error = edited.decoded.cause
              const failure = yield* Effect.flip(Effect.failCause(error))
              assert.instanceOf(failure, Usacloud.UsacloudError)
              assert.strictEqual(failure.reason, "failed")
              assert.include(failure.message, `${path.at(-1)}: is missing`, `${command} without ${shown(path)}`)
            }
          }
        })
    )
  }
})
