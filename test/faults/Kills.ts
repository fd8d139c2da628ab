/**
 * The kill cases: an `up` SIGKILLed at one (point, occurrence), or whose state database goes
 * away, then the operator's steps (force-unlock a stale lock file, `up` again), then every check
 * of `Cloud.compare`.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import * as fs from "node:fs"
import type * as Crash from "../../src/Crash.js"
import { hasStackTrace, run } from "../support/Cli.js"
import * as Cloud from "./Cloud.js"
import * as TcpProxy from "../support/TcpProxy.js"
import { cutWhen, killWhen, runToDeath, type Ended } from "./Process.js"
import * as Stage from "./Stage.js"

/**
 * A kill point of `src/Crash.ts`, a SIGKILL sent from outside while a server boots, or the
 * state's PostgreSQL going away (every connection to it cut) when the `occurrence`-th progress
 * line ending with `at` shows.
 */
export type Point = Crash.Point | "server-boot" | "server-resize" | "postgres-outage"

export interface KillCase {
  readonly point: Point
  readonly occurrence: number
  /** `create`: v1 on empty clouds; `update`: v2 over v1, converged. */
  readonly run: "create" | "update"
  readonly env?: Record<string, string>
  readonly why: string
  /** The state in PostgreSQL rather than in the sandbox folder's files. */
  readonly postgres?: true
  /** For an outage: the end of the progress line (`Creating...`, `Destroying...`) it comes with. */
  readonly at?: string
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

/** Calls take this long: the outage comes while the call that made the line is still in flight. */
const inFlight = { FLEETFLOW_SANDBOX_LATENCY: "300ms" }

const outage = (run: KillCase["run"], line: string, occurrences: ReadonlyArray<number>, why: string) =>
  at("postgres-outage", run, occurrences, why, inFlight).map((kill) => ({ ...kill, at: line }))

const inPostgres = (cases: ReadonlyArray<KillCase>): ReadonlyArray<KillCase> =>
  cases.map((kill) => ({ ...kill, postgres: true }))

/**
 * The create run makes 23 resources in 19 calls (each server's create makes its disk): 19 intent
 * writes and 19 calls returned, up to about 33 state writes
 * (one without a backup, the first). The update run: 12 intents and calls (two replacements count
 * twice), about 18 writes. Occurrences stay below what a run reaches under load, when the journal
 * folds more writes together: calls that the simulated clouds answer in one write of their own
 * return together, and so are recorded together. In PostgreSQL each write is one transaction,
 * and writes that queue are made as one: 15 to 23 in the create run and 13 or 14 in the update
 * run (counted as the versions the state keeps, four runs each, load average 2–3), fewer under more load.
 */
export const cases: ReadonlyArray<KillCase> = [
  ...at("intent-recorded", "create", [1, 5, 10, 15, 19], "between intent and call"),
  ...at("call-returned", "create", [1, 6, 11, 16, 19], "the cloud changed, the state not yet"),
  ...at("journal-torn", "create", [1, 7, 13, 17], "during a state write: half a journal line written"),
  ...at("state-temp-written", "create", [1], "during the first state write: temp file written"),
  ...at("journal-appended", "create", [10, 16], "during a state write: line synced, not acknowledged"),
  ...at("retry-wait", "create", [1, 3], "waiting before a retry", createFaults),
  ...at("call-returned", "create", [4], "while disks copy and servers boot", slow),
  ...at("journal-appended", "create", [6], "while disks copy and servers boot", slow),
  ...at("server-boot", "create", [1], "SIGKILL from outside while servers boot", slow),
  ...at("intent-recorded", "update", [2, 7, 11], "between intent and call"),
  ...at("call-returned", "update", [3, 8, 12], "the cloud changed, the state not yet"),
  ...at("journal-torn", "update", [4, 10], "during a state write: half a journal line written"),
  ...at("journal-appended", "update", [5, 12], "during a state write: line synced, not acknowledged"),
  ...at("retry-wait", "update", [2], "waiting before a retry", updateFaults),
  ...at("server-resize", "update", [1], "SIGKILL from outside while a resized server reboots", slow),
  // The first write makes state.json; the second rewrite is the fold when the lock is released.
  ...at("state-backup-kept", "create", [1], "folding the journal: backup kept, new state not yet written"),
  ...at("state-temp-written", "create", [2], "folding the journal: new state written under its temporary name"),
  ...at("state-renamed", "create", [1, 2], "a rewrite: the new state in place, the journal not yet removed"),
  ...inPostgres([
    ...at("intent-recorded", "create", [3, 16], "state in PostgreSQL: between intent and call"),
    ...at("call-returned", "create", [7, 17], "state in PostgreSQL: the cloud changed, the state not yet"),
    ...at("state-uncommitted", "create", [5, 11], "state in PostgreSQL: a write's transaction open"),
    ...at("state-committed", "create", [9, 12], "state in PostgreSQL: a write committed, not acknowledged"),
    ...at("intent-recorded", "update", [4], "state in PostgreSQL: between intent and call"),
    ...at("call-returned", "update", [6], "state in PostgreSQL: the cloud changed, the state not yet"),
    ...at("state-uncommitted", "update", [3], "state in PostgreSQL: a write's transaction open"),
    ...at("state-committed", "update", [8], "state in PostgreSQL: a write committed, not acknowledged"),
    ...outage("create", "Creating...", [1, 12], "PostgreSQL gone with creates in flight"),
    ...outage("update", "Destroying...", [1], "PostgreSQL gone with a delete in flight"),
    ...outage("update", "Creating...", [2], "PostgreSQL gone with a replacement's create in flight"),
    ...outage("update", "Modifying...", [2], "PostgreSQL gone with an update in flight")
  ])
]

/** The same (point, occurrence) in PostgreSQL is another kill point: another store's code runs there. */
export const label = (kill: KillCase) =>
  `${kill.postgres ? "postgres:" : ""}${kill.point}${kill.at === undefined ? "" : `@${kill.at}`}#${kill.occurrence}`
export const describeCase = (kill: KillCase) => `${kill.run} run, ${label(kill)} (${kill.why})`

/** What a command said, cut to its last lines, where the error is. */
export const excerpt = (text: string) => text.trim().split("\n").slice(-12).join("\n")

export interface Outcome {
  /** The kill point, as the figures count it (`label`). */
  readonly label: string
  /** What was killed, where and when, for the report (`describeCase`). */
  readonly name: string
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

/** The clouds and the state of `v1`, converged, to copy for each update case. */
export const baseline = Effect.gen(function* () {
  const dir = Stage.folder("v1")
  const result = yield* run(["up", ...Stage.sandbox, "--yes"], dir)
  if (result.code !== 0) return yield* Effect.dieMessage(`the baseline up failed (${result.code}):\n${result.stderr}`)
  return dir
})

/** Whether `stdout` has `count` progress lines ending with `verb`, of keys starting with `prefix`. */
const shown = (stdout: string, prefix: string, verb: string, count: number) =>
  stdout.split("\n").filter((line) => line.startsWith(prefix) && line.endsWith(verb)).length >= count

const killed = (
  kill: KillCase,
  dir: string,
  storeEnv: Record<string, string>,
  proxy: TcpProxy.TcpProxy | undefined
): Effect.Effect<Ended, unknown> => {
  const args = ["up", ...Stage.sandbox, "--yes"]
  const env = { ...kill.env, ...storeEnv }
  if (kill.point === "server-boot" || kill.point === "server-resize") {
    const verb = kill.point === "server-boot" ? "Creating..." : "Modifying..."
    const booting = (stdout: string) => shown(stdout, "sakura-cloud:server:", verb, kill.occurrence)
    return killWhen(args, dir, env, booting, Duration.millis(300))
  }
  if (kill.point === "postgres-outage") {
    return cutWhen(args, dir, env, (stdout) => shown(stdout, "", kill.at ?? "", kill.occurrence), proxy!)
  }
  return runToDeath(args, dir, { ...env, FLEETFLOW_CRASH_AT: `${kill.point}#${kill.occurrence}` })
}

/** A proxy to the test's PostgreSQL for one case, which its outage cuts; closed with the case. */
const throughProxy = (database: string) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.promise(() => TcpProxy.start({ host: "127.0.0.1", port: Number(new URL(database).port) })),
      (proxy) => Effect.promise(() => proxy.close())
    ),
    (proxy) => {
      const url = new URL(database)
      url.port = String(proxy.port)
      return { proxy, url: url.toString() }
    }
  )

/** What an `up` the state's database went away under must have said: a partial apply, honestly. */
const outageReport = (result: Ended, database: string): ReadonlyArray<string> => {
  const output = result.stdout + result.stderr
  const password = decodeURIComponent(new URL(database).password)
  const expected = [
    "The state holds what was recorded before the failure",
    // The hint carries the flags of the command that failed: without them it would name another state.
    "When PostgreSQL is back, run `fleetflow up --sandbox --file fleet.kdl --stage dev` again"
  ]
  return [
    ...(result.code === 3 ? [] : [`the up the outage hit ended with ${result.signal ?? `exit ${result.code}`}, not 3`]),
    ...expected.filter((part) => !result.stderr.includes(part)).map((part) => `it did not say "${part}"`),
    ...(output.includes("holds exactly what exists") ? ["it claimed the state holds exactly what exists"] : []),
    ...(hasStackTrace(output) ? ["it printed a stack trace"] : []),
    ...(password !== "" && output.includes(password) ? ["it printed the database password"] : [])
  ].map((problem) => `${problem}:\n${excerpt(result.stderr)}`)
}

/**
 * The case's folder, with its state where the case keeps it: an update case's copy of the baseline
 * has its state moved to its own schema the way an operator would, with `state migrate`.
 */
const prepare = (kill: KillCase, baselineDir: string, database: string | undefined) =>
  Effect.gen(function* () {
    if (kill.postgres && database === undefined) return yield* Effect.dieMessage("a PostgreSQL case without a server")
    const schema = kill.postgres ? `faults_${Crypto.randomBytes(6).toString("hex")}` : undefined
    const proxy = kill.point === "postgres-outage" ? yield* throughProxy(database!) : undefined
    const url = proxy?.url ?? database
    const storeEnv: Record<string, string> = schema === undefined ? {} : { FLEETFLOW_PG_URL: url! }
    const dir = kill.run === "create" ? Stage.folder("v1", schema) : Stage.copy(baselineDir)
    if (kill.run === "update" && schema !== undefined) {
      Stage.write(dir, "v1", schema)
      const moved = yield* run(["state", "migrate", "--to", "postgres", ...Stage.sandbox], dir, storeEnv)
      if (moved.code !== 0) return yield* Effect.dieMessage(`state migrate exited ${moved.code}:\n${moved.stderr}`)
    }
    if (kill.run === "update") Stage.write(dir, "v2", schema)
    const location: Cloud.StateLocation =
      schema === undefined ? { _tag: "Local", dir } : { _tag: "Postgres", url: database!, schema }
    return { dir, storeEnv, location, proxy: proxy?.proxy }
  })

/** Runs one case in a folder of its own; `database` is the URL of the server PostgreSQL cases use. */
export const runCase = (kill: KillCase, baselineDir: string, database?: string): Effect.Effect<Outcome, unknown> =>
  Effect.scoped(runIn(kill, baselineDir, database))

const runIn = (kill: KillCase, baselineDir: string, database: string | undefined) =>
  Effect.gen(function* () {
    const named = { label: label(kill), name: describeCase(kill) }
    const version: Stage.Version = kill.run === "create" ? "v1" : "v2"
    const { dir, location, proxy, storeEnv } = yield* prepare(kill, baselineDir, database)
    const problems: Array<string> = []
    const timings: Record<string, number> = {}
    let mark = Date.now()
    const lap = (step: string) => {
      const now = Date.now()
      timings[step] = now - mark
      mark = now
    }

    const first = yield* killed(kill, dir, storeEnv, proxy)
    lap("kill")
    const faultsInjected = Cloud.faultsInjected(dir)
    if (proxy !== undefined) {
      problems.push(...outageReport(first, database!))
      yield* Effect.promise(() => proxy.restore())
    } else if (first.signal !== "SIGKILL") {
      return {
        ...named,
        dir,
        notReached: `the run ended with ${first.signal ?? `exit code ${first.code}`}, not SIGKILL:\n${excerpt(first.stderr)}`,
        faultsInjected,
        unparseable: [],
        problems,
        settled: ""
      }
    }
    const unparseable = (yield* Cloud.readStates(location)).flatMap((parsed) =>
      parsed._tag === "Unparseable" ? [parsed.reason] : []
    )

    // PostgreSQL drops the advisory lock of a killed session; a lock file stays, as it would for the operator.
    const lock = Cloud.lockId(dir)
    if (lock !== undefined) {
      const unlock = yield* run(["force-unlock", ...Stage.sandbox, "--yes", lock], dir)
      if (unlock.code !== 0) problems.push(`force-unlock exited ${unlock.code}: ${excerpt(unlock.stderr)}`)
    }
    lap("unlock")
    const again = yield* run(["up", ...Stage.sandbox, "--yes"], dir, storeEnv)
    lap("up")
    if (again.code !== 0) problems.push(`the up after the kill exited ${again.code}:\n${excerpt(again.stderr)}`)
    const settled = settledBlock(again.stderr)

    const [after = { _tag: "Absent" }] = yield* Cloud.readStates(location)
    if (after._tag !== "Parsed") {
      problems.push(`after the second up the state is ${after._tag === "Absent" ? "absent" : after.reason}`)
      return { ...named, dir, faultsInjected, unparseable, problems, settled }
    }
    const cloud = yield* Cloud.inspect(dir)
    const desired = yield* Stage.desiredKeys(dir)
    const findings = Cloud.compare(after.state, cloud, desired, Stage.expectations[version])
    lap("inspect")

    if (location._tag === "Local" && fs.existsSync(Cloud.journalPath(dir))) {
      problems.push(`the journal is left after the lock was released: ${Cloud.journalPath(dir)}`)
    }
    const plan = yield* run(["plan", ...Stage.sandbox, "--detailed-exitcode"], dir, storeEnv)
    if (plan.code !== 0) {
      const changes = plan.stdout.split("\n").filter((line) => line.startsWith("  # ") || line.startsWith("Plan:"))
      problems.push(`plan --detailed-exitcode exited ${plan.code}:\n${changes.join("\n")}${excerpt(plan.stderr)}`)
    }
    lap("plan")
    return { ...named, dir, faultsInjected, unparseable, findings, problems, settled, timings }
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
