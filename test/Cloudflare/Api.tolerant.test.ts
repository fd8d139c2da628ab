/**
 * The Cloudflare API's answers are read for the fields FleetFlow uses and nothing more: for each
 * read the provider makes, every field of the simulator's real answer that the schemas leave
 * unread (in the envelope and in the result) is removed in turn (and an unknown one added), and
 * the client still decodes the same values and `getState` still observes the same; a field the
 * result's schema requires, removed, is an error naming it.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Api from "../../src/Cloudflare/Api.js"
import * as Schemas from "../../src/Cloudflare/Api/Schemas.js"
import * as CloudflareProvider from "../../src/Cloudflare/Provider.js"
import * as Simulator from "../../src/Cloudflare/Simulator.js"
import { makeKey } from "../../src/Resource.js"
import { fastRetry, storedResource } from "../support/Builders.js"
import { type FieldPath, requiredFields, withUnknownField } from "../support/SchemaFields.js"
import { appliedFleet, checkTolerance, type Edit, reading } from "../support/Tolerance.js"

const token = "cf-tolerant-4b2e9c-never-printed"
const account = Simulator.defaultAccountId
const options = { token, zones: ["example.com"], kvNamespaces: ["cache"] }
const settings = { accountId: account, token: Redacted.make(token) }

const fleet = [
  `project "shop"`,
  `providers { cloudflare { account-id "${account}"; zone "example.com" } }`,
  `stage "dev" {`,
  `  r2-bucket "shop-assets" {`,
  `    location "APAC"`,
  `    cors {`,
  `      allowed-origins "https://shop.example.com"`,
  `      allowed-methods "GET" "PUT"`,
  `      max-age 3600`,
  `    }`,
  `    custom-domain "cdn.example.com"`,
  `  }`,
  `  dns "example.com" {`,
  `    record "api" type="A" value="203.0.113.10"`,
  `    record "@" type="TXT" value="v=spf1 -all" ttl=300`,
  `  }`,
  `}`
].join("\n")

const versionId = "00000000-0000-4000-8000-000000000001"

/** A Worker uploaded outside FleetFlow, with a binding and a route, which the state records as FleetFlow's. */
const worker: Simulator.Worker = {
  accountId: account,
  name: "fleet-api",
  tag: "0123456789abcdef0123456789abcdef",
  createdOn: 0,
  modifiedOn: 0,
  workersDev: false,
  previewsEnabled: false,
  logpush: false,
  tags: [],
  versions: [
    {
      id: versionId,
      number: 1,
      createdOn: 0,
      source: "api",
      mainModule: "index.js",
      modules: [],
      bindings: [{ name: "GREETING", type: "plain_text", text: "hi" }],
      compatibilityDate: "2025-01-01",
      compatibilityFlags: ["nodejs_compat"]
    }
  ],
  deployments: [{ id: versionId, createdOn: 0, source: "api", versions: [{ versionId, percentage: 100 }] }]
}

const route: Simulator.WorkerRoute = {
  id: "0123456789abcdef0123456789abcdee",
  zoneId: Simulator.zoneId(account, "example.com"),
  pattern: "api.example.com/*",
  script: "fleet-api"
}

const workerInputs = {
  name: "fleet-api",
  routes: [{ pattern: "api.example.com/*" }],
  compatibilityDate: "2025-01-01",
  compatibilityFlags: ["nodejs_compat"],
  bindings: [{ type: "var", name: "GREETING", value: "hi" }]
}

/**
 * A simulated account holding what the fleet made, a Worker and a Pages project, the resources
 * `getState` is asked about, and a client and a provider whose answers from `endpoint` pass
 * through `edit` first.
 */
const world = Effect.gen(function* () {
  const store = yield* Simulator.memoryStore({ workers: [worker], routes: [route] })
  const plain = Simulator.layerClient(store, options)
  const made = yield* Simulator.handle(
    {
      method: "POST",
      url: `/client/v4/accounts/${account}/pages/projects`,
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: "fleet-site", production_branch: "main" })
    },
    store,
    options
  ).pipe(Effect.orDie)
  assert.strictEqual(made.status, 200, made.body)
  const applied = yield* appliedFleet(
    { "fleet.kdl": fleet },
    CloudflareProvider.layer(settings).pipe(Layer.provide(plain))
  )
  const resources = new Map([
    ...applied,
    [makeKey("worker", "fleet-api"), storedResource("worker", "fleet-api", { inputs: workerInputs })],
    [makeKey("pages", "fleet-site"), storedResource("pages", "fleet-site", { inputs: { name: "fleet-site" } })]
  ])

  const editing = (endpoint: RegExp, edit: Edit) =>
    Layer.effect(
      HttpClient.HttpClient,
      Effect.map(HttpClient.HttpClient, (inner) =>
        HttpClient.transformResponse(inner, (answer) =>
          Effect.flatMap(answer, (response) =>
            response.request.method !== "GET" || !endpoint.test(new URL(response.request.url).pathname)
              ? Effect.succeed(response)
              : Effect.map(response.text, (text) =>
                  HttpClientResponse.fromWeb(
                    response.request,
                    new Response(JSON.stringify(edit(JSON.parse(text))), {
                      status: response.status,
                      headers: response.headers
                    })
                  )
                )
          )
        )
      )
    ).pipe(Layer.provide(plain))

  const readWith = (endpoint: RegExp, edit: Edit, call: Case["call"]) =>
    reading(
      editing(endpoint, edit),
      Api.make(settings),
      call,
      CloudflareProvider.layer({ ...settings, readRetry: fastRetry }),
      resources
    )
  return { readWith }
})

interface Case {
  readonly name: string
  readonly endpoint: RegExp
  readonly result: Schema.Schema.Any
  /** Where the result's items are, for the unknown field added to each. */
  readonly items: FieldPath
  readonly call: (api: Api.CloudflareApiService) => Effect.Effect<unknown, Api.CloudflareError>
}

const cases: ReadonlyArray<Case> = [
  {
    name: "r2 bucket list",
    endpoint: /\/r2\/buckets$/,
    result: Schemas.BucketList,
    items: ["result", "buckets"],
    call: (api) => api.r2.buckets.list()
  },
  {
    name: "r2 bucket get",
    endpoint: /\/r2\/buckets\/[^/]+$/,
    result: Schemas.Bucket,
    items: ["result"],
    call: (api) => api.r2.buckets.get("shop-assets")
  },
  {
    name: "r2 bucket cors get",
    endpoint: /\/cors$/,
    result: Schemas.CorsPolicy,
    items: ["result", "rules"],
    call: (api) => api.r2.cors.get("shop-assets")
  },
  {
    name: "r2 bucket domain list",
    endpoint: /\/domains\/custom$/,
    result: Schemas.CustomDomainList,
    items: ["result", "domains"],
    call: (api) => api.r2.domains.list("shop-assets")
  },
  {
    name: "r2 bucket domain get",
    endpoint: /\/domains\/custom\/[^/]+$/,
    result: Schemas.CustomDomain,
    items: ["result"],
    call: (api) => api.r2.domains.get("shop-assets", "cdn.example.com")
  },
  {
    name: "zone lookup",
    endpoint: /\/zones$/,
    result: Schema.Array(Schemas.Zone),
    items: ["result"],
    call: (api) => api.zones.byName("example.com")
  },
  {
    name: "dns record list",
    endpoint: /\/dns_records$/,
    result: Schema.Array(Schemas.DnsRecord),
    items: ["result"],
    call: (api) => Effect.flatMap(api.zones.byName("example.com"), (zone) => api.dns.records.list(zone.id))
  },
  {
    name: "worker list",
    endpoint: /\/workers\/scripts$/,
    result: Schema.Array(Schemas.WorkerScript),
    items: ["result"],
    call: (api) => api.workers.list
  },
  {
    name: "worker settings get",
    endpoint: /\/workers\/scripts\/[^/]+\/settings$/,
    result: Schemas.WorkerSettings,
    items: ["result", "bindings"],
    call: (api) => api.workers.settings("fleet-api")
  },
  {
    name: "worker routes list",
    endpoint: /\/workers\/scripts\/[^/]+\/routes$/,
    result: Schema.Array(Schemas.WorkerRoute),
    items: ["result"],
    call: (api) => api.workers.routes("fleet-api")
  },
  {
    name: "worker subdomain get",
    endpoint: /\/workers\/scripts\/[^/]+\/subdomain$/,
    result: Schemas.WorkerSubdomain,
    items: ["result"],
    call: (api) => api.workers.subdomain("fleet-api")
  },
  {
    name: "pages project list",
    endpoint: /\/pages\/projects$/,
    result: Schema.Array(Schemas.PagesProject),
    items: ["result"],
    call: (api) => api.pages.list
  },
  {
    name: "kv namespace list",
    endpoint: /\/storage\/kv\/namespaces$/,
    result: Schema.Array(Schemas.KvNamespace),
    items: ["result"],
    call: (api) => api.kv.list
  }
]

describe("Cloudflare API answers are read tolerantly", () => {
  for (const { call, endpoint, items, name, result } of cases) {
    it.effect(
      `${name}: an unread field missing or an unknown one added changes nothing; a required one missing is named`,
      () =>
        Effect.gen(function* () {
          const { readWith } = yield* world
          yield* checkTolerance({
            name,
            output: Schema.Struct({ ...Schemas.Envelope.fields, result }),
            required: requiredFields(result).map((path) => ["result", ...path]),
            withUnknown: (body) => withUnknownField(withUnknownField(body), items),
            read: (edit) => readWith(endpoint, edit, call)
          })
        })
    )
  }
})
