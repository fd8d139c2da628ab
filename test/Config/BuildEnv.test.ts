/**
 * `build-env` in the cloudflare provider block: the names and prefixes of the user's variables that
 * wrangler and its builds get; one that could pass the state database's secrets is refused where it is written.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as NodePath from "node:path"
import * as Config from "../../src/Config.js"
import { failureOf, folder, withEnv } from "../fixtures/config/support.js"

const server = `server "s" { plan "1core-1gb"; disk-size 20; os "ubuntu" }\n`

const fileOf = (text: string) => NodePath.join(folder({ "fleet.kdl": text + server }), "fleet.kdl")

const providersOf = (text: string, env: Record<string, string> = {}) =>
  Effect.map(Config.load(fileOf(text)).pipe(withEnv(env)), (config) => config.providers.cloudflare)

const errorOf = (text: string, env: Record<string, string> = {}) => {
  const file = fileOf(text)
  return Effect.map(failureOf(Config.load(file).pipe(withEnv(env))), (error) => ({
    file: error.file,
    at: [error.line, error.column],
    message: error.message,
    suggestion: error.suggestion ?? "",
    expectedFile: file
  }))
}

const sakura = `providers { sakura zone="tk1a" }\n`

layer(NodeFileSystem.layer)("build-env", (it) => {
  describe("names the variables wrangler and its builds get", () => {
    it.effect("as arguments, on several lines and in several blocks, in the order written, each once", () =>
      Effect.gen(function* () {
        const cloudflare = yield* providersOf(
          sakura +
            `providers {\n    cloudflare {\n        account-id "a"\n        build-env "NODE_ENV" "SENTRY_*"\n` +
            `        build-env "NODE_ENV" "npm_config_registry"\n    }\n}\nprovider "cloudflare" { build-env "VITE_*" }\n`
        )
        assert.deepStrictEqual(cloudflare, {
          accountId: "a",
          buildEnv: ["NODE_ENV", "SENTRY_*", "npm_config_registry", "VITE_*"]
        })
      })
    )

    it.effect("in the short form as a property, and none when the block has none", () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* providersOf(sakura + `providers { cloudflare build-env="NODE_ENV" }\n`), {
          buildEnv: ["NODE_ENV"]
        })
        assert.deepStrictEqual(yield* providersOf(sakura + `providers { cloudflare account-id="a" }\n`), {
          accountId: "a"
        })
      })
    )
  })

  describe("refuses what could pass the state database's secrets, where it is written", () => {
    const refused = (name: string, state = "") =>
      errorOf(sakura + state + `providers {\n    cloudflare {\n        build-env "NODE_ENV" "${name}"\n    }\n}\n`)

    it.effect("libpq's PG* variables and FLEETFLOW_PG_URL, by name or by a prefix that reaches them", () =>
      Effect.gen(function* () {
        for (const name of ["PGPASSWORD", "PGHOST", "FLEETFLOW_PG_URL", "PG*", "P*", "*", "FLEETFLOW_*"]) {
          const error = yield* refused(name)
          assert.strictEqual(error.file, error.expectedFile)
          assert.deepStrictEqual(error.at, [4, 30], name)
          assert.strictEqual(
            error.message,
            `\`build-env\` "${name}" could pass the state database's secrets to wrangler and your builds`
          )
          assert.include(error.suggestion, "remove it")
          assert.include(error.suggestion, "PG*")
          assert.include(error.suggestion, ".env")
        }
      })
    )

    it.effect("the variables the state block's url reads, by env= or by a reference inside it, even when unset", () =>
      Effect.gen(function* () {
        const byEnv = yield* refused("TEAM_STATE_URL", `state { backend "postgres"; url env="TEAM_STATE_URL" }\n`)
        assert.deepStrictEqual(byEnv.at, [5, 30])
        assert.include(byEnv.message, `"TEAM_STATE_URL" could pass the state database's secrets`)
        assert.include(byEnv.suggestion, "`TEAM_STATE_URL` (read by the `state` block's url)")
        const byReference = yield* refused(
          "DB_*",
          `state { backend "postgres"; url "postgres://fleet:\${DB_PASSWORD}@db/state" }\n`
        )
        assert.include(byReference.message, `"DB_*" could pass the state database's secrets`)
        assert.include(byReference.suggestion, "`DB_PASSWORD`")
      })
    )

    it.effect("a text that names no variable", () =>
      Effect.gen(function* () {
        const error = yield* refused("NODE ENV")
        assert.deepStrictEqual(error.at, [4, 30])
        assert.strictEqual(error.message, '`build-env` takes names of environment variables, got "NODE ENV"')
        assert.include(error.suggestion, `"SENTRY_*"`)
        const empty = yield* errorOf(sakura + `providers {\n    cloudflare {\n        build-env\n    }\n}\n`)
        assert.deepStrictEqual(empty.at, [4, 9])
        assert.strictEqual(empty.message, "`build-env` needs the names of the variables to pass")
      })
    )

    it.effect("names that only look alike pass", () =>
      Effect.gen(function* () {
        const cloudflare = yield* providersOf(
          sakura +
            `state { backend "postgres"; url env="TEAM_STATE_URL" }\n` +
            `providers { cloudflare { build-env "PG_SHARD" "PAGES_*" "TEAM_NAME" "FLEETFLOW_SANDBOX_*"; }; }\n`,
          { TEAM_STATE_URL: "postgres://fleet@db/state" }
        )
        assert.deepStrictEqual(cloudflare?.buildEnv, ["PG_SHARD", "PAGES_*", "TEAM_NAME", "FLEETFLOW_SANDBOX_*"])
      })
    )
  })
})
