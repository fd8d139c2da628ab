import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Plan from "../src/Plan.js"
import type { CloudProviderService } from "../src/Provider.js"
import { type DesiredResource, makeKey, reference, type StoredResource } from "../src/Resource.js"

const server = (name: string, inputs: Record<string, unknown> = {}): DesiredResource => ({
  key: makeKey("server", name),
  provider: "sakura-cloud",
  type: "server",
  name,
  inputs: { zone: "tk1a", core: 2, memory: 4, ...inputs } as DesiredResource["inputs"],
  dependsOn: []
})

const stored = (resource: DesiredResource, attributes: Record<string, string> = {}): StoredResource => ({
  provider: resource.provider,
  type: resource.type,
  name: resource.name,
  stage: "dev",
  id: "113700000001",
  attributes,
  inputs: resource.inputs,
  dependsOn: resource.dependsOn,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z"
})

describe("diffResource", () => {
  it("creates what the state does not hold", () => {
    const action = Plan.diffResource(server("web"), undefined, ["zone"])
    assert.strictEqual(action._tag, "Create")
    assert.deepStrictEqual(
      action.changes.map((change) => change.field),
      ["zone", "core", "memory"]
    )
  })

  it("updates in place when only free fields change, and shows exactly them", () => {
    const action = Plan.diffResource(server("web", { memory: 8 }), stored(server("web")), ["zone"])
    assert.strictEqual(action._tag, "Update")
    assert.deepStrictEqual(action.changes, [{ field: "memory", before: 4, after: 8, forcesReplace: false }])
  })

  it("replaces when a field that forces replacement changes", () => {
    const action = Plan.diffResource(server("web", { zone: "is1a" }), stored(server("web")), ["zone"])
    assert.strictEqual(action._tag, "Replace")
    assert.isTrue(action.changes[0]!.forcesReplace)
  })

  it("does nothing when inputs are equal, whatever the key order of nested objects", () => {
    const desired = server("web", { metadata: { a: 1, b: [1, 2] } })
    const current = stored(server("web", { metadata: { b: [1, 2], a: 1 } }))
    assert.strictEqual(Plan.diffResource(desired, current, [])._tag, "NoOp")
  })

  it("treats a value known only after apply as a change", () => {
    const desired = server("web", { disk: { $unknown: "disk.web.id" } })
    const current = stored(server("web", { disk: "1" }))
    assert.strictEqual(Plan.diffResource(desired, current, [])._tag, "Update")
  })
})

describe("levels", () => {
  it.effect("puts every key after its dependencies", () =>
    Effect.gen(function* () {
      const result = yield* Plan.levels([
        { key: "c", dependsOn: ["b"] },
        { key: "b", dependsOn: ["a"] },
        { key: "a", dependsOn: [] },
        { key: "d", dependsOn: ["a", "unknown-key"] }
      ])
      assert.deepStrictEqual(result, [["a"], ["b", "d"], ["c"]])
    })
  )

  it.effect("refuses a cycle and names it", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Plan.levels([
          { key: "a", dependsOn: ["b"] },
          { key: "b", dependsOn: ["a"] }
        ])
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "cycle")
    })
  )

  it.prop(
    "no key lands before one of its dependencies",
    [FastCheck.array(FastCheck.array(FastCheck.nat(19), { maxLength: 4 }), { minLength: 1, maxLength: 20 })],
    ([edges]) => {
      // Only edges to lower indexes, so the graph is acyclic.
      const nodes = edges.map((deps, index) => ({
        key: `k${index}`,
        dependsOn: deps.filter((dep) => dep < index).map((dep) => `k${dep}`)
      }))
      const result = Effect.runSync(Plan.levels(nodes))
      const levelOf = new Map(result.flatMap((level, depth) => level.map((key) => [key, depth] as const)))
      assert.strictEqual(levelOf.size, nodes.length)
      for (const node of nodes)
        for (const dep of node.dependsOn) assert.isBelow(levelOf.get(dep)!, levelOf.get(node.key)!)
    }
  )
})

describe("references at plan time", () => {
  const record = (target: string): DesiredResource => ({
    key: makeKey("dns", "api.example.com/A"),
    provider: "cloudflare",
    type: "dns",
    name: "api.example.com/A",
    inputs: {
      zone: "example.com",
      name: "api.example.com",
      type: "A",
      content: reference(makeKey("server", target), "ip")
    },
    dependsOn: [makeKey("server", target)]
  })
  const provider = {
    name: "diff-only",
    handles: ["server", "dns"] as const,
    replaceFields: () => [],
    newIdFields: () => [],
    claims: () => [],
    keeps: () => false,
    getState: () => Effect.succeed(new Map()),
    check: () => Effect.void,
    apply: () => Effect.die("not used"),
    destroy: () => Effect.die("not used"),
    find: () => Effect.succeed(new Map())
  }

  it.effect("resolve to the stored value when the target does not change", () =>
    Effect.gen(function* () {
      const web = server("web")
      const dns = record("web")
      const current = new Map([
        [web.key, stored(web, { ip: "203.0.113.10" })],
        [dns.key, { ...stored(dns), inputs: { ...dns.inputs, content: "203.0.113.10" } }]
      ])
      const plan = yield* Plan.make({ project: "p", stage: "dev", serial: 1, desired: [web, dns], current, provider })
      assert.isFalse(Plan.hasChanges(plan))
    })
  )

  it.effect("are known after apply when the target is created, and keep the reference for the apply", () =>
    Effect.gen(function* () {
      const plan = yield* Plan.make({
        project: "p",
        stage: "dev",
        serial: 0,
        desired: [record("web"), server("web")],
        current: new Map(),
        provider
      })
      const dns = plan.actions.find((action) => action.type === "dns")!
      assert.strictEqual(dns._tag, "Create")
      const content = dns.changes.find((change) => change.field === "content")!
      assert.deepStrictEqual(content.after, { $unknown: "server.web.ip" })
      assert.deepStrictEqual(
        "inputs" in dns ? dns.inputs.content : undefined,
        reference(makeKey("server", "web"), "ip")
      )
      assert.deepStrictEqual(plan.summary, { add: 2, change: 0, destroy: 0 })
    })
  )

  it.effect("to an ID stay known through an update that keeps it, and are unknown through one that renews it", () =>
    Effect.gen(function* () {
      const disk: DesiredResource = {
        key: makeKey("disk", "web"),
        provider: "sakura-cloud",
        type: "disk",
        name: "web",
        inputs: { tags: ["a"] },
        dependsOn: []
      }
      const web = server("web", { disk: reference(disk.key, "id") })
      const current = new Map([
        [disk.key, { ...stored(disk), id: "disk-1", inputs: { tags: ["b"] } }],
        [web.key, { ...stored(web), inputs: { ...web.inputs, disk: "disk-1" } }]
      ])
      const renewing: CloudProviderService = {
        ...provider,
        newIdFields: (type) => (type === "disk" ? ["tags"] : [])
      }
      const plan = (over: CloudProviderService) =>
        Plan.make({ project: "p", stage: "dev", serial: 1, desired: [disk, web], current, provider: over })
      const kept = yield* plan(provider)
      assert.deepStrictEqual(
        kept.actions.map((action) => [action._tag, action.key]),
        [
          ["Update", disk.key],
          ["NoOp", web.key]
        ],
        "a disk's tags change in place: its server is left alone"
      )
      const renewed = yield* plan(renewing)
      const serverAction = renewed.actions.find((action) => action.key === web.key)!
      assert.deepStrictEqual(
        serverAction.changes.map((change) => [change.field, change.after]),
        [["disk", { $unknown: "disk.web.id" }]]
      )
    })
  )

  it.effect("plans a delete for what the state holds and the file no longer declares", () =>
    Effect.gen(function* () {
      const web = server("web")
      const plan = yield* Plan.make({
        project: "p",
        stage: "dev",
        serial: 3,
        desired: [],
        current: new Map([[web.key, stored(web)]]),
        provider
      })
      assert.deepStrictEqual(
        plan.actions.map((action) => [action._tag, action.key]),
        [["Delete", web.key]]
      )
      assert.deepStrictEqual(plan.summary, { add: 0, change: 0, destroy: 1 })
    })
  )
})
