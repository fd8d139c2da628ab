/**
 * What a plan shows beyond its actions, through the built CLI on the sandbox: the refresh before it (a
 * final line, and a live line on a terminal), and a change inside an object as the fields that changed.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { run } from "../support/Cli.js"
import * as Tmux from "../support/Tmux.js"

const bucket = (origins: string) => `project "shown"
providers { cloudflare { zone "example.com" } }
r2-bucket "files" {
    location "APAC"
    cors {
        allowed-origins ${origins}
        allowed-methods "GET" "PUT"
        max-age 3600
    }
}
`

/** A folder whose one bucket is applied on the sandbox, then given a second origin in the file. */
const appliedThenChanged = Effect.gen(function* () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-plan-output-"))
  fs.writeFileSync(path.join(dir, "fleet.kdl"), bucket(`"https://a.example"`))
  const made = yield* run(["up", "--sandbox", "--yes"], dir)
  assert.strictEqual(made.code, 0, made.stdout + made.stderr)
  assert.notInclude(made.stderr, "Refreshed", "nothing recorded yet, nothing to refresh")
  fs.writeFileSync(path.join(dir, "fleet.kdl"), bucket(`"https://a.example" "https://b.example"`))
  return dir
})

describe("a plan, as the operator reads it", () => {
  it.live("a CORS change shows the changed field with its path, and the refresh its final line on stderr", () =>
    Effect.gen(function* () {
      const dir = yield* appliedThenChanged
      const planned = yield* run(["plan", "--sandbox"], dir)
      assert.strictEqual(planned.code, 0, planned.stderr)
      assert.include(
        planned.stdout,
        `  ~ r2 "files" {\n      ~ cors.allowedOrigins = ["https://a.example"] -> ["https://a.example", "https://b.example"]\n`
      )
      assert.notInclude(planned.stdout, "allowedMethods", "the unchanged fields of the object are not shown")
      assert.notInclude(planned.stdout, "3600")
      assert.match(planned.stderr, /^Refreshed 1 resource in \d+\.\d s\n$/)
      assert.notInclude(planned.stdout, "Refresh")

      const json = yield* run(["plan", "--sandbox", "--json"], dir)
      assert.strictEqual(json.code, 0, json.stderr)
      assert.doesNotThrow(() => JSON.parse(json.stdout), "stdout is the plan's JSON alone")
      assert.match(json.stderr, /^Refreshed 1 resource in \d+\.\d s\n$/)

      const unrefreshed = yield* run(["plan", "--sandbox", "--refresh=false"], dir)
      assert.strictEqual(unrefreshed.code, 0, unrefreshed.stderr)
      assert.notInclude(unrefreshed.stderr, "Refresh")
    })
  )

  it.live("a changed startup script shows the lines that changed, and the unchanged lines near them", () =>
    Effect.gen(function* () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-plan-output-"))
      const body = Array.from({ length: 20 }, (_, index) => `echo step ${index}`)
      const script = (lines: ReadonlyArray<string>) => `#!/bin/bash\nset -eu\n${lines.join("\n")}\n`
      fs.writeFileSync(path.join(dir, "setup.sh"), script(body))
      fs.writeFileSync(
        path.join(dir, "fleet.kdl"),
        `project "shown"\nserver "web" {\n    zone "tk1a"\n    plan core=1 memory=1\n    disk size=20 os="ubuntu-24.04"\n    startup-script "./setup.sh"\n}\n`
      )
      const made = yield* run(["up", "--sandbox", "--yes"], dir)
      assert.strictEqual(made.code, 0, made.stdout + made.stderr)
      fs.writeFileSync(
        path.join(dir, "setup.sh"),
        script(body.map((line) => (line === "echo step 10" ? "echo step ten" : line)).concat("echo done"))
      )
      const planned = yield* run(["plan", "--sandbox"], dir)
      assert.strictEqual(planned.code, 0, planned.stderr)
      assert.include(
        planned.stdout,
        [
          `      ~ content     = <<-EOT`,
          `            # (10 unchanged lines hidden)`,
          `            echo step 8`,
          `            echo step 9`,
          `          - echo step 10`,
          `          + echo step ten`,
          `            echo step 11`,
          `            echo step 12`,
          `            # (5 unchanged lines hidden)`,
          `            echo step 18`,
          `            echo step 19`,
          `          + echo done`,
          `        EOT`
        ].join("\n")
      )
    })
  )

  it.scopedLive.skipIf(!Tmux.available)(
    "on a terminal, a slow refresh shows a live count and time, replaced by the final line",
    () =>
      Effect.gen(function* () {
        const dir = yield* appliedThenChanged
        const terminal = yield* Tmux.open(["plan", "--sandbox"], dir, { FLEETFLOW_SANDBOX_LATENCY: "2s" })
        yield* terminal.waitFor(
          /Refreshing state… 0\/1 resource, 0 of 1 cloud answered \(\d+\.\d s\)/,
          "the live refresh line"
        )
        yield* terminal.waitFor(
          /Refreshing state… 0\/1 resource, 0 of 1 cloud answered \((1\.[1-9]|[2-9]\.\d) s\)/,
          "the time moving"
        )
        yield* terminal.waitFor(/^Refreshed 1 resource in \d+\.\d s$/m, "the final line", 60_000)
        assert.strictEqual(yield* terminal.exitCode, 0, terminal.screen())
        assert.notInclude(terminal.screen(), "Refreshing state…", "the live line is gone")
        assert.include(terminal.screen(), "~ cors.allowedOrigins")
      }),
    120_000
  )
})
