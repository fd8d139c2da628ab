/**
 * Workers and Pages in the Cloudflare provider: the wrangler configuration generated from KDL
 * over a folder's own (`WorkerConfig`), and the provider deploying through the real wrangler
 * (the pinned devDependency) against the Cloudflare simulator served on 127.0.0.1. Assertions
 * read the simulator's contents and request log, never wrangler's human output.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as UrlParams from "@effect/platform/UrlParams"
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import * as NodeUrl from "node:url"
import * as CloudflareProvider from "../../src/Cloudflare/Provider.js"
import * as WorkerConfig from "../../src/Cloudflare/Provider/WorkerConfig.js"
import * as Simulator from "../../src/Cloudflare/Simulator.js"
import * as InProcessWrangler from "../../src/Cloudflare/Simulator/Wrangler.js"
import * as Wrangler from "../../src/Cloudflare/Wrangler.js"
import { type ApplyRequest, CloudProvider, type CloudProviderService, ProviderError } from "../../src/Provider.js"
import { makeKey, type ResourceType, type StoredResource } from "../../src/Resource.js"
import { storedResource } from "../support/Builders.js"
import { failureOf } from "../support/Failure.js"
import { type Meeting, meeting, together } from "../support/Meeting.js"

const canary = "canary-workers-7f3a91-do-not-print"
const account = Simulator.defaultAccountId
const wranglerBin = NodeUrl.fileURLToPath(new URL("../../node_modules/.bin/wrangler", import.meta.url))
const fixtures = NodeUrl.fileURLToPath(new URL("../fixtures/workers", import.meta.url))
const cacheId = Simulator.kvNamespaceId(account, "cache")
const sessionsId = "0123456789abcdef0123456789abcdef"

/** A temporary folder holding `files` (relative path → content) for as long as the scope lasts. */
const sourceFolder = (files: Readonly<Record<string, string>>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const root = yield* fs.makeTempDirectoryScoped({ prefix: "fleetflow-workers-test-" })
    for (const [path, content] of Object.entries(files)) {
      const target = NodePath.join(root, path)
      yield* fs.makeDirectory(NodePath.dirname(target), { recursive: true })
      yield* fs.writeFileString(target, content)
    }
    return root
  }).pipe(Effect.orDie)

const inputsOf = Schema.decodeUnknownSync(WorkerConfig.WorkerInputs)

/** `inspectSource` then `build`, as the provider runs them. */
const configFor = (folder: string, inputs: unknown, kvNamespaceIds: ReadonlyMap<string, string> = new Map()) =>
  Effect.gen(function* () {
    const inspected = yield* WorkerConfig.inspectSource(folder)
    return yield* WorkerConfig.build({
      inputs: inputsOf(inputs),
      folder: inspected.folder,
      entry: inspected.entry,
      folderConfig: inspected.config,
      kvNamespaceIds
    })
  })

const sourceError = <A, R>(effect: Effect.Effect<A, WorkerConfig.WorkerSourceError, R>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    if (Exit.isFailure(exit) && exit.cause._tag === "Fail") return exit.cause.error
    return assert.fail(`expected a WorkerSourceError, got ${Exit.isSuccess(exit) ? "success" : String(exit.cause)}`)
  })

const worker = 'export default { fetch() { return new Response("hi") } }\n'

const kdlWorker = {
  name: "api",
  source: ".",
  compatibilityDate: "2025-01-01",
  routes: [{ pattern: "api.example.com/*", zone: "example.com" }],
  bindings: [
    { type: "r2", name: "FILES", bucket: "kdl-bucket" },
    { type: "kv", name: "CACHE", namespace: "cache" },
    { type: "var", name: "GREETING", value: "from kdl" }
  ]
}

const jsonc = `// The folder's own configuration, as its author keeps it.
{
  "name": "from-folder",
  "account_id": "ffffffffffffffffffffffffffffffff",
  "main": "src/worker.js",
  "compatibility_date": "2024-01-01",
  /* text modules are bundled as strings */
  "rules": [{ "type": "Text", "globs": ["**/*.txt"], "fallthrough": true }],
  "observability": { "enabled": true },
  "assets": { "directory": "./public", "binding": "STATIC" },
  "routes": ["old.example.com/*"],
  "vars": { "GREETING": "from folder", "KEEP": "kept" },
  "r2_buckets": [
    { "binding": "FILES", "bucket_name": "folder-bucket" },
    { "binding": "OWN", "bucket_name": "own-bucket" },
  ],
  "kv_namespaces": [
    { "binding": "CACHE", "id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
    { "binding": "SESSIONS", "id": "${sessionsId}" },
  ],
}
`

const toml = `# The folder's own configuration, as its author keeps it.
name = "from-folder"
account_id = "ffffffffffffffffffffffffffffffff"
main = "src/worker.js"
compatibility_date = "2024-01-01"
routes = ["old.example.com/*"]

[observability]
enabled = true

[assets]
directory = "./public"
binding = "STATIC"

[[rules]]
type = "Text"
globs = ["**/*.txt"]
fallthrough = true

[vars]
GREETING = "from folder"
KEEP = "kept"

[[r2_buckets]]
binding = "FILES"
bucket_name = "folder-bucket"

[[r2_buckets]]
binding = "OWN"
bucket_name = "own-bucket"

[[kv_namespaces]]
binding = "CACHE"
id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

[[kv_namespaces]]
binding = "SESSIONS"
id = "${sessionsId}"
`

/** What KDL over either folder configuration gives: the folder's other fields and bindings kept. */
const merged = (folder: string) => ({
  rules: [{ type: "Text", globs: ["**/*.txt"], fallthrough: true }],
  observability: { enabled: true },
  assets: { directory: NodePath.join(folder, "public"), binding: "STATIC" },
  name: "api",
  main: NodePath.join(folder, "src/worker.js"),
  compatibility_date: "2025-01-01",
  routes: [{ pattern: "api.example.com/*", zone_name: "example.com" }],
  r2_buckets: [
    { binding: "OWN", bucket_name: "own-bucket" },
    { binding: "FILES", bucket_name: "kdl-bucket" }
  ],
  kv_namespaces: [
    { binding: "SESSIONS", id: sessionsId },
    { binding: "CACHE", id: cacheId }
  ],
  vars: { GREETING: "from kdl", KEEP: "kept" }
})

describe("WorkerConfig: the wrangler configuration a worker is deployed with", () => {
  it.scoped("a folder with only index.js: the entry is found, everything else comes from KDL", () =>
    Effect.gen(function* () {
      const folder = yield* sourceFolder({ "index.js": worker })
      const config = yield* configFor(
        folder,
        {
          ...kdlWorker,
          routes: [{ pattern: "api.example.com/*", zone: "example.com" }, { pattern: "api.example.org/*" }]
        },
        new Map([["cache", cacheId]])
      )
      assert.deepStrictEqual(config, {
        name: "api",
        main: NodePath.join(folder, "index.js"),
        compatibility_date: "2025-01-01",
        routes: [{ pattern: "api.example.com/*", zone_name: "example.com" }, "api.example.org/*"],
        r2_buckets: [{ binding: "FILES", bucket_name: "kdl-bucket" }],
        kv_namespaces: [{ binding: "CACHE", id: cacheId }],
        vars: { GREETING: "from kdl" }
      })
      assert.isTrue(NodePath.isAbsolute(config.main as string))
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("package.json's module, then its main, is the entry; src/index.ts is found before index.js", () =>
    Effect.gen(function* () {
      const inputs = { name: "api", source: ".", compatibilityDate: "2025-01-01" }
      const byModule = yield* sourceFolder({
        "package.json": JSON.stringify({ module: "dist/worker.mjs", main: "dist/worker.cjs" }),
        "dist/worker.mjs": worker,
        "dist/worker.cjs": worker,
        "index.js": worker
      })
      assert.strictEqual((yield* configFor(byModule, inputs)).main, NodePath.join(byModule, "dist/worker.mjs"))

      const byMain = yield* sourceFolder({
        "package.json": JSON.stringify({ name: "api", main: "lib/main.js" }),
        "lib/main.js": worker,
        "index.js": worker
      })
      assert.strictEqual((yield* configFor(byMain, inputs)).main, NodePath.join(byMain, "lib/main.js"))

      const typescript = yield* sourceFolder({ "src/index.ts": worker, "index.js": worker })
      assert.strictEqual((yield* configFor(typescript, inputs)).main, NodePath.join(typescript, "src/index.ts"))

      // A source that names a file is its own entry.
      const file = NodePath.join(typescript, "index.js")
      const inspected = yield* WorkerConfig.inspectSource(file)
      assert.deepStrictEqual(inspected, { folder: typescript, entry: file })
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("wrangler.jsonc (comments, trailing commas): its fields kept, paths absolute, KDL wins by name", () =>
    Effect.gen(function* () {
      const folder = yield* sourceFolder({ "wrangler.jsonc": jsonc, "src/worker.js": worker, "public/a.html": "a" })
      const config = yield* configFor(folder, kdlWorker, new Map([["cache", cacheId]]))
      assert.deepStrictEqual(config, merged(folder))
      assert.notProperty(config, "account_id")
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("wrangler.toml: the same merge", () =>
    Effect.gen(function* () {
      const folder = yield* sourceFolder({ "wrangler.toml": toml, "src/worker.js": worker })
      const config = yield* configFor(folder, kdlWorker, new Map([["cache", cacheId]]))
      // smol-toml may build its tables differently from JSON objects: compare as JSON.
      assert.deepStrictEqual(JSON.parse(JSON.stringify(config)), merged(folder))
      assert.notProperty(config, "account_id")
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("the folder's compatibility date is used when KDL gives none", () =>
    Effect.gen(function* () {
      const folder = yield* sourceFolder({ "wrangler.jsonc": jsonc, "src/worker.js": worker })
      const config = yield* configFor(
        folder,
        { name: "api", source: ".", bindings: [{ type: "kv", name: "CACHE", namespace: "cache" }] },
        new Map([["cache", cacheId]])
      )
      assert.strictEqual(config.compatibility_date, "2024-01-01")
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("a broken wrangler.json is an error naming the file", () =>
    Effect.gen(function* () {
      const folder = yield* sourceFolder({ "wrangler.json": '{ "name": "api", "main": ', "index.js": worker })
      const error = yield* sourceError(WorkerConfig.inspectSource(folder))
      assert.strictEqual(error._tag, "WorkerSourceError")
      assert.include(error.message, NodePath.join(folder, "wrangler.json"))
      assert.include(error.message, "cannot be read")
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("no entry point: the error lists what was looked for", () =>
    Effect.gen(function* () {
      const folder = yield* sourceFolder({ "README.md": "# no worker here\n" })
      const error = yield* sourceError(WorkerConfig.inspectSource(folder))
      assert.include(error.message, folder)
      assert.include(error.message, "no entry point")
      for (const name of ["wrangler.json", "wrangler.toml", "src/index.ts", "index.js", "worker.js"]) {
        assert.include(error.hint ?? "", name)
      }
      const missing = yield* sourceError(WorkerConfig.inspectSource(NodePath.join(folder, "nowhere")))
      assert.include(missing.message, "does not exist")
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("no compatibility date anywhere: the hint names compatibility-date", () =>
    Effect.gen(function* () {
      const folder = yield* sourceFolder({ "index.js": worker })
      const error = yield* sourceError(configFor(folder, { name: "api", source: "." }))
      assert.include(error.message, `"api"`)
      assert.include(error.message, "compatibility date")
      assert.include(error.hint ?? "", "compatibility-date")
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("a KV binding naming a namespace the account lacks is an error naming it", () =>
    Effect.gen(function* () {
      const folder = yield* sourceFolder({ "index.js": worker })
      const error = yield* sourceError(
        configFor(
          folder,
          {
            name: "api",
            source: ".",
            compatibilityDate: "2025-01-01",
            bindings: [{ type: "kv", name: "SESSIONS", namespace: "sessions" }]
          },
          new Map([["cache", cacheId]])
        )
      )
      assert.include(error.message, `"sessions"`)
      assert.include(error.message, "SESSIONS")
      assert.include(error.hint ?? "", "sessions")
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it("a 32-hex KV namespace ID is recognised as an ID, a title is not", () => {
    assert.isTrue(WorkerConfig.looksLikeNamespaceId(sessionsId))
    assert.isTrue(WorkerConfig.looksLikeNamespaceId(sessionsId.toUpperCase()))
    assert.isFalse(WorkerConfig.looksLikeNamespaceId("cache"))
    assert.isFalse(WorkerConfig.looksLikeNamespaceId(`${sessionsId}0`))
  })
})

const scopeIn = (directory: string) => ({ project: "shop", stage: "dev", directory })

const stored = (type: ResourceType, name: string, inputs: StoredResource["inputs"]): StoredResource =>
  storedResource(type, name, { inputs, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" })

const request = (
  directory: string,
  type: ResourceType,
  name: string,
  inputs: ApplyRequest["inputs"],
  operation: ApplyRequest["operation"] = "create"
): ApplyRequest => ({ ...scopeIn(directory), operation, key: makeKey(type, name), type, name, inputs })

const inspect = (store: Simulator.CloudflareStore) => Simulator.inspect(store).pipe(Effect.orDie)
const requests = (store: Simulator.CloudflareStore) => Simulator.requests(store).pipe(Effect.orDie)

/** `METHOD path` with account and zone IDs replaced by `{id}`. */
const shown = (entries: ReadonlyArray<Simulator.RequestEntry>) =>
  entries.map((entry) => `${entry.method} ${entry.path.replace(/[0-9a-f]{32}/g, "{id}")}`)

/** A wrangler that deploys nothing: it keeps each configuration it is given in `written`. */
const standInWrangler = (
  fs: FileSystem.FileSystem,
  written: Array<Record<string, unknown>>
): Wrangler.WranglerService => ({
  run: () => Effect.die("not used"),
  deploy: (spec) =>
    Effect.map(Effect.orDie(fs.readFileString(spec.configPath)), (text) => {
      written.push(JSON.parse(text))
      return { versionId: `v-${written.length}`, urls: [`https://${spec.name}.fleet.workers.dev`] }
    }),
  deleteWorker: () => Effect.die("not used"),
  createPagesProject: () => Effect.die("not used"),
  deployPages: () => Effect.die("not used"),
  deletePagesProject: () => Effect.die("not used"),
  whoami: Effect.die("not used"),
  check: Effect.void
})

/** The provider over the simulator in process (its HTTP client as `client` makes it) and the stand-in wrangler. */
const withStandIn = (client: Layer.Layer<HttpClient.HttpClient>, written: Array<Record<string, unknown>>) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    Effect.provide(
      CloudProvider,
      CloudflareProvider.layerWithWrangler({ accountId: account, token: Redacted.make(canary) }).pipe(
        Layer.provide(Layer.mergeAll(client, Layer.succeed(Wrangler.Wrangler, standInWrangler(fs, written))))
      )
    )
  )

/** `simulator`'s client, where each request `arrival` names waits at `latch` until all of them have arrived. */
const meetingAt = (
  simulator: Layer.Layer<HttpClient.HttpClient>,
  latch: Meeting,
  arrival: (request: HttpClientRequest.HttpClientRequest) => string | undefined
) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(
      HttpClient.HttpClient,
      HttpClient.tapRequest((request) => {
        const name = arrival(request)
        return name === undefined ? Effect.void : latch.arrive(name)
      })
    )
  ).pipe(Layer.provide(simulator))

describe("WorkerConfig inside the provider, with a stand-in wrangler", () => {
  it.scoped("a 32-hex KV ID is deployed as is, without listing the account's namespaces", () =>
    Effect.gen(function* () {
      const store = yield* Simulator.memoryStore()
      const directory = yield* sourceFolder({ "worker/index.js": worker })
      const written: Array<Record<string, unknown>> = []
      const service = yield* withStandIn(
        Simulator.layerClient(store, { token: canary, kvNamespaces: ["cache"] }),
        written
      )
      const inputs = {
        name: "api",
        source: "worker",
        compatibilityDate: "2025-01-01",
        bindings: [{ type: "kv", name: "SESSIONS", namespace: sessionsId }]
      }
      const observed = yield* service.apply(request(directory, "worker", "api", inputs))
      assert.strictEqual(observed.id, "api")
      assert.strictEqual(observed.attributes.url, "https://api.fleet.workers.dev")
      assert.strictEqual(observed.attributes.versionId, "v-1")
      assert.deepStrictEqual(written[0]?.kv_namespaces, [{ binding: "SESSIONS", id: sessionsId }])
      assert.strictEqual(written[0]?.main, NodePath.join(directory, "worker", "index.js"))
      const namespaceLists = (entries: ReadonlyArray<string>) => entries.filter((entry) => entry.includes("/kv/"))
      assert.deepStrictEqual(namespaceLists(shown(yield* requests(store))), [])

      // A title beside an ID: one list of the namespaces, the ID still as given.
      yield* service.apply(
        request(directory, "worker", "api", {
          ...inputs,
          bindings: [...inputs.bindings, { type: "kv", name: "CACHE", namespace: "cache" }]
        })
      )
      assert.deepStrictEqual(written[1]?.kv_namespaces, [
        { binding: "SESSIONS", id: sessionsId },
        { binding: "CACHE", id: cacheId }
      ])
      assert.deepStrictEqual(namespaceLists(shown(yield* requests(store))), [
        "GET /accounts/{id}/storage/kv/namespaces"
      ])
    }).pipe(Effect.provide(NodeContext.layer), Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
  )

  it.scopedLive("a deploy's reads (the bound bucket, the route's zones, the KV namespaces) go out together", () =>
    Effect.gen(function* () {
      const store = yield* Simulator.memoryStore()
      const directory = yield* sourceFolder({ "worker/index.js": worker })
      // The route names no zone: api.example.com and example.com are both asked for.
      const latch = yield* meeting(["bucket", "kv", "zone api.example.com", "zone example.com"])
      const arrival = (request: HttpClientRequest.HttpClientRequest): string | undefined => {
        if (request.method !== "GET") return undefined
        if (request.url.endsWith("/r2/buckets/fleet-assets")) return "bucket"
        if (request.url.endsWith("/storage/kv/namespaces")) return "kv"
        const zone = UrlParams.getFirst(request.urlParams, "name")
        return request.url.endsWith("/zones") && Option.isSome(zone) ? `zone ${zone.value}` : undefined
      }
      const simulator = Simulator.layerClient(store, { token: canary, kvNamespaces: ["cache"], zones: ["example.com"] })
      const client = meetingAt(simulator, latch, arrival)
      const written: Array<Record<string, unknown>> = []
      const service = yield* withStandIn(client, written)
      yield* service.apply(request(directory, "r2", "fleet-assets", { name: "fleet-assets" }))
      const inputs = { ...workerInputs("hello"), routes: [{ pattern: "api.example.com/*" }] }
      const observed = yield* together(service.apply(request(directory, "worker", "fleet-api", inputs)), latch)
      assert.strictEqual(observed.attributes.url, "https://fleet-api.fleet.workers.dev")
      assert.deepStrictEqual(written[0]?.kv_namespaces, [{ binding: "CACHE", id: cacheId }])
    }).pipe(Effect.provide(NodeContext.layer), Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
  )

  it.scopedLive("a worker two checks refuse is refused for its bucket, even when the route's zone answers first", () =>
    Effect.gen(function* () {
      const store = yield* Simulator.memoryStore()
      const directory = yield* sourceFolder({ "worker/index.js": worker })
      // The bucket's answer comes last.
      const client = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(
          HttpClient.HttpClient,
          HttpClient.tapRequest((request) =>
            request.url.endsWith("/r2/buckets/fleet-assets") ? Effect.sleep("200 millis") : Effect.void
          )
        )
      ).pipe(Layer.provide(Simulator.layerClient(store, { token: canary, kvNamespaces: ["cache"] })))
      const service = yield* withStandIn(client, [])
      const inputs = { ...workerInputs("hello"), routes: [{ pattern: "api.nowhere.dev/*" }] }
      const error = yield* failureOf(service.apply(request(directory, "worker", "fleet-api", inputs)), "a refusal")
      assert.include(error.message, 'the R2 bucket "fleet-assets", which the account does not have')
    }).pipe(Effect.provide(NodeContext.layer), Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
  )
})

describe("the Cloudflare provider's refresh", () => {
  it.scopedLive(
    "a refresh of what the state records takes one round trip: each resource's own reads go beside the lists that say it exists",
    () =>
      Effect.gen(function* () {
        const store = yield* Simulator.memoryStore()
        const directory = yield* sourceFolder({ "worker/index.js": worker })
        const reads = ["zone", "records", "buckets", "cors", "scripts", "routes", "settings", "subdomain", "kv"]
        const latch = yield* meeting(reads)
        const arrival = (request: HttpClientRequest.HttpClientRequest): string | undefined => {
          if (request.method !== "GET") return undefined
          const path = new URL(request.url).pathname
          const ends: ReadonlyArray<readonly [string, string]> = [
            ["/zones", "zone"],
            ["/dns_records", "records"],
            ["/r2/buckets", "buckets"],
            ["/cors", "cors"],
            ["/workers/scripts", "scripts"],
            ["/routes", "routes"],
            ["/settings", "settings"],
            ["/subdomain", "subdomain"],
            ["/storage/kv/namespaces", "kv"]
          ]
          return ends.find(([end]) => path.endsWith(end))?.[1]
        }
        const simulator = Simulator.layerClient(store, {
          token: canary,
          kvNamespaces: ["cache"],
          zones: ["example.com"]
        })
        const client = meetingAt(simulator, latch, arrival)
        // Made through wrangler in process, so that the Worker is one the account holds.
        const inProcess = (http: Layer.Layer<HttpClient.HttpClient>) =>
          Effect.provide(
            CloudProvider,
            CloudflareProvider.layerWithWrangler({ accountId: account, token: Redacted.make(canary) }).pipe(
              Layer.provide(
                Layer.mergeAll(
                  http,
                  InProcessWrangler.layer({ token: canary, accountId: account }).pipe(Layer.provide(http))
                )
              )
            )
          )
        const service = yield* inProcess(simulator)
        const made = new Map<string, StoredResource>()
        const make = (type: ResourceType, name: string, inputs: ApplyRequest["inputs"]) =>
          Effect.map(service.apply(request(directory, type, name, inputs)), ({ id, attributes }) => {
            made.set(makeKey(type, name), storedResource(type, name, { id, attributes, inputs }))
          })
        yield* make("r2", "fleet-assets", {
          name: "fleet-assets",
          cors: { allowedOrigins: ["https://example.com"], allowedMethods: ["GET"] }
        })
        yield* make("dns", "www.example.com/A", {
          zone: "example.com",
          name: "www",
          type: "A",
          content: "192.0.2.1",
          proxied: false,
          ttl: 1
        })
        yield* make("worker", "fleet-api", { ...workerInputs("hello"), workersDev: true })
        // A later plan: another process, which has looked nothing up yet.
        const planning = yield* inProcess(client)
        const observed = yield* together(planning.getState(scopeIn(directory), made, undefined), latch)
        assert.sameMembers([...observed.keys()], [...made.keys()], "each recorded resource is found")
        const bucket = observed.get(makeKey("r2", "fleet-assets"))!
        assert.deepStrictEqual((bucket.inputs?.cors as { allowedOrigins?: unknown })?.allowedOrigins, [
          "https://example.com"
        ])
        const api = observed.get(makeKey("worker", "fleet-api"))!
        assert.deepStrictEqual(api.inputs?.routes, [{ pattern: "api.example.com/*", zone: "example.com" }])
        assert.strictEqual(api.inputs?.workersDev, true)
        assert.strictEqual(api.inputs?.compatibilityDate, "2025-01-01")
      }).pipe(Effect.provide(NodeContext.layer), Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
  )
})

const filesUnder = (root: string): ReadonlyArray<string> =>
  NodeFs.existsSync(root)
    ? NodeFs.readdirSync(root, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? filesUnder(NodePath.join(root, entry.name)) : [NodePath.join(root, entry.name)]
      )
    : []

interface World {
  readonly store: Simulator.CloudflareStore
  readonly baseUrl: string
  readonly service: CloudProviderService
  /** Holds `worker/` and `site/`; what `request.directory` points at. */
  readonly directory: string
  readonly logDirectory: string
}

/**
 * The simulator served on 127.0.0.1, a folder with the worker's source and a site, and the
 * provider with the real wrangler pointed at the simulator.
 */
const world = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const store = yield* Simulator.memoryStore()
  const baseUrl = yield* Simulator.serve(store, { token: canary, kvNamespaces: ["cache"], zones: ["example.com"] })
  const directory = yield* fs.makeTempDirectoryScoped({ prefix: "fleetflow-workers-test-" })
  const logDirectory = yield* fs.makeTempDirectoryScoped({ prefix: "fleetflow-workers-logs-" })
  yield* Effect.sync(() => NodeFs.cpSync(fixtures, directory, { recursive: true }))
  const token = Redacted.make(canary)
  const service = yield* Effect.provide(
    CloudProvider,
    CloudflareProvider.layerWithWrangler({ accountId: account, token, baseUrl }).pipe(
      Layer.provide(
        Layer.mergeAll(
          FetchHttpClient.layer,
          Wrangler.layer({ binary: wranglerBin, baseUrl, token, accountId: account, logDirectory })
        )
      ),
      Layer.provide(NodeContext.layer)
    )
  )
  return { store, baseUrl, service, directory, logDirectory } satisfies World
}).pipe(Effect.orDie, Effect.provide(NodeContext.layer), Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))

/** The canary token in none of `texts` and in no file wrangler logged. */
const assertNoCanary = (world: World, texts: ReadonlyArray<string>) => {
  for (const text of texts) assert.notInclude(text, canary)
  const logs = filesUnder(world.logDirectory)
  assert.isAbove(logs.length, 0, "wrangler wrote no log to the log directory")
  for (const file of logs) assert.notInclude(NodeFs.readFileSync(file, "utf8"), canary, file)
}

/** A call to the simulator's REST API from outside FleetFlow. */
const outside = (world: World, method: string, path: string, body?: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(`${world.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${canary}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    assert.isTrue(response.ok, `${method} ${path}: ${response.status} ${await response.text()}`)
  })

const workerInputs = (greeting: string) => ({
  name: "fleet-api",
  source: "worker",
  compatibilityDate: "2025-01-01",
  routes: [{ pattern: "api.example.com/*", zone: "example.com" }],
  bindings: [
    { type: "r2", name: "FILES", bucket: "fleet-assets" },
    { type: "kv", name: "CACHE", namespace: "cache" },
    { type: "var", name: "GREETING", value: greeting }
  ]
})

const byName = <A extends { readonly name: string }>(items: ReadonlyArray<A>) =>
  [...items].sort((a, b) => a.name.localeCompare(b.name))

const timeout = 120_000

describe("the Cloudflare provider with the real wrangler: Workers", () => {
  it.scopedLive(
    "create with r2, kv, var and a route; update; a missing bucket is refused; destroy, twice",
    () =>
      Effect.gen(function* () {
        const w = yield* world
        const { service, store, directory } = w
        const texts: Array<string> = []
        yield* service.apply(request(directory, "r2", "fleet-assets", { name: "fleet-assets" }))

        const created = yield* service.apply(request(directory, "worker", "fleet-api", workerInputs("hello")))
        texts.push(JSON.stringify(created))
        assert.strictEqual(created.id, "fleet-api")
        assert.strictEqual(created.attributes.name, "fleet-api")
        const made = yield* inspect(store)
        assert.deepStrictEqual(
          made.workers.map((item) => item.name),
          ["fleet-api"]
        )
        const live = made.workers[0]!
        assert.strictEqual(live.compatibilityDate, "2025-01-01")
        assert.deepStrictEqual(byName(live.bindings), [
          { name: "CACHE", type: "kv_namespace", namespace_id: cacheId },
          { name: "FILES", type: "r2_bucket", bucket_name: "fleet-assets" },
          { name: "GREETING", type: "plain_text", text: "hello" }
        ])
        const routesOf = (contents: Simulator.AccountContents) =>
          contents.routes
            .filter((route) => route.script === "fleet-api")
            .map((route) => ({ pattern: route.pattern, zoneId: route.zoneId }))
        assert.deepStrictEqual(routesOf(made), [
          { pattern: "api.example.com/*", zoneId: Simulator.zoneId(account, "example.com") }
        ])

        // An update with another value: the live version has it, and there is still one worker.
        const updated = yield* service.apply({
          ...request(directory, "worker", "fleet-api", workerInputs("bonjour"), "update"),
          current: { ...stored("worker", "fleet-api", workerInputs("hello")), attributes: created.attributes }
        })
        assert.strictEqual(updated.id, "fleet-api")
        const after = yield* inspect(store)
        assert.strictEqual(after.workers.length, 1)
        assert.deepStrictEqual(
          after.workers[0]!.bindings.find((binding) => binding.name === "GREETING"),
          { name: "GREETING", type: "plain_text", text: "bonjour" }
        )
        assert.strictEqual(after.workers[0]!.bindings.length, 3)
        assert.deepStrictEqual(routesOf(after), routesOf(made))

        // wrangler would create a bucket a binding names; FleetFlow refuses before it runs.
        const bucketPosts = (entries: ReadonlyArray<Simulator.RequestEntry>) =>
          entries.filter((entry) => entry.method === "POST" && entry.path.endsWith("/r2/buckets")).length
        const postsBefore = bucketPosts(yield* requests(store))
        const missing = yield* Effect.flip(
          service.apply(
            request(directory, "worker", "fleet-other", {
              ...workerInputs("hello"),
              name: "fleet-other",
              routes: [],
              bindings: [{ type: "r2", name: "FILES", bucket: "no-such-bucket" }]
            })
          )
        )
        texts.push(missing.message, missing.hint ?? "", JSON.stringify(missing))
        assert.instanceOf(missing, ProviderError)
        assert.strictEqual(missing.reason, "invalid")
        assert.include(missing.message, `"no-such-bucket"`)
        const refused = yield* inspect(store)
        assert.deepStrictEqual(
          refused.buckets.map((bucket) => bucket.name),
          ["fleet-assets"]
        )
        assert.deepStrictEqual(
          refused.workers.map((item) => item.name),
          ["fleet-api"]
        )
        assert.strictEqual(bucketPosts(yield* requests(store)), postsBefore)

        // wrangler itself fails: a route in a zone the account does not have.
        const noZone = yield* Effect.flip(
          service.apply(
            request(directory, "worker", "fleet-other", {
              ...workerInputs("hello"),
              name: "fleet-other",
              routes: [{ pattern: "api.example.net/*", zone: "example.net" }],
              bindings: []
            })
          )
        )
        texts.push(noZone.message, noZone.hint ?? "", JSON.stringify(noZone))
        assert.instanceOf(noZone, ProviderError)
        assert.include(noZone.message, "example.net")
        assert.notInclude(noZone.message, "\u001b")
        // Refused before wrangler uploads anything: no worker is left behind outside the state.
        assert.strictEqual(noZone.reason, "invalid")
        assert.deepStrictEqual(
          (yield* inspect(store)).workers.map((item) => item.name),
          ["fleet-api"]
        )

        // Routes removed from the file are removed from the worker (wrangler alone leaves them).
        yield* service.apply({
          ...request(directory, "worker", "fleet-api", { ...workerInputs("bonjour"), routes: [] }, "update"),
          current: { ...stored("worker", "fleet-api", workerInputs("bonjour")), attributes: updated.attributes }
        })
        assert.deepStrictEqual(routesOf(yield* inspect(store)), [])

        // Destroy removes the worker and its routes; a second destroy finds it gone and succeeds.
        const key = makeKey("worker", "fleet-api")
        const resource = stored("worker", "fleet-api", workerInputs("bonjour"))
        yield* service.destroy(scopeIn(directory), key, resource)
        const gone = yield* inspect(store)
        assert.deepStrictEqual(
          gone.workers.map((item) => item.name).filter((name) => name === "fleet-api"),
          []
        )
        assert.deepStrictEqual(routesOf(gone), [])
        yield* service.destroy(scopeIn(directory), key, resource)

        assertNoCanary(w, texts)
      }),
    timeout
  )

  it.scopedLive(
    "getState lists workers and Pages projects once each, and misses what was deleted outside FleetFlow",
    () =>
      Effect.gen(function* () {
        const w = yield* world
        const { service, store, directory } = w
        const inputs = { name: "fleet-api", source: "worker", compatibilityDate: "2025-01-01" }
        const deployed = yield* service.apply(request(directory, "worker", "fleet-api", inputs))
        yield* outside(w, "POST", `/accounts/${account}/pages/projects`, {
          name: "fleet-site",
          production_branch: "main"
        })
        const workerKey = makeKey("worker", "fleet-api")
        const pagesKey = makeKey("pages", "fleet-site")
        const pagesInputs = { name: "fleet-site", directory: "site", productionBranch: "main" }
        const resources = new Map<string, StoredResource>([
          [workerKey, { ...stored("worker", "fleet-api", inputs), attributes: deployed.attributes }],
          [makeKey("worker", "ghost-1"), stored("worker", "ghost-1", { ...inputs, name: "ghost-1" })],
          [makeKey("worker", "ghost-2"), stored("worker", "ghost-2", { ...inputs, name: "ghost-2" })],
          [pagesKey, stored("pages", "fleet-site", pagesInputs)],
          [makeKey("pages", "ghost-site"), stored("pages", "ghost-site", { ...pagesInputs, name: "ghost-site" })],
          [makeKey("pages", "ghost-blog"), stored("pages", "ghost-blog", { ...pagesInputs, name: "ghost-blog" })]
        ])
        const lists = ["GET /accounts/{id}/pages/projects", "GET /accounts/{id}/workers/scripts"]

        const before = (yield* requests(store)).length
        const found = yield* service.getState(scopeIn(directory), resources)
        assert.deepStrictEqual([...found.keys()].sort(), [pagesKey, workerKey].sort())
        assert.strictEqual(found.get(workerKey)?.id, "fleet-api")
        assert.deepStrictEqual(found.get(workerKey)?.attributes, deployed.attributes)
        assert.strictEqual(found.get(pagesKey)?.id, "fleet-site")
        assert.strictEqual(found.get(pagesKey)?.attributes.subdomain, "fleet-site.pages.dev")
        assert.strictEqual(found.get(pagesKey)?.attributes.url, "https://fleet-site.pages.dev")
        assert.deepStrictEqual(shown((yield* requests(store)).slice(before)).sort(), lists)

        yield* outside(w, "DELETE", `/accounts/${account}/workers/scripts/fleet-api`)
        yield* outside(w, "DELETE", `/accounts/${account}/pages/projects/fleet-site`)
        const middle = (yield* requests(store)).length
        const missing = yield* service.getState(scopeIn(directory), resources)
        assert.strictEqual(missing.size, 0)
        assert.deepStrictEqual(shown((yield* requests(store)).slice(middle)).sort(), lists)

        assertNoCanary(w, [JSON.stringify([...found])])
      }),
    timeout
  )
})

describe("the Cloudflare provider with the real wrangler: Pages", () => {
  it.scopedLive(
    "create deploys the site; a create that finds the project adopts it and deploys again; destroy, twice",
    () =>
      Effect.gen(function* () {
        const w = yield* world
        const { service, store, directory } = w
        const inputs = { name: "fleet-site", directory: "site", productionBranch: "main" }
        const created = yield* service.apply(request(directory, "pages", "fleet-site", inputs))
        assert.strictEqual(created.id, "fleet-site")
        assert.strictEqual(created.attributes.subdomain, "fleet-site.pages.dev")
        assert.strictEqual(created.attributes.url, "https://fleet-site.pages.dev")
        assert.strictEqual(created.attributes.environment, "production")
        assert.isString(created.attributes.deploymentId)
        assert.include(String(created.attributes.deploymentUrl), "fleet-site.pages.dev")
        const made = yield* inspect(store)
        assert.deepStrictEqual(
          made.pages.map((project) => [project.name, project.productionBranch, project.deployments.length]),
          [["fleet-site", "main", 1]]
        )
        assert.strictEqual(made.pages[0]!.deployments[0]!.environment, "production")
        assert.strictEqual(made.pages[0]!.deployments[0]!.id, created.attributes.deploymentId)

        // The project is already there (an earlier attempt made it): adopted, and deployed once more.
        const again = yield* service.apply(request(directory, "pages", "fleet-site", inputs))
        assert.strictEqual(again.id, "fleet-site")
        assert.notStrictEqual(again.attributes.deploymentId, created.attributes.deploymentId)
        const adopted = yield* inspect(store)
        assert.strictEqual(adopted.pages.length, 1)
        assert.strictEqual(adopted.pages[0]!.deployments.length, 2)

        const key = makeKey("pages", "fleet-site")
        const resource = stored("pages", "fleet-site", inputs)
        yield* service.destroy(scopeIn(directory), key, resource)
        assert.deepStrictEqual((yield* inspect(store)).pages, [])
        yield* service.destroy(scopeIn(directory), key, resource)

        assertNoCanary(w, [JSON.stringify(created), JSON.stringify(again)])
      }),
    timeout
  )
})
