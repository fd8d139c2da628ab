/**
 * The saved plan's model: which values it keeps out, and how a fresh plan is matched to the saved
 * one through the digests that stand for them.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import * as Plan from "../src/Plan.js"
import * as Saved from "../src/Plan/Saved.js"
import { makeKey } from "../src/Resource.js"

const worker = (secret: string, mode = "plain-mode") =>
  new Plan.Create({
    key: makeKey("worker", "api"),
    provider: "cloudflare",
    type: "worker",
    name: "api",
    dependsOn: [],
    changes: [],
    inputs: {
      name: "api",
      source: "./worker",
      bindings: [
        { type: "var", name: "API_SECRET", value: secret },
        { type: "var", name: "MODE", value: mode },
        { type: "kv", name: "CACHE", namespace: "cache" }
      ]
    }
  })

const record = (content: string) =>
  new Plan.Update({
    key: makeKey("dns", "example.com/TXT"),
    provider: "cloudflare",
    type: "dns",
    name: "example.com/TXT",
    id: "r1",
    dependsOn: [],
    changes: [{ field: "content", before: "old", after: content, forcesReplace: false }],
    inputs: { zone: "example.com", name: "example.com", type: "TXT", content }
  })

const plan = (actions: ReadonlyArray<Plan.Action>) =>
  new Plan.Plan({ project: "shop", stage: "dev", serial: 3, lineage: "l", actions, summary: Plan.summarize(actions) })

const saved = (made: Plan.Plan, secrets: ReadonlyArray<string>) =>
  Schema.decodeUnknownSync(Saved.SavedPlan)({
    format: "fleetflow-plan",
    version: 1,
    fleetflow: "0.1.0",
    created: "2026-12-06T00:00:00.000Z",
    project: "shop",
    stage: "dev",
    sandbox: true,
    state: { lineage: "l", serial: 3 },
    config: { sha256: "0" },
    refresh: true,
    targets: [],
    salt: "salt",
    plan: Saved.concealPlan(made, "salt", secrets)
  })

describe("a saved plan", () => {
  it("keeps a Worker's variables and any text holding a secret of the environment as digests", () => {
    const token = "verify-token-1234"
    const made = plan([worker("s3cr3t-value"), record(`site=${token}`)])
    const text = JSON.stringify(Saved.concealPlan(made, "salt", Saved.secretsIn({ VERIFY_TOKEN: token, HOME: "/x" })))
    assert.notInclude(text, "s3cr3t-value")
    assert.notInclude(text, token)
    assert.notInclude(text, "plain-mode", "every var binding is kept out, whatever it holds")
    assert.include(text, '"namespace":"cache"', "what cannot hold a secret is kept as it is")
    assert.include(text, '"before":"old"')
  })

  it("matches the fresh plan with the same values, and names the action whose kept-out value changed", () => {
    const made = plan([worker("s3cr3t-value"), record("site=verify-token-1234")])
    const file = saved(made, ["verify-token-1234"])
    assert.deepStrictEqual(Saved.differences(file, made), [])
    assert.deepStrictEqual(Saved.differences(file, plan([worker("another"), record("site=verify-token-1234")])), [
      makeKey("worker", "api")
    ])
    assert.deepStrictEqual(Saved.differences(file, plan([worker("s3cr3t-value"), record("site=other-token")])), [
      makeKey("dns", "example.com/TXT")
    ])
    assert.deepStrictEqual(Saved.differences(file, plan([worker("s3cr3t-value")])), [makeKey("dns", "example.com/TXT")])
  })

  it("finds the secrets of the environment by their names, URL passwords too, however they are encoded", () => {
    const found = Saved.secretsIn({
      CF_API_TOKEN: "token-value-1",
      FLEETFLOW_PG_URL: "postgres://fleet:p%40ss%C3%28word@db:5432/state",
      DATABASE_URL: "postgres://app:pa%40ssword@db/app",
      SHORT_SECRET: "abc",
      EDITOR: "vim-but-longer"
    })
    assert.include(found, "token-value-1")
    assert.include(found, "p%40ss%C3%28word")
    assert.include(found, "pa@ssword")
    assert.notInclude(found, "abc")
    assert.notInclude(found, "vim-but-longer")
  })
})
