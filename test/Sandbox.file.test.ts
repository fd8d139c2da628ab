import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { type ApplyRequest, CloudProvider } from "../src/Provider.js"
import { type Inputs, makeKey, type ResourceType, type StoredResource } from "../src/Resource.js"
import * as CloudflareSimulator from "../src/Cloudflare/Simulator.js"
import * as Simulator from "../src/Sakura/Simulator.js"
import * as Sandbox from "../src/Sandbox.js"
import { createRequest, storedResource } from "./support/Builders.js"

const scope = { project: "creo", stage: "dev" }

const create = (type: ResourceType, name: string, inputs: Inputs = {}): ApplyRequest =>
  createRequest(scope, type, name, inputs)

const stored = (type: ResourceType, name: string, id: string, inputs: Inputs = {}): StoredResource =>
  storedResource(type, name, { stage: scope.stage, id, inputs })

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
  }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))

/** The Sakura half is the real provider over the usacloud simulator, whose cloud has a file of its own. */
const sakuraCloud = (directory: string) =>
  Effect.flatMap(Simulator.fileStore(Sandbox.usacloudStorePath(directory)), (simulator) => Simulator.inspect(simulator))

const sakuraCount = (directory: string) =>
  Effect.map(sakuraCloud(directory), (cloud) => cloud.servers.length + cloud.disks.length + cloud.sshKeys.length)

/** R2 and DNS are the real Cloudflare provider over the Cloudflare API simulator, with a file of its own. */
const cloudflareCount = (directory: string) =>
  Effect.map(
    Effect.flatMap(CloudflareSimulator.fileStore(Sandbox.cloudflareApiStorePath(directory)), (simulator) =>
      CloudflareSimulator.inspect(simulator)
    ),
    (account) => account.buckets.length + account.records.length
  )

/** Only the stores: no temp or lock file is left. */
const assertOnlyStores = (fs: FileSystem.FileSystem, directory: string) =>
  Effect.map(fs.readDirectory(directory), (files) => {
    for (const file of files) assert.include(["cloud.json", "usacloud.json", "cloudflare-api.json"], file)
  })

const zone = "is1a"
const diskInputs = { zone, size: 20, os: "ubuntu-24.04" }
const publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIp3bRIORsFVVDDs0q34IDerUh6yOL40bHgrjAZPqFpy me@creo"

describe("Sandbox file store", () => {
  it.live("writes a valid store after every change and leaves no temp files", () =>
    inSandbox((directory, fs) =>
      Effect.gen(function* () {
        const provider = yield* CloudProvider
        assert.deepStrictEqual(yield* Sandbox.inspect(directory), [])
        const steps: Array<ApplyRequest> = [
          create("disk", "web-disk", { ...diskInputs, size: 40 }),
          create("ssh-key", "me", { publicKey }),
          create("r2", "creo-attachments", { name: "creo-attachments" }),
          create("dns", "api.example.com/A", {
            zone: "example.com",
            name: "api.example.com",
            type: "A",
            content: "203.0.113.7"
          })
        ]
        let count = 0
        for (const step of steps) {
          yield* provider.apply(step)
          count++
          const cloudflare = step.type === "r2" || step.type === "dns" ? yield* cloudflareCount(directory) : 0
          assert.strictEqual((yield* sakuraCount(directory)) + cloudflare, count, `after ${step.key}`)
          yield* assertOnlyStores(fs, directory)
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
        // A real server boots from its own disk: the disks first, then the servers, each batch at once.
        const disks = yield* Effect.forEach(names, (name) => provider.apply(create("disk", name, diskInputs)), {
          concurrency: "unbounded"
        })
        const observed = yield* Effect.forEach(
          names,
          (name, index) => provider.apply(create("server", name, { zone, core: 1, memory: 1, disk: disks[index]!.id })),
          { concurrency: "unbounded" }
        )
        const polled = yield* Fiber.interrupt(reader)
        assert.isTrue(Exit.isInterrupted(polled), "the reader failed")
        assert.isAbove(yield* Ref.get(reads), 0)
        const cloud = yield* sakuraCloud(directory)
        assert.strictEqual(cloud.servers.length, 25)
        assert.strictEqual(cloud.disks.length, 25)
        assert.strictEqual(new Set(observed.map((server) => server.id)).size, 25)
        assert.strictEqual(new Set(observed.map((server) => server.attributes.ip)).size, 25)
        yield* assertOnlyStores(fs, directory)

        yield* Effect.forEach(
          names,
          (name, index) =>
            provider.destroy(scope, makeKey("server", name), stored("server", name, observed[index]!.id, { zone })),
          { concurrency: "unbounded" }
        )
        yield* Effect.forEach(
          names,
          (name, index) =>
            provider.destroy(scope, makeKey("disk", name), stored("disk", name, disks[index]!.id, { zone })),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(yield* Sandbox.inspect(directory), [])
      })
    )
  )

  it.live("reads write neither store, and neither keeps a log of calls that would grow with every command", () =>
    inSandbox((directory, fs) =>
      Effect.gen(function* () {
        const provider = yield* CloudProvider
        const usacloud = yield* Simulator.fileStore(Sandbox.usacloudStorePath(directory))
        const cloudflare = yield* CloudflareSimulator.fileStore(Sandbox.cloudflareApiStorePath(directory))
        // A sandbox made by an earlier version kept every call: the next command drops the log.
        yield* Simulator.run(["auth-status", "-o", "json"], {}, usacloud)
        yield* CloudflareSimulator.handle({ method: "GET", url: "/client/v4/zones", headers: {} }, cloudflare, {
          token: "t"
        })
        assert.lengthOf(yield* Simulator.invocations(usacloud), 1)
        assert.lengthOf(yield* CloudflareSimulator.requests(cloudflare), 1)

        const disk = yield* provider.apply(create("disk", "web", diskInputs))
        const bucket = yield* provider.apply(create("r2", "files", { name: "files" }))
        assert.deepStrictEqual(yield* Simulator.invocations(usacloud), [])
        assert.deepStrictEqual(yield* CloudflareSimulator.requests(cloudflare), [])

        const paths = [Sandbox.usacloudStorePath(directory), Sandbox.cloudflareApiStorePath(directory)]
        // A write replaces the file (a new inode), whatever it holds.
        const files = Effect.forEach(paths, (path) =>
          Effect.map(fs.stat(path), (info) => `${path} ${info.ino} ${Option.getOrUndefined(info.mtime)?.getTime()}`)
        )
        const before = yield* files
        const observed = yield* provider.getState(
          scope,
          new Map([
            ["sakura-cloud:disk:web", stored("disk", "web", disk.id, { zone })],
            ["cloudflare:r2:files", stored("r2", "files", bucket.id, { name: "files" })]
          ])
        )
        assert.strictEqual(observed.size, 2)
        assert.deepStrictEqual(yield* files, before)
      })
    )
  )

  it.live("a corrupted store is an error that names the file, never an empty cloud", () =>
    inSandbox((directory, fs) =>
      Effect.gen(function* () {
        const provider = yield* CloudProvider
        yield* provider.apply(create("r2", "files", { name: "files" }))
        const web = yield* provider.apply(create("disk", "web", diskInputs))
        // Each cloud keeps its own file; an empty usacloud.json or cloudflare-api.json is an empty cloud.
        const halves = [
          {
            path: Sandbox.cloudflareApiStorePath(directory),
            broken: ['{"accounts": ', '{"version": 2}'],
            create: create("r2", "more", { name: "more" }),
            held: stored("r2", "files", "files", { name: "files" })
          },
          {
            path: Sandbox.usacloudStorePath(directory),
            broken: ['{"version": 1, "servers": ', '{"version": 2}'],
            create: create("ssh-key", "me", { publicKey }),
            held: stored("disk", "web", web.id, { zone })
          }
        ]
        for (const half of halves) {
          const healthy = yield* fs.readFileString(half.path)
          for (const broken of half.broken) {
            yield* fs.writeFileString(half.path, broken)
            const error = yield* Effect.flip(Sandbox.inspect(directory))
            assert.strictEqual(error._tag, "SandboxStoreError")
            assert.strictEqual(error.reason, "corrupt")
            assert.include(error.message, half.path)

            const refused = yield* Effect.flip(provider.apply(half.create))
            assert.strictEqual(refused.reason, "failed")
            assert.include(refused.message, half.path)
            const read = yield* Effect.flip(provider.getState(scope, new Map([["k", half.held]])))
            assert.strictEqual(read.reason, "failed")
            assert.strictEqual(yield* fs.readFileString(half.path), broken)
          }
          yield* fs.writeFileString(half.path, healthy)
        }
      })
    )
  )

  it.live("a sandbox folder that cannot be made is the error, named with what to check, on both clouds", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const root = yield* fs.makeTempDirectoryScoped()
      // A file where the folder would go: refused to root as well as to anyone else.
      yield* fs.writeFileString(`${root}/.fleetflow`, "not a folder")
      const directory = `${root}/.fleetflow/sandbox`
      const refused = yield* Effect.forEach(
        [create("disk", "web", diskInputs), create("r2", "files", { name: "files" })],
        (request) => Effect.flip(Effect.flatMap(CloudProvider, (provider) => provider.apply(request)))
      ).pipe(Effect.provide(Sandbox.layer(directory)))
      for (const [error, file] of [
        [refused[0]!, Sandbox.usacloudStorePath(directory)],
        [refused[1]!, Sandbox.cloudflareApiStorePath(directory)]
      ] as const) {
        assert.strictEqual(error.reason, "failed")
        assert.include(error.message, "ENOTDIR", "the folder that could not be made, not a file then missing in it")
        assert.strictEqual(error.hint, `check that ${file} and its folder can be read and written`)
        assert.notInclude(`${error.message} ${error.hint}`, "Install usacloud")
      }
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))
  )

  it.live("fault counts persist in the store across layer instances", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const root = yield* fs.makeTempDirectoryScoped()
      const directory = `${root}/sandbox`
      const options: Sandbox.SandboxOptions = {
        faults: [{ operation: "create", key: "sakura-cloud:*", kind: "transient", times: 2 }]
      }
      const attempt = Effect.flatMap(CloudProvider, (provider) =>
        provider.apply(create("disk", "web", diskInputs))
      ).pipe(Effect.provide(Sandbox.layer(directory, options)), Effect.either)
      const first = yield* attempt
      assert.isTrue(first._tag === "Left" && first.left.reason === "transient")
      // A second process with the same options has one failure left, then none.
      const second = yield* attempt
      assert.isTrue(second._tag === "Left" && second.left.reason === "transient")
      const third = yield* attempt
      assert.strictEqual(third._tag, "Right")
      assert.strictEqual((yield* Sandbox.inspect(directory)).length, 1)
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))
  )
})
