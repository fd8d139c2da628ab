import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as NodePath from "node:path"
import * as Config from "../../src/Config.js"
import { failureOf, folder, withEnv } from "../fixtures/config/support.js"

const fileOf = (text: string, files: Readonly<Record<string, string>> = {}) =>
  NodePath.join(folder({ "fleet.kdl": text, ...files }), "fleet.kdl")

/** The error of loading `text` and expanding `stage` (the only stage when not given). */
const errorOf = (
  text: string,
  options: {
    readonly stage?: string
    readonly env?: Record<string, string>
    readonly files?: Record<string, string>
  } = {}
) => {
  const file = fileOf(text, options.files)
  return failureOf(
    Effect.gen(function* () {
      const config = yield* Config.load(file)
      const stage = yield* Config.selectStage(config, options.stage)
      return yield* Config.desiredResources(config, stage)
    })
  ).pipe(
    withEnv(options.env ?? {}),
    Effect.map((error) => ({ ...error, file, message: error.message, suggestion: error.suggestion }))
  )
}

const at = (error: { readonly line: number; readonly column: number }) => [error.line, error.column]

const sakura = `providers { sakura-cloud { zone "tk1a"; }; }\n`

layer(NodeFileSystem.layer)("Config errors", (it) => {
  describe("syntax", () => {
    it.effect("an unclosed string points at its line", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(`server "a" {\n  plan "2core-4gb\n}\n`)
        assert.strictEqual(error._tag, "ConfigError")
        assert.deepStrictEqual(at(error), [2, 18])
        assert.match(error.message, /syntax error/)
      })
    )

    it.effect("a v2 file is reported by the v2 parser", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(`a proxied=#true\nb 1 = 2\n`)
        assert.deepStrictEqual(at(error), [2, 5])
        assert.strictEqual(error.message, "syntax error: unexpected `=`")
        assert.match(error.suggestion ?? "", /KDL v2/)
      })
    )

    it.effect("an unclosed block is reported at the end of the file", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(`stage "dev" {\n  server "a"\n`)
        assert.deepStrictEqual(at(error), [3, 1])
        assert.strictEqual(error.message, "syntax error: unexpected end of file")
        assert.match(error.suggestion ?? "", /`\}`/)
      })
    )
  })

  describe("fields and values", () => {
    it.effect("an unknown field, with did-you-mean", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(
          sakura + `stage "dev" {\n  server "creo-dev-01" {\n    pln core=2 memory=4\n  }\n}\n`
        )
        assert.deepStrictEqual(at(error), [4, 5])
        assert.strictEqual(error.message, "unknown field `pln` in `server`")
        assert.strictEqual(error.suggestion, "did you mean `plan`?")
        assert.strictEqual(error.path, 'stage "dev" > server "creo-dev-01" > pln')
      })
    )

    it.effect("an unknown property points at the property", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(sakura + `server "a" {\n  plan core=2 memroy=4\n}\n`)
        assert.deepStrictEqual(at(error), [3, 15])
        assert.strictEqual(error.message, "unknown property `memroy` on `plan`")
        assert.strictEqual(error.suggestion, "did you mean `memory`?")
      })
    )

    it.effect("a wrong type says what is expected, at the value", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(sakura + `server "a" {\n  plan "1core-1gb"\n  memory "four"\n}\n`)
        assert.deepStrictEqual(at(error), [4, 10])
        assert.strictEqual(error.message, '`memory` must be a number, got a string "four"')
        const flag = yield* errorOf(`dns "x.com" { record "a" type="TXT" value="v" proxied="yes"; }\n`)
        assert.match(flag.message, /must be a boolean/)
        assert.deepStrictEqual(at(flag), [1, 55])
      })
    )

    it.effect("an unknown zone lists the valid ones with a suggestion", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(`providers {\n  sakura zone="tk1c"\n}\n`)
        assert.deepStrictEqual(at(error), [2, 15])
        assert.strictEqual(error.message, "unknown zone `tk1c`")
        assert.match(error.suggestion ?? "", /^did you mean `tk1a`\? valid zones: `tk1a`, `tk1b`, `is1a`/)
      })
    )

    it.effect("an unknown R2 location and jurisdiction", () =>
      Effect.gen(function* () {
        const location = yield* errorOf(`r2-bucket "media" {\n  location "wnm"\n}\n`)
        assert.deepStrictEqual(at(location), [2, 12])
        assert.strictEqual(location.message, "unknown location `WNM`")
        assert.match(location.suggestion ?? "", /did you mean `WNAM`\?/)
        const jurisdiction = yield* errorOf(`r2-bucket "media" { jurisdiction "us"; }\n`)
        assert.match(jurisdiction.suggestion ?? "", /`eu`, `fedramp`/)
        const both = yield* errorOf(`r2-bucket "media" {\n  location "apac"\n  jurisdiction "eu"\n}\n`)
        assert.deepStrictEqual(at(both), [3, 3])
        assert.match(both.message, /cannot be used together/)
      })
    )

    it.effect("an unknown OS", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(sakura + `server "a" {\n  plan "1core-1gb"\n  disk size=20 os="ubuntu-24.4"\n}\n`)
        assert.deepStrictEqual(at(error), [4, 19])
        assert.strictEqual(error.message, "unknown OS `ubuntu-24.4`")
        assert.match(error.suggestion ?? "", /^did you mean `ubuntu-24.04`\?/)
      })
    )

    it.effect("an unknown record type", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(`dns "x.com" {\n  record "a" type="CNAM" value="b.x.com"\n}\n`)
        assert.deepStrictEqual(at(error), [2, 19])
        assert.match(error.suggestion ?? "", /did you mean `CNAME`\?/)
      })
    )

    it.effect("record contents are checked", () =>
      Effect.gen(function* () {
        const a = yield* errorOf(`dns "x.com" {\n  record "a" type="A" value="not-an-ip"\n}\n`)
        assert.deepStrictEqual(at(a), [2, 29])
        assert.match(a.message, /IPv4/)
        const mx = yield* errorOf(`dns "x.com" {\n  record "@" type="MX" value="mx.x.com"\n}\n`)
        assert.deepStrictEqual(at(mx), [2, 3])
        assert.match(mx.message, /priority/)
      })
    )

    it.effect("missing required fields", () =>
      Effect.gen(function* () {
        const plan = yield* errorOf(sakura + `server "a" {\n  disk size=20 os="ubuntu"\n}\n`)
        assert.deepStrictEqual(at(plan), [2, 1])
        assert.strictEqual(plan.message, "`server` is missing a plan (CPU cores)")
        const disk = yield* errorOf(sakura + `server "a" { plan "1core-1gb"; os "ubuntu"; }\n`)
        assert.strictEqual(disk.message, "`server` is missing a disk size")
        const os = yield* errorOf(sakura + `server "a" { plan "1core-1gb"; disk-size 20; }\n`)
        assert.strictEqual(os.message, "`server` is missing an OS or an archive")
        const record = yield* errorOf(`dns "x.com" {\n  record "a" value="1.2.3.4"\n}\n`)
        assert.deepStrictEqual(at(record), [2, 3])
        assert.strictEqual(record.message, "`record` is missing `type`")
        const worker = yield* errorOf(`worker "w" {\n  route "x.com/*"\n}\n`)
        assert.strictEqual(worker.message, "`worker` is missing `source`")
        const pages = yield* errorOf(`pages "p" { branch "x"; }\n`)
        assert.strictEqual(pages.message, "`pages` is missing `directory`")
      })
    )

    it.effect("files that are not there", () =>
      Effect.gen(function* () {
        const worker = yield* errorOf(`worker "w" {\n  source "./nope"\n}\n`)
        assert.deepStrictEqual(at(worker), [2, 10])
        assert.match(worker.message, /does not exist/)
        const pages = yield* errorOf(`pages "p" { directory "dist"; }\n`)
        assert.match(pages.message, /does not exist/)
        const key = yield* errorOf(
          sakura + `server "a" {\n  plan "1core-1gb"; disk-size 20; os "ubuntu"\n  ssh-key "~/.ssh/missing.pub"\n}\n`,
          {
            env: { HOME: "/nonexistent-home" }
          }
        )
        assert.deepStrictEqual(at(key), [4, 11])
        assert.match(key.message, /cannot read SSH public key \/nonexistent-home\/\.ssh\/missing\.pub/)
        const script = yield* errorOf(
          sakura + `server "a" { plan "1core-1gb"; disk-size 20; os "ubuntu"; startup-script "./setup.sh"; }\n`
        )
        assert.match(script.message, /cannot read startup script/)
      })
    )

    it.effect("an invalid key literal", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(
          sakura +
            `server "a" { plan "1core-1gb"; disk-size 20; os "ubuntu"; ssh-key "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIIp3bRIORsFVVDDs0q34IDerUh6yOL40bHgrjAZPqFpy me"; }\n`
        )
        assert.match(error.message, /invalid SSH public key: the key data is for `ssh-ed25519`, not `ssh-rsa`/)
      })
    )

    it.effect("a bad retry value", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(`retry max-attempts=3 initial-delay="soon"\n`)
        assert.deepStrictEqual(at(error), [1, 36])
        assert.match(error.message, /must be a duration/)
        const zero = yield* errorOf(`retry max-attempts=0\n`)
        assert.match(zero.message, /at least 1/)
      })
    )

    it.effect("an invalid bucket name", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(`r2-bucket "Media_Files" { }\n`)
        assert.deepStrictEqual(at(error), [1, 11])
        assert.match(error.message, /invalid bucket name/)
      })
    )
  })

  describe("stages and references", () => {
    const twoStages =
      sakura +
      `server "web" { plan "1core-1gb"; disk-size 20; os "ubuntu"; }\nstage "dev" { server "web"; }\nstage "live" { server "web"; }\n`

    it.effect("an unknown stage, with did-you-mean and the list", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(twoStages, { stage: "liv" })
        assert.deepStrictEqual(at(error), [4, 1], "points at the closest stage")
        assert.strictEqual(error.message, "unknown stage `liv`")
        assert.strictEqual(error.suggestion, "did you mean `live`? stages: `dev`, `live`")
        const fromEnv = yield* errorOf(twoStages, { env: { FLEETFLOW_STAGE: "prod" } })
        assert.strictEqual(fromEnv.message, "unknown stage `prod` (from FLEETFLOW_STAGE)")
      })
    )

    it.effect("including a template that does not exist", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(twoStages + `stage "qa" {\n  server "wbe"\n}\n`, { stage: "qa" })
        assert.deepStrictEqual(at(error), [6, 3])
        assert.match(error.message, /no top-level `server "wbe"` to include/)
        assert.strictEqual(error.suggestion, "did you mean `web`?")
      })
    )

    it.effect("a duplicate resource points at the second and names the first's line", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(
          sakura +
            `server "web" { plan "1core-1gb"; disk-size 20; os "ubuntu"; }\nstage "dev" {\n  server "web"\n  server "web" { plan "2core-4gb"; }\n}\n`
        )
        // Named where the stage declares it again, not by its disk at the template's line.
        assert.deepStrictEqual(at(error), [5, 3])
        assert.strictEqual(error.message, '`server "web"` is declared twice in stage "dev"')
        assert.strictEqual(error.suggestion, "the first one is at line 4; remove one of them")
        assert.isUndefined(error.others)
        const records = yield* errorOf(
          `dns "x.com" {\n  record "a" type="TXT" value="1"\n  record "a.x.com" type="txt" value="2"\n}\n`
        )
        assert.deepStrictEqual(at(records), [3, 3])
        assert.strictEqual(records.suggestion, "it is already declared at line 2")
      })
    )

    it.effect("a dangling reference, with did-you-mean over the stage's servers", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(
          sakura +
            `server "web-1" { plan "1core-1gb"; disk-size 20; os "ubuntu"; }\ndns "x.com" {\n  record "api" type="A" value=server.web-2.ip\n}\n`
        )
        assert.deepStrictEqual(at(error), [4, 3])
        assert.strictEqual(error.message, "dangling reference `server.web-2.ip`: no server `web-2` in this stage")
        assert.strictEqual(error.suggestion, "did you mean `web-1`?")
        const attribute = yield* errorOf(
          sakura +
            `server "web" { plan "1core-1gb"; disk-size 20; os "ubuntu"; }\ndns "x.com" { record "api" type="A" value="server.web.addr"; }\n`
        )
        assert.match(attribute.message, /unknown attribute `addr`/)
        assert.match(attribute.suggestion ?? "", /`ip`, `ipv6`, `id`, `hostname`/)
      })
    )

    it.effect("a missing environment variable names the variable and the node", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(`providers {\n  cloudflare {\n    account-id env="CF_ACCOUNT_ID"\n  }\n}\n`)
        assert.deepStrictEqual(at(error), [3, 20])
        assert.strictEqual(error.message, "environment variable CF_ACCOUNT_ID is not set (needed by `account-id`)")
        const interpolated = yield* errorOf(
          sakura + `server "a" {\n  plan "1core-1gb"; disk-size 20; os "ubuntu"\n  description "for \${TEAM}"\n}\n`
        )
        assert.deepStrictEqual(at(interpolated), [4, 15])
        assert.match(interpolated.message, /TEAM is not set \(needed by `server "a" > description "for \$\{TEAM\}"`\)/)
      })
    )

    it.effect("a variable missing in another stage does not stop this one", () =>
      Effect.gen(function* () {
        const file = fileOf(
          sakura +
            `stage "dev" { server "a" { plan "1core-1gb"; disk-size 20; os "ubuntu"; } }\nstage "live" { server "b" { plan "1core-1gb"; disk-size 20; os "\${LIVE_OS}"; } }\n`
        )
        const config = yield* Config.load(file)
        assert.strictEqual((yield* Config.desiredResources(config, "dev")).length, 2)
        const error = yield* failureOf(Config.desiredResources(config, "live"))
        assert.match(error.message, /LIVE_OS is not set/)
        assert.deepStrictEqual(at(error), [3, 64])
      }).pipe(withEnv({}))
    )

    it.effect("a DNS block on a server with no zone anywhere", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(
          sakura + `server "a" {\n  plan "1core-1gb"; disk-size 20; os "ubuntu"\n  dns { hostname "app"; }\n}\n`
        )
        assert.deepStrictEqual(at(error), [4, 3])
        assert.match(error.suggestion ?? "", /providers \{ cloudflare \{ zone/)
      })
    )
  })

  describe("tokens in the file", () => {
    const secret = "s3cr3t-T0KEN-value-1234567890"
    const cases = [
      [`providers {\n  cloudflare {\n    api-token "${secret}"\n  }\n}\n`, [3, 5]],
      [`providers {\n  cloudflare account-id="a" api_token="${secret}"\n}\n`, [2, 29]],
      [`provider "cloudflare" {\n  apitoken "${secret}"\n}\n`, [2, 3]],
      [`worker "w" {\n  source "."\n  token "${secret}"\n}\n`, [3, 3]],
      [`worker "w" {\n  source "."\n  Api_TOKEN_ "${secret}"\n}\n`, [3, 3]],
      [`stage "dev" {\n  r2-bucket "media" { cors { api-token "${secret}"; } }\n}\n`, [2, 30]]
    ] as const
    for (const [text, position] of cases) {
      it.effect(`refused without showing the value: ${text.split("\n")[1]?.trim()}`, () =>
        Effect.gen(function* () {
          const error = yield* errorOf(text)
          assert.deepStrictEqual(at(error), [...position])
          assert.match(error.message, /an API token must not be written in the configuration file/)
          assert.match(error.suggestion ?? "", /CF_API_TOKEN or CLOUDFLARE_API_TOKEN/)
          for (const value of Object.values(error)) assert.notInclude(String(value), secret)
          assert.notInclude(JSON.stringify(error), secret)
        })
      )
    }
  })

  describe("the state block", () => {
    const load = (text: string, env: Record<string, string> = {}) => Config.load(fileOf(text)).pipe(withEnv(env))

    it.effect("is the local folder by default, and PostgreSQL as properties or child nodes", () =>
      Effect.gen(function* () {
        assert.deepStrictEqual((yield* load(`project "p"\n`)).state, { backend: "local" })
        const url = "postgres://ops:s3cret@db:5432/infra"
        const asProps = (yield* load(`state backend="postgres" url="postgres://ops@db/infra" schema="ff"\n`)).state
        assert.strictEqual(asProps.backend, "postgres")
        if (asProps.backend !== "postgres") return
        assert.strictEqual(asProps.schema, "ff")
        assert.strictEqual(Redacted.value(Either.getOrThrow(asProps.url!)), "postgres://ops@db/infra")
        const fromEnv = (yield* load(`state {\n  backend "postgres"\n  url env="PG"\n}\n`, { PG: url })).state
        if (fromEnv.backend !== "postgres") return assert.fail("postgres")
        assert.strictEqual(Redacted.value(Either.getOrThrow(fromEnv.url!)), url)
        assert.notInclude(String(fromEnv.url), "s3cret")
        // A variable that is not set fails the commands that open the state, not the loading.
        const unset = (yield* load(`state { backend "postgres"; url env="PG"; }\n`)).state
        if (unset.backend !== "postgres") return assert.fail("postgres")
        const missing = Either.getLeft(unset.url!).pipe(Option.getOrThrow)
        assert.include(missing.message, "environment variable PG is not set")
      })
    )

    it.effect("refuses a password written in the file, without repeating it", () =>
      Effect.gen(function* () {
        const loaded = yield* load(`state { backend "postgres"; url "postgres://ops:s3cret@db/infra"; }\n`)
        if (loaded.state.backend !== "postgres") return assert.fail("postgres")
        const error = Either.getLeft(loaded.state.url!).pipe(Option.getOrThrow)
        assert.strictEqual(error.message, "a database password must not be written in the configuration file")
        assert.strictEqual(error.path, "state > url")
        assert.notInclude(JSON.stringify({ ...error, message: error.message, suggestion: error.suggestion }), "s3cret")
        // Interpolated from the environment, it is not written in the file.
        const interpolated = yield* load(`state { backend "postgres"; url "postgres://ops:\${PW}@db/infra"; }\n`, {
          PW: "s3cret"
        })
        if (interpolated.state.backend !== "postgres") return assert.fail("postgres")
        assert.isTrue(Either.isRight(interpolated.state.url!))
      })
    )

    it.effect("names a wrong backend, schema or field", () =>
      Effect.gen(function* () {
        const backend = yield* failureOf(load(`state { backend "postgress"; }\n`))
        assert.match(backend.message, /backend/)
        assert.include(backend.suggestion ?? "", "postgres")
        const schema = yield* failureOf(load(`state { backend "postgres"; schema "a-b"; }\n`))
        assert.include(schema.message, "`schema` must be a PostgreSQL name")
        const local = yield* failureOf(load(`state { url "postgres://db/x"; }\n`))
        assert.include(local.message, "is a setting of the postgres backend")
        const field = yield* failureOf(load(`state { backend "postgres"; uri "postgres://db/x"; }\n`))
        assert.include(field.message, "unknown field `uri` in `state`")
        assert.include(field.suggestion ?? "", "url")
        const notUrl = yield* load(`state { backend "postgres"; url "db.internal"; }\n`)
        if (notUrl.state.backend !== "postgres") return assert.fail("postgres")
        assert.include(
          Either.getLeft(notUrl.state.url!).pipe(Option.getOrThrow).message,
          "PostgreSQL connection string"
        )
        // From the environment, the variable is named (the file holds no string to fix), its value is not.
        const env = yield* load(`state { backend "postgres"; url env="PG"; }\n`, { PG: "mysql://ops:s3cret@db/x" })
        if (env.state.backend !== "postgres") return assert.fail("postgres")
        const fromEnv = Either.getLeft(env.state.url!).pipe(Option.getOrThrow)
        assert.strictEqual(fromEnv.message, "PG, which `url` names, must hold a PostgreSQL connection string")
        assert.strictEqual(fromEnv.suggestion, "set PG to postgres://user:password@host:5432/database")
        assert.notInclude(JSON.stringify({ ...fromEnv, message: fromEnv.message }), "s3cret")
      })
    )
  })

  describe("every error at once", () => {
    const problems = (error: Config.ConfigError) =>
      Config.problemsOf(error).map((problem) => [problem.line, problem.column, problem.message])

    it.effect("each unknown field of a node, each node of a stage, each stage, by position", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(
          sakura +
            `stage "b" {\n  server "x" {\n    pln 2\n    dsk 3\n  }\n}\n` +
            `stage "a" {\n  r2-bucket "assets" {\n    location "nowhere"\n  }\n  server "z" {\n    zone "tk1a"\n  }\n  server "w"\n}\n`,
          { stage: "a" }
        )
        assert.deepStrictEqual(problems(error), [
          [4, 5, "unknown field `pln` in `server`"],
          [5, 5, "unknown field `dsk` in `server`"],
          [10, 14, "unknown location `NOWHERE`"],
          [12, 3, "`server` is missing a plan (CPU cores)"],
          [15, 3, 'no top-level `server "w"` to include']
        ])
        assert.strictEqual(Config.problemCount(error), 5)
        // The first one is the error, as when it is alone.
        assert.deepStrictEqual(at(error), [4, 5])
        assert.strictEqual(error.message, "unknown field `pln` in `server`")
      })
    )

    it.effect("each bad value of a node: it is read again without the field at fault", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(
          sakura +
            `r2-bucket "assets" {\n  location "mars"\n  storage-class "cold"\n}\n` +
            `server "web" {\n  plan core=2 memory=4\n  disk size=20 os="ubuntu2404"\n  tags 1\n  description 42\n  zone "tk9z"\n}\n`
        )
        assert.deepStrictEqual(problems(error), [
          [3, 12, "unknown location `MARS`"],
          [4, 17, "unknown storage class `cold`"],
          [9, 8, "`tags` must be a string, got a number 1"],
          [10, 15, "`description` must be a string, got a number 42"],
          [11, 8, "unknown zone `tk9z`"]
        ])
        assert.strictEqual(
          Config.problemsOf(error)[1]?.suggestion,
          "valid storage classes: `Standard`, `InfrequentAccess`"
        )
      })
    )

    it.effect("a field at fault that the node needs is not then reported missing", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(sakura + `server "web" {\n  plan core="x" memory=4\n  tags 1\n}\n`)
        assert.deepStrictEqual(problems(error), [[3, 13, '`core` must be a number, got a string "x"']])
      })
    )

    it.effect("a template failing in two stages is reported once; duplicates are reported with the rest", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(
          sakura +
            `server "t" {\n  pln 2\n}\nr2-bucket "b" { }\nr2-bucket "b" { }\n` +
            `stage "one" {\n  server "t"\n}\nstage "two" {\n  server "t"\n}\nstage "one" { }\n`
        )
        assert.deepStrictEqual(
          problems(error).map(([line, _column, message]) => [line, message]),
          [
            [3, "unknown field `pln` in `server`"],
            [6, '`r2-bucket "b"` is defined twice'],
            [13, 'stage "one" is declared twice']
          ]
        )
      })
    )

    it.effect("variables missing in several nodes of a stage stop that stage only, and are all named", () =>
      Effect.gen(function* () {
        const text =
          `providers { cloudflare { zone "example.com"; }; }\n` +
          `stage "dev" {\n  dns "example.com" {\n    record "a" type="A" value="192.0.2.1"\n  }\n}\n` +
          `stage "live" {\n  dns "example.com" {\n    record "a" type="A" value="\${LIVE_A}"\n    record "b" type="A" value="\${LIVE_B}"\n  }\n}\n`
        const config = yield* Config.load(fileOf(text)).pipe(withEnv({}))
        assert.lengthOf(yield* Config.desiredResources(config, "dev"), 1)
        const live = yield* failureOf(Config.desiredResources(config, "live"))
        assert.deepStrictEqual(
          Config.problemsOf(live).map((problem) => problem.message.split(" (")[0]),
          ["environment variable LIVE_A is not set", "environment variable LIVE_B is not set"]
        )
      })
    )

    it.effect("a provider block that fails does not make every server's zone missing", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(
          `providers { sakura-cloud { zone "tk9z"; }; }\nserver "a" {\n  plan core=2 memory=4\n  disk size=40 os="ubuntu-24.04"\n}\nserver "b" {\n  pln 2\n}\n`
        )
        assert.deepStrictEqual(
          problems(error).map(([line]) => line),
          [1, 7]
        )
      })
    )

    it.effect("an expansion error of each resource, such as keys declared twice", () =>
      Effect.gen(function* () {
        const error = yield* errorOf(
          `providers { cloudflare { zone "example.com"; }; }\n` +
            `dns "example.com" {\n  record "a" type="A" value="192.0.2.1"\n  record "a" type="A" value="192.0.2.2"\n}\n` +
            `dns "example.com." {\n  record "b" type="A" value="192.0.2.1"\n  record "b" type="A" value="192.0.2.3"\n}\n`
        )
        assert.deepStrictEqual(
          problems(error).map(([line]) => line),
          [4, 8]
        )
      })
    )
  })
})
