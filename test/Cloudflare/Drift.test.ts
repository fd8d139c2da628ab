/**
 * Drift, for every field FleetFlow manages on a Cloudflare resource: the real providers over the
 * simulators (Workers and Pages deployed by wrangler's calls made in process), the change made
 * outside FleetFlow as an operator would make it (a call to the simulator's REST API), then the
 * engine: the refreshed plan names the field and has changes, `up` puts the file's value back
 * (asserted in the simulator), and the next plan has none. A field of a model's inputs that
 * Cloudflare holds and that has no case here fails the suite.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import * as NodePath from "node:path"
import * as Model from "../../src/Cloudflare/Model.js"
import * as Simulator from "../../src/Cloudflare/Simulator.js"
import * as Fleet from "../../src/Fleet.js"
import * as Plan from "../../src/Plan.js"
import { CloudProvider } from "../../src/Provider.js"
import { type DesiredResource, reference } from "../../src/Resource.js"
import * as CloudflareApi from "../../src/Sandbox/CloudflareApi.js"
import * as Providers from "../../src/Sandbox/Providers.js"
import * as SandboxStore from "../../src/Sandbox/Store.js"
import * as SakuraSimulator from "../../src/Sakura/Simulator.js"
import * as State from "../../src/State.js"
import { config, disk, fastRetry, resource, runOptions, server } from "../support/Desired.js"

const zone = "example.com"
const account = CloudflareApi.accountId
const options: Simulator.SimulatorOptions = { token: CloudflareApi.token, zones: [zone], kvNamespaces: ["cache"] }

type Type = keyof Model.Declared
type Contents = Simulator.AccountContents

/** The inputs Schema of each type, whose fields the cases must cover. */
const inputsOf: { readonly [T in Type]: { readonly fields: Schema.Struct.Fields } } = {
  r2: Model.BucketInputs,
  "r2-domain": Model.BucketDomainInputs,
  dns: Model.DnsRecordInputs,
  worker: Model.WorkerInputs,
  pages: Model.PagesInputs
}

// The world ---------------------------------------------------------------------------------

/** The fake clouds, as the sandbox composes them, with the Cloudflare account at hand; and a folder for sources. */
const world = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const cloudflare = yield* Simulator.memoryStore()
  yield* Simulator.prepare(cloudflare, options).pipe(Effect.orDie)
  const provider = yield* Providers.make({
    usacloud: yield* SakuraSimulator.memoryStore(),
    cloudflare,
    wrangler: yield* CloudflareApi.inProcessWrangler(cloudflare, fs),
    fs,
    faults: { store: yield* SandboxStore.memory(), faults: Effect.succeed([]), record: () => Effect.void }
  })
  const directory = yield* fs.makeTempDirectoryScoped({ prefix: "fleetflow-drift-" })
  yield* fs.makeDirectory(NodePath.join(directory, "site"))
  yield* fs.writeFileString(NodePath.join(directory, "site", "index.html"), "<h1>drift</h1>\n")
  yield* fs.writeFileString(
    NodePath.join(directory, "worker.js"),
    'export default { fetch() { return new Response("hi") } }\n'
  )
  return {
    cloudflare,
    directory,
    layer: Layer.merge(Layer.succeed(CloudProvider, provider), State.layerMemory())
  }
}).pipe(Effect.orDie)

const inspect = (store: Simulator.CloudflareStore) => Simulator.inspect(store).pipe(Effect.orDie)

/** A call made outside FleetFlow, through the simulator's REST API, as an operator would. */
const outside = (
  store: Simulator.CloudflareStore,
  method: string,
  path: string,
  body?: unknown,
  headers: Readonly<Record<string, string>> = {}
) =>
  Effect.gen(function* () {
    const response = yield* Simulator.handle(
      {
        method,
        url: `/client/v4${path}`,
        headers: {
          authorization: `Bearer ${CloudflareApi.token}`,
          "content-type": "application/json",
          ...headers
        },
        body: typeof body === "string" || body === undefined ? body : JSON.stringify(body)
      },
      store,
      options
    ).pipe(Effect.orDie)
    assert.isTrue(response.status < 300, `${method} ${path}: ${response.status} ${response.body}`)
  })

/** `PATCH …/scripts/{name}/settings`, the multipart body with its `settings` part. */
const patchWorkerSettings = (store: Simulator.CloudflareStore, name: string, settings: Record<string, unknown>) => {
  const boundary = "fleetflow-drift"
  const body = [
    `--${boundary}\r\nContent-Disposition: form-data; name="settings"\r\nContent-Type: application/json\r\n\r\n`,
    `${JSON.stringify(settings)}\r\n--${boundary}--\r\n`
  ].join("")
  return outside(store, "PATCH", `/accounts/${account}/workers/scripts/${name}/settings`, body, {
    "content-type": `multipart/form-data; boundary=${boundary}`
  })
}

// The file ----------------------------------------------------------------------------------

const cors = {
  allowedOrigins: ["https://shop.example.com"],
  allowedMethods: ["GET"],
  allowedHeaders: [],
  exposeHeaders: []
}
const bucket = resource("r2", "drift-assets", {
  name: "drift-assets",
  location: "APAC",
  storageClass: "Standard",
  cors
})
const euBucket = resource("r2", "drift-eu", { name: "drift-eu", jurisdiction: "eu" })
const plainBucket = resource("r2", "drift-files", { name: "drift-files" })
const domain = resource(
  "r2-domain",
  "cdn.example.com",
  { bucket: "drift-files", domain: "cdn.example.com", zone, minTls: "1.2" },
  [plainBucket.key]
)
const record = resource("dns", "api.example.com/A", {
  zone,
  name: "api",
  type: "A",
  content: "203.0.113.10",
  proxied: false,
  ttl: 300
})
const mx = resource("dns", "example.com/MX", {
  zone,
  name: "@",
  type: "MX",
  content: "mail.example.com",
  proxied: false,
  ttl: 1,
  priority: 10
})
const worker = resource(
  "worker",
  "drift-api",
  {
    name: "drift-api",
    source: "worker.js",
    sourceHash: "drift",
    routes: [{ pattern: "api.example.com/*", zone }],
    compatibilityDate: "2025-01-01",
    compatibilityFlags: ["nodejs_compat"],
    workersDev: false,
    bindings: [
      { type: "r2", name: "FILES", bucket: "drift-files" },
      { type: "kv", name: "CACHE", namespace: "cache" },
      { type: "var", name: "GREETING", value: "hello" }
    ]
  },
  [plainBucket.key]
)
const pages = resource("pages", "drift-site", {
  name: "drift-site",
  directory: "site",
  directoryHash: "drift",
  productionBranch: "main"
})

// The cases ---------------------------------------------------------------------------------

interface Case {
  readonly type: Type
  readonly field: string
  /** What it is about, when a field has more than one case. */
  readonly variant?: string
  /** The file; the resource the case is about is the first. */
  readonly desired: ReadonlyArray<DesiredResource>
  /** What the operator does. */
  readonly change: (store: Simulator.CloudflareStore, contents: Contents) => Effect.Effect<void>
  /**
   * How the refresh reports it: the field changed, or (a field the resource is found by: a
   * bucket's name, a record's zone) the resource gone.
   */
  readonly drift: "changed" | "deleted"
  /** The simulator holds the file's value again (`before`: what it held before the change). */
  readonly holds: (contents: Contents, before: Contents) => void
}

const bucketPath = (name: string) => `/accounts/${account}/r2/buckets/${name}`
const bucketOf = (contents: Contents, name: string) => contents.buckets.find((item) => item.name === name)
const assetsBucket = (contents: Contents) => bucketOf(contents, "drift-assets")
const domainOf = (contents: Contents) =>
  bucketOf(contents, "drift-files")?.domains.find((item) => item.domain === "cdn.example.com")
const recordOf = (contents: Contents, name: string, type: string) => {
  const found = contents.records.find((item) => item.name === name && item.type === type)
  assert.isDefined(found, `${type} ${name}`)
  return found!
}
const recordPath = (contents: Contents, name: string, type: string) => {
  const found = recordOf(contents, name, type)
  return `/zones/${found.zoneId}/dns_records/${found.id}`
}
const liveWorker = (contents: Contents) => contents.workers.find((item) => item.name === "drift-api")
const sitesProject = (contents: Contents) => contents.pages.find((item) => item.name === "drift-site")

const removeBucket = (store: Simulator.CloudflareStore) => outside(store, "DELETE", bucketPath("drift-assets"))
const removeDomain = (store: Simulator.CloudflareStore) =>
  outside(store, "DELETE", `${bucketPath("drift-files")}/domains/custom/cdn.example.com`)
const domainHolds = (contents: Contents) => assert.isDefined(domainOf(contents))

const bucketCases: ReadonlyArray<Case> = [
  {
    type: "r2",
    field: "location",
    desired: [bucket],
    // A bucket cannot move: it was deleted and made again elsewhere.
    change: (store) =>
      Effect.zipRight(
        removeBucket(store),
        outside(store, "POST", `/accounts/${account}/r2/buckets`, { name: "drift-assets", locationHint: "weur" })
      ),
    drift: "changed",
    holds: (contents) => assert.strictEqual(assetsBucket(contents)?.location, "APAC")
  },
  {
    type: "r2",
    field: "storageClass",
    desired: [bucket],
    change: (store) =>
      outside(store, "PATCH", bucketPath("drift-assets"), undefined, { "cf-r2-storage-class": "InfrequentAccess" }),
    drift: "changed",
    holds: (contents) => assert.strictEqual(assetsBucket(contents)?.storageClass, "Standard")
  },
  {
    type: "r2",
    field: "cors",
    desired: [bucket],
    change: (store) =>
      outside(store, "PUT", `${bucketPath("drift-assets")}/cors`, {
        rules: [{ allowed: { origins: ["*"], methods: ["GET", "PUT"] } }]
      }),
    drift: "changed",
    holds: (contents) =>
      assert.deepStrictEqual(assetsBucket(contents)?.cors?.[0]?.allowed.origins, ["https://shop.example.com"])
  },
  {
    type: "r2",
    field: "name",
    desired: [bucket],
    change: removeBucket,
    drift: "deleted",
    holds: (contents) => assert.isDefined(assetsBucket(contents))
  },
  {
    type: "r2",
    field: "jurisdiction",
    desired: [euBucket],
    // The bucket of that name in the EU is gone; one in the default jurisdiction is another bucket.
    change: (store) =>
      Effect.zipRight(
        outside(store, "DELETE", bucketPath("drift-eu"), undefined, { "cf-r2-jurisdiction": "eu" }),
        outside(store, "POST", `/accounts/${account}/r2/buckets`, { name: "drift-eu" })
      ),
    drift: "deleted",
    holds: (contents) =>
      assert.isTrue(contents.buckets.some((item) => item.name === "drift-eu" && item.jurisdiction === "eu"))
  }
]

const domainCases: ReadonlyArray<Case> = [
  {
    type: "r2-domain",
    field: "minTls",
    desired: [domain, plainBucket],
    change: (store) =>
      outside(store, "PUT", `${bucketPath("drift-files")}/domains/custom/cdn.example.com`, { minTLS: "1.0" }),
    drift: "changed",
    holds: (contents) => assert.strictEqual(domainOf(contents)?.minTLS, "1.2")
  },
  {
    type: "r2-domain",
    field: "enabled",
    desired: [domain, plainBucket],
    change: (store) =>
      outside(store, "PUT", `${bucketPath("drift-files")}/domains/custom/cdn.example.com`, { enabled: false }),
    drift: "changed",
    holds: (contents) => assert.isTrue(domainOf(contents)?.enabled)
  },
  // A custom domain is found by its domain on its bucket (in the bucket's jurisdiction), in its zone.
  ...(["bucket", "domain", "zone", "jurisdiction"] as const).map(
    (field): Case => ({
      type: "r2-domain",
      field,
      desired: [domain, plainBucket],
      change: removeDomain,
      drift: "deleted",
      holds: domainHolds
    })
  )
]

const recordCases: ReadonlyArray<Case> = [
  ...(
    [
      ["content", { content: "198.51.100.66" }, (found) => assert.strictEqual(found.content, "203.0.113.10")],
      ["ttl", { ttl: 120 }, (found) => assert.strictEqual(found.ttl, 300)],
      ["proxied", { proxied: true }, (found) => assert.isFalse(found.proxied)]
    ] as const satisfies ReadonlyArray<readonly [string, object, (found: Simulator.DnsRecord) => void]>
  ).map(
    ([field, patch, check]): Case => ({
      type: "dns",
      field,
      desired: [record],
      change: (store, contents) => outside(store, "PATCH", recordPath(contents, "api.example.com", "A"), patch),
      drift: "changed",
      holds: (contents) => check(recordOf(contents, "api.example.com", "A"))
    })
  ),
  {
    type: "dns",
    field: "priority",
    desired: [mx],
    change: (store, contents) => outside(store, "PATCH", recordPath(contents, "example.com", "MX"), { priority: 20 }),
    drift: "changed",
    holds: (contents) => assert.strictEqual(recordOf(contents, "example.com", "MX").priority, 10)
  },
  {
    type: "dns",
    field: "name",
    desired: [record],
    change: (store, contents) =>
      outside(store, "PATCH", recordPath(contents, "api.example.com", "A"), { name: "elsewhere" }),
    drift: "changed",
    holds: (contents) => {
      recordOf(contents, "api.example.com", "A")
      assert.isFalse(contents.records.some((item) => item.name === "elsewhere.example.com"))
    }
  },
  {
    type: "dns",
    field: "type",
    desired: [record],
    change: (store, contents) =>
      outside(store, "PATCH", recordPath(contents, "api.example.com", "A"), { type: "AAAA", content: "2001:db8::1" }),
    drift: "changed",
    holds: (contents) => {
      recordOf(contents, "api.example.com", "A")
      assert.isFalse(contents.records.some((item) => item.type === "AAAA"))
    }
  },
  {
    type: "dns",
    field: "zone",
    desired: [record],
    change: (store, contents) => outside(store, "DELETE", recordPath(contents, "api.example.com", "A")),
    drift: "deleted",
    holds: (contents) => assert.strictEqual(recordOf(contents, "api.example.com", "A").content, "203.0.113.10")
  }
]

const workerCases: ReadonlyArray<Case> = [
  {
    type: "worker",
    field: "routes",
    desired: [worker, plainBucket],
    change: (store) =>
      outside(store, "PUT", `/accounts/${account}/workers/scripts/drift-api/routes`, [
        { pattern: "www.example.com/*" }
      ]),
    drift: "changed",
    holds: (contents) =>
      assert.deepStrictEqual(
        contents.routes.filter((route) => route.script === "drift-api").map((route) => route.pattern),
        ["api.example.com/*"]
      )
  },
  {
    type: "worker",
    field: "bindings",
    desired: [worker, plainBucket],
    change: (store) =>
      patchWorkerSettings(store, "drift-api", {
        bindings: [
          { type: "r2_bucket", name: "FILES", bucket_name: "drift-files" },
          { type: "plain_text", name: "GREETING", text: "changed outside" }
        ]
      }),
    drift: "changed",
    holds: (contents) =>
      assert.sameDeepMembers(
        (liveWorker(contents)?.bindings ?? []).map((binding) => ({ ...binding })),
        [
          { name: "GREETING", type: "plain_text", text: "hello" },
          { name: "CACHE", type: "kv_namespace", namespace_id: Simulator.kvNamespaceId(account, "cache") },
          { name: "FILES", type: "r2_bucket", bucket_name: "drift-files" }
        ]
      )
  },
  {
    type: "worker",
    field: "compatibilityDate",
    desired: [worker, plainBucket],
    change: (store) => patchWorkerSettings(store, "drift-api", { compatibility_date: "2024-06-01" }),
    drift: "changed",
    holds: (contents) => assert.strictEqual(liveWorker(contents)?.compatibilityDate, "2025-01-01")
  },
  {
    type: "worker",
    field: "compatibilityFlags",
    desired: [worker, plainBucket],
    change: (store) => patchWorkerSettings(store, "drift-api", { compatibility_flags: [] }),
    drift: "changed",
    holds: (contents) => assert.deepStrictEqual(liveWorker(contents)?.compatibilityFlags, ["nodejs_compat"])
  },
  {
    type: "worker",
    field: "workersDev",
    desired: [worker, plainBucket],
    change: (store) =>
      outside(store, "POST", `/accounts/${account}/workers/scripts/drift-api/subdomain`, { enabled: true }),
    drift: "changed",
    holds: (contents) => assert.isFalse(liveWorker(contents)?.workersDev)
  },
  {
    type: "worker",
    field: "name",
    desired: [worker, plainBucket],
    change: (store) => outside(store, "DELETE", `/accounts/${account}/workers/scripts/drift-api`),
    drift: "deleted",
    holds: (contents) => assert.isDefined(liveWorker(contents))
  }
]

const pagesCases: ReadonlyArray<Case> = [
  {
    type: "pages",
    field: "productionBranch",
    desired: [pages],
    change: (store) =>
      outside(store, "PATCH", `/accounts/${account}/pages/projects/drift-site`, { production_branch: "release" }),
    drift: "changed",
    holds: (contents) => assert.strictEqual(sitesProject(contents)?.productionBranch, "main")
  },
  {
    type: "pages",
    field: "name",
    desired: [pages],
    change: (store) => outside(store, "DELETE", `/accounts/${account}/pages/projects/drift-site`),
    drift: "deleted",
    holds: (contents) => assert.isDefined(sitesProject(contents))
  }
]

const web = server("web")

/** A record pointed at a server's address: the refresh compares the address the reference resolves to. */
const referenceCase: Case = {
  type: "dns",
  field: "content",
  variant: "a server's address",
  desired: [
    resource(
      "dns",
      "web.example.com/A",
      { zone, name: "web", type: "A", content: reference(web.key, "ip"), proxied: false, ttl: 1 },
      [web.key]
    ),
    disk("web"),
    web
  ],
  change: (store, contents) =>
    outside(store, "PATCH", recordPath(contents, "web.example.com", "A"), { content: "198.51.100.66" }),
  drift: "changed",
  holds: (contents, before) =>
    assert.strictEqual(
      recordOf(contents, "web.example.com", "A").content,
      recordOf(before, "web.example.com", "A").content
    )
}

const cases: ReadonlyArray<Case> = [
  ...bucketCases,
  ...domainCases,
  ...recordCases,
  referenceCase,
  ...workerCases,
  ...pagesCases
]

// The suite ---------------------------------------------------------------------------------

const driftOf = (plan: Plan.Plan, key: string) => plan.drift.filter((drift) => drift.key === key)

describe("Cloudflare drift: a change made outside FleetFlow is found, and up puts the file back", () => {
  it("every field Cloudflare holds of every type has a case; the fields it does not are not observed", () => {
    for (const type of Object.keys(inputsOf) as ReadonlyArray<Type>) {
      const unobserved: ReadonlyArray<string> = Model.unobservedFields[type]
      const observed = Object.keys(inputsOf[type].fields).filter((field) => !unobserved.includes(field))
      const covered = new Set(cases.filter((item) => item.type === type).map((item) => item.field))
      assert.deepStrictEqual(
        observed.filter((field) => !covered.has(field)),
        [],
        `${type}: fields without a drift case`
      )
      assert.deepStrictEqual(
        [...covered].filter((field) => unobserved.includes(field)),
        [],
        `${type}: cases for unobserved fields`
      )
    }
  })

  for (const item of cases) {
    const title = `${item.type} ${item.field}${item.variant === undefined ? "" : ` (${item.variant})`}`
    it.scoped(title, () =>
      Effect.gen(function* () {
        const { cloudflare, directory, layer } = yield* world
        const target: Fleet.Target = {
          config: { ...config(fastRetry), directory },
          stage: "dev",
          desired: item.desired
        }
        const key = item.desired[0]!.key
        yield* Effect.gen(function* () {
          yield* Fleet.up(target, runOptions())
          const before = yield* inspect(cloudflare)
          yield* item.change(cloudflare, before)

          const { plan } = yield* Fleet.plan(target, { refresh: true })
          const drift = driftOf(plan, key)
          assert.strictEqual(drift.length, 1, `${title}: drift of ${key}`)
          assert.strictEqual(drift[0]?.kind, item.drift)
          if (item.drift === "changed") {
            const fields: ReadonlyArray<string> = drift[0]?.changes.map((change) => change.field) ?? []
            assert.isTrue(fields.includes(item.field), `${title}: the drift names ${fields.join(", ")}`)
          }
          assert.isTrue(Plan.hasChanges(plan), `${title}: the plan has changes`)

          yield* Fleet.up(target, runOptions())
          item.holds(yield* inspect(cloudflare), before)
          const settled = yield* Fleet.plan(target, { refresh: true })
          assert.deepStrictEqual(settled.plan.drift, [], `${title}: no drift after up`)
          assert.isFalse(Plan.hasChanges(settled.plan), `${title}: no changes after up`)
        }).pipe(Effect.provide(layer))
      }).pipe(Effect.provide(NodeFileSystem.layer))
    )
  }
})

describe("Cloudflare reads made ahead of the lists that say what exists", () => {
  const planOf = (
    desired: ReadonlyArray<DesiredResource>,
    change: (cloudflare: Simulator.CloudflareStore) => Effect.Effect<void, never, State.StateStore>
  ) =>
    Effect.gen(function* () {
      const { cloudflare, directory, layer } = yield* world
      const target: Fleet.Target = { config: { ...config(fastRetry), directory }, stage: "dev", desired }
      return yield* Effect.gen(function* () {
        yield* Fleet.up(target, runOptions())
        yield* change(cloudflare)
        return (yield* Fleet.plan(target, { refresh: true })).plan
      }).pipe(Effect.provide(layer))
    }).pipe(Effect.provide(NodeFileSystem.layer))

  it.scoped("a Worker and a bucket deleted outside FleetFlow are planned back, whatever their own reads answered", () =>
    Effect.gen(function* () {
      const plan = yield* planOf([worker, bucket, plainBucket], (cloudflare) =>
        Effect.all([
          outside(cloudflare, "DELETE", `/accounts/${account}/workers/scripts/drift-api`),
          outside(cloudflare, "DELETE", `/accounts/${account}/r2/buckets/drift-assets/cors`),
          removeBucket(cloudflare)
        ])
      )
      assert.deepStrictEqual(
        plan.drift.map((drift) => [drift.key, drift.kind]),
        [
          [bucket.key, "deleted"],
          [worker.key, "deleted"]
        ]
      )
      assert.deepStrictEqual(
        Plan.changesOf(plan).map((action) => [action._tag, action.key]),
        [
          ["Create", bucket.key],
          ["Create", worker.key]
        ]
      )
    })
  )

  it.scoped(
    "records whose zone the state knows by another ID (the zone was made again) are listed by the zone's ID now",
    () =>
      Effect.gen(function* () {
        const plan = yield* planOf([record], () =>
          Effect.gen(function* () {
            const store = yield* State.StateStore
            const state = Option.getOrThrow(yield* Effect.orDie(store.read))
            const stored = state.resources[record.key]!
            const stale = { ...stored, attributes: { ...stored.attributes, zoneId: "0".repeat(32) } }
            yield* Effect.orDie(store.write({ ...state, resources: { ...state.resources, [record.key]: stale } }))
          })
        )
        assert.deepStrictEqual(plan.drift, [])
        assert.isFalse(Plan.hasChanges(plan))
      })
  )
})
