// The sandbox's clouds as a provider sees them: the real providers over the simulators, here in memory (`Fake.layer`).
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as NodePath from "node:path"
import * as Fake from "../src/Fake.js"
import * as Plan from "../src/Plan.js"
import { type ApplyRequest, CloudProvider, type CloudProviderService, type ProviderError } from "../src/Provider.js"
import { type Inputs, makeKey, type Observed, type ResourceType, type StoredResource } from "../src/Resource.js"
import * as Sandbox from "../src/Sandbox.js"
import { createRequest, sshPublicKey, storedResource } from "./support/Builders.js"

const scope = { project: "creo", stage: "dev" }
const fixtures = NodePath.resolve("test/fixtures/workers")

const create = (type: ResourceType, name: string, inputs: Inputs): ApplyRequest =>
  createRequest(scope, type, name, inputs)

const stored = (type: ResourceType, name: string, observed: Observed, inputs: Inputs = {}): StoredResource =>
  storedResource(type, name, { stage: scope.stage, id: observed.id, attributes: observed.attributes, inputs })

const update = (
  type: ResourceType,
  name: string,
  observed: Observed,
  before: Inputs,
  inputs: Inputs
): ApplyRequest => ({
  ...create(type, name, inputs),
  operation: "update",
  current: stored(type, name, observed, before)
})

/** The sandbox's composition in memory, and what its clouds hold. */
const sandbox = Effect.map(Effect.all([CloudProvider, Fake.FakeCloud]), ([provider, fake]) => ({
  provider,
  resources: fake.resources
}))

const failure = <A>(effect: Effect.Effect<A, ProviderError>) => Effect.flip(effect)

const diskInputs = { zone: "is1a", size: 40, os: "ubuntu-24.04" }
const serverInputs = (disk: Observed, inputs: Inputs = {}) => ({
  zone: "is1a",
  core: 2,
  memory: 4,
  disk: disk.id,
  ...inputs
})

/** A disk and a server on it. */
const serverWithDisk = (provider: CloudProviderService, name = "web", inputs: Inputs = {}) =>
  Effect.gen(function* () {
    const disk = yield* provider.apply(create("disk", `${name}-disk`, diskInputs))
    const server = yield* provider.apply(create("server", name, serverInputs(disk, inputs)))
    return { disk, server }
  })

const record = (name: string, content: string, type = "A") => ({
  zone: "example.com",
  name,
  type,
  content,
  proxied: false,
  ttl: 1
})

describe("Sandbox provider", () => {
  it.effect("handles every resource type under the name sandbox, with the real providers' replace fields", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox
      assert.strictEqual(provider.name, "sandbox")
      assert.sameMembers(
        [...provider.handles],
        ["server", "disk", "ssh-key", "startup-script", "r2", "r2-domain", "worker", "pages", "dns"]
      )
      assert.deepStrictEqual(provider.replaceFields("server"), ["zone", "disk"])
      assert.deepStrictEqual(provider.replaceFields("dns"), ["zone", "name", "type"])
      assert.deepStrictEqual(provider.replaceFields("pages"), ["name", "productionBranch"])
    }).pipe(Effect.provide(Fake.layer()))
  )

  it.effect("creates resources with cloud-style IDs and outputs", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox
      const { disk, server } = yield* serverWithDisk(provider)
      assert.match(disk.id, /^\d{12}$/)
      assert.match(server.id, /^\d{12}$/)
      assert.notStrictEqual(disk.id, server.id)
      assert.match(String(server.attributes.ip), /^\d+\.\d+\.\d+\.\d+$/)
      assert.strictEqual(server.attributes.status, "up")
      const other = yield* serverWithDisk(provider, "api")
      assert.notStrictEqual(other.server.attributes.ip, server.attributes.ip)

      const bucket = yield* provider.apply(
        create("r2", "creo-attachments", { name: "creo-attachments", location: "apac" })
      )
      assert.strictEqual(bucket.id, "creo-attachments")
      assert.strictEqual(bucket.attributes.location, "APAC")
      const worker = yield* provider.apply(
        create("worker", "api-gateway", {
          name: "api-gateway",
          source: NodePath.join(fixtures, "worker"),
          compatibilityDate: "2025-01-01"
        })
      )
      assert.strictEqual(worker.attributes.url, "https://api-gateway.fleetflow-sandbox.workers.dev")
      const pages = yield* provider.apply(
        create("pages", "creo-site", {
          name: "creo-site",
          directory: NodePath.join(fixtures, "site"),
          productionBranch: "main"
        })
      )
      assert.strictEqual(pages.attributes.url, "https://creo-site.pages.dev")
      assert.strictEqual(pages.attributes.environment, "production")
      const www = yield* provider.apply(
        create("dns", "api.example.com/A", record("api.example.com", String(server.attributes.ip)))
      )
      assert.strictEqual(www.attributes.fqdn, "api.example.com")
    }).pipe(Effect.provide(Fake.layer()))
  )

  it.effect("tags what it creates with its owner", () =>
    Effect.gen(function* () {
      const { provider, resources } = yield* sandbox
      yield* provider.apply(create("disk", "web", { ...diskInputs, tags: ["app"] }))
      const [disk] = yield* resources
      assert.deepStrictEqual(Sandbox.ownerOf(disk!), { project: "creo", stage: "dev", name: "web" })
      assert.include(disk!.tags, "app")
      assert.include(disk!.tags, "fleetflow-project=creo")
    }).pipe(Effect.provide(Fake.layer()))
  )

  it.effect("reads many resources at once, and misses what is gone", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox
      const current = new Map<string, StoredResource>()
      for (const name of ["a", "b", "c"]) {
        const { disk, server } = yield* serverWithDisk(provider, name)
        current.set(makeKey("server", name), stored("server", name, server))
        current.set(makeKey("disk", `${name}-disk`), stored("disk", `${name}-disk`, disk))
      }
      current.set(makeKey("server", "gone"), stored("server", "gone", { id: "100000009999", attributes: {} }))
      const observed = yield* provider.getState(scope, current)
      assert.strictEqual(observed.size, 6)
      assert.isFalse(observed.has(makeKey("server", "gone")))
      assert.strictEqual(observed.get(makeKey("server", "a"))?.inputs?.core, 2)
      assert.strictEqual((yield* provider.getState(scope, new Map())).size, 0)
    }).pipe(Effect.provide(Fake.layer()))
  )

  it.effect("a server's plan change gives it a new ID and keeps its address and disk", () =>
    Effect.gen(function* () {
      const { provider, resources } = yield* sandbox
      const { disk, server } = yield* serverWithDisk(provider)
      const before = serverInputs(disk)
      const after = yield* provider.apply(update("server", "web", server, before, { ...before, memory: 8 }))
      assert.notStrictEqual(after.id, server.id)
      assert.strictEqual(after.attributes.ip, server.attributes.ip)
      const servers = (yield* resources).filter((resource) => resource.type === "server")
      assert.strictEqual(servers.length, 1)
      assert.strictEqual(servers[0]!.inputs.disk, disk.id)
      // The disk moved with it: deleting the disk is still refused.
      const refused = yield* failure(
        provider.destroy(scope, makeKey("disk", "web-disk"), stored("disk", "web-disk", disk))
      )
      assert.strictEqual(refused.reason, "conflict")
    }).pipe(Effect.provide(Fake.layer()))
  )

  it.effect("an update of something deleted outside is not-found", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox
      const ghost = { id: "100000000777", attributes: {} }
      const error = yield* failure(
        provider.apply(update("startup-script", "setup", ghost, {}, { content: "#!/bin/sh\necho hi\n" }))
      )
      assert.strictEqual(error.reason, "not-found")
    }).pipe(Effect.provide(Fake.layer()))
  )

  it.effect("destroy is idempotent, and deleting a server frees its disk", () =>
    Effect.gen(function* () {
      const { provider, resources } = yield* sandbox
      const { disk, server } = yield* serverWithDisk(provider)
      const serverKey = makeKey("server", "web")
      yield* provider.destroy(scope, serverKey, stored("server", "web", server))
      yield* provider.destroy(scope, serverKey, stored("server", "web", server))
      yield* provider.destroy(scope, makeKey("disk", "web-disk"), stored("disk", "web-disk", disk))
      assert.deepStrictEqual(yield* resources, [])
    }).pipe(Effect.provide(Fake.layer()))
  )

  describe("refuses what the clouds refuse", () => {
    it.effect("a server disk that does not exist, or is taken", () =>
      Effect.gen(function* () {
        const { provider, resources } = yield* sandbox
        const missing = yield* failure(
          provider.apply(create("server", "web", serverInputs({ id: "100000000999", attributes: {} })))
        )
        assert.strictEqual(missing.key, makeKey("server", "web"))
        const { disk } = yield* serverWithDisk(provider, "one")
        yield* failure(provider.apply(create("server", "two", serverInputs(disk))))
        // Refused calls leave nothing behind.
        assert.strictEqual((yield* resources).length, 2)
      }).pipe(Effect.provide(Fake.layer()))
    )

    it.effect("ssh keys named but not registered", () =>
      Effect.gen(function* () {
        const { provider } = yield* sandbox
        const disk = yield* provider.apply(create("disk", "web-disk", diskInputs))
        const key = yield* failure(provider.apply(create("server", "web", serverInputs(disk, { sshKeys: ["laptop"] }))))
        assert.strictEqual(key.key, makeKey("server", "web"))
        yield* provider.apply(create("ssh-key", "laptop", { publicKey: sshPublicKey("laptop") }))
        const server = yield* provider.apply(create("server", "web", serverInputs(disk, { sshKeys: ["laptop"] })))
        assert.strictEqual(server.attributes.status, "up")
      }).pipe(Effect.provide(Fake.layer()))
    )

    it.effect("DNS names outside the zone, bad addresses and twins", () =>
      Effect.gen(function* () {
        const { provider } = yield* sandbox
        const address = yield* failure(
          provider.apply(create("dns", "api.example.com/A", record("api.example.com", "300.1.1.1")))
        )
        assert.strictEqual(address.reason, "invalid")
        yield* provider.apply(create("dns", "api.example.com/A", record("api.example.com", "203.0.113.9")))
        const cname = yield* failure(
          provider.apply(create("dns", "api.example.com/CNAME", record("api.example.com", "x.example.com", "CNAME")))
        )
        assert.strictEqual(cname.code, 81053)
      }).pipe(Effect.provide(Fake.layer()))
    )

    it.effect("R2 names that are not valid, buckets that are not empty", () =>
      Effect.gen(function* () {
        const { provider } = yield* sandbox
        const badName = yield* failure(provider.apply(create("r2", "Bad_Name", { name: "Bad_Name" })))
        assert.strictEqual(badName.code, 10005)
        const bucket = yield* provider.apply(create("r2", "creo-attachments", { name: "creo-attachments" }))
        const domain = yield* provider.apply(
          create("r2-domain", "cdn.example.com", {
            bucket: "creo-attachments",
            domain: "cdn.example.com",
            zone: "example.com"
          })
        )
        const binding = yield* failure(
          provider.apply(
            create("worker", "api", {
              name: "api",
              source: NodePath.join(fixtures, "worker"),
              compatibilityDate: "2025-01-01",
              bindings: [{ type: "r2", name: "FILES", bucket: "missing-bucket" }]
            })
          )
        )
        assert.include(binding.message, "missing-bucket")
        yield* provider.destroy(
          scope,
          makeKey("r2-domain", "cdn.example.com"),
          stored("r2-domain", "cdn.example.com", domain, { bucket: "creo-attachments" })
        )
        yield* provider.destroy(scope, makeKey("r2", "creo-attachments"), stored("r2", "creo-attachments", bucket))
      }).pipe(Effect.provide(Fake.layer()))
    )
  })

  it.effect("plan diffs with the replace fields of each type", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox
      const desired = (inputs: Inputs) => ({
        key: makeKey("server", "web"),
        provider: "sakura-cloud" as const,
        type: "server" as const,
        name: "web",
        inputs,
        dependsOn: []
      })
      const current = new Map([
        [
          makeKey("server", "web"),
          stored("server", "web", { id: "100000000001", attributes: {} }, { zone: "is1a", core: 1 })
        ]
      ])
      const planned = (inputs: Inputs) =>
        Effect.map(
          Plan.make({ project: "p", stage: "dev", serial: 1, desired: [desired(inputs)], current, provider }),
          (plan) => plan.actions[0]?._tag
        )
      assert.strictEqual(yield* planned({ zone: "is1a", core: 2 }), "Update")
      assert.strictEqual(yield* planned({ zone: "tk1a", core: 1 }), "Replace")
    }).pipe(Effect.provide(Fake.layer()))
  )
})

describe("Sandbox faults", () => {
  it.effect("a transient fault fails once, then the call goes through", () =>
    Effect.gen(function* () {
      const { provider, resources } = yield* sandbox
      const first = yield* failure(provider.apply(create("disk", "web", diskInputs)))
      assert.strictEqual(first.reason, "transient")
      assert.strictEqual((yield* resources).length, 0)
      yield* provider.apply(create("disk", "web", diskInputs))
      assert.strictEqual((yield* resources).length, 1)
      // Other operations and keys are not affected.
      yield* provider.apply(create("ssh-key", "me", { publicKey: sshPublicKey("me") }))
    }).pipe(
      Effect.provide(Fake.layer({ faults: [{ operation: "create", key: "sakura-cloud:disk:*", kind: "transient" }] }))
    )
  )

  it.effect("a permanent fault fails every time; times bounds any fault", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox
      const dns = create("dns", "a.example.com/A", record("a.example.com", "203.0.113.1"))
      for (let attempt = 0; attempt < 3; attempt++) {
        const error = yield* failure(provider.apply(dns))
        assert.strictEqual(error.reason, "invalid")
      }
      const bucket = create("r2", "b-1", { name: "b-1" })
      assert.strictEqual((yield* failure(provider.apply(bucket))).reason, "transient")
      assert.strictEqual((yield* failure(provider.apply(bucket))).reason, "transient")
      yield* provider.apply(bucket)
    }).pipe(
      Effect.provide(
        Fake.layer({
          faults: [
            { operation: "*", key: "cloudflare:dns:*", kind: "permanent" },
            { operation: "create", key: "cloudflare:r2:*", kind: "transient", times: 2 }
          ]
        })
      )
    )
  )

  it.effect(
    "a rule for one of the records written together fails that record, though another's call sent the batch",
    () =>
      Effect.gen(function* () {
        const fake = yield* Fake.FakeCloud
        const { provider, resources } = yield* sandbox
        const together = (labels: ReadonlyArray<string>) =>
          Effect.all(
            labels.map((label, index) => {
              const name = `${label}.example.com`
              return Effect.either(provider.apply(create("dns", `${name}/A`, record(name, `203.0.113.${index + 1}`))))
            }),
            { concurrency: "unbounded" }
          )
        const results = yield* together(["a", "b", "c"])
        assert.deepStrictEqual(results.map(Either.isRight), [true, false, true])
        const refused = results[1]!
        assert.isTrue(Either.isLeft(refused) && refused.left.reason === "invalid")
        assert.deepStrictEqual((yield* resources).map((resource) => resource.name).sort(), [
          "a.example.com",
          "c.example.com"
        ])
        // Writes started together go out as one batch: the three above did, from a's call, refused for b's rule.
        yield* fake.clearFaults
        yield* together(["d", "e", "f"])
        const posts = (yield* fake.cloudflareRequests).filter((request) => request.method === "POST")
        assert.deepStrictEqual(
          posts.map((request) => request.path.split("/").pop()),
          ["dns_records", "dns_records", "batch"]
        )
      }).pipe(
        Effect.provide(
          Fake.layer({ faults: [{ operation: "create", key: "cloudflare:dns:b.example.com/A", kind: "permanent" }] })
        )
      )
  )

  it.effect("a hang never returns, and can be interrupted", () =>
    Effect.gen(function* () {
      const { provider, resources } = yield* sandbox
      const disk = yield* provider.apply(create("disk", "web", diskInputs))
      const fiber = yield* Effect.fork(
        provider.destroy(scope, makeKey("disk", "web"), stored("disk", "web", disk)).pipe(Effect.timeout("30 seconds"))
      )
      // Other calls go on while one hangs.
      yield* provider.apply(create("disk", "api", diskInputs))
      yield* TestClock.adjust("30 seconds")
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual((yield* resources).length, 2)
    }).pipe(
      Effect.provide(Fake.layer({ faults: [{ operation: "delete", key: "sakura-cloud:disk:web", kind: "hang" }] }))
    )
  )

  it.effect("a transient read fault is retried away by the provider's reads; a permanent one fails the batch", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox
      const disk = yield* provider.apply(create("disk", "web", diskInputs))
      const current = new Map([[makeKey("disk", "web"), stored("disk", "web", disk)]])
      const retried = yield* Effect.fork(provider.getState(scope, current))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* Fiber.join(retried)).size, 1)
      assert.strictEqual((yield* failure(provider.getState(scope, current))).reason, "invalid")
    }).pipe(
      Effect.provide(
        Fake.layer({
          faults: [
            { operation: "read", key: "*:web", kind: "transient" },
            { operation: "read", key: "*:web", kind: "permanent", times: 1 }
          ]
        })
      )
    )
  )
})

describe("Sandbox latency", () => {
  it.effect("every call takes the latency; a server also boots", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox
      const disk = yield* Effect.fork(provider.apply(create("disk", "d", diskInputs)))
      yield* TestClock.adjust("199 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(disk)))
      yield* TestClock.adjust("1 minute")
      const made = yield* Fiber.join(disk)

      const server = yield* Effect.fork(provider.apply(create("server", "web", serverInputs(made))))
      yield* TestClock.adjust("4 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(server)))
      yield* TestClock.adjust("1 minute")
      const observed = yield* Fiber.join(server)
      assert.strictEqual(observed.attributes.status, "up")
    }).pipe(Effect.provide(Fake.layer({ latency: Duration.millis(200), bootTime: Duration.seconds(5) })))
  )
})
