import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as CloudflareSimulator from "../src/Cloudflare/Simulator.js"
import * as Fake from "../src/Fake.js"
import { CloudProvider, isTransient } from "../src/Provider.js"
import { makeKey } from "../src/Resource.js"
import * as Retry from "../src/Retry.js"
import { createRequest } from "./support/Builders.js"

const scope = { project: "shop", stage: "test" }

/** What a library user's own code might do: a disk, then a server on it. */
const provision = (name: string) =>
  Effect.gen(function* () {
    const provider = yield* CloudProvider
    const disk = yield* provider.apply(
      createRequest(scope, "disk", `${name}-disk`, { zone: "is1a", size: 40, os: "ubuntu-24.04" })
    )
    const server = yield* provider.apply(
      createRequest(scope, "server", name, { zone: "is1a", core: 2, memory: 4, disk: disk.id })
    )
    return server
  })

const provisionWeb = provision("web")

describe("Fake clouds", () => {
  it.effect("a program using CloudProvider runs against the fake, which shows the calls", () =>
    Effect.gen(function* () {
      const server = yield* provisionWeb
      const fake = yield* Fake.FakeCloud
      assert.deepStrictEqual(yield* fake.calls, [
        { operation: "create", key: "sakura-cloud:disk:web-disk" },
        { operation: "create", key: "sakura-cloud:server:web" }
      ])
      const resources = yield* fake.resources
      assert.sameMembers(
        resources.map((resource) => resource.type),
        ["disk", "server"]
      )
      const held = resources.find((resource) => resource.type === "server")
      assert.strictEqual(held?.id, server.id)
      assert.strictEqual(held?.attributes.ip, server.attributes.ip)
    }).pipe(Effect.provide(Fake.layer()))
  )

  it.effect("each layer is a fresh cloud", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      assert.deepStrictEqual(yield* fake.resources, [])
      assert.deepStrictEqual(yield* fake.calls, [])
    }).pipe(Effect.provide(Fake.layer()))
  )

  it.effect("starts from initial resources", () =>
    Effect.gen(function* () {
      const provider = yield* CloudProvider
      const current = new Map([
        [
          makeKey("r2", "assets"),
          {
            provider: "cloudflare" as const,
            type: "r2" as const,
            name: "assets",
            stage: "test",
            id: "assets",
            attributes: {},
            inputs: {},
            dependsOn: [],
            created_at: "",
            updated_at: ""
          }
        ]
      ])
      const observed = yield* provider.getState(scope, current)
      assert.strictEqual(observed.get(makeKey("r2", "assets"))?.attributes.location, "WEUR")
      const fake = yield* Fake.FakeCloud
      assert.deepStrictEqual(yield* fake.calls, [{ operation: "read", key: "cloudflare:r2:assets" }])
      // The existing key's ID is never handed out again.
      const server = yield* provisionWeb
      assert.notStrictEqual(server.id, "100000000050")
      assert.sameMembers(
        (yield* fake.resources).map((resource) => resource.type),
        ["r2", "ssh-key", "disk", "server"]
      )
    }).pipe(
      Effect.provide(
        Fake.layer({
          initial: {
            cloudflare: {
              buckets: [
                {
                  accountId: CloudflareSimulator.defaultAccountId,
                  jurisdiction: "default",
                  name: "assets",
                  location: "WEUR",
                  storageClass: "Standard",
                  createdOn: Date.parse("2026-01-01T00:00:00.000Z"),
                  domains: [],
                  objects: []
                }
              ]
            },
            usacloud: {
              nextId: 100000000051,
              sshKeys: [
                {
                  id: 100000000050,
                  name: "legacy",
                  description: "",
                  publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIlegacy legacy",
                  fingerprint: "SHA256:legacy",
                  createdAt: Date.parse("2026-01-01T00:00:00.000Z")
                }
              ]
            }
          }
        })
      )
    )
  )

  it.effect("injected faults: a transient one is retried away, and they can be cleared", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.FakeCloud
      yield* fake.injectFault({ operation: "create", key: "sakura-cloud:server:*", kind: "transient", times: 2 })
      const fiber = yield* Effect.fork(provisionWeb.pipe(Retry.retryTransient(Retry.defaultPolicy, isTransient)))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      const creates = (yield* fake.calls).filter((call) => call.key === "sakura-cloud:server:web")
      assert.strictEqual(creates.length, 3)

      yield* fake.injectFault({ operation: "*", key: "*", kind: "permanent" })
      // What exists is adopted without a change, so the fault shows on something new.
      const failed = yield* Effect.exit(provision("api"))
      assert.isTrue(Exit.isFailure(failed))
      yield* fake.clearFaults
      yield* provision("api")
    }).pipe(Effect.provide(Fake.layer()))
  )

  it.effect("a hang injected through options blocks until interrupted", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(provisionWeb.pipe(Effect.timeout("10 seconds"), Effect.either))
      yield* TestClock.adjust("10 seconds")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result._tag, "Left")
      const fake = yield* Fake.FakeCloud
      assert.sameMembers(
        (yield* fake.resources).map((resource) => resource.type),
        ["disk"]
      )
    }).pipe(Effect.provide(Fake.layer({ faults: [{ operation: "create", key: "*:server:*", kind: "hang" }] })))
  )
})
