/**
 * A real terminal for the CLI: a detached tmux session of a fixed size, keys sent as a person
 * types them, and the screen read back as they would see it. The command runs in a shell that
 * prints its exit code and stays open, so the last screen can be read after it ends.
 */
import * as Effect from "effect/Effect"
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { bundle, inCi, waitFor } from "./Cli.js"

/** Whether tmux runs here; CI installs it (`.ci/run`), so there its absence is an error. */
export const available = (() => {
  try {
    ChildProcess.execFileSync("tmux", ["-V"], { stdio: "ignore" })
    return true
  } catch {
    if (inCi()) throw new Error("CI must run the terminal tests, but tmux is not installed")
    console.warn("!! SKIPPING the terminal tests: tmux is not installed (apt-get install tmux)")
    return false
  }
})()

/**
 * A tmux server of this test process's own: test files run side by side, and one file's last session ending
 * stops a shared server just as another file starts a session on it ("server exited unexpectedly").
 */
const socketPath = Path.join(Os.tmpdir(), `fleetflow-tmux-${process.pid}.sock`)
const socket = ["-S", socketPath]

const tmux = (...args: ReadonlyArray<string>) =>
  ChildProcess.execFileSync("tmux", [...socket, ...args], { encoding: "utf8" })

const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`

export interface Terminal {
  /** What the screen shows now, without colours. */
  readonly screen: () => string
  /** Every byte written to the terminal so far, escape sequences included. */
  readonly written: () => string
  readonly type: (text: string) => void
  /** Sends keys by their tmux names: `Enter`, `C-c`. */
  readonly press: (...keys: ReadonlyArray<string>) => void
  /** Waits until the screen shows `text`. */
  readonly waitFor: (text: string | RegExp, what: string, timeoutMs?: number) => Effect.Effect<void>
  /** Waits for the command to end; its exit code. */
  readonly exitCode: Effect.Effect<number>
}

/** Runs `fleetflow ARGS` in `cwd` on a terminal of 120 × 40, with `env`; the session ends with the scope. */
export const open = (args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.sync((): Terminal & { readonly name: string } => {
      const name = `fleetflow-${Crypto.randomBytes(4).toString("hex")}`
      const command = [process.execPath, bundle, ...args].map(quote).join(" ")
      const exports = Object.entries({ NO_COLOR: "1", ...env })
        .map(([key, value]) => `export ${key}=${quote(value)};`)
        .join(" ")
      const record = Path.join(Os.tmpdir(), `${name}.out`)
      // The pane's output is copied to a file before the command starts, as the program wrote it.
      const copy = `tmux pipe-pane -o ${quote(`cat > ${quote(record)}`)};`
      const shell = `${copy} cd ${quote(cwd)}; ${exports} ${command}; echo "[exit $?]"; sleep 600`
      tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", shell)
      const screen = () => tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", name)
      const shows = (text: string | RegExp) =>
        typeof text === "string" ? screen().includes(text) : text.test(screen())
      const showing = (condition: () => boolean, what: string, timeoutMs?: number) =>
        waitFor(condition, what, timeoutMs).pipe(
          Effect.catchAllDefect((defect) => Effect.die(new Error(`${String(defect)}\nthe screen:\n${screen()}`)))
        )
      return {
        name,
        screen,
        written: () => (Fs.existsSync(record) ? Fs.readFileSync(record, "utf8") : ""),
        type: (text) => tmux("send-keys", "-t", name, "-l", text),
        press: (...keys) => tmux("send-keys", "-t", name, ...keys),
        waitFor: (text, what, timeoutMs) => showing(() => shows(text), what, timeoutMs),
        exitCode: Effect.map(
          showing(() => shows(/\[exit \d+\]/), "the command to end", 60_000),
          () => Number(/\[exit (\d+)\]/.exec(screen())?.[1])
        )
      }
    }),
    (terminal) =>
      Effect.sync(() => {
        ChildProcess.spawnSync("tmux", [...socket, "kill-session", "-t", terminal.name])
        Fs.rmSync(Path.join(Os.tmpdir(), `${terminal.name}.out`), { force: true })
        // The server ends with its last session, and leaves its socket behind.
        if (ChildProcess.spawnSync("tmux", [...socket, "has-session"]).status !== 0) {
          Fs.rmSync(socketPath, { force: true })
        }
      })
  )
