import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { type ApplyRequest, CloudProvider } from "../src/Provider.js"
import { type Inputs, makeKey, providerOf, type ResourceType, type StoredResource } from "../src/Resource.js"
import * as Sandbox from "../src/Sandbox.js"
import { CloudDocument } from "../src/Sandbox/Store.js"

const scope = { project: "creo", stage: "dev" }

const create = (type: ResourceType, name: string, inputs: Inputs = {}): ApplyRequest => ({
  ...scope,
  operation: "create",
  key: makeKey(type, name),
  type,
  name,
  inputs
})

const stored = (type: ResourceType, name: string, id: string): StoredResource => ({
  provider: providerOf[type],
  type,
  name,
  stage: scope.stage,
  id,
  attributes: {},
  inputs: {},
  dependsOn: [],
  created_at: "",
  updated_at: ""
})

/** Runs `f` with a fresh sandbox folder. */
const inSandbox = <A, E>(
  f: (directory: string, fs: FileSystem.FileSystem) => Effect.Effect<A, E, CloudProvider | FileSystem.FileSystem>,
  options: Sandbox.SandboxOptions = {}
) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const root = yield* fs.makeTempDirectoryScoped()
    const directory = `${root}/.fleetflow/sandbox`
    return yield* f(directory, fs).pipe(Effect.provide(Sandbox.layer(directory, options)))
  }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer))

const decodeFile = (fs: FileSystem.FileSystem, directory: string) =>
  Effect.flatMap(fs.readFileString(Sandbox.storePath(directory)), (text) =>
    Schema.decodeUnknown(Schema.parseJson(CloudDocument))(text)
  )

describe("Sandbox file store", () => {
  it.live("writes a valid store after every change and leaves no temp files", () =>
    inSandbox((directory, fs) =>
      Effect.gen(function* () {
        const provider = yield* CloudProvider
        assert.deepStrictEqual(yield* Sandbox.inspect(directory), [])
        const steps: Array<ApplyRequest> = [
          create("disk", "web-disk", { size: 40 }),
          create("ssh-key", "me", { publicKey: "ssh-ed25519 AAAA me" }),
          create("r2", "creo-attachments"),
          create("dns", "api.example.com/A", { zone: "example.com", type: "A", content: "203.0.113.7" })
        ]
        let count = 0
        for (const step of steps) {
          yield* provider.apply(step)
          count++
          const document = yield* decodeFile(fs, directory)
          assert.strictEqual(
            document["sakura-cloud"].resources.length + document.cloudflare.resources.length,
            count,
            `after ${step.key}`
          )
          assert.deepStrictEqual(yield* fs.readDirectory(directory), ["cloud.json"])
        }
        const held = yield* Sandbox.inspect(directory)
        assert.sameMembers(
          held.map((resource) => `${resource.type}:${resource.name}`),
          ["disk:web-disk", "ssh-key:me", "r2:creo-attachments", "dns:api.example.com"]
        )
      })
    )
  )

  it.live("parallel changes are all kept", () =>
    inSandbox((directory, fs) =>
      Effect.gen(function* () {
        const provider = yield* CloudProvider
        const names = Array.from({ length: 25 }, (_, index) => `server-${index}`)
        // A reader polling the file while the writes go on never sees a partial document.
        const reads = yield* Ref.make(0)
        const reader = yield* Effect.fork(
          Effect.forever(
            Sandbox.inspect(directory).pipe(
              Effect.zipRight(Ref.update(reads, (n) => n + 1)),
              Effect.zipRight(Effect.yieldNow())
            )
          )
        )
        const observed = yield* Effect.forEach(names, (name) => provider.apply(create("server", name)), {
          concurrency: "unbounded"
        })
        const polled = yield* Fiber.interrupt(reader)
        assert.isTrue(Exit.isInterrupted(polled), "the reader failed")
        assert.isAbove(yield* Ref.get(reads), 0)
        const document = yield* decodeFile(fs, directory)
        assert.strictEqual(document["sakura-cloud"].resources.length, 25)
        assert.strictEqual(new Set(observed.map((server) => server.id)).size, 25)
        assert.strictEqual(new Set(observed.map((server) => server.attributes.ip)).size, 25)
        assert.deepStrictEqual(yield* fs.readDirectory(directory), ["cloud.json"])

        yield* Effect.forEach(
          names,
          (name, index) =>
            provider.destroy(scope, makeKey("server", name), stored("server", name, observed[index]!.id)),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(yield* Sandbox.inspect(directory), [])
      })
    )
  )

  it.live("a corrupted store is an error that names the file, never an empty cloud", () =>
    inSandbox((directory, fs) =>
      Effect.gen(function* () {
        const provider = yield* CloudProvider
        yield* provider.apply(create("server", "web"))
        const path = Sandbox.storePath(directory)
        for (const broken of ['{"version": 1, "sakura-cloud": ', "", '{"version": 2}']) {
          yield* fs.writeFileString(path, broken)
          const error = yield* Effect.flip(Sandbox.inspect(directory))
          assert.strictEqual(error._tag, "SandboxStoreError")
          assert.strictEqual(error.reason, "corrupt")
          assert.include(error.message, path)

          const refused = yield* Effect.flip(provider.apply(create("server", "api")))
          assert.strictEqual(refused.reason, "failed")
          assert.include(refused.message, path)
          const read = yield* Effect.flip(provider.getState(scope, new Map([["k", stored("server", "web", "1")]])))
          assert.strictEqual(read.reason, "failed")
          assert.strictEqual(yield* fs.readFileString(path), broken)
        }
      })
    )
  )

  it.live("fault counts persist in the store across layer instances", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const root = yield* fs.makeTempDirectoryScoped()
      const directory = `${root}/sandbox`
      const options: Sandbox.SandboxOptions = {
        faults: [{ operation: "create", key: "sakura-cloud:*", kind: "transient", times: 2 }]
      }
      const attempt = Effect.flatMap(CloudProvider, (provider) => provider.apply(create("server", "web"))).pipe(
        Effect.provide(Sandbox.layer(directory, options)),
        Effect.either
      )
      const first = yield* attempt
      assert.isTrue(first._tag === "Left" && first.left.reason === "transient")
      // A second process with the same options has one failure left, then none.
      const second = yield* attempt
      assert.isTrue(second._tag === "Left" && second.left.reason === "transient")
      const third = yield* attempt
      assert.strictEqual(third._tag, "Right")
      assert.strictEqual((yield* Sandbox.inspect(directory)).length, 1)
    }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer))
  )
})
