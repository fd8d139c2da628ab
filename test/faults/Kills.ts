/**
 * The kill cases: an `up` SIGKILLed at one (point, occurrence), then the operator's steps
 * (force-unlock the stale lock, `up` again), then every check of `Cloud.compare`.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Crash from "../../src/Crash.js"
import { run } from "../support/Cli.js"
import * as Cloud from "./Cloud.js"
import { killWhen, runToDeath, type Ended } from "./Process.js"
import * as Stage from "./Stage.js"

/** A kill point of `src/Crash.ts`, or a SIGKILL sent from outside while a server boots. */
export type Point = Crash.Point | "server-boot" | "server-resize"

export interface KillCase {
  readonly point: Point
  readonly occurrence: number
  /** `create`: v1 on empty clouds; `update`: v2 over v1, converged. */
  readonly run: "create" | "update"
  readonly env?: Record<string, string>
  readonly why: string
}

/** Transient faults on the first calls, so the engine waits before retrying them. */
const createFaults = {
  FLEETFLOW_SANDBOX_FAULTS: "create:sakura-cloud:server:*=transient*2,create:cloudflare:dns:*=transient*2"
}
const updateFaults = { FLEETFLOW_SANDBOX_FAULTS: "update:*=transient*2,delete:*=transient*1" }
/** Disks copy and servers boot this long: a wait other actions complete during. */
const slow = { FLEETFLOW_SANDBOX_BOOT_TIME: "1500ms" }

const at = (
  point: Point,
  run: KillCase["run"],
  occurrences: ReadonlyArray<number>,
  why: string,
  env?: Record<string, string>
): ReadonlyArray<KillCase> =>
  occurrences.map((occurrence) => ({ point, occurrence, run, why, ...(env === undefined ? {} : { env }) }))

/**
 * The create run makes 23 resources: 23 intents, 23 calls returned, about 37 state writes (one
 * without a backup, the first). The update run: 12 intents and calls (two replacements count
 * twice), about 18 writes. Occurrences stay below what a run reaches under load, when the
 * journal folds more writes together.
 */
export const cases: ReadonlyArray<KillCase> = [
  ...at("intent-recorded", "create", [1, 5, 12, 18, 23], "between intent and call"),
  ...at("call-returned", "create", [1, 6, 13, 19, 23], "the cloud changed, the state not yet"),
  ...at("journal-torn", "create", [1, 9, 20, 28], "during a state write: half a journal line written"),
  ...at("state-temp-written", "create", [1], "during the first state write: temp file written"),
  ...at("journal-appended", "create", [10, 25], "during a state write: line synced, not acknowledged"),
  ...at("retry-wait", "create", [1, 3], "waiting before a retry", createFaults),
  ...at("call-returned", "create", [4], "while disks copy and servers boot", slow),
  ...at("journal-appended", "create", [6], "while disks copy and servers boot", slow),
  ...at("server-boot", "create", [1], "SIGKILL from outside while servers boot", slow),
  ...at("intent-recorded", "update", [2, 7, 11], "between intent and call"),
  ...at("call-returned", "update", [3, 8, 12], "the cloud changed, the state not yet"),
  ...at("journal-torn", "update", [4, 10], "during a state write: half a journal line written"),
  ...at("journal-appended", "update", [5, 12], "during a state write: line synced, not acknowledged"),
  ...at("retry-wait", "update", [2], "waiting before a retry", updateFaults),
  ...at("server-resize", "update", [1], "SIGKILL from outside while a resized server reboots", slow)
]

export const label = (kill: KillCase) => `${kill.point}#${kill.occurrence}`
export const describeCase = (kill: KillCase) => `${kill.run} run, ${label(kill)} (${kill.why})`

export interface Outcome {
  readonly kill: KillCase
  /** The case's folder: kept when something went wrong, to look at. */
  readonly dir?: string
  /** The killed run did not die by SIGKILL: the point was never reached, the case does not count. */
  readonly notReached?: string
  readonly faultsInjected: number
  readonly unparseable: ReadonlyArray<string>
  readonly findings?: Cloud.Findings
  /** Anything else that went wrong (a command's exit code and what it said). */
  readonly problems: ReadonlyArray<string>
  /** What the recovering `up` said it settled. */
  readonly settled: string
  /** Milliseconds each step took. */
  readonly timings?: Record<string, number>
}

/** The paragraph in which `up` says what it settled of the killed run. */
const settledBlock = (stderr: string): string => {
  const lines = stderr.split("\n")
  const start = lines.findIndex((line) => line.startsWith("An earlier run was interrupted"))
  if (start < 0) return ""
  const end = lines.findIndex((line, index) => index > start && line.trim() === "")
  return lines.slice(start, end < 0 ? undefined : end).join("\n")
}

const excerpt = (text: string) => text.trim().split("\n").slice(-12).join("\n")

/** The clouds and the state of `v1`, converged, to copy for each update case. */
export const baseline = Effect.gen(function* () {
  const dir = Stage.folder("v1")
  const result = yield* run(["up", ...Stage.sandbox, "--yes"], dir)
  if (result.code !== 0) return yield* Effect.dieMessage(`the baseline up failed (${result.code}):\n${result.stderr}`)
  return dir
})

const killed = (kill: KillCase, dir: string): Effect.Effect<Ended, unknown> => {
  const args = ["up", ...Stage.sandbox, "--yes"]
  const env = kill.env ?? {}
  if (kill.point === "server-boot" || kill.point === "server-resize") {
    const verb = kill.point === "server-boot" ? "Creating..." : "Modifying..."
    const booting = (stdout: string) =>
      stdout.split("\n").filter((line) => line.startsWith("sakura-cloud:server:") && line.endsWith(verb)).length >=
      kill.occurrence
    return killWhen(args, dir, env, booting, Duration.millis(300))
  }
  return runToDeath(args, dir, { ...env, FLEETFLOW_CRASH_AT: label(kill) })
}

const parsedStates = (dir: string) => [Cloud.statePath(dir), Cloud.backupPath(dir)].map((file) => Cloud.parseFile(file))

/** Runs one case in a folder of its own. */
export const runCase = (kill: KillCase, baselineDir: string): Effect.Effect<Outcome, unknown> =>
  Effect.gen(function* () {
    const version: Stage.Version = kill.run === "create" ? "v1" : "v2"
    const dir = kill.run === "create" ? Stage.folder("v1") : Stage.copy(baselineDir)
    if (kill.run === "update") Stage.write(dir, "v2")
    const problems: Array<string> = []
    const timings: Record<string, number> = {}
    let mark = Date.now()
    const lap = (step: string) => {
      const now = Date.now()
      timings[step] = now - mark
      mark = now
    }

    const first = yield* killed(kill, dir)
    lap("kill")
    const faultsInjected = Cloud.faultsInjected(dir)
    if (first.signal !== "SIGKILL") {
      return {
        kill,
        dir,
        notReached: `the run ended with ${first.signal ?? `exit code ${first.code}`}, not SIGKILL:\n${excerpt(first.stderr)}`,
        faultsInjected,
        unparseable: [],
        problems,
        settled: ""
      }
    }
    const unparseable = parsedStates(dir).flatMap((parsed) => (parsed._tag === "Unparseable" ? [parsed.reason] : []))

    const lock = Cloud.lockId(dir)
    if (lock !== undefined) {
      const unlock = yield* run(["force-unlock", ...Stage.sandbox, lock], dir)
      if (unlock.code !== 0) problems.push(`force-unlock exited ${unlock.code}: ${excerpt(unlock.stderr)}`)
    }
    lap("unlock")
    const again = yield* run(["up", ...Stage.sandbox, "--yes"], dir)
    lap("up")
    if (again.code !== 0) problems.push(`the up after the kill exited ${again.code}:\n${excerpt(again.stderr)}`)
    const settled = settledBlock(again.stderr)

    const after = Cloud.parseFile(Cloud.statePath(dir))
    if (after._tag !== "Parsed") {
      problems.push(`after the second up the state is ${after._tag === "Absent" ? "absent" : after.reason}`)
      return { kill, dir, faultsInjected, unparseable, problems, settled }
    }
    const cloud = yield* Cloud.inspect(dir)
    const desired = yield* Stage.desiredKeys(dir)
    const findings = Cloud.compare(after.state, cloud, desired, Stage.expectations[version])
    lap("inspect")

    const plan = yield* run(["plan", ...Stage.sandbox, "--detailed-exitcode"], dir)
    if (plan.code !== 0) {
      const changes = plan.stdout.split("\n").filter((line) => line.startsWith("  # ") || line.startsWith("Plan:"))
      problems.push(`plan --detailed-exitcode exited ${plan.code}:\n${changes.join("\n")}${excerpt(plan.stderr)}`)
    }
    lap("plan")
    return { kill, dir, faultsInjected, unparseable, findings, problems, settled, timings }
  })

/** Everything wrong with an outcome, one line each; empty when the case survived. */
export const failures = (outcome: Outcome): ReadonlyArray<string> => {
  const findings = outcome.findings
  return [
    ...(outcome.notReached === undefined ? [] : [`never killed: ${outcome.notReached}`]),
    ...outcome.unparseable.map((reason) => `unparseable after the kill: ${reason}`),
    ...outcome.problems,
    ...(findings === undefined ? [] : Cloud.describeFindings(findings))
  ]
}
