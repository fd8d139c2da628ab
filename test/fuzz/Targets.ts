/**
 * What the fuzzer feeds bad input to, and how it judges the result. Each target builds its
 * seeds from real output (the examples, a state file written by an apply, the simulators'
 * answers), mutates one seed per case and runs the code that reads it, in process:
 *
 * - `ok`: the input was read;
 * - `expected-error`: a typed error that says what is wrong (a config error with its line
 *   and column, `StateCorrupt`, `UsacloudError`, `CloudflareError`), printed without a stack;
 * - `bad`: a defect, an exception, an untyped or misplaced error, or a case past its time limit.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as CloudflareApi from "../../src/Cloudflare/Api.js"
import * as CloudflareSimulator from "../../src/Cloudflare/Simulator.js"
import * as Config from "../../src/Config.js"
import * as Fake from "../../src/Fake.js"
import * as Fleet from "../../src/Fleet.js"
import * as Report from "../../src/Report.js"
import type * as Retry from "../../src/Retry.js"
import * as UsacloudSimulator from "../../src/Sakura/Simulator.js"
import { type Output, UsacloudTransport } from "../../src/Sakura/Transport.js"
import * as Usacloud from "../../src/Sakura/Usacloud.js"
import * as State from "../../src/State.js"
import { completeExample } from "../fixtures/config/support.js"
import { type Mutated, mutateJson, mutateKdl, type Rng } from "./Mutate.js"

export type Outcome =
  | { readonly kind: "ok" }
  | { readonly kind: "expected-error"; readonly tag: string; readonly message: string }
  | { readonly kind: "bad"; readonly reason: string }

/** One generated case, ready to run. */
export interface Case {
  /** The mutated input, as shown in a report. */
  readonly input: string
  /** Which seed, which mutations. */
  readonly description: string
  readonly run: Effect.Effect<Outcome>
}

export interface Target {
  readonly name: string
  /** The unmutated seeds, checked before fuzzing: config and state seeds read, recorded refusals are typed errors. */
  readonly seeds: ReadonlyArray<{ readonly name: string; readonly run: Effect.Effect<Outcome> }>
  readonly generate: (random: Rng) => Case
}

/**
 * The time one case may take; a case past it (twice) is a hang. The slowest honest case, a list of
 * Cloudflare's 1,000 pages at most, takes about a second alone and twice that on a busy 2-core machine.
 */
export const caseTimeout = Duration.seconds(5)

const ok: Outcome = { kind: "ok" }
const bad = (reason: string): Outcome => ({ kind: "bad", reason })

/** A stack frame in printed text: what the operator must never see. */
const stackFrame = /^\s*at .+(\(.*:\d+:\d+\)|:\d+:\d+)$/m

const printable = (error: unknown): string => {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ""}`
  try {
    return JSON.stringify(error)
  } catch {
    return String(error)
  }
}

/** What the CLI would print for `error`; bad when it shows a stack or nothing at all. */
const checkPrinted = (error: Report.Failure): string | undefined => {
  let printed: string
  try {
    printed = Report.describe(error)
  } catch (cause) {
    return `Report.describe threw: ${printable(cause)}`
  }
  if (stackFrame.test(printed)) return `the printed error shows a stack trace:\n${printed}`
  if (printed.replace(/^Error:\s*/, "").trim() === "") return "the printed error is empty"
  return undefined
}

/**
 * Runs `effect` and classifies its exit: a success is ok, a failure `accept` approves (returning
 * undefined) is an expected error, anything else (a defect, an interruption, another failure) is bad.
 */
const classify = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  accept: (error: E) => string | undefined,
  onSuccess: (value: A) => Effect.Effect<Outcome, never, R> = () => Effect.succeed(ok),
  /** The failure the CLI reports for `error`: a client's error reaches it as a provider's. */
  reported: (error: E) => Report.Failure = (error) => error as Report.Failure
): Effect.Effect<Outcome, never, R> =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) return yield* onSuccess(exit.value)
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure) && Cause.isFailType(exit.cause)) {
      const error = failure.value
      const problem = accept(error) ?? checkPrinted(reported(error))
      if (problem !== undefined) return bad(problem)
      const { _tag, message } = error as { readonly _tag?: string; readonly message?: string }
      return { kind: "expected-error", tag: _tag ?? "unknown", message: message ?? "" }
    }
    const defect = Cause.dieOption(exit.cause)
    if (Option.isSome(defect)) return bad(`a defect: ${printable(defect.value)}`)
    return bad(`an unexpected cause: ${Cause.pretty(exit.cause)}`)
  })

/** The worse of two outcomes: bad over expected-error over ok. */
const worst = (a: Outcome, b: Outcome): Outcome => {
  const rank = (outcome: Outcome) => (outcome.kind === "bad" ? 2 : outcome.kind === "expected-error" ? 1 : 0)
  return rank(b) > rank(a) ? b : a
}

const quiet = Logger.withMinimumLogLevel(LogLevel.None)

const describeCase = (seed: string, mutated: Mutated) => `seed ${seed}; mutations: ${mutated.applied.join(", ")}`

// ---------------------------------------------------------------------------------------------
// Work folder
// ---------------------------------------------------------------------------------------------

const projectRoot = NodePath.resolve(__dirname, "../..")
const upstreamSamples = NodePath.resolve(projectRoot, "../shared/upstream-samples")

const copyFolder = (from: string, to: string) => NodeFs.cpSync(from, to, { recursive: true })

export interface Workspace {
  /** Removable as a whole. */
  readonly root: string
  /** `HOME` for the configs: `~/.ssh/id_ed25519.pub` exists in it. */
  readonly home: string
  /** Holds `fleet.kdl` beside the example's `keys`, `scripts`, `workers` and `site`. */
  readonly work: string
  /** A `.fleetflow` folder for the state target. */
  readonly state: string
}

const devKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDthKcjHvN1ZXJ8sXNMc5iWDXnFw3rOjNtvoDxF0jcvr dev@example"

/** A fresh temp folder for one run; `..` and `../..` of a work folder are still inside it. */
export const makeWorkspace = (): Workspace => {
  const root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "fleetflow-fuzz-"))
  const home = NodePath.join(root, "home")
  NodeFs.mkdirSync(NodePath.join(home, ".ssh"), { recursive: true })
  NodeFs.writeFileSync(NodePath.join(home, ".ssh", "id_ed25519.pub"), `${devKey}\n`)
  const work = NodePath.join(root, "project", "work")
  for (const name of ["keys", "scripts", "workers", "site"]) {
    copyFolder(NodePath.join(projectRoot, "examples", name), NodePath.join(work, name))
  }
  return { root, home, work, state: NodePath.join(root, "state", ".fleetflow") }
}

export const removeWorkspace = (workspace: Workspace) => NodeFs.rmSync(workspace.root, { recursive: true, force: true })

// ---------------------------------------------------------------------------------------------
// KDL: load, then select and expand every stage
// ---------------------------------------------------------------------------------------------

const accountId = "0123456789abcdef0123456789abcdef"

/** The environment the configs see: upstream's cp.kdl takes its DNS zone from CLOUDFLARE_DOMAIN. */
const configEnv = (workspace: Workspace) =>
  ConfigProvider.fromMap(
    new Map([
      ["HOME", workspace.home],
      ["CF_ACCOUNT_ID", accountId],
      ["CLOUDFLARE_DOMAIN", "example.net"]
    ])
  )

/** Every place a KDL newline can end a line, so an error's line can be checked against the file. */
const newlines = new Set(["\n", "\r", "\u0085", "\u000B", "\u000C", "\u2028", "\u2029"])

const lineCount = (text: string) => {
  let count = 1
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (!newlines.has(char)) continue
    if (char === "\r" && text[i + 1] === "\n") i++
    count++
  }
  return count
}

const checkConfigError = (file: string, text: string) => (error: unknown) => {
  if (!(error instanceof Config.ConfigError)) return `not a ConfigError: ${printable(error)}`
  const { column, line } = error
  if (!Number.isInteger(line) || !Number.isInteger(column) || line < 1 || column < 1) {
    return `a ConfigError without a line and column (${line}:${column}): ${error.message}`
  }
  if (line > lineCount(text) + 1) return `a ConfigError past the end of the file (line ${line}): ${error.message}`
  if (error.file !== file) return `a ConfigError about another file (${error.file}): ${error.message}`
  if (error.message.trim() === "") return "a ConfigError without a message"
  const printed = Report.describe(error)
  if (!printed.includes(`:${line}:${column}`)) return `the printed error does not show ${line}:${column}:\n${printed}`
  return undefined
}

/** What loading `text` as `fleet.kdl` does: load, then every stage selected and expanded. */
export const runKdl = (workspace: Workspace, text: string): Effect.Effect<Outcome> => {
  const file = NodePath.join(workspace.work, "fleet.kdl")
  const check = checkConfigError(file, text)
  return Effect.gen(function* () {
    NodeFs.writeFileSync(file, text)
    return yield* classify(Config.load(file), check, (config) =>
      Effect.gen(function* () {
        // No stage asked for: fine with one stage, a config error with several; only a bad one counts.
        const unselected = yield* classify(Config.selectStage(config, undefined), check)
        let outcome: Outcome = unselected.kind === "bad" ? unselected : ok
        for (const stage of config.stages) {
          const expanded = Effect.flatMap(Config.selectStage(config, stage), (chosen) =>
            Config.desiredResources(config, chosen)
          )
          outcome = worst(outcome, yield* classify(expanded, check))
        }
        return outcome
      })
    )
  }).pipe(Effect.withConfigProvider(configEnv(workspace)), Effect.provide(NodeFileSystem.layer))
}

interface Seed {
  readonly name: string
  readonly text: string
  /** How often it is chosen, relative to the others. */
  readonly weight: number
}

const kdlSeeds = (): ReadonlyArray<Seed> => {
  const read = (path: string) => NodeFs.readFileSync(path, "utf8")
  const seeds: Array<Seed> = [
    { name: "examples/fleet.kdl", text: read(NodePath.join(projectRoot, "examples/fleet.kdl")), weight: 6 },
    { name: "test/fixtures/config/complete.kdl", text: completeExample, weight: 2 },
    {
      name: "test/fixtures/library/fleet.kdl",
      text: read(NodePath.join(projectRoot, "test/fixtures/library/fleet.kdl")),
      weight: 1
    }
  ]
  for (const sample of ["cp.kdl", "fleet.kdl"]) {
    const path = NodePath.join(upstreamSamples, sample)
    if (NodeFs.existsSync(path)) seeds.push({ name: `upstream-samples/${sample}`, text: read(path), weight: 1 })
  }
  return seeds
}

const pickSeed = (seeds: ReadonlyArray<Seed>, random: Rng): Seed => {
  let roll = random.next() * seeds.reduce((sum, seed) => sum + seed.weight, 0)
  for (const seed of seeds) {
    roll -= seed.weight
    if (roll < 0) return seed
  }
  return seeds[seeds.length - 1]!
}

export const kdl = (workspace: Workspace): Target => {
  const seeds = kdlSeeds()
  const donors = seeds.map((seed) => seed.text)
  return {
    name: "kdl",
    seeds: seeds.map((seed) => ({ name: seed.name, run: runKdl(workspace, seed.text) })),
    generate: (random) => {
      const seed = pickSeed(seeds, random)
      const mutated = mutateKdl(seed.text, random, donors)
      return {
        input: mutated.text,
        description: describeCase(seed.name, mutated),
        run: runKdl(workspace, mutated.text)
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// State file: `.fleetflow/state.json` read through the local store
// ---------------------------------------------------------------------------------------------

const unattended = {
  parallelism: 4,
  refresh: true,
  confirm: () => Effect.succeed(true),
  onFailure: () => Effect.succeed("abort" as const)
}

/**
 * Real state files: the example's `dev` stage brought up on the fake clouds, then the same with a
 * pending operation and a scale choice; and the lock file that run held.
 */
export const makeStateSeeds = (
  workspace: Workspace
): Effect.Effect<{ readonly states: ReadonlyArray<string>; readonly lock: string }> =>
  Effect.gen(function* () {
    const folder = NodePath.join(workspace.root, "seed-state", ".fleetflow")
    const file = NodePath.join(workspace.work, "fleet.kdl")
    NodeFs.writeFileSync(file, NodeFs.readFileSync(NodePath.join(projectRoot, "examples/fleet.kdl")))
    const config = yield* Config.load(file)
    const desired = yield* Config.desiredResources(config, "dev")
    const { state } = yield* Fleet.up({ config, stage: "dev", desired }, unattended)
    const first = NodeFs.readFileSync(NodePath.join(folder, "state.json"), "utf8")
    const store = yield* State.StateStore
    const key = Object.keys(state.resources)[0] ?? "sakura-cloud:server:creo-vps"
    const next = State.withScale(
      State.addPending(state, {
        id: "0b6f2a52-0d7e-4a5c-9c55-5b1e9c7e0d11",
        operation: "update",
        key,
        stage: "dev",
        started_at: "2026-01-01T00:00:00.000Z",
        inputs: { core: 2, memory: 4, tags: ["web"], ref: { $ref: key, attribute: "ip" } },
        dependsOn: [key]
      }),
      "live",
      "creo-live",
      3
    )
    yield* store.write(next)
    const second = NodeFs.readFileSync(NodePath.join(folder, "state.json"), "utf8")
    const lock = yield* Effect.scoped(
      Effect.gen(function* () {
        yield* store.lock("up")
        return NodeFs.readFileSync(NodePath.join(folder, "lock.json"), "utf8")
      })
    )
    return { states: [first, second], lock }
  }).pipe(
    Effect.provide(
      Layer.mergeAll(
        Fake.layer(),
        State.layerLocal(NodePath.join(workspace.root, "seed-state", ".fleetflow")).pipe(
          Layer.provide(NodeFileSystem.layer)
        ),
        NodeContext.layer
      )
    ),
    Effect.withConfigProvider(configEnv(workspace)),
    quiet,
    Effect.orDie
  )

export interface StateCase {
  readonly state: string
  /** The backup as written, or absent. */
  readonly backup: string | undefined
  readonly lock: string | undefined
}

const writeOrRemove = (path: string, text: string | undefined) => {
  if (text === undefined) NodeFs.rmSync(path, { force: true })
  else NodeFs.writeFileSync(path, text)
}

export const runState = (folder: string, input: StateCase): Effect.Effect<Outcome> => {
  const statePath = NodePath.join(folder, "state.json")
  const backupPath = NodePath.join(folder, "state.json.backup")
  const lockPath = NodePath.join(folder, "lock.json")
  const acceptRead = (error: unknown) => {
    if (error instanceof State.StateCorrupt) {
      if (error.path !== statePath) return `StateCorrupt names another file: ${error.path}`
      if (input.backup !== undefined && error.backup !== backupPath) {
        return `StateCorrupt does not name the backup ${backupPath}: ${error.message}`
      }
      if (input.backup === undefined && error.backup !== undefined) {
        return `StateCorrupt names a backup that does not exist: ${error.backup}`
      }
      if (input.backup !== undefined && !Report.describe(error).includes(backupPath)) {
        return `the printed StateCorrupt does not name the backup:\n${Report.describe(error)}`
      }
      return undefined
    }
    if (error instanceof State.StateIoError) return undefined
    return `not a state error: ${printable(error)}`
  }
  const acceptWrite = (error: unknown) =>
    error instanceof State.StateIoError || error instanceof State.StateConflict
      ? undefined
      : `writing back what was read failed with: ${printable(error)}`
  return Effect.gen(function* () {
    NodeFs.rmSync(folder, { recursive: true, force: true })
    NodeFs.mkdirSync(folder, { recursive: true })
    NodeFs.writeFileSync(statePath, input.state)
    writeOrRemove(backupPath, input.backup)
    writeOrRemove(lockPath, input.lock)
    const store = yield* State.makeLocal(folder)
    const read = yield* classify(store.read, acceptRead, (found) =>
      Option.isNone(found)
        ? Effect.succeed(bad("an existing state file was read as no state"))
        : // What reads must write back: the next apply starts from it.
          classify(store.write(found.value), acceptWrite)
    )
    const lock = yield* classify(
      store.currentLock,
      (error) => (error instanceof State.StateIoError ? undefined : `not a state error: ${printable(error)}`),
      (found) =>
        Effect.succeed(
          input.lock !== undefined && Option.isNone(found) ? bad("an existing lock file was read as no lock") : ok
        )
    )
    return worst(read, lock)
  }).pipe(Effect.provide(NodeFileSystem.layer), quiet)
}

export const state = (
  workspace: Workspace,
  seeds: { readonly states: ReadonlyArray<string>; readonly lock: string }
): Target => ({
  name: "state",
  seeds: seeds.states.map((text, index) => ({
    name: `state ${index + 1}`,
    run: runState(workspace.state, { state: text, backup: seeds.states[0], lock: undefined })
  })),
  generate: (random) => {
    const index = random.int(seeds.states.length)
    const original = seeds.states[index]!
    const mutated = mutateJson(original, random)
    const backupRoll = random.next()
    const backup = backupRoll < 0.6 ? original : backupRoll < 0.8 ? mutateJson(original, random).text : undefined
    const lock = random.chance(0.3) ? mutateJson(seeds.lock, random).text : undefined
    const description =
      describeCase(`state ${index + 1}`, mutated) +
      `; backup: ${backup === undefined ? "none" : backup === original ? "the original" : "mutated"}` +
      `; lock: ${lock === undefined ? "none" : JSON.stringify(lock.slice(0, 200))}`
    return {
      input: mutated.text,
      description,
      run: runState(workspace.state, { state: mutated.text, backup, lock })
    }
  }
})

// ---------------------------------------------------------------------------------------------
// usacloud output, read by the Usacloud client
// ---------------------------------------------------------------------------------------------

const zone = "is1a"

/** No waiting between attempts, but a retry all the same. */
const quickRetry: Retry.RetryPolicy = {
  maxAttempts: 2,
  initialDelay: Duration.zero,
  maxDelay: Duration.zero,
  multiplier: 1
}

interface UsacloudOperation {
  readonly name: string
  readonly run: (client: Usacloud.UsacloudService) => Effect.Effect<unknown, Usacloud.UsacloudError>
}

interface Recorded<O, Out> {
  readonly operation: O
  readonly output: Out
}

const serverSpec: Usacloud.ServerCreateSpec = {
  name: "web-01",
  description: "fuzz seed",
  tags: ["fleetflow", "stage=dev"],
  cpu: 2,
  memory: 4,
  network: "shared",
  disk: { size: 40, plan: "ssd", connection: "virtio", osType: "ubuntu2404" },
  hostName: "web-01",
  bootAfterCreate: true
}

/** The simulator's real answers for each read (and create) the provider makes. */
export const makeUsacloudSeeds = (): Effect.Effect<ReadonlyArray<Recorded<UsacloudOperation, Output>>> =>
  Effect.gen(function* () {
    const store = yield* UsacloudSimulator.memoryStore()
    const simulator = yield* Effect.provide(UsacloudTransport, UsacloudSimulator.layerTransport(store))
    let last: Output | undefined
    const recording = Layer.succeed(UsacloudTransport, {
      run: (args, options) =>
        Effect.tap(simulator.run(args, options), (output) => {
          last = output
        })
    })
    const client = yield* Effect.provide(Usacloud.make({ retry: quickRetry }), recording)
    const recorded: Array<Recorded<UsacloudOperation, Output>> = []
    const record = (operation: UsacloudOperation) =>
      Effect.gen(function* () {
        last = undefined
        yield* Effect.orDie(operation.run(client))
        if (last !== undefined) recorded.push({ operation, output: last })
      })
    const created = yield* Effect.orDie(client.servers.create(zone, serverSpec))
    const serverId = created.id
    const diskId = created.disks[0]?.id ?? ""
    yield* Effect.orDie(client.sshKeys.create({ name: "deploy", publicKey: devKey }))
    yield* Effect.orDie(client.notes.create({ name: "setup", content: "#!/bin/sh\necho hi\n", class: "shell" }))
    const operations: ReadonlyArray<UsacloudOperation> = [
      { name: "server list", run: (c) => c.servers.list(zone) },
      { name: "server list by tag", run: (c) => c.servers.list(zone, { tags: ["fleetflow"] }) },
      { name: "server read", run: (c) => c.servers.read(zone, serverId) },
      { name: "server create", run: (c) => c.servers.create(zone, { ...serverSpec, name: "web-02" }) },
      { name: "disk list", run: (c) => c.disks.list(zone) },
      { name: "disk read", run: (c) => c.disks.read(zone, diskId) },
      { name: "ssh-key list", run: (c) => c.sshKeys.list() },
      { name: "note list", run: (c) => c.notes.list() },
      { name: "archive list", run: (c) => c.archives.list(zone, { osType: "ubuntu2404" }) },
      { name: "auth-status", run: (c) => c.authStatus() },
      { name: "server boot", run: (c) => c.servers.boot(zone, serverId) }
    ]
    for (const operation of operations) yield* record(operation)
    return recorded
  }).pipe(quiet)

/** What usacloud may print on stderr: warnings, its errors, API errors (with Go escapes). */
const stderrSamples: ReadonlyArray<string> = [
  "",
  "[WARN] the --zone flag is deprecated\n",
  "Error: target resource not found\n",
  'Error in response: &iaas.APIErrorResponse{IsFatal:true, Serial:"x", Status:"503 Service Unavailable", ErrorCode:"service_unavailable", ErrorMessage:"busy"}\n',
  'Error in response: &iaas.APIErrorResponse{IsFatal:true, Serial:"x", Status:"409 Conflict", ErrorCode:"still_creating", ErrorMessage:"\\u30b5\\u30fc\\u30d0"}\n',
  'Error in response: &iaas.APIErrorResponse{Status:"401 Unauthorized", ErrorCode:"unauthorized", ErrorMessage:"\\U0001F600 \\x41 \\n"}\n',
  'Error in response: &iaas.APIErrorResponse{Status:"", ErrorCode:"", ErrorMessage:""}\n',
  'Error in response: &iaas.APIErrorResponse{Status:"abc", ErrorMessage:"timed out"}\n',
  'Error in response: &iaas.APIErrorResponse{Status:"503", ErrorMessage:"\\',
  'Error in response: &iaas.APIErrorResponse{Status:"\\UFFFFFFFF", ErrorCode:"\\U00110000", ErrorMessage:"\\uD800"}\n',
  'Error in response: &iaas.APIErrorResponse{Status:"999 Strange", ErrorCode:"x"}\n',
  "APIErrorResponse{",
  "JSONOutput:Print: write /dev/stdout: broken pipe\n",
  "command[server/list] timed out: context deadline exceeded\n",
  'loading profile "default" failed: open ~/.usacloud/default/config.json: permission denied\n',
  "unknown flag: --fuzz\n",
  "\u0000\u0000\n",
  "x".repeat(100_000)
]

const exitCodes: ReadonlyArray<number> = [0, 0, 1, 2, 125, 126, 127, 128, 137, 255, -1]

const runUsacloud = (operation: UsacloudOperation, output: Output): Effect.Effect<Outcome> => {
  const transport = Layer.succeed(UsacloudTransport, { run: () => Effect.succeed(output) })
  return Effect.gen(function* () {
    const client = yield* Usacloud.make({ retry: quickRetry })
    return yield* classify(
      operation.run(client),
      (error) => (error instanceof Usacloud.UsacloudError ? undefined : `not a UsacloudError: ${printable(error)}`),
      undefined,
      (error) => Usacloud.toProviderError(error)
    )
  }).pipe(Effect.provide(transport), quiet)
}

export const usacloud = (seeds: ReadonlyArray<Recorded<UsacloudOperation, Output>>): Target => ({
  name: "usacloud",
  seeds: seeds.map((seed) => ({ name: seed.operation.name, run: runUsacloud(seed.operation, seed.output) })),
  generate: (random) => {
    const seed = random.pick(seeds)
    const stdout = seed.output.stdout.trim() === "" ? "[]" : seed.output.stdout
    const mutated = random.chance(0.9) ? mutateJson(stdout, random) : { text: stdout, applied: [] }
    const stderr = random.chance(0.25)
      ? random.pick(stderrSamples) + (random.chance(0.3) ? mutateJson(random.pick(stderrSamples), random).text : "")
      : seed.output.stderr
    const exitCode = random.chance(0.15) ? random.pick(exitCodes) : seed.output.exitCode
    const output: Output = { exitCode, stdout: mutated.text, stderr }
    return {
      input: mutated.text,
      description: `${describeCase(seed.operation.name, mutated)}; exit code ${exitCode}; stderr ${JSON.stringify(stderr.slice(0, 300))}`,
      run: runUsacloud(seed.operation, output)
    }
  }
})

// ---------------------------------------------------------------------------------------------
// Cloudflare API answers, read by CloudflareApi
// ---------------------------------------------------------------------------------------------

const cloudflareToken = "cf-fuzz-token-never-printed"
const cloudflareRoot = "https://api.cloudflare.com/client/v4"

/** Whatever the answer, no second attempt: a `retry-after` would otherwise be waited out. */
const noRetry: Retry.RetryPolicy = {
  maxAttempts: 1,
  initialDelay: Duration.zero,
  maxDelay: Duration.zero,
  multiplier: 1
}

interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

interface CloudflareOperation {
  readonly name: string
  readonly run: (api: CloudflareApi.CloudflareApiService) => Effect.Effect<unknown, CloudflareApi.CloudflareError>
}

const cloudflareSettings: CloudflareApi.Settings = {
  accountId: CloudflareSimulator.defaultAccountId,
  token: Redacted.make(cloudflareToken),
  baseUrl: cloudflareRoot,
  retry: noRetry,
  timeout: Duration.seconds(1)
}

const apiOver = (client: HttpClient.HttpClient) =>
  Effect.provideService(CloudflareApi.make(cloudflareSettings), HttpClient.HttpClient, client)

/** Statuses that carry no body: a Response with one is refused by the runtime. */
const nullBodyStatuses = new Set([101, 103, 204, 205, 304])

const respond = (request: Parameters<typeof HttpClientResponse.fromWeb>[0], answer: Answer) =>
  HttpClientResponse.fromWeb(
    request,
    new Response(nullBodyStatuses.has(answer.status) ? null : answer.body, {
      status: answer.status,
      headers: answer.headers
    })
  )

/** The simulator's real answers, success and refusal, for each call the provider makes. */
export const makeCloudflareSeeds = (): Effect.Effect<ReadonlyArray<Recorded<CloudflareOperation, Answer>>> =>
  Effect.gen(function* () {
    const store = yield* CloudflareSimulator.memoryStore()
    const simulator = yield* Effect.provide(
      HttpClient.HttpClient,
      CloudflareSimulator.layerClient(store, {
        token: cloudflareToken,
        zones: ["example.com"],
        kvNamespaces: ["cache"]
      })
    )
    let last: Answer | undefined
    const recording = HttpClient.make((request) =>
      Effect.gen(function* () {
        const response = yield* simulator.execute(request)
        const body = yield* response.text
        last = { status: response.status, headers: response.headers, body }
        return respond(request, last)
      })
    )
    const api = yield* apiOver(recording)
    const zone = yield* Effect.orDie(api.zones.byName("example.com"))
    const record = yield* Effect.orDie(
      api.dns.records.create(zone.id, { type: "A", name: "api.example.com", content: "192.0.2.10", ttl: 300 })
    )
    yield* Effect.orDie(api.r2.buckets.create({ name: "assets", locationHint: "apac" }))
    const rules: ReadonlyArray<CloudflareApi.CorsRule> = [
      { allowed: { origins: ["https://example.com"], methods: ["GET"] }, maxAgeSeconds: 3600 }
    ]
    const operations: ReadonlyArray<CloudflareOperation> = [
      { name: "zone lookup", run: (a) => a.zones.byName("example.com") },
      { name: "zone lookup (none)", run: (a) => a.zones.byName("nope.example") },
      { name: "bucket create", run: (a) => a.r2.buckets.create({ name: "media", locationHint: "weur" }) },
      { name: "bucket create (exists)", run: (a) => a.r2.buckets.create({ name: "assets" }) },
      { name: "bucket list", run: (a) => a.r2.buckets.list() },
      { name: "bucket get", run: (a) => a.r2.buckets.get("assets") },
      { name: "bucket get (missing)", run: (a) => a.r2.buckets.get("missing") },
      { name: "cors get (none)", run: (a) => a.r2.cors.get("assets") },
      { name: "cors put", run: (a) => a.r2.cors.put("assets", rules) },
      { name: "cors get", run: (a) => a.r2.cors.get("assets") },
      {
        name: "domain add",
        run: (a) => a.r2.domains.create("assets", { domain: "cdn.example.com", zoneId: zone.id, minTLS: "1.2" })
      },
      { name: "domain list", run: (a) => a.r2.domains.list("assets") },
      { name: "domain get", run: (a) => a.r2.domains.get("assets", "cdn.example.com") },
      { name: "domain update", run: (a) => a.r2.domains.update("assets", "cdn.example.com", { minTLS: "1.3" }) },
      { name: "record list", run: (a) => a.dns.records.list(zone.id) },
      {
        name: "record list (filtered)",
        run: (a) => a.dns.records.list(zone.id, { type: "A", name: "api.example.com" })
      },
      {
        name: "record create",
        run: (a) => a.dns.records.create(zone.id, { type: "TXT", name: "example.com", content: "v=spf1 -all" })
      },
      { name: "record update", run: (a) => a.dns.records.update(zone.id, record.id, { content: "192.0.2.11" }) },
      {
        name: "record batch",
        run: (a) =>
          a.dns.records.batch(zone.id, {
            posts: [{ type: "CNAME", name: "www.example.com", content: "api.example.com" }]
          })
      },
      { name: "worker list", run: (a) => a.workers.list },
      { name: "pages list", run: (a) => a.pages.list },
      { name: "kv list", run: (a) => a.kv.list },
      { name: "record delete", run: (a) => a.dns.records.delete(zone.id, record.id) },
      { name: "bucket delete", run: (a) => a.r2.buckets.delete("media") }
    ]
    const recorded: Array<Recorded<CloudflareOperation, Answer>> = []
    for (const operation of operations) {
      last = undefined
      // Refusals are seeds too: they are answers to mutate.
      yield* Effect.ignore(operation.run(api))
      if (last !== undefined) recorded.push({ operation, output: last })
    }
    return recorded
  }).pipe(quiet)

const statuses: ReadonlyArray<number> = [200, 200, 201, 204, 301, 304, 400, 401, 403, 404, 409, 429, 500, 502, 503, 599]

const retryAfterValues: ReadonlyArray<string> = [
  "0",
  "1",
  "120",
  "-1",
  "1.5",
  "99999999999999999999",
  "Wed, 21 Oct 2015 07:28:00 GMT",
  "Fri, 31 Dec 9999 23:59:59 GMT",
  "soon",
  ""
]

const contentTypes: ReadonlyArray<string> = [
  "application/json",
  "text/html",
  "text/plain",
  "",
  "application/json; charset=latin1"
]

const runCloudflare = (operation: CloudflareOperation, answer: Answer): Effect.Effect<Outcome> => {
  const client = HttpClient.make((request) => Effect.sync(() => respond(request, answer)))
  return Effect.gen(function* () {
    const api = yield* apiOver(client)
    return yield* classify(
      operation.run(api),
      (error) =>
        error instanceof CloudflareApi.CloudflareError
          ? error.message.includes(cloudflareToken)
            ? "the error shows the API token"
            : undefined
          : `not a CloudflareError: ${printable(error)}`,
      undefined,
      (error) => CloudflareApi.toProviderError(error)
    )
  }).pipe(quiet)
}

export const cloudflare = (seeds: ReadonlyArray<Recorded<CloudflareOperation, Answer>>): Target => ({
  name: "cloudflare",
  seeds: seeds.map((seed) => ({ name: seed.operation.name, run: runCloudflare(seed.operation, seed.output) })),
  generate: (random) => {
    const seed = random.pick(seeds)
    const mutated = random.chance(0.9)
      ? mutateJson(seed.output.body === "" ? "{}" : seed.output.body, random)
      : { text: seed.output.body, applied: [] }
    const status = random.chance(0.2) ? random.pick(statuses) : seed.output.status
    const headers: Record<string, string> = { ...seed.output.headers }
    if (random.chance(0.1)) headers["content-type"] = random.pick(contentTypes)
    if (random.chance(0.15)) headers["retry-after"] = random.pick(retryAfterValues)
    const answer: Answer = { status, headers, body: mutated.text }
    return {
      input: mutated.text,
      description: `${describeCase(seed.operation.name, mutated)}; status ${status}; retry-after ${headers["retry-after"] ?? "none"}`,
      run: runCloudflare(seed.operation, answer)
    }
  }
})
