/**
 * How the CLI stops. Each stop goes one level further:
 * 1. interrupted: no new action starts, running ones finish and are recorded, the lock is released;
 * 2. the processes FleetFlow started are ended (SIGTERM to their groups, SIGKILL after a grace), so
 *    the actions they served fail and are recorded as such, and the lock is still released;
 * 3. exit at once; the watchdog ends what is left.
 * Ctrl-C (SIGINT) goes one level. SIGTERM and SIGHUP (a closed terminal or SSH session, where nobody
 * is left to press Ctrl-C twice) go to level 2 at least. A failed write to stdout (its reader went
 * away: Node ignores SIGPIPE, so the write fails instead) goes to level 1, and never further.
 */
import { makeRunMain } from "@effect/platform/Runtime"
import { graceMillis, type Registry } from "../Children/Registry.js"

let writeAbove: ((text: string) => void) | undefined

/** Where notes go while a live status is drawn: above it, or its next redraw would erase them. */
export const writeNotesWith = (writer: ((text: string) => void) | undefined) => {
  writeAbove = writer
}

/** The terminal may be gone: a note that cannot be written is dropped. */
const note = (text: string) => {
  try {
    if (writeAbove === undefined) process.stderr.write(text)
    else writeAbove(text)
  } catch {
    // Nobody to tell.
  }
}

export interface StopNotes {
  /** The command runs actions (`up`, `down`), whose outcome the state records: the notes say what becomes of them. */
  readonly actions: boolean
}

const interruptedNote =
  "\nInterrupt received: no new actions start; those running finish and are recorded.\n" +
  "Press Ctrl-C again to end their processes at once.\n"

const endingNote = (signal: string, actions: boolean) =>
  `\n${signal}: ending the processes FleetFlow started${actions ? "; what their actions did is recorded" : ""}.\n`

/** `NodeRuntime.runMain`, with the stops above instead of its own. */
export const runMain = (registry: Registry, notes: StopNotes) =>
  makeRunMain(({ fiber, teardown }) => {
    const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
    let level = 0
    const stopTo = (wanted: number, reason: string) => {
      if (wanted <= level) return
      if (level === 0) {
        if (notes.actions && wanted === 1) note(interruptedNote)
        fiber.unsafeInterruptAsFork(fiber.id())
      }
      if (wanted >= 2 && level < 2) {
        note(endingNote(reason, notes.actions))
        registry.signalAll("SIGTERM")
        setTimeout(() => registry.signalAll("SIGKILL"), graceMillis).unref()
      }
      if (wanted >= 3) process.exit(130)
      level = wanted
    }
    const onSigint = () => stopTo(level + 1, "Interrupted again")
    const onEnd = (signal: NodeJS.Signals) => stopTo(Math.max(level + 1, 2), signal)
    const onOutputError = () => {
      if (level > 0) return
      note(
        `\nThe reader of stdout went away${notes.actions ? ": no new actions start; those running finish and are recorded" : ""}.\n`
      )
      level = 1
      fiber.unsafeInterruptAsFork(fiber.id())
    }
    process.on("SIGINT", onSigint)
    process.on("SIGTERM", onEnd)
    process.on("SIGHUP", onEnd)
    process.stdout.on("error", onOutputError)
    process.stderr.on("error", () => {})
    fiber.addObserver((exit) => {
      process.removeListener("SIGINT", onSigint)
      process.removeListener("SIGTERM", onEnd)
      process.removeListener("SIGHUP", onEnd)
      clearInterval(keepAlive)
      teardown(exit, (code) => {
        if (level > 0 || code !== 0) process.exit(code)
      })
    })
  })
