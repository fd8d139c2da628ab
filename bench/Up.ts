/**
 * One `Fleet.up` from nothing on fresh fake clouds (the real providers over the simulators in
 * memory, with an optional latency per usacloud run and API request), or on clouds the caller
 * gives, and a fresh state: in
 * memory, or the local store in a temporary folder as the CLI keeps it (atomic writes, fsync).
 * Times the whole `up` and its apply phase alone (from the confirmation, once the plan is known,
 * to the end).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import * as Fake from "../src/Fake.js"
import * as Fleet from "../src/Fleet.js"
import type { CloudProvider } from "../src/Provider.js"
import type { DesiredResource } from "../src/Resource.js"
import * as State from "../src/State.js"
import * as Bench from "./Fleet.js"
import { localStore } from "./PlanScaling.js"

export type StoreKind = "memory" | "local"

export interface ApplyShape {
  readonly name: string
  readonly fleet: ReadonlyArray<DesiredResource>
  /** The time no schedule can beat: the critical path, or the work spread over the slots. */
  readonly ideal: number
  readonly idealName: string
}

/**
 * The fleets of the apply benchmark, each against the best time possible with `parallelism` slots.
 * With a `prefix`, each fleet's buckets are named after it too, so that no two fleets share one.
 */
export const applyShapes = (parallelism: number, latencyMillis: number, prefix = ""): ReadonlyArray<ApplyShape> => {
  const named = (shape: string, kind: string) => (prefix === "" ? kind : `${prefix}${shape}-${kind}`)
  return [
    {
      name: "independent",
      fleet: Bench.independent(100, named("independent", "solo")),
      ideal: Math.ceil(100 / parallelism) * latencyMillis,
      idealName: `ideal: 100 × ${latencyMillis} ms / ${parallelism}`
    },
    {
      name: "chains",
      fleet: Bench.chains(10, 5, named("chains", "chain")),
      ideal: 5 * latencyMillis,
      idealName: `critical path: 5 × ${latencyMillis} ms (10 chains of 5)`
    },
    {
      name: "mixed",
      fleet: [...Bench.chains(5, 5, named("mixed", "chain")), ...Bench.independent(25, named("mixed", "solo"))],
      ideal: 5 * latencyMillis,
      idealName: `critical path: 5 × ${latencyMillis} ms (5 chains of 5 and 25 independent)`
    }
  ]
}

export interface UpOptions {
  readonly store: StoreKind
  readonly parallelism: number
  /** How long every usacloud run and API request of the fake clouds takes. */
  readonly latencyMillis: number
  /** Other clouds than the fake ones, made afresh for each `up`. */
  readonly clouds?: () => Layer.Layer<CloudProvider>
}

export interface UpTimes {
  /** The whole `up`: lock, plan, apply. */
  readonly up: number
  /** From the confirmation to the end: the actions and their state writes. */
  readonly apply: number
}

export const upOnce = (fleet: ReadonlyArray<DesiredResource>, options: UpOptions): Promise<UpTimes> => {
  const root = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "fleetflow-bench-"))
  const store: Layer.Layer<State.StateStore> =
    options.store === "memory" ? State.layerMemory() : localStore(NodePath.join(root, ".fleetflow"))
  const clouds =
    options.clouds?.() ??
    Fake.layer(options.latencyMillis > 0 ? { latency: Duration.millis(options.latencyMillis) } : {})
  let confirmed = Number.NaN
  const program = Effect.gen(function* () {
    const started = performance.now()
    const applied = yield* Fleet.up(
      Bench.target(fleet, root),
      Bench.runOptions(options.parallelism, () => {
        confirmed = performance.now()
      })
    )
    const finished = performance.now()
    if (
      applied.result.succeeded.length !== fleet.length ||
      Object.keys(applied.state.resources).length !== fleet.length
    ) {
      return yield* Effect.dieMessage(`up applied ${applied.result.succeeded.length} of ${fleet.length}`)
    }
    return { up: finished - started, apply: finished - confirmed } satisfies UpTimes
  })
  return Effect.runPromise(
    program.pipe(
      Effect.provide(Layer.mergeAll(clouds, store)),
      Effect.provide(Logger.minimumLogLevel(LogLevel.Warning)),
      Effect.ensuring(Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))
    )
  )
}

const gc: () => void = typeof globalThis.gc === "function" ? globalThis.gc : () => undefined

/**
 * Runs `up` of each fleet in turn, `runs` rounds, so that every fleet sees the same machine
 * load; returns every time of each, by name. `fleetsOf` gives each round's fleets: clouds kept
 * from one round to the next need other names.
 */
export const alternate = async (
  fleetsOf: (round: number) => ReadonlyArray<{ readonly name: string; readonly fleet: ReadonlyArray<DesiredResource> }>,
  options: UpOptions,
  runs: number
): Promise<ReadonlyMap<string, ReadonlyArray<UpTimes>>> => {
  const results = new Map<string, Array<UpTimes>>(fleetsOf(0).map(({ name }) => [name, []]))
  for (let run = 0; run < runs; run++) {
    for (const { name, fleet } of fleetsOf(run)) {
      gc()
      results.get(name)!.push(await upOnce(fleet, options))
    }
  }
  return results
}
