/**
 * A usacloud v1 simulator: the commands FleetFlow's Sakura provider runs (server, disk,
 * ssh-key, note, archive, auth-status), answered the way usacloud answers them (JSON shapes,
 * empty output for no results, its error messages and exit codes, argument matching by ID,
 * name substring or tag, `--zone=all`), against a simulated cloud kept in a store.
 *
 * It runs in process as a `UsacloudTransport` (`layerTransport`) and as a fake `usacloud`
 * executable (`dist/usacloud-simulator.mjs`, `bin/usacloud-simulator.mjs`) configured by:
 *
 * - `FLEETFLOW_USACLOUD_SIMULATOR_STORE` (required): the JSON file holding the simulated cloud;
 *   processes running at the same time share it under a lock file.
 * - `FLEETFLOW_USACLOUD_SIMULATOR_LATENCY`: how long every run takes (`200ms`, `1s`).
 * - `FLEETFLOW_USACLOUD_SIMULATOR_BOOT_TIME`: how long a new server is `migrating` and a booting
 *   server is `down` before it is up; a new disk copies its source for as long.
 * - `FLEETFLOW_USACLOUD_SIMULATOR_FAULTS`: faults to inject, e.g.
 *   `server create=503*2,disk delete=401,server list=garbage,server *@is1b=hang`:
 *   `command[@zone]=kind[*count]` rules, comma-separated, where `command` is `*`, a resource
 *   (`server`, `server *`) or `resource verb` (`server create`), and `kind` is an API status
 *   (400 401 403 404 409 423 429 500 502 503 504: usacloud's `Error in response: ...`, exit 1),
 *   `garbage` (exit 0, truncated JSON on stdout and an error on stderr), `config` (exit 0, a
 *   config loading error on stderr, nothing on stdout), `timeout` (usacloud's own
 *   `command[...] timed out`, exit 1) or `hang` (never answers). A rule affects the first
 *   `count` matching runs, or every one without a count; counts are kept in the store.
 *
 * Every run is recorded in the store (`invocations`), whatever it printed, unless `log` is off.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { DurationText } from "../DurationText.js"
import * as Args from "./Simulator/Args.js"
import * as Commands from "./Simulator/Commands.js"
import type { ArchiveRecord, DiskRecord, NoteRecord, ServerRecord, SshKeyRecord } from "./Simulator/Document.js"
import type { SimulatorDocument } from "./Simulator/Document.js"
import * as Faults from "./Simulator/Faults.js"
import * as Store from "./Simulator/Store.js"
import { type Output, UsacloudTimeout, UsacloudTransport, UsacloudUnavailable } from "./Transport.js"

export type { SimulatorDocument } from "./Simulator/Document.js"
export { SimulatorFault } from "./Simulator/Faults.js"
export type { SimulatorStore } from "./Simulator/Store.js"
export { SimulatorStoreError } from "./Simulator/Store.js"

export interface SimulatorOptions {
  /** How long every run takes before it answers. */
  readonly latency?: Duration.Duration
  /** How long a new server stays `migrating` (and a booted one `down`) before it is up. Default: none. */
  readonly bootTime?: Duration.Duration
  readonly faults?: ReadonlyArray<Faults.SimulatorFault>
  /**
   * Keep the log of runs (`invocations`) in the store, for tests that count them. Default: on. Off, a
   * log kept before is dropped by the next run, and a run that changes nothing writes nothing.
   */
  readonly log?: boolean
}

/** A store in memory; `initial` fills in what the empty cloud lacks (e.g. `archives`). */
export const memoryStore = (initial?: Partial<SimulatorDocument>): Effect.Effect<Store.SimulatorStore> =>
  Store.memory(initial)

/** A store in the JSON file at `path`, shared safely by several processes. */
export const fileStore = (path: string): Effect.Effect<Store.SimulatorStore, never, FileSystem.FileSystem> =>
  Store.file(path)

const faultOutcome = (
  fault: Faults.SimulatorFault,
  invocation: Args.Invocation,
  env: Readonly<Record<string, string>>,
  seed: string
): Commands.Outcome => {
  const done = (output: Output): Commands.Outcome => ({ _tag: "Done", output })
  switch (fault.kind) {
    case "hang":
      return { _tag: "Hang" }
    case "garbage":
      return done({
        exitCode: 0,
        stdout: '[\n    {\n        "Availability": "avail',
        stderr: "JSONOutput:Print: write /dev/stdout: broken pipe\n"
      })
    case "config": {
      const profile =
        Args.stringFlag(invocation, "profile") ?? env.SAKURA_PROFILE ?? env.SAKURACLOUD_PROFILE ?? "default"
      return done({
        exitCode: 0,
        stdout: "",
        stderr: `loading profile "${profile}" failed: open ~/.usacloud/${profile}/config.json: permission denied\n`
      })
    }
    case "timeout":
      return done({
        exitCode: 1,
        stdout: "",
        stderr: `\ncommand[${invocation.spec.resource}/${invocation.spec.verb}] timed out: context deadline exceeded\n`
      })
    default:
      return done({ exitCode: 1, stdout: "", stderr: `\n${Commands.apiErrorText(fault.kind, seed)}\n` })
  }
}

const zoneOf = (invocation: Args.Invocation, env: Readonly<Record<string, string>>) =>
  Args.stringFlag(invocation, "zone") ?? env.SAKURA_ZONE ?? env.SAKURACLOUD_ZONE

/**
 * One usacloud run: `args` without the program name, `env` the environment it sees (only
 * `SAKURA(CLOUD)_*` variables matter). Fails only when the store cannot be used.
 */
export const run = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>,
  store: Store.SimulatorStore,
  options: SimulatorOptions = {}
): Effect.Effect<Output, Store.SimulatorStoreError> =>
  Effect.gen(function* () {
    if (options.latency !== undefined) yield* Effect.sleep(options.latency)
    const bootTimeMillis = options.bootTime === undefined ? 0 : Duration.toMillis(options.bootTime)
    const outcome = yield* store.modify((document) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const recorded: SimulatorDocument =
          options.log !== false
            ? { ...document, invocations: [...document.invocations, [...args]] }
            : document.invocations.length === 0
              ? document
              : { ...document, invocations: [] }
        const parsed = Args.parse(args)
        if (Either.isLeft(parsed)) return [{ _tag: "Done", output: parsed.left } as Commands.Outcome, recorded] as const
        const invocation = parsed.right
        const zone = zoneOf(invocation, env)
        for (const [index, fault] of (options.faults ?? []).entries()) {
          if (!Faults.matches(fault, invocation.name, zone)) continue
          const key = `${index}:${Faults.format(fault)}`
          const fired = recorded.faults[key] ?? 0
          if (fault.times !== undefined && fired >= fault.times) continue
          const next = { ...recorded, faults: { ...recorded.faults, [key]: fired + 1 } }
          return [faultOutcome(fault, invocation, env, `${now}:${key}:${fired}`), next] as const
        }
        return yield* Commands.run({ invocation, env, now, bootTimeMillis }, recorded)
      })
    )
    switch (outcome._tag) {
      case "Done":
        return outcome.output
      case "Wait": {
        const now = yield* Clock.currentTimeMillis
        if (outcome.until > now) yield* Effect.sleep(Duration.millis(outcome.until - now))
        return outcome.output
      }
      case "Hang":
        return yield* Effect.forever(Effect.sleep(Duration.hours(1)))
    }
  })

/** A file of the simulator's that cannot be used, as the transport reports it: a file to check, not a usacloud to install. */
export const storeUnavailable = (error: {
  readonly path: string
  readonly reason: string
  readonly message: string
}): UsacloudUnavailable =>
  new UsacloudUnavailable({
    binary: "usacloud (simulator)",
    detail: error.message,
    hint:
      error.reason === "corrupt"
        ? "the file is FleetFlow's simulated cloud, not usacloud's own"
        : `check that ${error.path} and its folder can be read and written`
  })

/** The simulator as the usacloud transport, in process. `RunOptions.env` is the whole environment it sees. */
export const layerTransport = (
  store: Store.SimulatorStore,
  options: SimulatorOptions = {}
): Layer.Layer<UsacloudTransport> =>
  Layer.succeed(UsacloudTransport, {
    run: (args, runOptions) => {
      const answer = run(args, runOptions?.env ?? {}, store, options).pipe(Effect.mapError(storeUnavailable))
      const timeout = runOptions?.timeout
      if (timeout === undefined) return answer
      const duration = Duration.decode(timeout)
      return answer.pipe(
        Effect.timeoutFail({
          duration,
          onTimeout: () => new UsacloudTimeout({ args: [...args], timeoutMillis: Duration.toMillis(duration) })
        })
      )
    }
  })

export interface CloudContents {
  readonly servers: ReadonlyArray<ServerRecord>
  readonly disks: ReadonlyArray<DiskRecord>
  readonly sshKeys: ReadonlyArray<SshKeyRecord>
  readonly notes: ReadonlyArray<NoteRecord>
  /** Private archives only; the public ones are built in. */
  readonly archives: ReadonlyArray<ArchiveRecord>
}

/** What the simulated cloud holds, as stored (times in epoch milliseconds). */
export const inspect = (store: Store.SimulatorStore): Effect.Effect<CloudContents, Store.SimulatorStoreError> =>
  Effect.map(store.load, (document) => ({
    servers: document.servers,
    disks: document.disks,
    sshKeys: document.sshKeys,
    notes: document.notes,
    archives: document.archives
  }))

/** Every argument list the simulator received, oldest first. */
export const invocations = (
  store: Store.SimulatorStore
): Effect.Effect<ReadonlyArray<ReadonlyArray<string>>, Store.SimulatorStoreError> =>
  Effect.map(store.load, (document) => document.invocations)

/** The fault spec language (see the module doc). */
export const FaultSpec = Faults.makeFaultSpec(Args.isKnownTarget)

export const parseFaults = (spec: string): Either.Either<ReadonlyArray<Faults.SimulatorFault>, string> =>
  Either.mapLeft(Schema.decodeEither(FaultSpec)(spec), (error) =>
    ParseResult.ArrayFormatter.formatErrorSync(error)
      .map((issue) => issue.message)
      .join("; ")
  )

export const environment = {
  store: "FLEETFLOW_USACLOUD_SIMULATOR_STORE",
  latency: "FLEETFLOW_USACLOUD_SIMULATOR_LATENCY",
  bootTime: "FLEETFLOW_USACLOUD_SIMULATOR_BOOT_TIME",
  faults: "FLEETFLOW_USACLOUD_SIMULATOR_FAULTS",
  /** `1` keeps the log of runs in the store, for tests that count them; the file grows with every run. */
  log: "FLEETFLOW_USACLOUD_SIMULATOR_LOG"
} as const

/** The options the executable's environment asks for, or what is wrong with it. */
export const optionsFromEnv = (
  env: Readonly<Record<string, string | undefined>>
): Either.Either<SimulatorOptions, string> => {
  const duration = (name: string) => {
    const value = env[name]
    if (value === undefined || value === "") return Either.right(undefined)
    return Either.mapLeft(
      Schema.decodeEither(DurationText)(value),
      () => `${name}: "${value}" is not a duration such as 200ms, 2s or 1m`
    )
  }
  return Either.gen(function* () {
    const latency = yield* duration(environment.latency)
    const bootTime = yield* duration(environment.bootTime)
    const spec = env[environment.faults]
    const faults =
      spec === undefined || spec === ""
        ? undefined
        : yield* Either.mapLeft(parseFaults(spec), (message) => `${environment.faults}: ${message}`)
    const log = env[environment.log] ?? ""
    if (!["", "0", "1"].includes(log)) {
      return yield* Either.left(`${environment.log}: "${log}" is neither 1 (keep the log of runs) nor 0`)
    }
    return {
      ...(latency === undefined ? {} : { latency }),
      ...(bootTime === undefined ? {} : { bootTime }),
      ...(faults === undefined ? {} : { faults }),
      log: log === "1"
    }
  })
}
