/**
 * The fault-injection suite (`npm run test:faults`; `npm test` runs it too): the built CLI on the
 * sandbox clouds, over the 23-resource stage of `faults/Stage.ts`, SIGKILLed at every kill point
 * of `src/Crash.ts` (and from outside while servers boot) with its state in the sandbox folder or
 * in PostgreSQL, with PostgreSQL gone while calls are in flight, with a child (wrangler, usacloud)
 * SIGKILLed mid-call, under a 30% transient fault rate, against a permanent fault, five at once on
 * one folder, and interrupted with SIGINT. It ends by printing its figures and asserting none is
 * wrong.
 *
 * `FLEETFLOW_FAULTS_SEED` picks another schedule for the 30% fault rate;
 * `FLEETFLOW_FAULTS_CONCURRENCY` runs more kill cases at a time than the default two.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Simulator from "../src/Sakura/Simulator.js"
import { run, start, waitFor } from "./support/Cli.js"
import * as ChildKills from "./faults/Children.js"
import * as Cloud from "./faults/Cloud.js"
import * as Figures from "./faults/Figures.js"
import * as Kills from "./faults/Kills.js"
import { ended, processesMarked, writeUsacloud } from "./faults/Process.js"
import * as Stage from "./faults/Stage.js"
import * as TestPostgres from "./support/Postgres.js"
import { readLock } from "./support/StateFile.js"

const server = await TestPostgres.forTests("the fault suite's cases with the state in PostgreSQL")
afterAll(() => server?.stop())

const killCases = Kills.cases.filter((kill) => server !== undefined || kill.postgres !== true)
const figures = Figures.make()
const seed = Number.parseInt(process.env.FLEETFLOW_FAULTS_SEED ?? "", 10) || 20_260_611

const up = ["up", ...Stage.sandbox, "--yes"]
const plan = ["plan", ...Stage.sandbox, "--detailed-exitcode"]

/** Adds what `compare` found to the figures, and says what it found. */
const count = (findings: Cloud.Findings): ReadonlyArray<string> => {
  figures.orphans += findings.orphans.length
  figures.duplicates += findings.duplicates.length
  figures.missing += findings.missing.length
  figures.lostUpdates += findings.lostUpdates.length
  figures.staleRecords += findings.staleRecords.length
  return Cloud.describeFindings(findings)
}

/** The state of `dir`, which must parse; an unparseable one is counted. */
const stateOf = (dir: string) => {
  const parsed = Cloud.parseFile(Cloud.statePath(dir))
  if (parsed._tag === "Unparseable") figures.unparseableStates++
  assert.strictEqual(parsed._tag, "Parsed", parsed._tag === "Unparseable" ? parsed.reason : "no state file")
  return (parsed as Extract<Cloud.Parsed, { _tag: "Parsed" }>).state
}

/** The clouds of `dir` against its converged state and `version` of the file. */
const converged = (dir: string, version: Stage.Version) =>
  Effect.gen(function* () {
    const state = stateOf(dir)
    const findings = Cloud.compare(
      state,
      yield* Cloud.inspect(dir),
      yield* Stage.desiredKeys(dir),
      Stage.expectations[version]
    )
    assert.deepStrictEqual(count(findings), [])
    const again = yield* run(plan, dir)
    assert.strictEqual(again.code, 0, `plan after convergence:\n${again.stdout}\n${again.stderr}`)
  })

/** A small, seeded generator (mulberry32): the 30% schedule is the same on every run of one seed. */
const random = (start: number) => {
  let state = start >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const maxAttempts = 10

/**
 * A fault rate as `FLEETFLOW_SANDBOX_FAULTS` rules: each call fails with probability `rate`, so
 * the calls of one (operation, key) fail a geometric number of times before one succeeds,
 * drawn here from the seed and written as `operation:key=transient*N`.
 */
const faultRate = (
  keys: ReadonlyArray<string>,
  operations: ReadonlyArray<string>,
  rate: number,
  next: () => number
): ReadonlyArray<string> =>
  keys.flatMap((key) =>
    operations.flatMap((operation) => {
      let failures = 0
      while (next() < rate) failures++
      assert.isBelow(failures, maxAttempts, `seed ${seed} draws more failures for ${key} than the retry policy allows`)
      return failures === 0 ? [] : [`${operation}:${key}=transient*${failures}`]
    })
  )

const indent = (text: string) =>
  text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n")

/** A folder whose test passed is not needed; one whose test failed stays, to look at. */
const remove = (dir: string) => fs.rmSync(dir, { recursive: true, force: true })

/**
 * The retries the injected faults caused, one per fault. A DNS batch that a rule for one of its records refuses
 * fails whole, as Cloudflare fails one in an outage, and each of its records retries: those of the other records
 * quote that record's rule and are not its fault's retry.
 */
const retries = (stdout: string) =>
  stdout.split("\n").filter((line) => {
    const retry = /^(\S+): Retrying \(attempt \d+\)/.exec(line)
    const rule = /injected \w+ fault \(\w+:(\S+?)=/.exec(line)
    return retry !== null && (rule === null || rule[1] === retry[1])
  }).length
const retryOption = ["--retry", `max-attempts=${maxAttempts},initial-delay=10ms,max-delay=50ms`]

/** Runs `cases` two at a time (two cores, each a chain of CLI processes); a case that fails outright is an outcome too. */
const runAll = <A>(
  cases: ReadonlyArray<A>,
  runCase: (kill: A) => Effect.Effect<Kills.Outcome, unknown>,
  named: { readonly label: (kill: A) => string; readonly name: (kill: A) => string }
) =>
  Effect.forEach(
    cases,
    (kill) =>
      runCase(kill).pipe(
        Effect.timeoutFail({
          duration: Duration.seconds(90),
          onTimeout: () => new Error("the case did not finish in 90 s")
        }),
        Effect.catchAllCause((cause) =>
          Effect.succeed<Kills.Outcome>({
            label: named.label(kill),
            name: named.name(kill),
            faultsInjected: 0,
            unparseable: [],
            problems: [`the case itself failed: ${cause}`],
            settled: ""
          })
        )
      ),
    { concurrency: Number(process.env.FLEETFLOW_FAULTS_CONCURRENCY ?? "") || 2 }
  )

/** Adds the outcomes to the figures, prints where the time went, and returns what went wrong, case by case. */
const tally = (outcomes: ReadonlyArray<Kills.Outcome>, started: number): ReadonlyArray<string> => {
  const report: Array<string> = []
  for (const outcome of outcomes) {
    figures.killCases++
    figures.faultsInjected += outcome.faultsInjected
    figures.unparseableStates += outcome.unparseable.length
    if (outcome.findings !== undefined) count(outcome.findings)
    const wrong = Kills.failures(outcome)
    if (wrong.length === 0) {
      figures.killPointsSurvived++
      figures.distinctPoints.add(outcome.label)
      if (outcome.dir !== undefined) remove(outcome.dir)
    } else {
      const said = outcome.settled === "" ? [] : [`the up after the kill said:\n${outcome.settled}`]
      report.push([`${outcome.name} in ${outcome.dir}:`, ...[...wrong, ...said].map((item) => indent(item))].join("\n"))
    }
  }
  const steps: Record<string, number> = {}
  for (const outcome of outcomes) {
    for (const [step, ms] of Object.entries(outcome.timings ?? {})) steps[step] = (steps[step] ?? 0) + ms
  }
  console.log(
    `${outcomes.length} cases in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(seconds per step, all cases: ${Object.entries(steps)
        .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)}`)
        .join(", ")}); survived: ${outcomes
        .filter((outcome) => Kills.failures(outcome).length === 0)
        .map((outcome) => outcome.label)
        .join(", ")}`
  )
  return report
}

describe("fault injection on the sandbox clouds", () => {
  it.live(
    `SIGKILL at ${killCases.length} kill points of an apply, each followed by up: the clouds equal the file, nothing twice, nothing lost`,
    () =>
      Effect.gen(function* () {
        const started = Date.now()
        const baseline = yield* Kills.baseline
        const outcomes = yield* runAll(killCases, (kill) => Kills.runCase(kill, baseline, server?.url), {
          label: Kills.label,
          name: Kills.describeCase
        })
        const report = tally(outcomes, started)
        remove(baseline)
        assert.deepStrictEqual(report, [], `kill cases that went wrong:\n${report.join("\n")}`)
      }),
    300_000
  )

  it.live(
    `SIGKILL of a child mid-call at ${ChildKills.cases.length} points (wrangler, usacloud): the run ends on its own, leaves no process, and up converges`,
    () =>
      Effect.gen(function* () {
        const started = Date.now()
        const outcomes = yield* runAll(ChildKills.cases, ChildKills.runCase, {
          label: ChildKills.label,
          name: (kill) => kill.why
        })
        const report = tally(outcomes, started)
        assert.deepStrictEqual(report, [], `child kill cases that went wrong:\n${report.join("\n")}`)
      }),
    300_000
  )

  it.live(
    `a 30% transient fault rate on every create, update and delete: up converges with the engine's retries (seed ${seed})`,
    () =>
      Effect.gen(function* () {
        const next = random(seed)
        const dir = Stage.folder("v1")
        const create = faultRate(yield* Stage.desiredKeys(dir), ["create"], 0.3, next)
        const first = yield* run([...up, ...retryOption], dir, { FLEETFLOW_SANDBOX_FAULTS: create.join(",") })
        assert.strictEqual(first.code, 0, first.stderr)
        const injected = Cloud.faultsInjected(dir)
        assert.isAbove(injected, 0)
        assert.strictEqual(retries(first.stdout), injected, "every injected fault was retried")
        yield* converged(dir, "v1")

        Stage.write(dir, "v2")
        const keys = [...new Set([...(yield* Stage.desiredKeys(dir)), "cloudflare:dns:files.faults.example/CNAME"])]
        const change = faultRate(keys, ["create", "update", "delete"], 0.3, next)
        const second = yield* run([...up, ...retryOption], dir, { FLEETFLOW_SANDBOX_FAULTS: change.join(",") })
        assert.strictEqual(second.code, 0, second.stderr)
        const total = Cloud.faultsInjected(dir)
        assert.isAbove(total, injected)
        assert.strictEqual(retries(second.stdout), total - injected, "every injected fault was retried")
        figures.faultsInjected += total
        yield* converged(dir, "v2")
        // 23 creates, then the 12 calls of v2 (a replacement is two), and one more call per fault.
        const calls = 23 + 12 + total
        console.log(
          `30% fault rate: ${total} faults injected in ${calls} calls (${((100 * total) / calls).toFixed(0)}%)`
        )
        remove(dir)
      }),
    120_000
  )

  it.live(
    "a permanent fault on one resource: exit 3, the state holds exactly what succeeded, and the next up completes",
    () =>
      Effect.gen(function* () {
        const dir = Stage.folder("v1")
        // A server: a DNS record's create may go out in a batch with others, which a rule for one record does not fail.
        // The server's create makes its disk: the one call failed for both.
        const failing = ["sakura-cloud:disk:web-02", "sakura-cloud:server:web-02"]
        const result = yield* run([...up, "--json"], dir, {
          FLEETFLOW_SANDBOX_FAULTS: `create:${failing[1]}=permanent`
        })
        assert.strictEqual(result.code, 3, result.stderr)
        figures.faultsInjected++
        const error = (JSON.parse(result.stdout) as { error: Record<string, ReadonlyArray<Record<string, unknown>>> })
          .error
        const keyOf = (item: Record<string, unknown>) =>
          (item.key ?? (item.step as { key: string } | undefined)?.key) as string
        assert.deepStrictEqual(error.failed!.map(keyOf), failing)
        const succeeded = error.succeeded!.map(keyOf).sort()
        const state = stateOf(dir)
        assert.deepStrictEqual(Object.keys(state.resources).sort(), succeeded, "the state holds what succeeded")
        assert.deepStrictEqual(
          count(Cloud.compare(state, yield* Cloud.inspect(dir), succeeded, [])),
          [],
          "the clouds hold exactly what the state records"
        )
        assert.isBelow(succeeded.length, 23)

        const fixed = yield* run(up, dir)
        assert.strictEqual(fixed.code, 0, fixed.stderr)
        yield* converged(dir, "v1")
        remove(dir)
      }),
    60_000
  )

  it.scopedLive(
    "five concurrent up on one folder: one applies at a time, the others exit 4 naming the holder or wait with --lock-timeout",
    () =>
      Effect.gen(function* () {
        const dir = Stage.folder("v1")
        // Disks copy, then servers boot, for 3 s each: the first holder keeps the lock for seconds.
        const env = { FLEETFLOW_SANDBOX_BOOT_TIME: "3s" }
        const waits = [false, false, true, true, true]
        const holders: Array<{ readonly id: string; readonly pid: number }> = []
        const sampler = yield* Effect.fork(
          Effect.forever(
            Effect.zipRight(
              Effect.sync(() => {
                try {
                  const lock = readLock(Cloud.lockPath(dir))
                  if (holders.at(-1)?.id !== lock.id) holders.push({ id: lock.id, pid: lock.pid })
                } catch {
                  // No lock now, or one being written.
                }
              }),
              Effect.sleep("10 millis")
            )
          )
        )
        const runs = yield* Effect.forEach(waits, (wait) =>
          start([...up, ...(wait ? ["--lock-timeout", "60s"] : [])], dir, env)
        )
        const results = yield* Effect.forEach(runs, (started) => ended(started), { concurrency: "unbounded" })
        yield* Fiber.interrupt(sampler)
        const pids = runs.map((started) => Number(started.process.pid))

        const appliers = results.filter((result) => result.stdout.includes("Apply complete! Resources: 23 added"))
        assert.strictEqual(appliers.length, 1, "exactly one run applied")
        results.forEach((result, index) => {
          const who = `run ${index} (pid ${pids[index]}, ${waits[index] ? "--lock-timeout 60s" : "no lock timeout"})`
          if (appliers.includes(result)) {
            assert.strictEqual(result.code, 0, `${who}:\n${result.stderr}`)
          } else if (waits[index]) {
            assert.strictEqual(result.code, 0, `${who} waited, then:\n${result.stderr}`)
            assert.include(result.stdout, "No changes.", who)
          } else {
            assert.strictEqual(result.code, 4, `${who}:\n${result.stdout}\n${result.stderr}`)
            const holder = Number(/locked by .+ \(pid (\d+)/.exec(result.stderr)?.[1])
            assert.include(pids, holder, `${who} names one of the five as the holder`)
            assert.notStrictEqual(holder, pids[index])
          }
        })
        // The lock file only ever named a run that then exited 0: no run that exited 4 held it, and no
        // holder came back after another (which would be two holders at once).
        const succeeded = pids.filter((_, index) => results[index]!.code === 0)
        assert.isAbove(holders.length, 0, "the lock was seen")
        for (const holder of holders) assert.include(succeeded, holder.pid, `lock holder ${holder.pid}`)
        assert.strictEqual(new Set(holders.map((holder) => holder.id)).size, holders.length, "no holder came back")
        assert.isFalse(fs.existsSync(Cloud.lockPath(dir)), "the lock is released")
        console.log(
          `five concurrent up: exits ${results.map((result) => result.code).join(", ")}; ` +
            `lock holders seen in turn: ${holders.map((holder) => holder.pid).join(", ")}`
        )
        yield* converged(dir, "v1")
        remove(dir)
      }),
    120_000
  )

  it.scopedLive(
    // This stage starts no process (the sandbox runs usacloud in process, and it has no Worker): the
    // processes an interrupted run leaves are checked where it starts some, in the next case and in
    // test/Cli/Children.e2e.test.ts.
    "SIGINT to a running up releases the lock and leaves no intent, and the next up converges (sandbox)",
    () =>
      Effect.gen(function* () {
        const dir = Stage.folder("v1")
        const started = yield* start(up, dir, { FLEETFLOW_SANDBOX_BOOT_TIME: "3s" })
        yield* waitFor(
          () => /sakura-cloud:server:\S+: Creating\.\.\./.test(started.output().stdout),
          "a server to boot"
        )
        yield* started.process.kill("SIGINT")
        const result = yield* ended(started)
        assert.strictEqual(result.code, 130, result.stderr)
        assert.isFalse(fs.existsSync(Cloud.lockPath(dir)), "the lock is released")
        assert.deepStrictEqual(stateOf(dir).pending, [], "no intent is left")
        const again = yield* run(up, dir)
        assert.strictEqual(again.code, 0, again.stderr)
        yield* converged(dir, "v1")
        remove(dir)
      }),
    60_000
  )

  it.scopedLive(
    "SIGINT to an up waiting on usacloud processes releases the lock and leaves none of them running",
    () =>
      Effect.gen(function* () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-faults-sigint-"))
        const marker = `FLEETFLOW_FAULTS_MARKER=${path.basename(dir)}`
        const store = path.join(dir, "usacloud.json")
        const [name, value] = marker.split("=") as [string, string]
        // The marker is set by the wrapper, so the check holds whatever environment FleetFlow gives usacloud.
        const usacloud = writeUsacloud(dir, {
          [name]: value,
          FLEETFLOW_USACLOUD_SIMULATOR_STORE: store,
          FLEETFLOW_USACLOUD_SIMULATOR_BOOT_TIME: "2s"
        })
        fs.writeFileSync(
          path.join(dir, "fleet.kdl"),
          `project "faults-sigint"\nproviders {\n    sakura-cloud {\n        zone "tk1a"\n    }\n}\n` +
            `stage "dev" {\n    server "sig-01" {\n        plan core=1 memory=1\n        disk size=20 os="ubuntu-24.04"\n    }\n}\n`
        )
        const args = ["up", "-f", "fleet.kdl", "--stage", "dev", "--yes"]
        const started = yield* start(args, dir, { FLEETFLOW_USACLOUD: usacloud })
        const cli = Number(started.process.pid)
        yield* waitFor(
          () => processesMarked(marker).some((pid) => pid !== cli),
          "a usacloud process waiting on the new disk"
        )
        yield* started.process.kill("SIGINT")
        const result = yield* ended(started)
        assert.strictEqual(result.code, 130, `${result.stdout}\n${result.stderr}`)
        assert.isFalse(fs.existsSync(path.join(dir, ".fleetflow", "lock.json")), "the lock is released")
        assert.deepStrictEqual(processesMarked(marker), [], "no usacloud process is left running")
        const state = Cloud.parseFile(path.join(dir, ".fleetflow", "state.json"))
        assert.notStrictEqual(state._tag, "Unparseable")
        if (state._tag === "Parsed") assert.deepStrictEqual(state.state.pending, [], "no intent is left")

        // What the interrupted call had made is found again, not made twice.
        const again = yield* run(args, dir, { FLEETFLOW_USACLOUD: usacloud })
        assert.strictEqual(again.code, 0, again.stderr)
        const cloud = yield* Effect.flatMap(Simulator.fileStore(store), (simulator) =>
          Simulator.inspect(simulator)
        ).pipe(Effect.provide(NodeFileSystem.layer))
        assert.deepStrictEqual(
          [
            ...cloud.servers.map((server) => `server ${server.name}`),
            ...cloud.disks.map((disk) => `disk ${disk.name}`)
          ],
          ["server sig-01", "disk sig-01"]
        )
        remove(dir)
      }),
    60_000
  )

  // Without PostgreSQL (only outside CI, which installs it) its cases cannot run, nor count.
  const leastPoints = server === undefined ? 35 : 45
  it(`prints its figures: 0 orphans, 0 duplicates, 0 lost updates, 0 stale records, 0 unparseable states, ≥ ${leastPoints} kill points`, () => {
    console.log(Figures.render(figures))
    const summary = Figures.summary(figures)
    assert.strictEqual(summary.orphans, 0)
    assert.strictEqual(summary.duplicates, 0)
    assert.strictEqual(summary.missing, 0)
    assert.strictEqual(summary.lostUpdates, 0)
    assert.strictEqual(summary.staleRecords, 0)
    assert.strictEqual(summary.unparseableStates, 0)
    assert.isAtLeast(summary.distinctKillPoints, leastPoints)
    assert.isAbove(summary.faultsInjected, 0)
  })
})
