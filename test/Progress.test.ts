import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as Progress from "../src/Progress.js"

const web = "sakura-cloud:server:web"
const bucket = "cloudflare:r2:creo-attachments"

const recorder = () => {
  const writes: Array<string> = []
  return { writes, write: (text: string) => void writes.push(text), text: () => writes.join("") }
}

/**
 * What a terminal shows after the writes: a tiny model that understands newlines, carriage
 * returns, cursor-up (`ESC[1A`) and erase-line (`ESC[2K`), which is all the reporter sends.
 */
const screen = (text: string): ReadonlyArray<string> => {
  const rows: Array<string> = [""]
  let row = 0
  let index = 0
  while (index < text.length) {
    if (text.startsWith("\u001b[1A", index)) {
      row = Math.max(0, row - 1)
      index += 4
    } else if (text.startsWith("\u001b[2K", index)) {
      rows[row] = ""
      index += 4
    } else if (text[index] === "\r") {
      // Always followed here by an erase of the line: the column does not matter.
      index++
    } else if (text[index] === "\n") {
      row++
      if (rows[row] === undefined) rows[row] = ""
      index++
    } else {
      rows[row] += text[index]!
      index++
    }
  }
  while (rows.length > 0 && rows[rows.length - 1] === "") rows.pop()
  return rows
}

describe("Progress.formatElapsed", () => {
  it("shows seconds, then minutes and seconds", () => {
    assert.strictEqual(Progress.formatElapsed(0), "0s")
    assert.strictEqual(Progress.formatElapsed(3_400), "3s")
    assert.strictEqual(Progress.formatElapsed(65_000), "1m05s")
    assert.strictEqual(Progress.formatElapsed(600_000), "10m00s")
    assert.strictEqual(Progress.formatElapsed(3_723_000), "1h02m03s")
  })
})

describe("Progress without a terminal", () => {
  it.effect("prints Terraform's lines with elapsed times", () =>
    Effect.gen(function* () {
      const out = recorder()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const reporter = yield* Progress.make({ tty: false, color: false, write: out.write })
          yield* reporter.started(web, "create")
          yield* reporter.started(bucket, "delete")
          yield* TestClock.adjust("1 second")
          yield* reporter.finished(bucket, "delete", { _tag: "Done" })
          yield* TestClock.adjust("2 seconds")
          yield* reporter.finished(web, "create", { _tag: "Done", id: "113700000001" })
          yield* reporter.started("sakura-cloud:server:vps", "update")
          yield* TestClock.adjust("2 seconds")
          yield* reporter.finished("sakura-cloud:server:vps", "update", { _tag: "Done" })
          yield* reporter.started("cloudflare:dns:api.example.com/A", "replace")
          yield* reporter.finished("cloudflare:dns:api.example.com/A", "replace", {
            _tag: "Retrying",
            attempt: 2,
            message: "HTTP 503"
          })
          yield* TestClock.adjust("2 seconds")
          yield* reporter.finished("cloudflare:dns:api.example.com/A", "replace", {
            _tag: "Failed",
            message: "record already exists"
          })
        })
      )
      assert.deepStrictEqual(out.writes, [
        "sakura-cloud:server:web: Creating...\n",
        "cloudflare:r2:creo-attachments: Destroying...\n",
        "cloudflare:r2:creo-attachments: Destruction complete after 1s\n",
        "sakura-cloud:server:web: Creation complete after 3s [id=113700000001]\n",
        "sakura-cloud:server:vps: Modifying...\n",
        "sakura-cloud:server:vps: Modifications complete after 2s\n",
        "cloudflare:dns:api.example.com/A: Replacing...\n",
        "cloudflare:dns:api.example.com/A: Retrying (attempt 2): HTTP 503\n",
        "cloudflare:dns:api.example.com/A: Failed after 2s: record already exists\n"
      ])
    })
  )

  it.effect("repeats Still creating every 10 seconds while an action runs, and stops when it ends", () =>
    Effect.gen(function* () {
      const out = recorder()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const reporter = yield* Progress.make({ tty: false, color: false, write: out.write })
          yield* reporter.started(web, "create")
          yield* TestClock.adjust("9 seconds")
          assert.deepStrictEqual(out.writes, ["sakura-cloud:server:web: Creating...\n"])
          yield* TestClock.adjust("56 seconds")
          yield* reporter.finished(web, "create", { _tag: "Done", id: "1" })
          yield* TestClock.adjust("1 minute")
        })
      )
      assert.deepStrictEqual(out.writes, [
        "sakura-cloud:server:web: Creating...\n",
        "sakura-cloud:server:web: Still creating... [10s elapsed]\n",
        "sakura-cloud:server:web: Still creating... [20s elapsed]\n",
        "sakura-cloud:server:web: Still creating... [30s elapsed]\n",
        "sakura-cloud:server:web: Still creating... [40s elapsed]\n",
        "sakura-cloud:server:web: Still creating... [50s elapsed]\n",
        "sakura-cloud:server:web: Still creating... [1m00s elapsed]\n",
        "sakura-cloud:server:web: Creation complete after 1m05s [id=1]\n"
      ])
    })
  )

  it.effect("ticks at the interval it is given, per action", () =>
    Effect.gen(function* () {
      const out = recorder()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const reporter = yield* Progress.make({ tty: false, color: false, write: out.write, tickEvery: "5 seconds" })
          yield* reporter.started(web, "delete")
          yield* TestClock.adjust("3 seconds")
          yield* reporter.started(bucket, "update")
          yield* TestClock.adjust("5 seconds")
        })
      )
      assert.deepStrictEqual(out.writes, [
        "sakura-cloud:server:web: Destroying...\n",
        "cloudflare:r2:creo-attachments: Modifying...\n",
        "sakura-cloud:server:web: Still destroying... [5s elapsed]\n",
        "cloudflare:r2:creo-attachments: Still modifying... [5s elapsed]\n"
      ])
    })
  )

  it.effect("keeps messages on the lines they belong to and the terminal's state untouched", () =>
    Effect.gen(function* () {
      const out = recorder()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const reporter = yield* Progress.make({ tty: false, color: false, write: out.write })
          yield* reporter.started(web, "create")
          yield* reporter.finished(web, "create", {
            _tag: "Failed",
            message: "usacloud: \u001b[31mboom\u001b[0m\nretry later"
          })
        })
      )
      assert.strictEqual(
        out.writes[1],
        "sakura-cloud:server:web: Failed after 0s: usacloud: \\e[31mboom\\e[0m\n  retry later\n"
      )
    })
  )

  it.effect("colors only when asked", () =>
    Effect.gen(function* () {
      const out = recorder()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const reporter = yield* Progress.make({ tty: false, color: true, write: out.write })
          yield* reporter.started(web, "create")
          yield* reporter.finished(web, "create", { _tag: "Failed", message: "quota exceeded" })
        })
      )
      assert.deepStrictEqual(out.writes, [
        "\u001b[1msakura-cloud:server:web:\u001b[0m Creating...\n",
        "\u001b[1msakura-cloud:server:web:\u001b[0m \u001b[31mFailed after 0s:\u001b[0m quota exceeded\n"
      ])
    })
  )
})

describe("Progress on a terminal", () => {
  it.effect("a note written during the live area stays above it, and the terminal's ^C is cleared", () =>
    Effect.gen(function* () {
      const out = recorder()
      let above: ((text: string) => void) | undefined
      let shown: ReadonlyArray<string> = []
      yield* Effect.scoped(
        Effect.gen(function* () {
          const reporter = yield* Progress.make({
            tty: true,
            color: false,
            write: out.write,
            onLiveArea: (writer) => {
              above = writer
            }
          })
          yield* reporter.started(web, "create")
          yield* TestClock.adjust("4 seconds")
          // Ctrl-C: the terminal echoes it where the cursor is, then the interrupt's note comes.
          out.write("^C")
          above!("\nInterrupt received: no new actions start.\n")
          yield* TestClock.adjust("2 seconds")
          shown = screen(out.text())
        })
      )
      assert.deepStrictEqual(shown, [
        "sakura-cloud:server:web: Creating...",
        "",
        "Interrupt received: no new actions start.",
        "⠦ creating sakura-cloud:server:web … 6s"
      ])
      assert.isUndefined(above, "no live area once the scope closed")
    })
  )

  it.effect("shows long actions in a live area and erases it when the scope closes", () =>
    Effect.gen(function* () {
      const out = recorder()
      let live: ReadonlyArray<string> = []
      let midway: ReadonlyArray<string> = []
      yield* Effect.scoped(
        Effect.gen(function* () {
          const reporter = yield* Progress.make({ tty: true, color: false, write: out.write })
          yield* reporter.started(web, "create")
          yield* reporter.started(bucket, "delete")
          yield* TestClock.adjust("2 seconds")
          // Nothing has run for 3 seconds yet: no live area.
          assert.deepStrictEqual(screen(out.text()), [
            "sakura-cloud:server:web: Creating...",
            "cloudflare:r2:creo-attachments: Destroying..."
          ])
          yield* TestClock.adjust("10 seconds")
          live = screen(out.text())
          yield* reporter.finished(bucket, "delete", { _tag: "Done" })
          midway = screen(out.text())
          yield* TestClock.adjust("1 second")
        })
      )
      assert.deepStrictEqual(live, [
        "sakura-cloud:server:web: Creating...",
        "cloudflare:r2:creo-attachments: Destroying...",
        "⠹ creating sakura-cloud:server:web … 12s",
        "⠹ destroying cloudflare:r2:creo-attachments … 12s"
      ])
      // The permanent line goes above the live area, which is redrawn below it.
      assert.deepStrictEqual(midway, [
        "sakura-cloud:server:web: Creating...",
        "cloudflare:r2:creo-attachments: Destroying...",
        "cloudflare:r2:creo-attachments: Destruction complete after 12s",
        "⠹ creating sakura-cloud:server:web … 12s"
      ])
      // Closing the scope erases the live area: the last write only clears, and no live line is left.
      assert.strictEqual(out.writes[out.writes.length - 1], "\r\u001b[2K\u001b[1A\u001b[2K")
      assert.deepStrictEqual(screen(out.text()), [
        "sakura-cloud:server:web: Creating...",
        "cloudflare:r2:creo-attachments: Destroying...",
        "cloudflare:r2:creo-attachments: Destruction complete after 12s"
      ])
      assert.isFalse(out.text().includes("Still creating"))
    })
  )

  it.effect("clears the live area when the last long action finishes", () =>
    Effect.gen(function* () {
      const out = recorder()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const reporter = yield* Progress.make({ tty: true, color: false, write: out.write, showAfter: "1 second" })
          yield* reporter.started(web, "create")
          yield* TestClock.adjust("65 seconds")
          assert.strictEqual(screen(out.text()).at(-1), "⠴ creating sakura-cloud:server:web … 1m05s")
          yield* reporter.finished(web, "create", { _tag: "Done", id: "113700000001" })
          yield* TestClock.adjust("5 seconds")
        })
      )
      assert.deepStrictEqual(screen(out.text()), [
        "sakura-cloud:server:web: Creating...",
        "sakura-cloud:server:web: Creation complete after 1m05s [id=113700000001]"
      ])
    })
  )

  it.effect("shortens live lines to the terminal width", () =>
    Effect.gen(function* () {
      const out = recorder()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const reporter = yield* Progress.make({ tty: true, color: false, write: out.write, columns: 30 })
          yield* reporter.started(web, "create")
          yield* TestClock.adjust("4 seconds")
          const last = screen(out.text()).at(-1)!
          assert.strictEqual(last, "⠼ creating …d:server:web … 4s")
          assert.isBelow(last.length, 30)
        })
      )
    })
  )
})

describe("Progress of the refresh", () => {
  it.effect("without a terminal, only the final line", () =>
    Effect.gen(function* () {
      const out = recorder()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const refresh = yield* Progress.refreshing({ tty: false, write: out.write })
          yield* refresh.started(40, 2)
          yield* TestClock.adjust("1400 millis")
          yield* refresh.read(12)
          yield* TestClock.adjust("1100 millis")
          yield* refresh.read(28)
          yield* refresh.finished
        })
      )
      assert.deepStrictEqual(out.writes, ["Refreshed 40 resources in 2.5 s\n"])
    })
  )

  it.effect("on a terminal, one live line counting the resources and the time, then the final line", () =>
    Effect.gen(function* () {
      const out = recorder()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const refresh = yield* Progress.refreshing({ tty: true, write: out.write })
          yield* refresh.started(40, 2)
          assert.deepStrictEqual(screen(out.text()), [
            "Refreshing state… 0/40 resources, 0 of 2 clouds answered (0.0 s)"
          ])
          yield* TestClock.adjust("1400 millis")
          yield* refresh.read(12)
          assert.deepStrictEqual(screen(out.text()), [
            "Refreshing state… 12/40 resources, 1 of 2 clouds answered (1.4 s)"
          ])
          // The time moves while nothing answers.
          yield* TestClock.adjust("500 millis")
          assert.deepStrictEqual(screen(out.text()), [
            "Refreshing state… 12/40 resources, 1 of 2 clouds answered (1.9 s)"
          ])
          yield* TestClock.adjust("600 millis")
          yield* refresh.read(28)
          yield* refresh.finished
          const written = out.writes.length
          yield* TestClock.adjust("5 seconds")
          assert.strictEqual(out.writes.length, written, "no redraw after the end")
        })
      )
      assert.deepStrictEqual(screen(out.text()), ["Refreshed 40 resources in 2.5 s"])
    })
  )

  it.effect("a refresh interrupted leaves no live line behind", () =>
    Effect.gen(function* () {
      const out = recorder()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const refresh = yield* Progress.refreshing({ tty: true, write: out.write })
          yield* refresh.started(1, 1)
          yield* TestClock.adjust("300 millis")
        })
      )
      assert.deepStrictEqual(screen(out.text()), [])
    })
  )

  it.effect("a note written while the line is live stays readable: the line moves below it", () =>
    Effect.gen(function* () {
      const out = recorder()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const refresh = yield* Progress.refreshing({ tty: true, write: out.write })
          yield* refresh.started(3, 1)
          out.write("\nInterrupted: stopping.\n")
          yield* TestClock.adjust("300 millis")
          assert.deepStrictEqual(screen(out.text()), [
            "Refreshing state… 0/3 resources, 0 of 1 cloud answered (0.0 s)",
            "Interrupted: stopping.",
            "Refreshing state… 0/3 resources, 0 of 1 cloud answered (0.3 s)"
          ])
        })
      )
      assert.deepStrictEqual(screen(out.text()), [
        "Refreshing state… 0/3 resources, 0 of 1 cloud answered (0.0 s)",
        "Interrupted: stopping."
      ])
    })
  )
})
