import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as NodePath from "node:path"
import * as Config from "../../src/Config.js"
import * as Fleet from "../../src/Fleet.js"
import * as SakuraProvider from "../../src/Sakura/Provider.js"
import * as Simulator from "../../src/Sakura/Simulator.js"
import * as State from "../../src/State.js"
import { type RunOptions, UsacloudTransport } from "../../src/Sakura/Transport.js"
import { folder } from "../fixtures/config/support.js"
import { createRequest, sshPublicKey } from "../support/Builders.js"
import { runOptions } from "../support/Desired.js"
import { meeting, together } from "../support/Meeting.js"
import { fleetText } from "../support/SakuraFleet.js"
import { commandsOf, count, invocations, provider } from "../support/SakuraSimulator.js"

const scope = { project: "shop", stage: "dev" }

const server = (name: string) => [
  `server "${name}" {`,
  `  plan core=1 memory=1`,
  `  disk size=20 os="ubuntu-24.04"`,
  `  ssh-key "./keys/dev.pub"`,
  `  ssh-key "./keys/ops.pub"`,
  `  startup-script "./scripts/setup.sh"`,
  `}`
]

/** The path of a `fleet.kdl` of `stage` in a folder beside the keys and the script that `server` names. */
const withKeysAndScript = (stage: ReadonlyArray<string>) =>
  NodePath.join(
    folder({
      "fleet.kdl": fleetText(stage),
      "keys/dev.pub": `${sshPublicKey("dev@example")}\n`,
      "keys/ops.pub": `${sshPublicKey("ops@example")}\n`,
      "scripts/setup.sh": "#!/bin/sh\necho setup\n"
    }),
    "fleet.kdl"
  )

describe("SSH keys and notes listed once per run", () => {
  it.effect("an up of 3 servers with 2 SSH keys and a startup script runs usacloud 12 times, not 15", () =>
    Effect.gen(function* () {
      const config = yield* Config.load(
        withKeysAndScript([...server("web-01"), ...server("web-02"), ...server("web-03")])
      )
      const desired = yield* Config.desiredResources(config, "dev")
      const store = yield* Simulator.memoryStore()
      const layer = Layer.merge(
        SakuraProvider.layer().pipe(Layer.provide(Simulator.layerTransport(store))),
        State.layerMemory()
      )
      const applied = yield* Fleet.up({ config, stage: "dev", desired }, runOptions()).pipe(Effect.provide(layer))
      assert.deepStrictEqual(applied.plan.summary, { add: 9, change: 0, destroy: 0 })
      const calls = yield* invocations(store)
      // Each key's create and each server's create used to list the keys or notes again.
      assert.strictEqual(count(calls, "ssh-key list"), 1)
      assert.strictEqual(count(calls, "note list"), 1)
      assert.strictEqual(count(calls, "ssh-key create"), 2)
      assert.strictEqual(count(calls, "note create"), 1)
      // Each server's create makes its disk too, from the archive the one list for their OS names.
      assert.strictEqual(count(calls, "server create"), 3)
      assert.strictEqual(count(calls, "disk create"), 0)
      assert.strictEqual(count(calls, "archive list"), 1)
      assert.strictEqual(calls.length, 12)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.live("a plan made for an up starts the lists its creates read beside the credentials check", () =>
    Effect.gen(function* () {
      const config = yield* Config.load(
        withKeysAndScript([
          ...server("web-01"),
          `server "batch" {`,
          `  plan core=1 memory=1`,
          `  disk size=20 archive="Ubuntu Server 24.04.2 LTS 64bit"`,
          `  zone "tk1a"`,
          `}`
        ])
      )
      const desired = yield* Config.desiredResources(config, "dev")
      const store = yield* Simulator.memoryStore()
      // The keys and the note to take over, and the archive named in tk1a: each read once the apply starts,
      // one round trip after the plan, if the plan did not start them.
      const latch = yield* meeting(["auth-status", "ssh-key list", "note list", "archive list tk1a"])
      const transport = Layer.effect(
        UsacloudTransport,
        Effect.map(UsacloudTransport, (inner) => ({
          run: (args: ReadonlyArray<string>, options?: RunOptions) => {
            const zone = args.indexOf("--zone")
            const name = args[0] === "auth-status" ? "auth-status" : `${args[0]} ${args[1]}`
            const arrival = zone < 0 || name !== "archive list" ? name : `${name} ${args[zone + 1]}`
            return Effect.zipRight(
              latch.arrive(arrival).pipe(Effect.when(() => latch.expects(arrival))),
              inner.run(args, options)
            )
          }
        }))
      ).pipe(Layer.provide(Simulator.layerTransport(store)))
      const layer = Layer.merge(SakuraProvider.layer().pipe(Layer.provide(transport)), State.layerMemory())
      const planned = yield* together(
        Effect.scoped(
          Effect.flatMap(Effect.scope, (applying) =>
            Fleet.plan({ config, stage: "dev", desired }, { refresh: true, applying })
          )
        ).pipe(Effect.provide(layer)),
        latch
      )
      assert.deepStrictEqual(planned.plan.summary, { add: 7, change: 0, destroy: 0 })
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("a key registered in the run is found by a later lookup in the same run, without a new list", () =>
    Effect.gen(function* () {
      const { service, store } = yield* provider()
      const publicKey = sshPublicKey("dev@example")
      const first = yield* service.apply(createRequest(scope, "ssh-key", "dev", { publicKey }))
      // The same key under another name: the key just registered is taken, as a fresh list would show it.
      const second = yield* service.apply(createRequest(scope, "ssh-key", "dev-again", { publicKey }))
      assert.strictEqual(second.id, first.id)
      assert.strictEqual(second.attributes.adopted, true)
      const calls = yield* invocations(store)
      assert.deepStrictEqual(commandsOf(calls), ["ssh-key list", "ssh-key create"])
    })
  )

  it.effect("a key deleted in the run is gone from the list the next lookup reads", () =>
    Effect.gen(function* () {
      const { service, store } = yield* provider()
      const publicKey = sshPublicKey("dev@example")
      const request = createRequest(scope, "ssh-key", "dev", { publicKey })
      const first = yield* service.apply(request)
      const stored = {
        provider: "sakura-cloud" as const,
        type: "ssh-key" as const,
        name: "dev",
        stage: "dev",
        id: first.id,
        attributes: first.attributes,
        inputs: request.inputs,
        dependsOn: [],
        created_at: "",
        updated_at: ""
      }
      yield* service.destroy(scope, request.key, stored)
      const again = yield* service.apply(request)
      assert.notStrictEqual(again.id, first.id)
      const calls = yield* invocations(store)
      assert.deepStrictEqual(commandsOf(calls), ["ssh-key list", "ssh-key create", "ssh-key delete", "ssh-key create"])
    })
  )

  it.effect("after a note create failed, the retry lists the notes again: the failed call may have made one", () =>
    Effect.gen(function* () {
      const faults = Either.getOrThrow(Simulator.parseFaults("note create=garbage*1"))
      const { service, store } = yield* provider({ faults })
      const request = createRequest(scope, "startup-script", "setup", { content: "#!/bin/sh\necho setup\n", tags: [] })
      const failed = yield* Effect.either(service.apply(request))
      assert.isTrue(Either.isLeft(failed))
      const retried = yield* service.apply(request)
      const calls = yield* invocations(store)
      assert.deepStrictEqual(commandsOf(calls), ["note list", "note create", "note list", "note create"])
      assert.strictEqual(retried.attributes.name, "setup")
    })
  )
})
