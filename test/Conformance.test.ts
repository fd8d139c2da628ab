/**
 * `Fake.layer()` and `--sandbox` run the same provider code: one scenario per resource type
 * (create, a plan with no change, a changed field, its plan, its apply, the delete) through both,
 * the fakes in memory with wrangler's calls made in process, the sandbox in files with the real
 * wrangler; their plans and results must agree but for IDs, addresses and times.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodePath from "node:path"
import * as Fake from "../src/Fake.js"
import * as Fleet from "../src/Fleet.js"
import type * as Plan from "../src/Plan.js"
import type { CloudProvider } from "../src/Provider.js"
import {
  type DesiredResource,
  type Inputs,
  type Json,
  makeKey,
  providerOf,
  type ResourceType
} from "../src/Resource.js"
import * as Sandbox from "../src/Sandbox.js"
import * as State from "../src/State.js"
import { sshPublicKey } from "./support/Builders.js"
import { bucket, disk, dnsA, runOptions, server, target } from "./support/Desired.js"

const fixtures = NodePath.resolve("test/fixtures/workers")

const resource = (type: ResourceType, name: string, inputs: Inputs, dependsOn = [] as ReadonlyArray<string>) =>
  ({ key: makeKey(type, name), provider: providerOf[type], type, name, inputs, dependsOn }) as DesiredResource

const worker = (mode: string) =>
  resource("worker", "edge", {
    name: "edge",
    source: NodePath.join(fixtures, "worker"),
    compatibilityDate: "2025-01-01",
    compatibilityFlags: [],
    routes: [],
    bindings: [{ type: "var", name: "MODE", value: mode }]
  })

const pages = (productionBranch: string) =>
  resource("pages", "site", { name: "site", directory: NodePath.join(fixtures, "site"), productionBranch })

const script = (content: string) => resource("startup-script", "setup", { content, tags: [] })

const domain = (minTls: string) =>
  resource(
    "r2-domain",
    "cdn.example.com",
    { bucket: "media", domain: "cdn.example.com", zone: "example.com", minTls },
    [makeKey("r2", "media")]
  )

const [firstKey, secondKey] = [sshPublicKey("first"), sshPublicKey("second")]

interface Scenario {
  readonly type: ResourceType
  readonly before: ReadonlyArray<DesiredResource>
  readonly after: ReadonlyArray<DesiredResource>
  /** The action the change makes, and the field it changes. */
  readonly change: readonly [string, string]
}

const scenarios: ReadonlyArray<Scenario> = [
  { type: "disk", before: [disk("d")], after: [disk("d", { size: 40 })], change: ["Replace", "size"] },
  {
    type: "server",
    before: [disk("web"), server("web")],
    after: [disk("web"), server("web", { memory: 4 })],
    change: ["Update", "memory"]
  },
  {
    type: "ssh-key",
    before: [resource("ssh-key", "me", { publicKey: firstKey })],
    after: [resource("ssh-key", "me", { publicKey: secondKey })],
    change: ["Replace", "publicKey"]
  },
  {
    type: "startup-script",
    before: [script("#!/bin/sh\necho one\n")],
    after: [script("#!/bin/sh\necho two\n")],
    change: ["Update", "content"]
  },
  {
    type: "r2",
    before: [bucket("media")],
    after: [bucket("media", { location: "WNAM" })],
    change: ["Replace", "location"]
  },
  {
    type: "r2-domain",
    before: [bucket("media"), domain("1.0")],
    after: [bucket("media"), domain("1.2")],
    change: ["Update", "minTls"]
  },
  {
    type: "dns",
    before: [dnsA("www", { ip: "198.51.100.7" })],
    after: [dnsA("www", { ip: "198.51.100.8" })],
    change: ["Update", "content"]
  },
  { type: "worker", before: [worker("one")], after: [worker("two")], change: ["Update", "bindings"] },
  // The deleted provider-level fake planned an update here; the real provider replaces.
  { type: "pages", before: [pages("main")], after: [pages("production")], change: ["Replace", "productionBranch"] }
]

/** Values that differ between two runs of the same scenario: IDs, addresses, times, deployment hashes. */
const volatile = new Set([
  "id",
  "recordId",
  "zoneId",
  "versionId",
  "deploymentId",
  "deploymentUrl",
  "ip",
  "disk",
  "server",
  "sourceArchive",
  "created_at",
  "updated_at"
])

const stable = (value: Json): Json => {
  if (Array.isArray(value)) return value.map((item: Json) => stable(item))
  if (typeof value !== "object" || value === null) return value
  return Object.fromEntries(
    Object.entries(value).map(([field, item]) => [field, volatile.has(field) ? "…" : stable(item as Json)])
  )
}

const planShape = (plan: Plan.Plan) =>
  plan.actions.map((action) => [
    action._tag,
    action.key,
    action.changes.map((change) => [change.field, change.forcesReplace])
  ])

const stateShape = (state: State.StateFile) =>
  Object.fromEntries(
    Object.entries(state.resources).map(([key, item]) => [
      key,
      { type: item.type, inputs: stable(item.inputs), attributes: stable(item.attributes) }
    ])
  )

/** Everything a scenario shows: the plans and what the state holds after each step. */
const run = (scenario: Scenario) =>
  Effect.gen(function* () {
    const created = yield* Fleet.up(target(scenario.before), runOptions())
    const unchanged = yield* Fleet.plan(target(scenario.before), { refresh: true })
    const changed = yield* Fleet.plan(target(scenario.after), { refresh: true })
    const applied = yield* Fleet.up(target(scenario.after), runOptions())
    const deleted = yield* Fleet.down(target(scenario.after), runOptions())
    return {
      created: stateShape(created.state),
      unchanged: planShape(unchanged.plan),
      changed: planShape(changed.plan),
      applied: stateShape(applied.state),
      deleted: stateShape(deleted.state)
    }
  })

const throughFake = (scenario: Scenario) =>
  run(scenario).pipe(Effect.provide(Layer.mergeAll(Fake.layer(), State.layerMemory())))

const throughSandbox = (scenario: Scenario) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const directory = NodePath.join(yield* fs.makeTempDirectoryScoped(), "sandbox")
    const clouds: Layer.Layer<CloudProvider> = Sandbox.layer(directory).pipe(Layer.provide(NodeContext.layer))
    return yield* run(scenario).pipe(Effect.provide(Layer.mergeAll(clouds, State.layerMemory())))
  }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))

describe("the fakes and the sandbox run the same providers", () => {
  for (const scenario of scenarios) {
    it.live(
      `${scenario.type}: create, no change, a change, its apply and the delete agree`,
      () =>
        Effect.gen(function* () {
          const fake = yield* throughFake(scenario)
          const sandbox = yield* throughSandbox(scenario)
          assert.isTrue(
            fake.unchanged.every(([tag]) => tag === "NoOp"),
            "a plan right after up changes nothing"
          )
          const [tag, field] = scenario.change
          assert.deepStrictEqual(
            fake.changed.filter(([action]) => action !== "NoOp").map(([action, , changes]) => [action, changes]),
            [[tag, [[field, tag === "Replace"]]]],
            "the changed field is planned"
          )
          assert.deepStrictEqual(fake.deleted, {})
          assert.deepStrictEqual(fake, sandbox)
        }),
      120_000
    )
  }
})
