/**
 * Ctrl-C in the middle of an apply, on a real terminal: the notice stays readable above the
 * live status, and the run ends with the lock released and every finished action recorded.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { hasStackTrace, workspace } from "../support/Cli.js"
import { sandboxState } from "../support/StateFile.js"
import * as Tmux from "../support/Tmux.js"

const sandbox = ["--sandbox", "-f", "fleet.kdl", "--stage", "dev"]
/** Calls slow enough that Ctrl-C comes while some are in flight and others have not started. */
const slow = { FLEETFLOW_SANDBOX_LATENCY: "700ms", FLEETFLOW_SANDBOX_BOOT_TIME: "1500ms" }

describe.skipIf(!Tmux.available)("Ctrl-C on a terminal", () => {
  it.scopedLive(
    "mid-apply leaves the notice readable above the status, then a clean stop",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        const terminal = yield* Tmux.open(["up", ...sandbox, "--yes"], dir, slow)
        yield* terminal.waitFor(/Creating\.\.\./, "an action in flight", 60_000)
        terminal.press("C-c")
        assert.strictEqual(yield* terminal.exitCode, 130, terminal.screen())
        const screen = terminal.screen()
        const lines = screen.split("\n")
        const notice = lines.findIndex((line) => line.includes("Interrupt received: no new actions start"))
        assert.isAtLeast(notice, 0, `the notice is on the screen:\n${screen}`)
        // Long lines wrap on a narrow terminal: the notice is whole across its line and the next.
        assert.include(lines.slice(notice, notice + 2).join(" "), "Press Ctrl-C again to end their processes", screen)
        // The live status was cleared, not left frozen on the screen with its spinner.
        assert.notMatch(screen, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/, screen)
        assert.include(screen, "Stopped. The lock is released and the state records every action that completed.")
        assert.include(screen, "Run `fleetflow plan --sandbox --file fleet.kdl --stage dev`")
        assert.isFalse(hasStackTrace(screen), screen)
        assert.deepStrictEqual(sandboxState(dir).pending, [], "no intent is left behind")
      }),
    120_000
  )
})
