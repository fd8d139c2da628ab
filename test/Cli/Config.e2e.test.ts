import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { hasStackTrace, run, sharedSamples, workspace } from "../support/Cli.js"
import { step } from "../support/Step.js"

const folderWith = (files: Record<string, string>) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-config-"))
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content)
  return dir
}

const server = (body: string) => `project "p"
providers { sakura-cloud { zone "tk1a" } }
stage "dev" {
    server "web" {
${body}
    }
}
`

const valid = `        plan core=2 memory=4
        disk size=40 os="ubuntu-24.04"`

describe("configuration errors, as the operator sees them", () => {
  const cases: ReadonlyArray<{
    readonly name: string
    readonly file: string
    readonly args?: ReadonlyArray<string>
    readonly env?: Record<string, string>
    readonly where: string
    readonly says: ReadonlyArray<string>
  }> = [
    {
      name: "syntax error",
      file: server(`        plan core=2 memory=4 {{`),
      where: "fleet.kdl:5:",
      says: []
    },
    {
      name: "unknown field, with a did-you-mean",
      file: server(`${valid}\n        memroy 8`),
      where: "fleet.kdl:7:9",
      says: ["memroy", "did you mean `memory`?"]
    },
    {
      name: "wrong value type",
      file: server(`        plan core=2 memory="four"\n        disk size=40 os="ubuntu-24.04"`),
      where: "fleet.kdl:5:",
      says: ["memory"]
    },
    {
      name: "a value outside its set",
      file: server(`${valid}\n        zone "tk9z"`),
      where: "fleet.kdl:7:14",
      says: ["tk9z", "tk1a"]
    },
    {
      name: "an unknown OS",
      file: server(`        plan core=2 memory=4\n        disk size=40 os="ubunto-24.04"`),
      where: "fleet.kdl:6:",
      says: ["ubunto-24.04", "ubuntu-24.04"]
    },
    {
      name: "a missing required field",
      file: server(`        plan core=2 memory=4`),
      where: "fleet.kdl:4:5",
      says: ["disk"]
    },
    {
      name: "an unknown stage",
      file: server(valid),
      args: ["--stage", "prod"],
      where: "fleet.kdl:3:1",
      says: ["prod", "dev"]
    },
    {
      name: "a duplicate resource",
      file: server(valid).replace('stage "dev" {', `stage "dev" {\n    server "web" {\n${valid}\n    }`),
      where: "fleet.kdl:",
      says: ["web"]
    },
    {
      name: "a dangling reference",
      file: `${server(valid)}stage "x" { }\n`
        .replace('stage "x" { }', "")
        .replace(
          "    }\n}\n",
          `    }\n    dns "example.com" {\n        record "api" type="A" value=server.wbe.ip\n    }\n}\n`
        ),
      where: "fleet.kdl:9:",
      says: ["wbe", "web"]
    },
    {
      name: "a missing environment variable",
      file: server(valid).replace('zone "tk1a"', 'zone env="FLEETFLOW_TEST_ZONE"'),
      where: "fleet.kdl:2:",
      says: ["FLEETFLOW_TEST_ZONE"]
    }
  ]

  for (const testCase of cases) {
    it.live(`${testCase.name}: one clear error with line and column, exit 1, no stack trace`, () =>
      Effect.gen(function* () {
        const dir = folderWith({ "fleet.kdl": testCase.file })
        const result = yield* run(["plan", "--sandbox", ...(testCase.args ?? [])], dir, testCase.env ?? {})
        assert.strictEqual(result.code, 1, result.stdout + result.stderr)
        assert.include(result.stderr, testCase.where)
        for (const text of testCase.says) assert.include(result.stderr, text)
        assert.isFalse(hasStackTrace(result.stderr), result.stderr)
        assert.strictEqual(result.stderr.split("Error:").length - 1, 1, "exactly one error")
        assert.strictEqual(result.stdout, "")
      })
    )
  }

  it.live("validate of every stage reports the errors of each stage in one run", () =>
    Effect.gen(function* () {
      const server = (stage: string) => `stage "${stage}" {
    server "web" {
        plan core=2 memory=4
        disk size=40 os="ubuntu-24.04"
        ssh-key "./keys/${stage}.pub"
    }
}`
      const dir = folderWith({
        "fleet.kdl": `project "p"\nproviders { sakura-cloud { zone "tk1a" }; }\n${server("dev")}\n${server("live")}\n`
      })
      const result = yield* run(["validate"], dir)
      assert.strictEqual(result.code, 1, result.stdout + result.stderr)
      const where = [...result.stderr.matchAll(/^ {2}--> (fleet\.kdl:\d+:\d+)/gm)].map((match) => match[1])
      assert.deepStrictEqual(where, ["fleet.kdl:7:17", "fleet.kdl:14:17"], result.stderr)
      assert.include(result.stderr, "keys/dev.pub: no such file")
      assert.include(result.stderr, "keys/live.pub: no such file")
      assert.match(result.stderr, /\n\n2 errors in fleet\.kdl\n$/)
    })
  )

  it.live("errors in three nodes come out in one run, by position, with a count, and all of them in --json", () =>
    Effect.gen(function* () {
      const dir = folderWith({
        "fleet.kdl": `project "p"
providers { sakura-cloud { zone "tk1a" }; cloudflare { zone "example.com" } }
stage "dev" {
    server "web" {
        pln core=2 memory=4
        disk size=40 os="ubuntu-24.04"
    }
    r2-bucket "assets" {
        location "nowhere"
    }
    dns "example.com" {
        record "api" type="A" value=server.wbe.ip
    }
}
`
      })
      for (const command of ["validate", "plan"]) {
        const result = yield* run([command, "--sandbox"], dir)
        assert.strictEqual(result.code, 1, result.stdout + result.stderr)
        assert.isFalse(hasStackTrace(result.stderr), result.stderr)
        const where = [...result.stderr.matchAll(/^ {2}--> (fleet\.kdl:\d+:\d+)/gm)].map((match) => match[1])
        assert.deepStrictEqual(where, ["fleet.kdl:5:9", "fleet.kdl:9:18", "fleet.kdl:12:9"], result.stderr)
        assert.include(result.stderr, "Error: unknown field `pln` in `server`\n")
        assert.include(result.stderr, "did you mean `plan`?")
        assert.include(result.stderr, "unknown location `NOWHERE`")
        assert.include(result.stderr, "dangling reference `server.wbe.ip`")
        assert.include(result.stderr, "did you mean `web`?")
        assert.match(result.stderr, /\n\n3 errors in fleet\.kdl\n$/)
      }
      const json = yield* run(["validate", "--sandbox", "--json"], dir)
      assert.strictEqual(json.code, 1)
      const { error } = JSON.parse(json.stdout) as {
        error: { _tag: string; count: number; errors: ReadonlyArray<{ line: number; column: number; message: string }> }
      }
      assert.strictEqual(error._tag, "ConfigError")
      assert.strictEqual(error.count, 3)
      assert.deepStrictEqual(
        error.errors.map((problem) => [problem.line, problem.column]),
        [
          [5, 9],
          [9, 18],
          [12, 9]
        ]
      )
      assert.match(error.errors[2]!.message, /dangling reference/)
    })
  )

  it.live("an API token written in the file is refused without echoing it", () =>
    Effect.gen(function* () {
      const canary = "cf-canary-7d1e0c9b4a2f"
      const dir = folderWith({
        "fleet.kdl": `project "p"\nproviders { cloudflare { api-token "${canary}" } }\nr2-bucket "files" { }\n`
      })
      for (const command of ["validate", "plan", "up"]) {
        const result = yield* run(
          [command, "--sandbox", "--yes", "--json"].filter((arg) => command === "up" || arg !== "--yes"),
          dir
        )
        assert.strictEqual(result.code, 1)
        assert.include(result.stderr, "fleet.kdl:2:")
        assert.include(result.stderr, "CF_API_TOKEN")
        assert.notInclude(result.stdout + result.stderr, canary)
      }
      assert.isFalse(fs.existsSync(path.join(dir, ".fleetflow")))
    })
  )
})

describe("files written for upstream FleetFlow", () => {
  it.live("load and plan: KDL v1, provider blocks, a top-level server included by a stage, service nodes", () =>
    Effect.gen(function* () {
      const dir = workspace(sharedSamples)
      yield* step(
        "fleet.kdl plans the stage live",
        Effect.gen(function* () {
          const fleet = yield* run(
            ["plan", "--sandbox", "-f", "fleet.kdl", "--stage", "live", "--detailed-exitcode"],
            dir
          )
          assert.strictEqual(fleet.code, 2, fleet.stderr)
          assert.include(fleet.stdout, 'server "fleetflow-cp"')
          assert.include(fleet.stdout, '"debian"')
          assert.notInclude(fleet.stdout, "fleetflowd", "service nodes are ignored")
        })
      )

      yield* step(
        "cp.kdl plans with CLOUDFLARE_DOMAIN set",
        Effect.gen(function* () {
          const cp = yield* run(["plan", "--sandbox", "-f", "cp.kdl", "--detailed-exitcode"], dir, {
            CLOUDFLARE_DOMAIN: "fleetstage.cloud"
          })
          assert.strictEqual(cp.code, 2, cp.stderr)
          assert.include(cp.stdout, "cloudflare:dns:cp.fleetstage.cloud/A")
          assert.include(cp.stdout, "cloudflare:dns:dashboard.fleetstage.cloud/CNAME")
          assert.include(cp.stdout, "sakura-cloud:startup-script:fleetflow-docker-setup")
        })
      )

      yield* step(
        "cp.kdl without it names the missing zone",
        Effect.gen(function* () {
          const noZone = yield* run(["plan", "--sandbox", "-f", "cp.kdl"], dir)
          assert.strictEqual(noZone.code, 1)
          assert.include(noZone.stderr, "cp.kdl:")
          assert.include(noZone.stderr, "zone")
        })
      )
    })
  )

  it.live("the example holds every node of the language and validates", () =>
    Effect.gen(function* () {
      const dir = workspace()
      const result = yield* run(["validate", "--json"], dir)
      assert.strictEqual(result.code, 0, result.stderr)
      const declared = JSON.parse(result.stdout) as {
        stages: ReadonlyArray<{ name: string; resources: ReadonlyArray<{ key: string }> }>
      }
      assert.deepStrictEqual(
        declared.stages.map((stage) => stage.name),
        ["dev", "live"]
      )
      const types = new Set(
        declared.stages.flatMap((stage) => stage.resources.map((resource) => resource.key.split(":")[1]))
      )
      assert.deepStrictEqual([...types].sort(), [
        "disk",
        "dns",
        "pages",
        "r2",
        "r2-domain",
        "server",
        "ssh-key",
        "startup-script",
        "worker"
      ])
      const example = fs.readFileSync(path.join(dir, "fleet.kdl"), "utf8")
      for (const node of [
        "scale",
        "retry",
        "init-script-vars",
        "archive",
        "custom-domain",
        "bindings",
        "aliases",
        "service"
      ]) {
        assert.include(example, node)
      }
    })
  )
})
