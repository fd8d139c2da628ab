/**
 * `CloudProvider.find`: what the clouds hold for declared resources, found without the state
 * (by name and ownership tags), as `apply` and `getState` report it, in batched reads.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as CloudflareProvider from "../src/Cloudflare/Provider.js"
import * as CloudflareSimulator from "../src/Cloudflare/Simulator.js"
import { requireUsacloud } from "../src/Clouds.js"
import * as Fake from "../src/Fake.js"
import { CloudProvider, isTransient, ProviderError, type Scope, type Wanted } from "../src/Provider.js"
import {
  type Inputs,
  makeKey,
  type Observed,
  providerOf,
  type ResourceKey,
  type ResourceType,
  reference,
  type StoredResource
} from "../src/Resource.js"
import * as SakuraProvider from "../src/Sakura/Provider.js"
import { lookupOwned } from "../src/Sakura/Provider/Common.js"
import * as SakuraSimulator from "../src/Sakura/Simulator.js"
import { createRequest, fastRetry, sshPublicKey } from "./support/Builders.js"
import { logged } from "./support/Logged.js"
import { invocations, provider } from "./support/SakuraSimulator.js"
import { flagValue, global, zoned } from "./support/UsacloudArgs.js"

const dev: Scope = { project: "shop", stage: "dev" }
const live: Scope = { project: "shop", stage: "live" }
const blog: Scope = { project: "blog", stage: "dev" }

const wanted = (type: ResourceType, name: string, inputs: Inputs): Wanted => ({
  key: makeKey(type, name),
  type,
  name,
  inputs
})

/** What the state would hold after `apply` reported `observed`. */
const stored = (item: Wanted, inputs: Inputs, observed: Observed): StoredResource => ({
  provider: providerOf[item.type],
  type: item.type,
  name: item.name,
  stage: "dev",
  id: observed.id,
  attributes: observed.attributes,
  inputs,
  dependsOn: [],
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z"
})

/** `id` and `attributes` only: what the state records of an observation. */
const recorded = (observed: Observed | undefined) =>
  observed === undefined ? undefined : { id: observed.id, attributes: observed.attributes }

const sorted = <A>(map: ReadonlyMap<ResourceKey, A>) => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

// Sakura Cloud ------------------------------------------------------------------------------

const sakura = provider({}, { readRetry: fastRetry })

const usacloud = (store: SakuraSimulator.SimulatorStore, ...args: ReadonlyArray<string>) =>
  Effect.map(SakuraSimulator.run(args, {}, store).pipe(Effect.orDie), (output) => {
    assert.strictEqual(output.exitCode, 0, output.stderr)
    return output.stdout === "" ? [] : (JSON.parse(output.stdout) as ReadonlyArray<{ readonly ID: number }>)
  })

/** Runs `effect` and returns the usacloud invocations it made as well. */
const counting = <A, E>(store: SakuraSimulator.SimulatorStore, effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const before = (yield* invocations(store)).length
    const result = yield* effect
    return [result, (yield* invocations(store)).slice(before)] as const
  })

const commandsOf = (calls: ReadonlyArray<ReadonlyArray<string>>) => calls.map((args) => `${args[0]} ${args[1]}`).sort()

const diskInputs = (zone: string) => ({ zone, size: 20, plan: "ssd", connection: "virtio", os: "ubuntu" })

describe("Sakura find", () => {
  it.effect(
    "finds what apply made as apply and getState report it: one list per zone and type, one key and note list",
    () =>
      Effect.gen(function* () {
        const { service, store } = yield* sakura
        const ours = sshPublicKey("dev@example")
        const theirs = sshPublicKey("ops@example")
        yield* usacloud(store, ...global("ssh-key").create("--name", "mine", "--public-key", theirs))
        const builtin = "#!/bin/sh\necho docker\n"
        yield* usacloud(
          store,
          ...global("note").create("--name", "fleetflow-docker-setup", "--class", "shell", "--content", builtin)
        )

        const items: Array<Wanted> = []
        const applied = new Map<ResourceKey, Observed>()
        const resolved = new Map<ResourceKey, Inputs>()
        const make = (item: Wanted, inputs: Inputs) =>
          Effect.map(service.apply(createRequest(dev, item.type, item.name, inputs)), (observed) => {
            items.push(item)
            applied.set(item.key, observed)
            resolved.set(item.key, inputs)
            return observed
          })

        const keys = [
          wanted("ssh-key", "dev-example", { publicKey: ours }),
          wanted("ssh-key", "ops-example", { publicKey: theirs })
        ]
        for (const key of keys) yield* make(key, key.inputs)
        assert.isUndefined(applied.get(keys[0]!.key)?.attributes.adopted)
        assert.isTrue(applied.get(keys[1]!.key)?.attributes.adopted)
        const scripts = [
          wanted("startup-script", "setup", { content: "#!/bin/sh\necho setup\n" }),
          wanted("startup-script", "fleetflow-docker-setup", { content: builtin, builtin: "fleetflow-docker-setup" })
        ]
        for (const script of scripts) yield* make(script, script.inputs)
        assert.isTrue(applied.get(scripts[1]!.key)?.attributes.adopted)

        const names = Array.from({ length: 10 }, (_, index) => `web-${String(index + 1).padStart(2, "0")}`)
        const zoneOf = (index: number) => (index % 2 === 0 ? "is1a" : "tk1a")
        const disks = names.map((name, index) => wanted("disk", name, diskInputs(zoneOf(index))))
        for (const disk of disks) yield* make(disk, disk.inputs)

        // Before the servers are connected to them, the disks are found exactly as apply reported them.
        const [early] = yield* counting(store, service.find(dev, disks))
        for (const disk of disks) assert.deepStrictEqual(early.get(disk.key), applied.get(disk.key), disk.key)

        const servers = names.map((name, index) => {
          const declared = {
            zone: zoneOf(index),
            core: 1,
            memory: 1,
            commitment: "standard",
            disk: reference(makeKey("disk", name), "id"),
            sshKeys: [reference(keys[0]!.key, "id"), reference(keys[1]!.key, "id")],
            startupScripts: [reference(scripts[0]!.key, "id")],
            tags: ["web"]
          }
          return wanted("server", name, declared)
        })
        for (const server of servers) {
          yield* make(server, {
            ...server.inputs,
            disk: applied.get(makeKey("disk", server.name))!.id,
            sshKeys: keys.map((key) => applied.get(key.key)!.id),
            startupScripts: [applied.get(scripts[0]!.key)!.id]
          })
        }

        const [found, calls] = yield* counting(store, service.find(dev, items))
        assert.deepStrictEqual(commandsOf(calls), [
          "disk list",
          "disk list",
          "note list",
          "server list",
          "server list",
          "ssh-key list"
        ])
        const serverLists = calls.filter((args) => args[0] === "server")
        assert.sameMembers(
          serverLists.map((args) => flagValue(args, "--zone")),
          ["is1a", "tk1a"]
        )
        for (const args of [...serverLists, ...calls.filter((args) => args[0] === "disk")]) {
          assert.strictEqual(flagValue(args, "--tags"), "fleetflow,ff-p=shop,ff-s=dev")
        }

        assert.strictEqual(found.size, items.length)
        for (const item of [...servers, ...keys, ...scripts]) {
          assert.deepStrictEqual(found.get(item.key), applied.get(item.key), item.key)
        }
        // Connected since, the disks name their server now: as getState reads them.
        const state = new Map(
          items.map((item) => [item.key, stored(item, resolved.get(item.key)!, applied.get(item.key)!)])
        )
        const read = yield* service.getState(dev, state)
        assert.deepStrictEqual(sorted(found), sorted(read))
        assert.strictEqual(found.get(disks[0]!.key)?.attributes.server, applied.get(servers[0]!.key)?.id)
      })
  )

  it.effect("does not find what another project or stage made under the same name, nor what was never made", () =>
    Effect.gen(function* () {
      const { service, store } = yield* sakura
      const liveDisk = yield* service.apply(createRequest(live, "disk", "web-01", diskInputs("is1a")))
      yield* service.apply(createRequest(blog, "disk", "web-01", diskInputs("is1a")))
      yield* service.apply(
        createRequest(live, "server", "web-01", { zone: "is1a", core: 1, memory: 1, disk: liveDisk.id })
      )
      yield* service.apply(createRequest(live, "startup-script", "setup", { content: "#!/bin/sh\n" }))
      const key = sshPublicKey("live@example")
      const liveKey = yield* service.apply(createRequest(live, "ssh-key", "live-example", { publicKey: key }))

      const items = [
        wanted("disk", "web-01", diskInputs("is1a")),
        wanted("server", "web-01", {
          zone: "is1a",
          core: 1,
          memory: 1,
          disk: reference(makeKey("disk", "web-01"), "id")
        }),
        wanted("startup-script", "setup", { content: "#!/bin/sh\n" }),
        wanted("ssh-key", "live-example", { publicKey: reference("sakura-cloud:ssh-key:file", "publicKey") }),
        wanted("disk", "never", diskInputs("tk1a")),
        wanted("ssh-key", "never", { publicKey: sshPublicKey("never@example") })
      ]
      const [found, calls] = yield* counting(store, service.find(dev, items))
      assert.strictEqual(found.size, 0)
      assert.strictEqual(calls.length, 5)

      // The same names in their own stage are found.
      const inLive = yield* service.find(live, items)
      assert.sameMembers(
        [...inLive.keys()],
        items.slice(0, 4).map((item) => item.key)
      )
      assert.strictEqual(inLive.get(makeKey("disk", "web-01"))?.id, liveDisk.id)
      assert.strictEqual(inLive.get(makeKey("ssh-key", "live-example"))?.id, liveKey.id)

      // A key is one key whoever registered it: with the public key in the inputs, another
      // stage's is found as create would take it, adopted (left alone on destroy).
      const adopted = yield* service.find(dev, [wanted("ssh-key", "live-example", { publicKey: key })])
      assert.strictEqual(adopted.get(makeKey("ssh-key", "live-example"))?.id, liveKey.id)
      assert.isTrue(adopted.get(makeKey("ssh-key", "live-example"))?.attributes.adopted)
    })
  )

  it.effect("a server whose plan was changed outside FleetFlow is found under its new ID", () =>
    Effect.gen(function* () {
      const { service, store } = yield* sakura
      const disk = yield* service.apply(createRequest(dev, "disk", "web-01", diskInputs("is1a")))
      const server = yield* service.apply(
        createRequest(dev, "server", "web-01", { zone: "is1a", core: 1, memory: 1, disk: disk.id })
      )
      const [moved] = yield* usacloud(store, ...zoned("server", "is1a").update(server.id, "--memory", "2"))
      assert.notStrictEqual(String(moved!.ID), server.id)
      const item = wanted("server", "web-01", {
        zone: "is1a",
        core: 1,
        memory: 1,
        disk: reference(makeKey("disk", "web-01"), "id")
      })
      const found = yield* service.find(dev, [item])
      assert.strictEqual(found.get(item.key)?.id, String(moved!.ID))
      assert.strictEqual(found.get(item.key)?.inputs?.memory, 2)
      const read = yield* service.getState(dev, new Map([[item.key, stored(item, item.inputs, server)]]))
      assert.deepStrictEqual(found.get(item.key), read.get(item.key))
    })
  )

  it.effect(
    "matches names and ownership tags itself, whatever the list filter let through; the newest of a plan change wins",
    () =>
      Effect.gen(function* () {
        const owner = (scope: Scope, name: string) => ({ ...scope, name })
        const item = (id: string, scope: Scope, name: string, extra: ReadonlyArray<string> = []) => ({
          id,
          name,
          tags: [...SakuraProvider.ownershipTags(owner(scope, name)), ...extra]
        })
        const listed = [
          item("1", live, "web-01"),
          item("2", blog, "web-01"),
          item("3", dev, "web-01"),
          item("4", dev, "web-01", ["@previous-id=3"]),
          { id: "5", name: "web-02", tags: [] },
          item("6", dev, "web-02-old")
        ]
        const filters: Array<ReadonlyArray<string> | undefined> = []
        const found = yield* lookupOwned(
          (filter) =>
            Effect.sync(() => {
              filters.push(filter.tags)
              return listed
            }),
          [owner(dev, "web-01"), owner(dev, "web-02")]
        )
        assert.deepStrictEqual(
          found.map((match) => match?.id),
          ["4", undefined]
        )
        assert.deepStrictEqual(filters, [SakuraProvider.ownershipTags(owner(dev, "")).slice(0, 3)])
      })
  )

  it.effect("nothing wanted, nothing read", () =>
    Effect.gen(function* () {
      const { service, store } = yield* sakura
      const [found, calls] = yield* counting(store, service.find(dev, []))
      assert.strictEqual(found.size, 0)
      assert.deepStrictEqual(calls, [])
    })
  )
})

// Cloudflare --------------------------------------------------------------------------------

const token = "cf-find-token"
const account = CloudflareSimulator.defaultAccountId
const zones = ["example.com", "example.org"]
const simulatorOptions = { token, zones }

const cloudflare = Effect.gen(function* () {
  const store = yield* CloudflareSimulator.memoryStore()
  const service = yield* Effect.provide(
    CloudProvider,
    CloudflareProvider.layer({ accountId: account, token: Redacted.make(token), readRetry: fastRetry }).pipe(
      Layer.provide(CloudflareSimulator.layerClient(store, simulatorOptions))
    )
  )
  return { store, service }
})

/** A call made outside FleetFlow, through the simulator's REST API. */
const outside = (
  store: CloudflareSimulator.CloudflareStore,
  method: string,
  path: string,
  body: string | undefined,
  contentType = "application/json"
) =>
  Effect.map(
    CloudflareSimulator.handle(
      {
        method,
        url: `/client/v4${path}`,
        headers: { authorization: `Bearer ${token}`, "content-type": contentType },
        body
      },
      store,
      simulatorOptions
    ).pipe(Effect.orDie),
    (response) => assert.isTrue(response.status < 300, `${method} ${path}: ${response.status} ${response.body}`)
  )

/** A worker uploaded as wrangler would, one module and its metadata. */
const uploadWorker = (store: CloudflareSimulator.CloudflareStore, name: string) => {
  const boundary = "fleetflow-find-test"
  const part = (headers: string, content: string) => `--${boundary}\r\n${headers}\r\n\r\n${content}\r\n`
  const body = [
    part(
      'Content-Disposition: form-data; name="metadata"\r\nContent-Type: application/json',
      JSON.stringify({ main_module: "index.js", compatibility_date: "2025-01-01" })
    ),
    part(
      'Content-Disposition: form-data; name="index.js"; filename="index.js"\r\nContent-Type: application/javascript+module',
      'export default { fetch() { return new Response("hi") } }'
    ),
    `--${boundary}--\r\n`
  ].join("")
  return outside(
    store,
    "PUT",
    `/accounts/${account}/workers/scripts/${name}`,
    body,
    `multipart/form-data; boundary=${boundary}`
  )
}

const requests = (store: CloudflareSimulator.CloudflareStore) => CloudflareSimulator.requests(store).pipe(Effect.orDie)

const recordInputs = (zone: string, name: string, content: string | Inputs[string], type = "A") => ({
  zone,
  name,
  type,
  content,
  proxied: false,
  ttl: 1
})

describe("Cloudflare find", () => {
  it.effect(
    "finds what apply made as apply and getState report it: one list per jurisdiction, bucket, zone and kind",
    () =>
      Effect.gen(function* () {
        const { service, store } = yield* cloudflare
        const items: Array<Wanted> = []
        const applied = new Map<ResourceKey, Observed>()
        const make = (item: Wanted, inputs: Inputs = item.inputs) =>
          Effect.map(service.apply(createRequest(dev, item.type, item.name, inputs)), (observed) => {
            items.push(item)
            applied.set(item.key, observed)
          })

        for (let index = 0; index < 10; index++) {
          const name = `bucket-${index}`
          const cors = index % 2 === 0 ? { cors: { allowedOrigins: ["*"], allowedMethods: ["GET"] } } : {}
          const jurisdiction = index === 9 ? { jurisdiction: "eu" } : {}
          yield* make(wanted("r2", name, { name, ...cors, ...jurisdiction }))
        }
        yield* make(
          wanted("r2-domain", "cdn.example.com", { bucket: "bucket-0", domain: "cdn.example.com", zone: "example.com" })
        )
        for (let index = 0; index < 20; index++) {
          const zone = zones[index % 2]!
          // Relative names and the apex, as the API takes them; the key names the full name.
          const name = index < 2 ? "@" : `host-${index}`
          const type = index < 2 ? "TXT" : "A"
          const fqdn = name === "@" ? zone : `${name}.${zone}`
          yield* make(
            wanted("dns", `${fqdn}/${type}`, recordInputs(zone, name, reference(makeKey("server", "web"), "ip"), type)),
            recordInputs(zone, name, index < 2 ? "v=spf1 -all" : `192.0.2.${index}`, type)
          )
        }
        yield* uploadWorker(store, "fleet-api")
        yield* outside(
          store,
          "POST",
          `/accounts/${account}/pages/projects`,
          JSON.stringify({ name: "fleet-site", production_branch: "main" })
        )
        const worker = wanted("worker", "fleet-api", { name: "fleet-api", source: "worker" })
        const pages = wanted("pages", "fleet-site", { name: "fleet-site", directory: "site", productionBranch: "main" })

        const before = (yield* requests(store)).length
        const found = yield* service.find(dev, [...items, worker, pages])
        const reads = (yield* requests(store)).slice(before)

        assert.strictEqual(found.size, items.length + 2)
        for (const item of items) assert.deepStrictEqual(recorded(found.get(item.key)), recorded(applied.get(item.key)))
        assert.deepStrictEqual(found.get(worker.key), { id: "fleet-api", attributes: { name: "fleet-api" } })
        assert.strictEqual(found.get(pages.key)?.id, "fleet-site")
        assert.strictEqual(found.get(pages.key)?.attributes.url, "https://fleet-site.pages.dev")

        // getState reads the same (CORS rules included) for what the state would hold.
        const state = new Map(
          items.map((item) => [item.key, stored(item, item.inputs, applied.get(item.key)!)] as const)
        )
        const read = yield* service.getState(dev, state)
        for (const item of items) assert.deepStrictEqual(found.get(item.key), read.get(item.key), item.key)
        assert.deepStrictEqual(found.get(makeKey("r2", "bucket-0"))?.inputs, {
          cors: { allowedOrigins: ["*"], allowedMethods: ["GET"], allowedHeaders: [], exposeHeaders: [] }
        })

        assert.isTrue(reads.every((entry) => entry.method === "GET"))
        const matching = (pattern: RegExp) => reads.filter((entry) => pattern.test(entry.path))
        assert.strictEqual(matching(/\/r2\/buckets$/).length, 2)
        // Only the buckets that declare CORS have theirs read.
        assert.strictEqual(matching(/\/cors$/).length, 5)
        assert.strictEqual(matching(/\/domains\/custom$/).length, 1)
        assert.strictEqual(matching(/\/dns_records$/).length, 2)
        assert.strictEqual(matching(/\/workers\/scripts$/).length, 1)
        assert.strictEqual(matching(/\/pages\/projects$/).length, 1)
        // Nothing else: the creates before it looked each zone up, and the provider remembers them.
        assert.strictEqual(reads.length, 2 + 5 + 1 + 2 + 1 + 1)
      })
  )

  it.effect("records of one name and type: the one with the declared content, else none and a warning", () =>
    Effect.gen(function* () {
      const { service } = yield* cloudflare
      const first = yield* service.apply(
        createRequest(dev, "dns", "multi.example.com/A", recordInputs("example.com", "multi", "192.0.2.1"))
      )
      const second = yield* service.apply(
        createRequest(
          dev,
          "dns",
          "multi.example.com/A#2",
          recordInputs("example.com", "multi.example.com", "192.0.2.2")
        )
      )
      const single = yield* service.apply(
        createRequest(dev, "dns", "one.example.com/A", recordInputs("example.com", "one", "192.0.2.3"))
      )
      const multi = makeKey("dns", "multi.example.com/A")
      const one = makeKey("dns", "one.example.com/A")

      const byContent = yield* service.find(dev, [
        wanted("dns", "multi.example.com/A", recordInputs("example.com", "multi", "192.0.2.2"))
      ])
      assert.strictEqual(byContent.get(multi)?.id, second.id)

      const [unresolved, messages] = yield* logged(
        service.find(dev, [
          wanted("dns", "multi.example.com/A", recordInputs("example.com", "multi", reference("x:y:z", "ip"))),
          // One record of its name and type: it, whatever its content now (the plan shows the drift).
          wanted("dns", "one.example.com/A", recordInputs("example.com", "one.example.com.", "198.51.100.1"))
        ])
      )
      assert.isFalse(unresolved.has(multi))
      assert.strictEqual(unresolved.get(one)?.id, single.id)
      assert.strictEqual(messages.length, 1)
      assert.include(messages[0], multi)
      assert.include(messages[0], first.id)
      assert.include(messages[0], second.id)

      const noneMatches = yield* logged(
        service.find(dev, [wanted("dns", "multi.example.com/A", recordInputs("example.com", "multi", "192.0.2.9"))])
      )
      assert.strictEqual(noneMatches[0].size, 0)
      assert.strictEqual(noneMatches[1].length, 1)
    })
  )

  it.effect("finds nothing for what was never made", () =>
    Effect.gen(function* () {
      const { service } = yield* cloudflare
      const found = yield* service.find(dev, [
        wanted("r2", "ghost", { name: "ghost" }),
        wanted("r2", "ghost-eu", { name: "ghost-eu", jurisdiction: "eu" }),
        wanted("r2-domain", "cdn.example.com", { bucket: "ghost", domain: "cdn.example.com", zone: "example.com" }),
        wanted("dns", "ghost.example.com/A", recordInputs("example.com", "ghost", "192.0.2.1")),
        wanted("dns", "ghost.example.net/A", recordInputs("example.net", "ghost", "192.0.2.1")),
        wanted("worker", "ghost", { name: "ghost" }),
        wanted("pages", "ghost", { name: "ghost" })
      ])
      assert.strictEqual(found.size, 0)
    })
  )
})

// The simulated clouds and the wrappers -----------------------------------------------------

describe("find in the simulated clouds", () => {
  it.effect("finds by the owner tags and name, as apply reported it; a read for the fault rules", () =>
    Effect.gen(function* () {
      const provider = yield* CloudProvider
      const fake = yield* Fake.FakeCloud
      const disk = yield* provider.apply(createRequest(dev, "disk", "web-01", { zone: "is1a", size: 20, os: "ubuntu" }))
      const server = yield* provider.apply(
        createRequest(dev, "server", "web-01", { zone: "is1a", core: 1, memory: 1, disk: disk.id })
      )
      const record = yield* provider.apply(
        createRequest(dev, "dns", "www.example.com/A", recordInputs("example.com", "www.example.com", "192.0.2.1"))
      )
      yield* provider.apply(createRequest(live, "disk", "db-01", { zone: "is1a", size: 20, os: "ubuntu" }))
      const items = [
        wanted("disk", "web-01", { zone: "is1a", size: 20, os: "ubuntu" }),
        wanted("server", "web-01", {
          zone: "is1a",
          core: 1,
          memory: 1,
          disk: reference(makeKey("disk", "web-01"), "id")
        }),
        wanted("dns", "www.example.com/A", recordInputs("example.com", "www.example.com", "192.0.2.1")),
        wanted("disk", "db-01", { zone: "is1a", size: 20, os: "ubuntu" }),
        wanted("r2", "never", { name: "never" })
      ]
      const found = yield* provider.find(dev, items)
      assert.deepStrictEqual(
        sorted(found),
        sorted(
          new Map([
            // The disk has been connected to the server since it was made.
            [items[0]!.key, { ...disk, attributes: { ...disk.attributes, server: server.id } }],
            [items[1]!.key, server],
            [items[2]!.key, record]
          ])
        )
      )
      // Sakura resources are found by their owner tags; Cloudflare keeps no owner, so the record is found by name.
      assert.sameMembers([...(yield* provider.find(live, items)).keys()], [items[2]!.key, items[3]!.key])
      const reads = (yield* fake.calls).filter((call) => call.operation === "read")
      assert.strictEqual(reads.length, 2 * items.length)

      // A transient read fault is retried away by the provider's reads.
      yield* fake.injectFault({ operation: "read", key: "sakura-cloud:server:*", kind: "transient" })
      const retried = yield* Effect.fork(provider.find(dev, items))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* Fiber.join(retried)).size, 3)
    }).pipe(Effect.provide(Fake.layer()))
  )

  it.effect(
    "the fault rules treat find as a read; requireUsacloud checks the binary before a find that asks for something",
    () =>
      Effect.gen(function* () {
        const provider = yield* CloudProvider
        const fake = yield* Fake.FakeCloud
        const disk = wanted("disk", "web-01", { zone: "is1a", size: 20 })
        const error = yield* Effect.flip(provider.find(dev, [disk]))
        assert.instanceOf(error, ProviderError)
        assert.isFalse(isTransient(error))
        const calls = Effect.map(fake.calls, (all) => all.map((call) => `${call.operation} ${call.key}`))
        assert.deepStrictEqual(yield* calls, ["read sakura-cloud:disk:web-01"])
        assert.strictEqual((yield* provider.find(dev, [])).size, 0)
        assert.strictEqual((yield* provider.find(dev, [wanted("r2", "a", { name: "a" })])).size, 0)

        const missing = requireUsacloud(provider, "/nonexistent/fleetflow-test/usacloud")
        assert.strictEqual((yield* missing.find(dev, [])).size, 0)
        const unavailable = yield* Effect.flip(missing.find(dev, [disk]))
        assert.strictEqual(unavailable.operation, "usacloud")
      }).pipe(
        Effect.provide(Fake.layer({ faults: [{ operation: "read", key: "sakura-cloud:disk:*", kind: "permanent" }] }))
      )
  )
})
