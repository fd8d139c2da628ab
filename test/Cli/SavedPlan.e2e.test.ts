/**
 * Saved plans through the built CLI on the sandbox, as a team gating applies in CI meets them:
 * `plan --out FILE` then `up FILE` applies exactly the saved actions without asking; a state or a
 * configuration changed in between, or a cloud changed outside FleetFlow, makes `up FILE` refuse
 * with exit 1 and apply nothing; the file holds no token, password or secret value; a corrupt file
 * is refused with its name and no stack trace.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as CloudflareSimulator from "../../src/Cloudflare/Simulator.js"
import * as Sandbox from "../../src/Sandbox.js"
import { hasStackTrace, repository, run } from "../support/Cli.js"
import { step } from "../support/Step.js"

const fleet = (memory: number, extra = "") => `project "shop"
providers {
    sakura-cloud { zone "tk1a" }
    cloudflare { account-id "023e105f4ecef8ad9ca31a8372d0c353"; zone "example.com" }
}
stage "dev" {
    server "web" {
        plan core=1 memory=${memory}
        disk size=20 os="ubuntu-24.04"
    }
    dns "example.com" {
        record "api" type="A" value=server.web.ip
${extra}
    }
}
`

const sandbox = ["--sandbox", "-f", "fleet.kdl"]
const sandboxDirectory = (dir: string) => path.join(dir, ".fleetflow", "sandbox")

const folder = (text: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-saved-plan-"))
  fs.writeFileSync(path.join(dir, "fleet.kdl"), text)
  return dir
}

/** The state's serial in the sandbox, 0 when there is none. */
const serialOf = (dir: string): number => {
  const file = path.join(sandboxDirectory(dir), "state.json")
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as { serial: number }).serial : 0
}

/** What the sandbox clouds hold, without the times they keep. */
const clouds = (dir: string) =>
  Sandbox.inspect(sandboxDirectory(dir)).pipe(
    Effect.map((resources) => JSON.stringify(resources)),
    Effect.catchAll(() => Effect.succeed("(no clouds yet)")),
    Effect.provide(NodeContext.layer)
  )

interface SavedAction {
  readonly _tag: string
  readonly key: string
}
const savedActions = (dir: string, file = "plan.json"): ReadonlyArray<SavedAction> =>
  (JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as { plan: { actions: ReadonlyArray<SavedAction> } }).plan
    .actions

/** `up FILE` refused a stale plan: exit 1, the reason, the command that makes it again, nothing applied. */
const refusedStale = (dir: string, reason: RegExp) =>
  Effect.gen(function* () {
    const serial = serialOf(dir)
    const before = yield* clouds(dir)
    const up = yield* run(["up", "plan.json", ...sandbox], dir)
    assert.strictEqual(up.code, 1, up.stdout + up.stderr)
    assert.match(up.stderr, /the saved plan plan\.json is stale: /)
    assert.match(up.stderr, reason)
    assert.include(up.stderr, "Nothing was applied.")
    // The hint carries the flags of the command that printed it.
    assert.include(up.stderr, "`fleetflow plan --stage dev --out plan.json --sandbox --file fleet.kdl`")
    assert.isFalse(hasStackTrace(up.stdout + up.stderr))
    assert.strictEqual(serialOf(dir), serial, "the state was not written")
    assert.strictEqual(yield* clouds(dir), before, "the clouds were not changed")
  })

describe("saved plans through the CLI", () => {
  it.live(
    "plan --json --out FILE, then up FILE --json applies exactly the saved actions without asking",
    () =>
      Effect.gen(function* () {
        const dir = folder(fleet(2))
        const planned = yield* run(["plan", ...sandbox, "--stage", "dev", "--json", "--out", "plan.json"], dir)
        assert.strictEqual(planned.code, 0, planned.stderr)
        const printed = JSON.parse(planned.stdout) as { plan: { actions: ReadonlyArray<SavedAction> } }
        const saved = savedActions(dir)
        assert.deepStrictEqual(
          saved.map(({ _tag, key }) => [_tag, key]),
          printed.plan.actions.map(({ _tag, key }) => [_tag, key])
        )
        assert.strictEqual(fs.statSync(path.join(dir, "plan.json")).mode & 0o777, 0o600)
        assert.strictEqual(yield* clouds(dir), "[]", "plan changed nothing")

        // No terminal and no --yes: the saved plan was the review.
        const up = yield* run(["up", "plan.json", ...sandbox, "--json"], dir)
        assert.strictEqual(up.code, 0, up.stdout + up.stderr)
        const result = JSON.parse(up.stdout) as {
          plan: { actions: ReadonlyArray<SavedAction> }
          applied: ReadonlyArray<{ operation: string; key: string }>
          serial: number
        }
        assert.deepStrictEqual(
          result.plan.actions.map(({ _tag, key }) => [_tag, key]),
          saved.map(({ _tag, key }) => [_tag, key])
        )
        assert.deepStrictEqual(
          [...new Set(result.applied.map((applied) => applied.key))].sort(),
          saved
            .filter((action) => action._tag !== "NoOp")
            .map((action) => action.key)
            .sort()
        )
        assert.strictEqual(result.serial, serialOf(dir))
        const settled = yield* run(["plan", ...sandbox, "--detailed-exitcode"], dir)
        assert.strictEqual(settled.code, 0, settled.stdout + settled.stderr)

        yield* step(
          "the same file again is stale: the state it was made from has changed",
          refusedStale(dir, /the state was created since it was made \(now at serial \d+\)/)
        )
      }),
    120_000
  )

  it.live(
    "a state changed by another up, a configuration edited, a record edited outside: up FILE refuses and applies nothing",
    () =>
      Effect.gen(function* () {
        const dir = folder(fleet(2))
        const first = yield* run(["up", ...sandbox, "--yes"], dir)
        assert.strictEqual(first.code, 0, first.stderr)
        fs.writeFileSync(path.join(dir, "fleet.kdl"), fleet(4))
        const save = () =>
          Effect.gen(function* () {
            const planned = yield* run(["plan", ...sandbox, "--out", "plan.json"], dir)
            assert.strictEqual(planned.code, 0, planned.stderr)
            assert.match(planned.stdout, /~ memory = 2 -> 4/)
            assert.include(planned.stdout, "`fleetflow up plan.json --sandbox --file fleet.kdl`")
          })

        yield* step(
          "another configuration of the project changes the state",
          Effect.gen(function* () {
            yield* save()
            const extra = `        record "www" type="CNAME" value="api.example.com"`
            fs.writeFileSync(path.join(dir, "other.kdl"), fleet(2, extra))
            const other = yield* run(["up", "--sandbox", "-f", "other.kdl", "--yes"], dir)
            assert.strictEqual(other.code, 0, other.stderr)
            yield* refusedStale(dir, /the state changed since it was made \(serial \d+ → \d+\)/)
          })
        )

        yield* step(
          "the configuration is edited after the plan",
          Effect.gen(function* () {
            yield* save()
            fs.writeFileSync(path.join(dir, "fleet.kdl"), fleet(8))
            yield* refusedStale(dir, /the configuration file .*fleet\.kdl changed since it was made/)
            fs.writeFileSync(path.join(dir, "fleet.kdl"), fleet(4))
          })
        )

        yield* step(
          "a record is edited outside FleetFlow after the plan: the fresh plan differs",
          Effect.gen(function* () {
            yield* save()
            yield* editRecord(dir, "api.example.com")
            yield* refusedStale(dir, /it differs for cloudflare:dns:api\.example\.com\/A/)
          })
        )

        yield* step(
          "planned again, it applies",
          Effect.gen(function* () {
            yield* save()
            const up = yield* run(["up", "plan.json", ...sandbox], dir)
            assert.strictEqual(up.code, 0, up.stdout + up.stderr)
            assert.include(up.stdout, "Applying the plan saved in plan.json")
            assert.include(up.stdout, "Apply complete!")
          })
        )
      }),
    180_000
  )

  it.live(
    "the saved file holds no token, password or secret value, and up FILE takes them from the configuration again",
    () =>
      Effect.gen(function* () {
        const canaries = {
          CF_API_TOKEN: "canary-token-7f3a91",
          FLEETFLOW_PG_URL: "postgres://fleet:canary-pg-password-52c1@127.0.0.1:5432/state",
          PGPASSWORD: "canary-pg-password-52c1",
          DB_PASSWORD: "canary-db-password-a81c",
          API_SECRET: "canary-worker-secret-0d4e",
          SITE_VERIFY_TOKEN: "canary-verify-token-66af"
        }
        const dir = folder(`project "shop"
providers {
    sakura-cloud { zone "tk1a" }
    cloudflare { account-id "023e105f4ecef8ad9ca31a8372d0c353"; zone "example.com" }
}
stage "dev" {
    server "web" {
        plan core=1 memory=2
        disk size=20 os="ubuntu-24.04"
        startup-script "./boot.sh"
        init-script-vars { DB_PASSWORD "\${DB_PASSWORD}" }
    }
    worker "api" {
        source "./worker"
        compatibility-date "2026-11-01"
        bindings { var "API_SECRET" "\${API_SECRET}"; var "MODE" "dev" }
    }
    dns "example.com" {
        record "@" type="TXT" value="site-verification=\${SITE_VERIFY_TOKEN}"
    }
}
`)
        fs.writeFileSync(path.join(dir, "boot.sh"), "#!/bin/sh\necho 'canary-script-secret-9b2e' > /etc/app-key\n")
        fs.cpSync(path.join(repository, "examples/workers/api-gateway"), path.join(dir, "worker"), { recursive: true })
        const planned = yield* run(["plan", ...sandbox, "--out", "plan.json"], dir, canaries)
        assert.strictEqual(planned.code, 0, planned.stdout + planned.stderr)
        const text = fs.readFileSync(path.join(dir, "plan.json"), "utf8")
        for (const canary of [...Object.values(canaries), "canary-script-secret-9b2e"]) {
          assert.notInclude(text, canary, "the saved plan holds a secret")
        }
        assert.include(text, '"MODE"', "what holds no secret is kept as it is")

        const up = yield* run(["up", "plan.json", ...sandbox], dir, canaries)
        assert.strictEqual(up.code, 0, up.stdout + up.stderr)
        const state = fs.readFileSync(path.join(sandboxDirectory(dir), "state.json"), "utf8")
        assert.include(state, canaries.API_SECRET, "the Worker got its variable from the configuration")
        assert.include(state, `site-verification=${canaries.SITE_VERIFY_TOKEN}`, "the record got its token")

        // Another value of a variable the configuration reads is another plan.
        const again = yield* run(["plan", ...sandbox, "--out", "plan.json"], dir, canaries)
        assert.strictEqual(again.code, 0, again.stderr)
        const changed = yield* run(["up", "plan.json", ...sandbox], dir, { ...canaries, API_SECRET: "another-value-1" })
        assert.strictEqual(changed.code, 1, changed.stdout + changed.stderr)
        assert.match(changed.stderr, /it differs for cloudflare:worker:api/)
        assert.notInclude(changed.stdout + changed.stderr, "another-value-1")
      }),
    180_000
  )

  it.live(
    "a corrupt, foreign or newer file is refused with its name, exit 1 and no stack trace",
    () =>
      Effect.gen(function* () {
        const dir = folder(fleet(2))
        const planned = yield* run(["plan", ...sandbox, "--out", "plan.json"], dir)
        assert.strictEqual(planned.code, 0, planned.stderr)
        const good = fs.readFileSync(path.join(dir, "plan.json"), "utf8")
        const saved = JSON.parse(good) as Record<string, unknown>
        const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
          ["cut.json", good.slice(0, good.length / 2), /cut\.json is not a saved plan: it is not JSON/],
          ["other.json", JSON.stringify({ resources: [] }), /other\.json is not a saved plan: it has no/],
          [
            "newer.json",
            JSON.stringify({ ...saved, version: 99 }),
            /newer\.json is not a saved plan: it was written by a newer FleetFlow \(saved plan format 99/
          ],
          [
            "broken.json",
            JSON.stringify({ ...saved, plan: { actions: 3 } }),
            /broken\.json is not a saved plan: at plan/
          ],
          ["missing.json", "", /cannot read the saved plan missing\.json: there is no such file/]
        ]
        for (const [file, content, message] of cases) {
          if (file !== "missing.json") fs.writeFileSync(path.join(dir, file), content)
          const up = yield* run(["up", file, ...sandbox], dir)
          assert.strictEqual(up.code, 1, `${file}: ${up.stdout}${up.stderr}`)
          assert.match(up.stderr, message)
          assert.include(up.stderr, `\`fleetflow plan --out ${file} --sandbox --file fleet.kdl\``)
          assert.isFalse(hasStackTrace(up.stdout + up.stderr), up.stderr)
        }
        const json = yield* run(["up", "cut.json", ...sandbox, "--json"], dir)
        assert.strictEqual(json.code, 1)
        assert.strictEqual((JSON.parse(json.stdout) as { error: { _tag: string } }).error._tag, "SavedPlanFileError")
        assert.strictEqual(serialOf(dir), 0, "nothing was applied")
        assert.strictEqual(yield* clouds(dir), "[]")
      }),
    60_000
  )
})

/** Someone edits a record on the dashboard. */
const editRecord = (dir: string, name: string) =>
  Effect.gen(function* () {
    const store = yield* CloudflareSimulator.fileStore(Sandbox.cloudflareApiStorePath(sandboxDirectory(dir)))
    const record = (yield* CloudflareSimulator.inspect(store)).records.find((item) => item.name === name)
    const edited = yield* CloudflareSimulator.handle(
      {
        method: "PATCH",
        url: `/client/v4/zones/${record!.zoneId}/dns_records/${record!.id}`,
        headers: { authorization: "Bearer fleetflow-sandbox-token", "content-type": "application/json" },
        body: JSON.stringify({ proxied: true })
      },
      store,
      { token: "fleetflow-sandbox-token" }
    )
    assert.strictEqual(edited.status, 200, edited.body)
  }).pipe(Effect.orDie, Effect.provide(NodeContext.layer))
