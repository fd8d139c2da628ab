/**
 * The CLI on a real terminal (tmux), as an operator meets it: what cannot be undone asks for
 * `yes` typed out, and a `y` pressed out of habit destroys nothing; colour, unless asked for none.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { run, waitFor, workspace } from "../support/Cli.js"
import { sandboxState } from "../support/StateFile.js"
import * as Tmux from "../support/Tmux.js"

const sandbox = ["--sandbox", "-f", "fleet.kdl", "--stage", "dev"]

describe.skipIf(!Tmux.available)("on a terminal", () => {
  it.scopedLive(
    "down refuses `y` and destroys only on `yes` typed out",
    () =>
      Effect.gen(function* () {
        const dir = workspace()
        const made = yield* run(["up", ...sandbox, "--yes"], dir)
        assert.strictEqual(made.code, 0, made.stderr)
        const resources = Object.keys(sandboxState(dir).resources).length
        assert.isAbove(resources, 5)

        const habit = yield* Tmux.open(["down", ...sandbox], dir)
        yield* habit.waitFor("Only 'yes' will be accepted to approve", "the question")
        assert.include(habit.screen(), `Destroy ${resources} resources of stage "dev" on the sandbox`)
        habit.type("y")
        habit.press("Enter")
        assert.strictEqual(yield* habit.exitCode, 1, habit.screen())
        assert.include(habit.screen(), '"y" is not "yes"')
        assert.include(habit.screen(), "nothing was changed")
        assert.strictEqual(Object.keys(sandboxState(dir).resources).length, resources, "nothing was destroyed")

        const meant = yield* Tmux.open(["down", ...sandbox], dir)
        yield* meant.waitFor("Only 'yes' will be accepted to approve", "the question")
        meant.type("yes")
        meant.press("Enter")
        assert.strictEqual(yield* meant.exitCode, 0, meant.screen())
        assert.deepStrictEqual(Object.keys(sandboxState(dir).resources), [], "everything was destroyed")
      }),
    120_000
  )

  it.scopedLive("help is coloured on a terminal, and has no escape sequence under NO_COLOR or --no-color", () =>
    Effect.gen(function* () {
      const dir = workspace()
      const helpOn = (args: ReadonlyArray<string>, env: Record<string, string>) =>
        Effect.gen(function* () {
          const terminal = yield* Tmux.open(["up", "--help", ...args], dir, env)
          assert.strictEqual(yield* terminal.exitCode, 0, terminal.screen())
          yield* waitFor(() => terminal.written().includes("[exit 0]"), "the output to be copied")
          assert.include(terminal.written(), "--parallelism integer")
          return terminal.written()
        })
      assert.include(yield* helpOn([], { NO_COLOR: "" }), "\u001b[", "coloured when nothing asks otherwise")
      assert.notInclude(yield* helpOn([], { NO_COLOR: "1" }), "\u001b")
      assert.notInclude(yield* helpOn(["--no-color"], { NO_COLOR: "" }), "\u001b")
    })
  )

  it.scopedLive("--wizard after a command's options starts the wizard of that command", () =>
    Effect.gen(function* () {
      const terminal = yield* Tmux.open(["plan", "-s", "dev", "--wizard"], workspace())
      yield* terminal.waitFor("Options Wizard - plan", "the wizard of plan")
      terminal.press("C-c")
      yield* terminal.exitCode
      assert.notInclude(terminal.screen(), "Received unknown argument")
    })
  )

  it.scopedLive("the plan and the question before an apply are coloured unless NO_COLOR", () =>
    Effect.gen(function* () {
      const dir = workspace()
      // Colours and weights; a prompt still moves the cursor to redraw itself.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape codes is the point
      const styles = /\u001b\[[0-9;]*m/
      const askedOn = (env: Record<string, string>) =>
        Effect.gen(function* () {
          const terminal = yield* Tmux.open(["up", ...sandbox], dir, env)
          yield* terminal.waitFor("Apply these changes", "the question")
          terminal.type("n")
          terminal.press("Enter")
          assert.strictEqual(yield* terminal.exitCode, 1, terminal.screen())
          yield* waitFor(() => terminal.written().includes("[exit 1]"), "the output to be copied")
          assert.include(terminal.written(), "Plan:")
          return terminal.written()
        })
      assert.match(yield* askedOn({ NO_COLOR: "" }), styles)
      assert.notMatch(yield* askedOn({ NO_COLOR: "1" }), styles)
    })
  )
})
