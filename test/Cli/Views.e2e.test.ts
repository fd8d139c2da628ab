/**
 * `fleetflow output` and `fleetflow graph` through the built CLI on the sandbox: the addresses and
 * URLs the simulated clouds gave, as a table and as JSON, at the end of `up` too; the stage's
 * dependency graph as DOT (which Graphviz renders, where it is installed) and as Mermaid.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { hasStackTrace, run, workspace } from "../support/Cli.js"
import { step } from "../support/Step.js"
import { sandboxState } from "../support/StateFile.js"

const canary = "canary-output-5d1e8a-never-print-me"

const fleet = `project "views"
providers {
    sakura-cloud { zone "tk1a"; }
    cloudflare { account-id "0123456789abcdef0123456789abcdef"; zone "example.com"; }
}

stage "dev" {
    server "web" {
        plan core=1 memory=2
        disk size=20 os="ubuntu-24.04"
        startup-script "./scripts/bootstrap.sh"
        init-script-vars {
            DB_PASSWORD "${canary}"
        }
    }
    worker "hello" {
        source "./workers/api-gateway"
        compatibility-date "2026-11-01"
    }
    dns "example.com" {
        record "www" type="A" value=server.web.ip
    }
}

stage "staging" {
    server "web-staging" {
        plan core=1 memory=2
        disk size=20 os="ubuntu-24.04"
    }
}
`

const dev = ["--sandbox", "-f", "views.kdl", "--stage", "dev"]

interface OutputJson {
  readonly stage: string
  readonly outputs: ReadonlyArray<{
    readonly key: string
    readonly type: string
    readonly name: string
    readonly id: string
    readonly attributes: Record<string, unknown>
  }>
}

const byKey = (json: OutputJson, key: string) => {
  const found = json.outputs.find((output) => output.key === key)
  assert.isDefined(found, `${key} is among the outputs`)
  return found!
}

/** The data row of `name` in the table of `type` (`SERVER`, `WORKER`, …), as its cells. */
const row = (table: string, type: string, name: string): ReadonlyArray<string> => {
  const block = table.split("\n\n").find((part) => part.startsWith(`${type} `))
  assert.isDefined(block, `a ${type} table in:\n${table}`)
  const line = block!.split("\n").find((text) => text.startsWith(`${name} `))
  assert.isDefined(line, `a row for ${name} in:\n${block}`)
  return line!.split(/ {2,}/)
}

describe("fleetflow output, as an operator runs it", () => {
  it.live(
    "shows the addresses and URLs the clouds gave, after up and on its own, as a table and as JSON; secrets never",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        fs.writeFileSync(path.join(dir, "views.kdl"), fleet)

        yield* step(
          "before anything is up: a warning, no table, exit 0",
          Effect.gen(function* () {
            const empty = yield* run(["output", ...dev], dir)
            assert.strictEqual(empty.code, 0, empty.stderr)
            assert.strictEqual(empty.stdout, "")
            assert.include(empty.stderr, 'No outputs: the state holds no resources of stage "dev"')
            assert.include(empty.stderr, "Run `fleetflow up")
            const json = yield* run(["output", ...dev, "--json"], dir)
            assert.strictEqual(json.code, 0, json.stderr)
            assert.deepStrictEqual(JSON.parse(json.stdout), { stage: "dev", outputs: [] })
          })
        )

        const up = yield* step(
          "up ends with the outputs of what it created",
          Effect.gen(function* () {
            const up = yield* run(["up", ...dev, "--yes"], dir)
            assert.strictEqual(up.code, 0, up.stderr)
            const ending = up.stdout.slice(up.stdout.indexOf("Apply complete!"))
            assert.match(ending, /^Apply complete! Resources: \d+ added, 0 changed, 0 destroyed\.\n\nOutputs:\n\n/)
            return ending
          })
        )

        const state = sandboxState(dir)
        assert.include(JSON.stringify(state), canary, "the state holds the variable that output must not show")
        const server = state.resources["sakura-cloud:server:web"]!
        const worker = state.resources["cloudflare:worker:hello"]!
        const ip = server.attributes.ip as string
        const url = worker.attributes.url as string
        assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/, "the sandbox gave the server an address")
        assert.match(url, /^https:\/\/hello\..+\.workers\.dev$/, "the sandbox gave the worker a workers.dev address")

        yield* step(
          "output shows them as a table, the same as up's ending",
          Effect.gen(function* () {
            const shown = yield* run(["output", ...dev], dir)
            assert.strictEqual(shown.code, 0, shown.stderr)
            assert.strictEqual(shown.stderr, "")
            assert.deepStrictEqual(row(shown.stdout, "SERVER", "web"), ["web", server.id, ip, "web", "tk1a", "up"])
            assert.deepStrictEqual(row(shown.stdout, "WORKER", "hello"), ["hello", worker.id, url, "-"])
            assert.deepStrictEqual(row(shown.stdout, "DNS", "www.example.com/A").slice(2), ["www.example.com", "A", ip])
            assert.strictEqual(
              up,
              `Apply complete! Resources: 5 added, 0 changed, 0 destroyed.\n\nOutputs:\n\n${shown.stdout}`
            )
            assert.notInclude(shown.stdout + shown.stderr, canary)
            assert.notInclude(shown.stdout, "\u001b[", "no colour without a terminal")
          })
        )

        yield* step(
          "output --json gives each resource's key, type, name, id and output attributes",
          Effect.gen(function* () {
            const result = yield* run(["output", ...dev, "--json"], dir)
            assert.strictEqual(result.code, 0, result.stderr)
            assert.notInclude(result.stdout, canary)
            const json = JSON.parse(result.stdout) as OutputJson
            assert.strictEqual(json.stage, "dev")
            assert.deepStrictEqual(
              json.outputs.map((output) => output.key),
              [
                "sakura-cloud:server:web",
                "sakura-cloud:disk:web",
                "sakura-cloud:startup-script:bootstrap",
                "cloudflare:worker:hello",
                "cloudflare:dns:www.example.com/A"
              ]
            )
            for (const output of json.outputs) {
              assert.deepStrictEqual(Object.keys(output), ["key", "type", "name", "id", "attributes"])
            }
            assert.deepStrictEqual(byKey(json, "sakura-cloud:server:web"), {
              key: "sakura-cloud:server:web",
              type: "server",
              name: "web",
              id: server.id,
              attributes: { ip, hostname: "web", zone: "tk1a", status: "up" }
            })
            assert.strictEqual(byKey(json, "cloudflare:worker:hello").attributes.url, url)
            assert.deepStrictEqual(byKey(json, "cloudflare:dns:www.example.com/A").attributes, {
              fqdn: "www.example.com",
              type: "A",
              content: ip
            })
          })
        )

        yield* step(
          "up shows only what it changed, and nothing when nothing changed",
          Effect.gen(function* () {
            const file = path.join(dir, "views.kdl")
            fs.writeFileSync(file, fleet.replace("plan core=1 memory=2", "plan core=1 memory=4"))
            const changed = yield* run(["up", ...dev, "--yes", "--json"], dir)
            assert.strictEqual(changed.code, 0, changed.stderr)
            const json = JSON.parse(changed.stdout) as OutputJson
            const moved = sandboxState(dir).resources["sakura-cloud:server:web"]!
            assert.deepStrictEqual(
              json.outputs.map((output) => [output.key, output.id]),
              [["sakura-cloud:server:web", moved.id]]
            )
            const again = yield* run(["up", ...dev, "--yes"], dir)
            assert.strictEqual(again.code, 0, again.stderr)
            assert.include(again.stdout, "No changes.")
            assert.notInclude(again.stdout, "Outputs:")
          })
        )

        yield* step(
          "an unknown stage is an error; a stage with nothing up is a warning",
          Effect.gen(function* () {
            const unknown = yield* run(["output", "--sandbox", "-f", "views.kdl", "--stage", "prod"], dir)
            assert.strictEqual(unknown.code, 1)
            assert.include(unknown.stderr, "unknown stage `prod`")
            assert.isFalse(hasStackTrace(unknown.stderr))
            const staging = yield* run(["output", "--sandbox", "-f", "views.kdl", "--stage", "staging"], dir)
            assert.strictEqual(staging.code, 0, staging.stderr)
            assert.strictEqual(staging.stdout, "")
            assert.include(staging.stderr, 'the state holds no resources of stage "staging"')
          })
        )
      }),
    120_000
  )
})

const dotAvailable = childProcess.spawnSync("dot", ["-V"]).status === 0

/** The edges `validate --json` declares: every dependency of every resource, as `from -> to`. */
const declaredEdges = (dir: string) =>
  Effect.gen(function* () {
    const validated = yield* run(["validate", "-f", "fleet.kdl", "--stage", "dev", "--json"], dir)
    assert.strictEqual(validated.code, 0, validated.stderr)
    const json = JSON.parse(validated.stdout) as {
      readonly stages: ReadonlyArray<{
        readonly resources: ReadonlyArray<{ readonly key: string; readonly dependsOn: ReadonlyArray<string> }>
      }>
    }
    return json.stages[0]!.resources.flatMap((resource) => resource.dependsOn.map((to) => `${resource.key} -> ${to}`))
  })

describe("fleetflow graph, as an operator runs it", () => {
  it.live("draws the example's dependencies as DOT that Graphviz renders, and as Mermaid", () =>
    Effect.gen(function* () {
      const dir = workspace()
      const expected = yield* declaredEdges(dir)
      assert.includeMembers(expected, [
        "cloudflare:dns:api.creo-memories.com/A -> sakura-cloud:server:creo-dev-01",
        "cloudflare:worker:api-gateway -> cloudflare:r2:creo-attachments",
        "sakura-cloud:server:creo-vps -> sakura-cloud:disk:creo-vps"
      ])

      yield* step(
        "DOT, the default",
        Effect.gen(function* () {
          const graph = yield* run(["graph", "-f", "fleet.kdl", "--stage", "dev"], dir)
          assert.strictEqual(graph.code, 0, graph.stderr)
          assert.match(graph.stdout, /^digraph "creo dev" \{\n/)
          const edges = [...graph.stdout.matchAll(/^ {2}"([^"]+)" -> "([^"]+)"/gm)].map(
            ([, from, to]) => `${from} -> ${to}`
          )
          assert.sameMembers(edges, expected)
          assert.include(
            graph.stdout,
            '"cloudflare:dns:api.creo-memories.com/A" -> "sakura-cloud:server:creo-dev-01" [label="ip"]',
            "a record pointing at a server depends on it, through its address"
          )
          assert.include(graph.stdout, '"cloudflare:pages:creo-site" [label="pages\\ncreo-site"]', "a lone resource")
          if (dotAvailable) {
            const rendered = childProcess.spawnSync("dot", ["-Tsvg"], { input: graph.stdout, encoding: "utf8" })
            assert.strictEqual(rendered.status, 0, rendered.stderr)
            assert.include(rendered.stdout, "<svg")
            assert.include(rendered.stdout, "creo&#45;dev&#45;01")
          }
        })
      )

      yield* step(
        "Mermaid",
        Effect.gen(function* () {
          const graph = yield* run(["graph", "-f", "fleet.kdl", "--stage", "dev", "--format", "mermaid"], dir)
          assert.strictEqual(graph.code, 0, graph.stderr)
          assert.match(graph.stdout, /^flowchart LR\n/)
          const keyOf = new Map(
            [...graph.stdout.matchAll(/^ {4}(n\d+)\["([^"<]+)<br\/>([^"]+)"\]$/gm)].map(([, id, type, name]) => [
              id!,
              `${type}:${name}`
            ])
          )
          const edges = [...graph.stdout.matchAll(/^ {2}(n\d+) -->(?:\|"([^"]*)"\|)? (n\d+)$/gm)].map(
            ([, from, label, to]) => ({ from: keyOf.get(from!)!, to: keyOf.get(to!)!, label })
          )
          assert.sameMembers(
            edges.map(({ from, to }) => `${from} -> ${to}`),
            expected.map((edge) => edge.replace(/(sakura-cloud|cloudflare):/g, ""))
          )
          assert.deepInclude(edges, { from: "dns:api.creo-memories.com/A", to: "server:creo-dev-01", label: "ip" })
        })
      )

      yield* step(
        "JSON, and an unknown stage",
        Effect.gen(function* () {
          const graph = yield* run(["graph", "-f", "fleet.kdl", "--stage", "dev", "--json"], dir)
          assert.strictEqual(graph.code, 0, graph.stderr)
          const json = JSON.parse(graph.stdout) as {
            readonly nodes: ReadonlyArray<unknown>
            readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string }>
          }
          assert.strictEqual(json.nodes.length, 20)
          assert.sameMembers(
            json.edges.map(({ from, to }) => `${from} -> ${to}`),
            expected
          )
          const unknown = yield* run(["graph", "-f", "fleet.kdl", "--stage", "prod"], dir)
          assert.strictEqual(unknown.code, 1)
          assert.include(unknown.stderr, "unknown stage `prod`")
          assert.isFalse(hasStackTrace(unknown.stderr))
        })
      )
    })
  )
})
