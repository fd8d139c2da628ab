/**
 * The fuzzer: mutated KDL files, state files, usacloud output and Cloudflare answers must never
 * crash, hang or print a stack trace, and every config error must say where it is.
 *
 * CI runs a fixed subset (a fixed seed: 2,000 KDL cases, 400 of each other target). The long
 * campaign (`npm run fuzz`, see scripts/fuzz.mjs) sets:
 *
 * - `FLEETFLOW_FUZZ_SEED`: the seed (a number);
 * - `FLEETFLOW_FUZZ_CASES`: cases per target;
 * - `FLEETFLOW_FUZZ_TARGETS`: some of `kdl,state,usacloud,cloudflare`;
 * - `FLEETFLOW_FUZZ_CASE`: run this one case only (to reproduce a report);
 * - `FLEETFLOW_FUZZ_OUT`: a folder to write the full input of every bad case to;
 * - `FLEETFLOW_FUZZ_VERBOSE`: also print the slowest cases.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import * as NodeChild from "node:child_process"
import * as NodeOs from "node:os"
import { runMeasured } from "./fuzz/Limits.js"
import { caseSeed, excerpt, rng } from "./fuzz/Mutate.js"
import * as Targets from "./fuzz/Targets.js"

const env = process.env
const seed = Number.parseInt(env.FLEETFLOW_FUZZ_SEED ?? "", 10) || 20_260_501
const casesOverride = Number.parseInt(env.FLEETFLOW_FUZZ_CASES ?? "", 10)
const onlyCase = env.FLEETFLOW_FUZZ_CASE === undefined ? undefined : Number.parseInt(env.FLEETFLOW_FUZZ_CASE, 10)
const selected = env.FLEETFLOW_FUZZ_TARGETS?.split(",").map((name) => name.trim())
const outFolder = env.FLEETFLOW_FUZZ_OUT
const verbose = env.FLEETFLOW_FUZZ_VERBOSE !== undefined && env.FLEETFLOW_FUZZ_VERBOSE !== ""

const ciCases: Record<string, number> = { kdl: 2000, state: 400, usacloud: 400, cloudflare: 400 }
const casesOf = (target: string) =>
  Number.isFinite(casesOverride) && casesOverride > 0 ? casesOverride : ciCases[target]!
const enabled = (target: string) => selected === undefined || selected.includes(target)

/** Generous for a long campaign; CI's subset stays well under a minute. */
const testTimeout = (target: string) => Math.max(120_000, casesOf(target) * 200)

const workspace = Targets.makeWorkspace()
afterAll(() => Targets.removeWorkspace(workspace))

interface BadCase {
  readonly index: number
  readonly description: string
  readonly reason: string
  readonly input: string
}

const limitMillis = Duration.toMillis(Targets.caseTimeout)
const hang = `no answer within ${Duration.format(Targets.caseTimeout)} (a hang)`
const isHang = (outcome: Targets.Outcome) => outcome.kind === "bad" && outcome.reason === hang

/** One run of a case, stopped at the time limit, and how long it took. */
const timed = (run: Effect.Effect<Targets.Outcome>) =>
  Effect.gen(function* () {
    const before = performance.now()
    const outcome = yield* run.pipe(
      Effect.disconnect,
      Effect.timeoutTo({
        duration: Targets.caseTimeout,
        onSuccess: (result): Targets.Outcome => result,
        onTimeout: (): Targets.Outcome => ({ kind: "bad", reason: hang })
      })
    )
    return { outcome, millis: performance.now() - before }
  })

/** Runs the target's cases one after another; returns the counts and the bad cases. */
const campaign = (target: Targets.Target) =>
  Effect.gen(function* () {
    const started = performance.now()
    const counts = { ok: 0, expected: 0, bad: 0 }
    const tags = new Map<string, number>()
    const bad: Array<BadCase> = []
    const slowest: Array<{ readonly index: number; readonly millis: number; readonly description: string }> = []
    const total = casesOf(target.name)
    const indexes = onlyCase === undefined ? Array.from({ length: total }, (_, i) => i) : [onlyCase]
    let done = 0
    const runOne = (index: number) =>
      Effect.gen(function* () {
        const generated = target.generate(rng(caseSeed(seed, target.name, index)))
        const first = yield* timed(generated.run)
        // A slow case is run once more: a busy machine (a second fuzz process, GC) is not a hang.
        const { millis, outcome } =
          first.millis > limitMillis || isHang(first.outcome) ? yield* timed(generated.run) : first
        if (verbose) {
          slowest.push({ index, millis, description: generated.description })
          slowest.sort((a, b) => b.millis - a.millis)
          slowest.length = Math.min(slowest.length, 10)
        }
        const judged: Targets.Outcome =
          outcome.kind !== "bad" && millis > limitMillis
            ? { kind: "bad", reason: `took ${Math.round(millis)} ms (twice), past the limit of a case` }
            : outcome
        switch (judged.kind) {
          case "ok":
            counts.ok++
            break
          case "expected-error":
            counts.expected++
            tags.set(judged.tag, (tags.get(judged.tag) ?? 0) + 1)
            break
          case "bad":
            counts.bad++
            if (bad.length < 20) {
              bad.push({ index, description: generated.description, reason: judged.reason, input: generated.input })
            }
            if (outFolder !== undefined) {
              NodeFs.mkdirSync(outFolder, { recursive: true })
              const name = NodePath.join(outFolder, `${target.name}-${seed}-${index}`)
              NodeFs.writeFileSync(`${name}.input`, generated.input)
              NodeFs.writeFileSync(`${name}.txt`, `${generated.description}\n\n${judged.reason}\n`)
            }
        }
        done++
        if (onlyCase === undefined && (verbose || total >= 10_000) && done % (verbose ? 1000 : 5000) === 0) {
          const heap = Math.round(process.memoryUsage().heapUsed / 1e6)
          console.error(`fuzz ${target.name}: ${done}/${total} cases, ${counts.bad} bad, heap ${heap} MB`)
        }
      })
    for (const index of indexes) yield* runOne(index)
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    const byTag = [...tags.entries()].map(([tag, count]) => `${tag} ${count}`).join(", ")
    console.log(
      `fuzz ${target.name}: ${indexes.length} cases (seed ${seed}), ${counts.ok} ok, ` +
        `${counts.expected} expected errors${byTag === "" ? "" : ` (${byTag})`}, ${counts.bad} bad, ${seconds} s`
    )
    for (const item of slowest) {
      console.log(`  slow: case ${item.index}, ${Math.round(item.millis)} ms (${item.description.slice(0, 200)})`)
    }
    return { counts, bad, cases: indexes.length }
  })

const report = (target: string, bad: ReadonlyArray<BadCase>, total: number) =>
  [
    `${total} bad case(s) for ${target}; the first ${bad.length}:`,
    ...bad.map((item) =>
      [
        `case ${item.index} (seed ${seed}; ${item.description})`,
        `  ${item.reason.split("\n").slice(0, 12).join("\n  ")}`,
        `  input: ${excerpt(item.input)}`,
        `  again: FLEETFLOW_FUZZ_SEED=${seed} FLEETFLOW_FUZZ_TARGETS=${target} FLEETFLOW_FUZZ_CASE=${item.index} npx vitest run test/Fuzz.test.ts`
      ].join("\n")
    )
  ].join("\n\n")

/** The seeds must read as they are; the refusals recorded from the simulators are typed errors. */
const checkSeeds = (target: Targets.Target, mustBeOk: boolean) =>
  Effect.gen(function* () {
    for (const seedCase of target.seeds) {
      const outcome = yield* seedCase.run
      const fine = mustBeOk ? outcome.kind === "ok" : outcome.kind !== "bad"
      assert.isTrue(fine, `seed ${seedCase.name} of ${target.name}: ${JSON.stringify(outcome)}`)
    }
  })

const fuzz = (target: Targets.Target, mustBeOk: boolean) =>
  Effect.gen(function* () {
    yield* checkSeeds(target, mustBeOk)
    const result = yield* campaign(target)
    assert.strictEqual(result.counts.bad, 0, report(target.name, result.bad, result.counts.bad))
  })

describe("fuzz: bad input never crashes, hangs or prints a stack trace", () => {
  it.live.skipIf(!enabled("kdl"))(
    "KDL files: load, select and expand every stage",
    () => fuzz(Targets.kdl(workspace), true),
    testTimeout("kdl")
  )

  it.live.skipIf(!enabled("state"))(
    "state files: StateCorrupt naming the backup, never a defect or an empty state",
    () =>
      Effect.gen(function* () {
        const seeds = yield* Targets.makeStateSeeds(workspace)
        yield* fuzz(Targets.state(workspace, seeds), true)
      }),
    testTimeout("state")
  )

  it.live.skipIf(!enabled("usacloud"))(
    "usacloud output: a UsacloudError, never a defect",
    () =>
      Effect.gen(function* () {
        const seeds = yield* Targets.makeUsacloudSeeds()
        yield* fuzz(Targets.usacloud(seeds), false)
      }),
    testTimeout("usacloud")
  )

  it.live.skipIf(!enabled("cloudflare"))(
    "Cloudflare answers: a CloudflareError, never a defect",
    () =>
      Effect.gen(function* () {
        const seeds = yield* Targets.makeCloudflareSeeds()
        yield* fuzz(Targets.cloudflare(seeds), false)
      }),
    testTimeout("cloudflare")
  )
})

/** Inputs the campaign once found breaking things, kept as plain cases. */
describe("fuzz: regressions", () => {
  const example = NodeFs.readFileSync(NodePath.join(__dirname, "../examples/fleet.kdl"), "utf8")
  const expectError = (outcome: Targets.Outcome, message: RegExp) => {
    assert.strictEqual(outcome.kind, "expected-error", JSON.stringify(outcome))
    if (outcome.kind === "expected-error") assert.match(outcome.message, message)
  }

  it.live("a scale range of 2^64 servers is a config error, not a loop over every name", () =>
    Effect.gen(function* () {
      const text = example.replace("scale min=2 max=4", "scale min=2 max=0xffffffffffffffff")
      const { millis, outcome } = yield* timed(Targets.runKdl(workspace, text))
      expectError(outcome, /`max` is too large/)
      assert.isBelow(millis, limitMillis)
    })
  )

  it.live("a 250,000-character OS name is reported without comparing it to every OS name", () =>
    Effect.gen(function* () {
      const text = example.replace('os="ubuntu-24.04"\n        scale', `os="${" ".repeat(250_000)}"\n        scale`)
      const { millis, outcome } = yield* timed(Targets.runKdl(workspace, text))
      expectError(outcome, /unknown OS/)
      assert.isBelow(millis, limitMillis)
    })
  )

  it.live("a state file nested 5,000 deep is StateCorrupt naming the backup", () =>
    Effect.gen(function* () {
      const deep = "[".repeat(5000) + "]".repeat(5000)
      const backup = JSON.stringify({ version: 1, lineage: "l", serial: 1, project: "p", resources: {}, pending: [] })
      const whole = yield* Targets.runState(workspace.state, { state: deep, backup, lock: undefined })
      expectError(whole, /nested too deeply/)
      const inside = backup.replace('"resources":{}', `"resources":{"a":${deep}}`)
      expectError(yield* Targets.runState(workspace.state, { state: inside, backup, lock: deep }), /state schema/)
    })
  )
})

/**
 * Large inputs through the built CLI (`npm run build` first): inputs past the limits each end within 5 s, exit 1
 * with one error saying what and where, and stay under 200 MB of memory; a configuration of a megabyte is read.
 */
describe("fuzz: bounded inputs", () => {
  const example = NodeFs.readFileSync(NodePath.join(__dirname, "../examples/fleet.kdl"), "utf8")
  const folder = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "fleetflow-limits-"))
  NodeFs.cpSync(NodePath.join(__dirname, "../examples"), folder, { recursive: true })
  NodeChild.execFileSync("mkfifo", [NodePath.join(folder, "keys/fifo.pub")])
  afterAll(() => NodeFs.rmSync(folder, { recursive: true, force: true }))

  const refused = (name: string, text: string | Buffer, message: RegExp) =>
    it.live(
      name,
      () =>
        Effect.gen(function* () {
          const file = `${name.replace(/[^a-z0-9]+/gi, "-")}.kdl`
          NodeFs.writeFileSync(NodePath.join(folder, file), text)
          const result = yield* runMeasured(["validate", "-f", file, "-s", "dev"], folder, { heapCapMb: 200 })
          assert.strictEqual(result.code, 1, result.output)
          assert.match(result.output, message)
          assert.strictEqual(result.output.match(/^Error:/gm)?.length, 1, result.output)
          assert.notMatch(result.output, /\n\s+at /, "no stack trace")
          assert.isBelow(result.millis, 5000)
          if (NodeFs.existsSync("/usr/bin/time")) assert.isDefined(result.peakMb, "peak memory measured")
          if (result.peakMb !== undefined) assert.isBelow(result.peakMb, 200)
        }),
      30_000
    )

  /** The issue's file: a zone of TXT records, one a line, up to a mebibyte (10,815 records). */
  const records = () => {
    let text = `project "mem"\nproviders {\n    cloudflare {\n        zone "mem.example"\n    }\n}\nstage "dev" {\n    dns "mem.example" {\n`
    for (let i = 0; text.length < 1024 * 1024; i++) {
      text += `        record "host-${i}" type="TXT" value="some text value number ${i} for the record" ttl=300\n`
    }
    return `${text}    }\n}\n`
  }

  it.live(
    "a 1 MB configuration of ten thousand DNS records validates in under 150 MB",
    () =>
      Effect.gen(function* () {
        NodeFs.writeFileSync(NodePath.join(folder, "records.kdl"), records())
        // The first run after a build compiles the CLI and keeps V8's code cache; every later run starts from it.
        const first = yield* runMeasured(["validate", "-f", "fleet.kdl", "-s", "dev"], folder)
        assert.strictEqual(first.code, 0, first.output)
        const result = yield* runMeasured(["validate", "-f", "records.kdl"], folder)
        assert.strictEqual(result.code, 0, result.output)
        assert.include(result.output, "records.kdl is valid (KDL v2).")
        assert.include(result.output, `stage "dev": 10815 resources`)
        assert.isDefined(result.peakMb, "peak memory measured (by /usr/bin/time or /proc)")
        assert.isBelow(result.peakMb!, 150)
      }),
    60_000
  )

  refused(
    "a 1 MB configuration with one mistake in its last record",
    records().replace(/ {4}}\n}\n$/, '        record "late" type="A" value="not an address"\n    }\n}\n'),
    /an A record needs an IPv4 address, got "not an address"\n {2}--> .+\.kdl:\d+:38/
  )
  it.live(
    "a 1 MB configuration with a mistake in every record lists the first 50 and counts the rest",
    () =>
      Effect.gen(function* () {
        NodeFs.writeFileSync(
          NodePath.join(folder, "every-record-wrong.kdl"),
          records().replaceAll('type="TXT" value=', 'type="A" value=')
        )
        const result = yield* runMeasured(["validate", "-f", "every-record-wrong.kdl", "-s", "dev"], folder, {
          heapCapMb: 200
        })
        assert.strictEqual(result.code, 1, result.output)
        assert.strictEqual(result.output.match(/^Error: an A record needs an IPv4 address/gm)?.length, 50)
        assert.match(result.output, /^… and 10765 more\n\n10815 errors in every-record-wrong\.kdl$/m)
        assert.notMatch(result.output, /\n\s+at /, "no stack trace")
        assert.isBelow(result.millis, 5000)
        if (result.peakMb !== undefined) assert.isBelow(result.peakMb, 200)
      }),
    30_000
  )
  refused(
    "1 MB of bytes that are not text",
    Buffer.from(Array.from({ length: 1_000_000 }, (_, index) => (index * 7919) % 251)),
    /is not valid UTF-8: byte 2 \(0x8a\) at line 1, column 2/
  )
  refused(
    "1 MB of text that is not KDL, an error on every line",
    'node (] "x ; =\n'.repeat(70_000),
    /syntax error: unexpected `]`\n {2}--> .+\.kdl:1:7/
  )

  const filler = (bytes: number) => `${example}\n${"// the same comment, again and again\n".repeat(bytes / 37)}`
  refused("a 10 MB configuration", filler(10_000_000), /larger than the limit of 2 MiB/)
  refused("a configuration one byte over 2 MiB", `${example}\n`.padEnd(2 * 1024 * 1024 + 1, "\n"), /limit of 2 MiB/)
  refused("1,000 levels of nesting", `${example}\na ${"{ b ".repeat(1000)}${"}".repeat(1000)}\n`, /nested too deeply/)
  refused(
    "/dev/zero as an SSH key",
    example.replace('ssh-key "./keys/deploy.pub"', 'ssh-key "/dev/zero"'),
    /SSH public key \/dev\/zero is not a regular file/
  )
  refused(
    "/dev/zero as a startup script",
    example.replace('startup-script "./scripts/bootstrap.sh"', 'startup-script "/dev/zero"'),
    /startup script \/dev\/zero is not a regular file/
  )
  refused(
    "a FIFO as an SSH key",
    example.replace('ssh-key "./keys/deploy.pub"', 'ssh-key "./keys/fifo.pub"'),
    /is not a regular file \(it is a named pipe \(FIFO\)\)/
  )
})
