import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import type { ApplyRequest, CloudProviderService, ProviderError } from "../src/Provider.js"
import * as Plan from "../src/Plan.js"
import { type Inputs, makeKey, type Observed, type ResourceType, type StoredResource } from "../src/Resource.js"
import * as Sandbox from "../src/Sandbox.js"
import * as Store from "../src/Sandbox/Store.js"
import { createRequest, storedResource } from "./support/Builders.js"

const scope = { project: "creo", stage: "dev" }

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

/** A sandbox in memory whose store counts its loads. */
const sandbox = (options: Sandbox.SandboxOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* Store.memory()
    const loads = yield* Ref.make(0)
    const counted: Store.CloudStore = {
      ...store,
      load: Effect.zipRight(
        Ref.update(loads, (n) => n + 1),
        store.load
      )
    }
    const provider = Sandbox.make(counted, options)
    return { provider, store, loads, resources: Effect.map(store.load, Store.resourcesOf) }
  })

const failure = <A>(effect: Effect.Effect<A, ProviderError>) => Effect.flip(effect)

/** A disk and a server on it. */
const serverWithDisk = (provider: CloudProviderService, name = "web", inputs: Inputs = {}) =>
  Effect.gen(function* () {
    const disk = yield* provider.apply(create("disk", `${name}-disk`, { zone: "is1a", size: 40, os: "ubuntu-24.04" }))
    const server = yield* provider.apply(
      create("server", name, { zone: "is1a", core: 2, memory: 4, disk: disk.id, ...inputs })
    )
    return { disk, server }
  })

describe("Sandbox provider", () => {
  it("handles every resource type under the name sandbox", () =>
    Effect.runSync(
      Effect.gen(function* () {
        const { provider } = yield* sandbox()
        assert.strictEqual(provider.name, "sandbox")
        assert.sameMembers(
          [...provider.handles],
          ["server", "disk", "ssh-key", "startup-script", "r2", "r2-domain", "worker", "pages", "dns"]
        )
        assert.deepStrictEqual(provider.replaceFields("server"), ["zone", "disk"])
        assert.deepStrictEqual(provider.replaceFields("dns"), ["zone", "name", "type"])
      })
    ))

  it.effect("creates resources with cloud-style IDs and outputs", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox()
      const { disk, server } = yield* serverWithDisk(provider)
      assert.match(disk.id, /^\d{12}$/)
      assert.match(server.id, /^\d{12}$/)
      assert.notStrictEqual(disk.id, server.id)
      assert.match(String(server.attributes.ip), /^203\.0\.113\.\d+$/)
      assert.strictEqual(server.attributes.status, "up")
      assert.strictEqual(server.attributes.hostname, "web")
      assert.strictEqual(disk.attributes.id, disk.id, "references such as disk.web-disk.id resolve from attributes")
      const other = yield* provider.apply(create("server", "api", { zone: "is1a" }))
      assert.notStrictEqual(other.attributes.ip, server.attributes.ip)

      const bucket = yield* provider.apply(create("r2", "creo-attachments", { location: "apac" }))
      assert.match(bucket.id, /^[0-9a-f]{32}$/)
      assert.strictEqual(bucket.attributes.location, "APAC")
      const worker = yield* provider.apply(create("worker", "api-gateway", {}))
      assert.strictEqual(worker.attributes.url, "https://api-gateway.sandbox.workers.dev")
      const pages = yield* provider.apply(create("pages", "creo-site", {}))
      assert.strictEqual(pages.attributes.url, "https://creo-site.pages.dev")
      const record = yield* provider.apply(
        create("dns", "api.example.com/A", { zone: "example.com", type: "A", content: String(server.attributes.ip) })
      )
      assert.strictEqual(record.attributes.fqdn, "api.example.com")
      const apex = yield* provider.apply(
        create("dns", "example.com/TXT", { zone: "example.com", name: "@", content: "v=spf1 -all" })
      )
      assert.strictEqual(apex.attributes.fqdn, "example.com")
    })
  )

  it.effect("tags what it creates with its owner", () =>
    Effect.gen(function* () {
      const { provider, resources } = yield* sandbox()
      yield* provider.apply(create("server", "web", { tags: ["app"] }))
      const [server] = yield* resources
      assert.deepStrictEqual(Sandbox.ownerOf(server!), { project: "creo", stage: "dev", name: "web" })
      assert.include(server!.tags, "app")
      assert.include(server!.tags, "fleetflow-project=creo")
    })
  )

  it.effect("reads many resources in one store read per cloud, and misses what is gone", () =>
    Effect.gen(function* () {
      const { loads, provider, store } = yield* sandbox()
      const current = new Map<string, StoredResource>()
      for (const name of ["a", "b", "c", "d", "e"]) {
        const { disk, server } = yield* serverWithDisk(provider, name)
        current.set(makeKey("server", name), stored("server", name, server))
        current.set(makeKey("disk", `${name}-disk`), stored("disk", `${name}-disk`, disk))
      }
      current.set(makeKey("server", "gone"), stored("server", "gone", { id: "100000009999", attributes: {} }))

      yield* Ref.set(loads, 0)
      const observed = yield* provider.getState(scope, current)
      assert.strictEqual(yield* Ref.get(loads), 1)
      assert.strictEqual(observed.size, 10)
      assert.isFalse(observed.has(makeKey("server", "gone")))
      assert.deepStrictEqual(observed.get(makeKey("server", "a"))?.inputs?.core, 2)

      const bucket = yield* provider.apply(create("r2", "bucket-one", {}))
      current.set(makeKey("r2", "bucket-one"), stored("r2", "bucket-one", bucket))
      yield* Ref.set(loads, 0)
      const both = yield* provider.getState(scope, current)
      assert.strictEqual(yield* Ref.get(loads), 2)
      assert.strictEqual(both.size, 11)

      // A store read with no keys is no read at all.
      yield* Ref.set(loads, 0)
      assert.strictEqual((yield* provider.getState(scope, new Map())).size, 0)
      assert.strictEqual(yield* Ref.get(loads), 0)
      assert.isDefined(store)
    })
  )

  it.effect("a server's plan change gives it a new ID and keeps its address and disk", () =>
    Effect.gen(function* () {
      const { provider, resources } = yield* sandbox()
      const { disk, server } = yield* serverWithDisk(provider)
      const before = { zone: "is1a", core: 2, memory: 4, disk: disk.id }
      const after = yield* provider.apply(update("server", "web", server, before, { ...before, memory: 8 }))
      assert.notStrictEqual(after.id, server.id)
      assert.strictEqual(after.attributes.id, after.id)
      assert.strictEqual(after.attributes.ip, server.attributes.ip)
      assert.strictEqual(after.inputs?.memory, 8)
      const servers = (yield* resources).filter((resource) => resource.type === "server")
      assert.strictEqual(servers.length, 1)
      assert.include(servers[0]!.tags, `@previous-id=${server.id}`)
      // The disk moved with it: deleting the disk is still refused.
      const refused = yield* failure(
        provider.destroy(scope, makeKey("disk", "web-disk"), stored("disk", "web-disk", disk))
      )
      assert.strictEqual(refused.reason, "conflict")

      const retagged = yield* provider.apply(
        update("server", "web", after, { ...before, memory: 8 }, { ...before, memory: 8, tags: ["x"] })
      )
      assert.strictEqual(retagged.id, after.id)
    })
  )

  it.effect("an update of something deleted outside is not-found", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox()
      const ghost = { id: "100000000777", attributes: {} }
      const error = yield* failure(
        provider.apply(update("ssh-key", "me", ghost, {}, { publicKey: "ssh-ed25519 AAAA" }))
      )
      assert.strictEqual(error.reason, "not-found")
    })
  )

  it.effect("destroy is idempotent, and deleting a server frees its disk", () =>
    Effect.gen(function* () {
      const { provider, resources } = yield* sandbox()
      const { disk, server } = yield* serverWithDisk(provider)
      const serverKey = makeKey("server", "web")
      yield* provider.destroy(scope, serverKey, stored("server", "web", server))
      yield* provider.destroy(scope, serverKey, stored("server", "web", server))
      yield* provider.destroy(scope, makeKey("disk", "web-disk"), stored("disk", "web-disk", disk))
      assert.deepStrictEqual(yield* resources, [])
    })
  )

  describe("refuses what the clouds refuse", () => {
    it.effect("a server disk that does not exist, is elsewhere, or is taken", () =>
      Effect.gen(function* () {
        const { provider, resources } = yield* sandbox()
        const missing = yield* failure(provider.apply(create("server", "web", { disk: "100000000999" })))
        assert.strictEqual(missing.reason, "not-found")
        assert.strictEqual(missing.key, makeKey("server", "web"))

        const { disk } = yield* serverWithDisk(provider, "one")
        const taken = yield* failure(provider.apply(create("server", "two", { zone: "is1a", disk: disk.id })))
        assert.strictEqual(taken.reason, "conflict")

        const far = yield* provider.apply(create("disk", "far", { zone: "tk1a" }))
        const elsewhere = yield* failure(provider.apply(create("server", "three", { zone: "is1a", disk: far.id })))
        assert.strictEqual(elsewhere.reason, "invalid")

        const zone = yield* failure(provider.apply(create("server", "four", { zone: "mars1" })))
        assert.strictEqual(zone.reason, "invalid")
        // Refused calls change nothing.
        assert.strictEqual((yield* resources).length, 3)
      })
    )

    it.effect("ssh keys and startup scripts named but not registered", () =>
      Effect.gen(function* () {
        const { provider } = yield* sandbox()
        const key = yield* failure(provider.apply(create("server", "web", { sshKeys: ["laptop"] })))
        assert.strictEqual(key.reason, "not-found")
        assert.include(key.hint ?? "", "register")
        const script = yield* failure(provider.apply(create("server", "web", { startupScripts: ["setup"] })))
        assert.strictEqual(script.reason, "not-found")

        yield* provider.apply(create("ssh-key", "laptop", { publicKey: "ssh-ed25519 AAAAC3Nza laptop" }))
        yield* provider.apply(create("startup-script", "setup", { content: "#!/bin/sh\necho hi\n" }))
        const server = yield* provider.apply(
          create("server", "web", {
            sshKeys: ["laptop", "~/.ssh/id_ed25519.pub", "ssh-rsa AAAAB3 me"],
            startupScripts: ["setup", "fleetflow-docker-setup"]
          })
        )
        assert.strictEqual(server.attributes.status, "up")
      })
    )

    it.effect("DNS names outside the zone, bad addresses and twins", () =>
      Effect.gen(function* () {
        const { provider } = yield* sandbox()
        const outside = yield* failure(
          provider.apply(create("dns", "api.other.org/A", { zone: "example.com", type: "A", content: "203.0.113.9" }))
        )
        assert.strictEqual(outside.reason, "invalid")
        const address = yield* failure(
          provider.apply(create("dns", "api.example.com/A", { zone: "example.com", type: "A", content: "300.1.1.1" }))
        )
        assert.strictEqual(address.reason, "invalid")

        yield* provider.apply(
          create("dns", "api.example.com/A", { zone: "example.com", type: "A", content: "203.0.113.9" })
        )
        const twin = yield* failure(
          provider.apply({
            ...create("dns", "api.example.com/A", { zone: "example.com", type: "A", content: "203.0.113.10" }),
            stage: "live"
          })
        )
        assert.strictEqual(twin.reason, "conflict")
        assert.strictEqual(twin.code, 81057)
        const cname = yield* failure(
          provider.apply(create("dns", "api.example.com/CNAME", { zone: "example.com", content: "x.example.com" }))
        )
        assert.strictEqual(cname.code, 81053)
      })
    )

    it.effect("R2 names taken, custom domains and bindings without a bucket", () =>
      Effect.gen(function* () {
        const { provider } = yield* sandbox()
        const bucket = yield* provider.apply(create("r2", "creo-attachments", {}))
        const taken = yield* failure(provider.apply({ ...create("r2", "creo-attachments", {}), stage: "live" }))
        assert.strictEqual(taken.reason, "conflict")
        assert.strictEqual(taken.code, 10004)
        assert.include(taken.message, "stage dev")
        const badName = yield* failure(provider.apply(create("r2", "Bad_Name", {})))
        assert.strictEqual(badName.code, 10005)

        const domainless = yield* failure(
          provider.apply(create("r2-domain", "cdn.example.com", { bucket: "nope", domain: "cdn.example.com" }))
        )
        assert.strictEqual(domainless.reason, "not-found")
        const domain = yield* provider.apply(
          create("r2-domain", "cdn.example.com", { bucket: "creo-attachments", domain: "cdn.example.com" })
        )

        const binding = yield* failure(
          provider.apply(
            create("worker", "api", { bindings: [{ type: "r2", name: "FILES", bucket: "missing-bucket" }] })
          )
        )
        assert.strictEqual(binding.reason, "not-found")
        assert.include(binding.message, "missing-bucket")
        yield* provider.apply(
          create("worker", "api", { bindings: [{ type: "r2", name: "FILES", bucket: "creo-attachments" }] })
        )

        const busy = yield* failure(
          provider.destroy(scope, makeKey("r2", "creo-attachments"), stored("r2", "creo-attachments", bucket))
        )
        assert.strictEqual(busy.reason, "conflict")
        yield* provider.destroy(
          scope,
          makeKey("r2-domain", "cdn.example.com"),
          stored("r2-domain", "cdn.example.com", domain)
        )
        yield* provider.destroy(scope, makeKey("r2", "creo-attachments"), stored("r2", "creo-attachments", bucket))
      })
    )

    it.effect("pages and workers with a taken name", () =>
      Effect.gen(function* () {
        const { provider } = yield* sandbox()
        yield* provider.apply(create("pages", "site", {}))
        const pages = yield* failure(provider.apply({ ...create("pages", "site", {}), stage: "live" }))
        assert.strictEqual(pages.code, 8000002)
        yield* provider.apply(create("worker", "api", {}))
        const worker = yield* failure(provider.apply({ ...create("worker", "api", {}), stage: "live" }))
        assert.strictEqual(worker.reason, "conflict")
      })
    )
  })

  it.effect("plan diffs with the replace fields of each type", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox()
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
    })
  )
})

describe("Sandbox faults", () => {
  it.effect("a transient fault fails once, then the call goes through", () =>
    Effect.gen(function* () {
      const { provider, resources } = yield* sandbox({
        faults: [{ operation: "create", key: "sakura-cloud:server:*", kind: "transient" }]
      })
      const first = yield* failure(provider.apply(create("server", "web", {})))
      assert.strictEqual(first.reason, "transient")
      assert.strictEqual((yield* resources).length, 0)
      yield* provider.apply(create("server", "web", {}))
      assert.strictEqual((yield* resources).length, 1)
      // Other operations and keys are not affected.
      yield* provider.apply(create("disk", "d", {}))
    })
  )

  it.effect("a permanent fault fails every time; times bounds any fault", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox({
        faults: [
          { operation: "*", key: "cloudflare:dns:*", kind: "permanent" },
          { operation: "create", key: "cloudflare:r2:*", kind: "transient", times: 2 },
          { operation: "create", key: "cloudflare:pages:*", kind: "permanent", times: 1 }
        ]
      })
      const dns = create("dns", "a.example.com/A", { zone: "example.com", type: "A", content: "203.0.113.1" })
      for (let attempt = 0; attempt < 3; attempt++) {
        const error = yield* failure(provider.apply(dns))
        assert.strictEqual(error.reason, "failed")
      }
      assert.strictEqual((yield* failure(provider.apply(create("r2", "b-1", {})))).reason, "transient")
      assert.strictEqual((yield* failure(provider.apply(create("r2", "b-1", {})))).reason, "transient")
      yield* provider.apply(create("r2", "b-1", {}))
      assert.strictEqual((yield* failure(provider.apply(create("pages", "p", {})))).reason, "failed")
      yield* provider.apply(create("pages", "p", {}))
    })
  )

  it.effect("a hang never returns, and can be interrupted", () =>
    Effect.gen(function* () {
      const { provider, resources } = yield* sandbox({
        faults: [{ operation: "delete", key: "sakura-cloud:server:web", kind: "hang" }]
      })
      const server = yield* provider.apply(create("server", "web", {}))
      const fiber = yield* Effect.fork(
        provider
          .destroy(scope, makeKey("server", "web"), stored("server", "web", server))
          .pipe(Effect.timeout("30 seconds"))
      )
      // Other calls go on while one hangs.
      yield* provider.apply(create("server", "api", {}))
      yield* TestClock.adjust("30 seconds")
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual((yield* resources).length, 2)
    })
  )

  it.effect("a read fault fails the whole batch", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox({ faults: [{ operation: "read", key: "*:web", kind: "transient" }] })
      const server = yield* provider.apply(create("server", "web", {}))
      const current = new Map([[makeKey("server", "web"), stored("server", "web", server)]])
      assert.strictEqual((yield* failure(provider.getState(scope, current))).reason, "transient")
      assert.strictEqual((yield* provider.getState(scope, current)).size, 1)
    })
  )
})

describe("Sandbox latency", () => {
  it.effect("every call takes the latency; a server also boots", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox({ latency: Duration.millis(200), bootTime: Duration.seconds(5) })
      const disk = yield* Effect.fork(provider.apply(create("disk", "d", {})))
      yield* TestClock.adjust("199 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(disk)))
      yield* TestClock.adjust("1 millis")
      assert.isTrue(Option.isSome(yield* Fiber.poll(disk)))

      const server = yield* Effect.fork(provider.apply(create("server", "web", {})))
      yield* TestClock.adjust("5 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(server)))
      yield* TestClock.adjust("200 millis")
      const observed = yield* Fiber.join(server)
      assert.strictEqual(observed.attributes.status, "up")
    })
  )

  it.effect("parallel calls overlap their latency", () =>
    Effect.gen(function* () {
      const { provider } = yield* sandbox({ latency: Duration.seconds(1) })
      const all = yield* Effect.fork(
        Effect.forEach(["a", "b", "c", "d"], (name) => provider.apply(create("r2", `bucket-${name}`, {})), {
          concurrency: "unbounded"
        })
      )
      yield* TestClock.adjust("1 second")
      const done = yield* Fiber.join(all)
      assert.strictEqual(done.length, 4)
    })
  )
})
