/**
 * usacloud's output is read for the fields FleetFlow uses and nothing more: for each command the
 * provider runs, every field of the simulator's real output that the schema leaves unread is
 * removed in turn (and an unknown one added), and the client still decodes the same values and
 * `getState` still observes the same; a field the schema requires, removed, is an error naming it.
 */
import { describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { ResourceKey, ResourceType, StoredResource } from "../../src/Resource.js"
import * as SakuraProvider from "../../src/Sakura/Provider.js"
import * as Simulator from "../../src/Sakura/Simulator.js"
import { UsacloudTransport } from "../../src/Sakura/Transport.js"
import * as Usacloud from "../../src/Sakura/Usacloud.js"
import * as Schemas from "../../src/Sakura/Usacloud/Schemas.js"
import { fastRetry, sshPublicKey } from "../support/Builders.js"
import { requiredFields, withUnknownField } from "../support/SchemaFields.js"
import { appliedFleet, checkTolerance, type Edit, reading } from "../support/Tolerance.js"

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

/**
 * A simulated cloud holding what the fleet made, the state's resources, and the client's answer
 * and `getState`'s observation with `command`'s output passed through `edit` first.
 */
const world = Effect.gen(function* () {
  const store = yield* Simulator.memoryStore()
  const plain = Simulator.layerTransport(store, {})
  const resources = yield* appliedFleet(files, SakuraProvider.layer().pipe(Layer.provide(plain)))

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

  const readWith = (command: string, edit: Edit, call: Case["call"]) =>
    reading(
      editing(command, edit),
      Usacloud.make(),
      (client) => call(client, resources),
      SakuraProvider.layer({ readRetry: fastRetry }),
      resources
    )
  return { readWith }
})

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
          const { readWith } = yield* world
          yield* checkTolerance({
            name: command,
            output: Schema.Array(item),
            required: requiredFields(item),
            withUnknown: (output) => withUnknownField(output),
            read: (edit) => readWith(command, edit, call)
          })
        })
    )
  }
})
