/**
 * Measures one fleet size over the fake clouds and one state store: `Fleet.plan` on an empty
 * and on a converged state, `Fleet.up` from empty (time, state writes, bytes written, heap),
 * and the plan of a teardown. Every number comes from this process, so sizes compare as
 * ratios even on a noisy machine.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import * as V8 from "node:v8"
import * as Apply from "../src/Apply.js"
import * as Fake from "../src/Fake.js"
import * as Fleet from "../src/Fleet.js"
import * as Plan from "../src/Plan.js"
import { CloudProvider } from "../src/Provider.js"
import * as State from "../src/State.js"
import * as Bench from "./Fleet.js"

export type StoreKind = "memory" | "local"

export interface ScalingOptions {
  /** Repetitions of each plan, at least; the median is reported. */
  readonly planRuns: number
  /** Repetitions of `up`, at least, each on fresh clouds and a fresh state; the median is reported. */
  readonly upRuns: number
  readonly parallelism: number
}

export interface SizeResult {
  readonly size: number
  readonly store: StoreKind
  /** Median milliseconds. */
  readonly planEmpty: number
  readonly planConverged: number
  /** `Fleet.plan` with nothing desired on the converged state: N deletes. */
  readonly planDestroy: number
  /** `Plan.make` for that teardown alone, without refresh and ordering. */
  readonly makeDestroy: number
  /** `Apply.steps` for that teardown plan alone. */
  readonly stepsDestroy: number
  readonly up: number
  readonly writes: number
  /** Bytes written to `state.json` in all (the local store only). */
  readonly stateBytes: number
  /** Bytes written to `state.json.backup` in all (the local store only). */
  readonly backupBytes: number
  /** The final `state.json` (the local store only). */
  readonly finalBytes: number
  /** Milliseconds spent inside `StateStore.write` during `up`. */
  readonly writeMillis: number
  /** Highest `heapUsed` seen during `up`, above the heap before it. */
  readonly heapPeak: number
  /** `heapUsed` after `up` and a collection, above the heap before it. */
  readonly heapRetained: number
}

interface Counters {
  writes: number
  stateBytes: number
  backupBytes: number
  writeMillis: number
  heapPeak: number
}

const freshCounters = (): Counters => ({ writes: 0, stateBytes: 0, backupBytes: 0, writeMillis: 0, heapPeak: 0 })

const gc: () => void = typeof globalThis.gc === "function" ? globalThis.gc : () => undefined

export const canCollect = typeof globalThis.gc === "function"

/** `process.memoryUsage().heapUsed`, without reading the resident set size from the OS each time. */
const heapUsed = () => V8.getHeapStatistics().used_heap_size

const sizeOf = (path: string): number => {
  try {
    return Fs.statSync(path).size
  } catch {
    return 0
  }
}

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** A state store that counts its writes, the time they take and the bytes they put on disk. */
const countingStore = (kind: StoreKind, folder: string, counters: Counters): Layer.Layer<State.StateStore> => {
  const statePath = NodePath.join(folder, "state.json")
  const backupPath = NodePath.join(folder, "state.json.backup")
  const counted = <A, E>(write: Effect.Effect<A, E>) =>
    Effect.suspend(() => {
      const started = performance.now()
      return Effect.tap(write, () =>
        Effect.sync(() => {
          counters.writeMillis += performance.now() - started
          counters.writes++
          if (kind === "local") {
            counters.stateBytes += sizeOf(statePath)
            counters.backupBytes += sizeOf(backupPath)
          }
          counters.heapPeak = Math.max(counters.heapPeak, heapUsed())
        })
      )
    })
  const wrap = (store: State.StateStoreService): State.StateStoreService => {
    const writeChanges = store.writeChanges
    return {
      ...store,
      write: (next) => counted(store.write(next)),
      ...(writeChanges === undefined
        ? {}
        : {
            writeChanges: (from: State.StateVersion, changes: State.StateChanges) =>
              counted(writeChanges(from, changes))
          })
    }
  }
  return kind === "memory"
    ? Layer.effect(State.StateStore, Effect.map(State.makeMemory(), wrap))
    : Layer.effect(State.StateStore, Effect.map(State.makeLocal(folder), wrap)).pipe(
        Layer.provide(NodeFileSystem.layer)
      )
}

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const started = performance.now()
    return Effect.map(effect, (value) => [value, performance.now() - started] as const)
  })

const check = (condition: boolean, message: string) =>
  condition ? Effect.void : Effect.dieMessage(`benchmark check failed: ${message}`)

/** A fast measurement repeats until it has run this long, so that timer noise does not set its ratio. */
const minimumPlanMillis = 250
const minimumUpMillis = 1000
const maximumRuns = 100
const maximumUpRuns = 20

/**
 * Runs `effect` at least `runs` times, and more while all runs took less than 250 ms together;
 * returns the median time in milliseconds, checking each result.
 */
const medianOf = <A, E, R>(runs: number, effect: Effect.Effect<A, E, R>, verify: (value: A) => Effect.Effect<void>) =>
  Effect.gen(function* () {
    const times: Array<number> = []
    let spent = 0
    while (times.length < runs || (spent < minimumPlanMillis && times.length < maximumRuns)) {
      const [value, millis] = yield* timed(effect)
      yield* verify(value)
      times.push(millis)
      spent += millis
    }
    return median(times)
  })

const changesOf = (plan: Plan.Plan) => plan.summary.add + plan.summary.change + plan.summary.destroy

interface UpRun {
  readonly millis: number
  readonly counters: Counters
  readonly heapBefore: number
  readonly heapRetained: number
  readonly finalBytes: number
  /** Only on the first run of a size. */
  readonly plans: PlanTimes | undefined
}

interface PlanTimes {
  readonly empty: number
  readonly converged: number
  readonly destroy: number
  readonly makeDestroy: number
  readonly stepsDestroy: number
}

/**
 * One `up` from empty on fresh clouds and state; with `plans`, also times the plans around it
 * (empty before, converged and teardown after).
 */
const upRun = (kind: StoreKind, size: number, options: ScalingOptions, plans: boolean): Promise<UpRun> => {
  const desired = Bench.desired(size)
  const root = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "fleetflow-bench-"))
  const folder = NodePath.join(root, ".fleetflow")
  const counters = freshCounters()
  const target = Bench.target(desired, root)
  const planOptions = { refresh: true }
  const program = Effect.gen(function* () {
    const planEmpty = plans
      ? yield* medianOf(options.planRuns, Fleet.plan(target, planOptions), ({ plan }) =>
          check(plan.summary.add === size && changesOf(plan) === size, `plan on an empty state creates ${size}`)
        )
      : Number.NaN

    gc()
    const heapBefore = heapUsed()
    counters.heapPeak = heapBefore
    const sampler = setInterval(() => {
      counters.heapPeak = Math.max(counters.heapPeak, heapUsed())
    }, 5)
    const [applied, millis] = yield* timed(Fleet.up(target, Bench.runOptions(options.parallelism))).pipe(
      Effect.ensuring(Effect.sync(() => clearInterval(sampler)))
    )
    yield* check(applied.result.succeeded.length === size, `up applied ${applied.result.succeeded.length} of ${size}`)
    yield* check(Object.keys(applied.state.resources).length === size, "the state holds every resource")
    gc()
    const heapRetained = heapUsed() - heapBefore
    const finalBytes = kind === "local" ? sizeOf(NodePath.join(folder, "state.json")) : 0

    const run = { millis, counters, heapBefore, heapRetained, finalBytes }
    if (!plans) return { ...run, plans: undefined } satisfies UpRun
    const planConverged = yield* medianOf(options.planRuns, Fleet.plan(target, planOptions), ({ plan }) =>
      check(!Plan.hasChanges(plan) && plan.actions.length === size, "a converged plan changes nothing")
    )
    const teardown = { ...target, desired: [] }
    const planDestroy = yield* medianOf(options.planRuns, Fleet.plan(teardown, planOptions), ({ plan }) =>
      check(plan.summary.destroy === size, `a teardown plan deletes ${size}`)
    )
    const { plan: destroyPlan, state } = yield* Fleet.plan(teardown, planOptions)
    const stored = State.resourcesOfStage(state, Bench.stage)
    const provider = yield* CloudProvider
    const makeOptions = { project: Bench.project, stage: Bench.stage, serial: state.serial, desired: [], provider }
    const makeDestroy = yield* medianOf(options.planRuns, Plan.make({ ...makeOptions, current: stored }), (plan) =>
      check(plan.summary.destroy === size, `Plan.make deletes ${size}`)
    )
    const stepsDestroy = yield* medianOf(
      options.planRuns,
      Effect.sync(() => Apply.steps(destroyPlan, stored)),
      (steps) => check(steps.length === size, "one delete step per resource")
    )
    return {
      ...run,
      plans: { empty: planEmpty, converged: planConverged, destroy: planDestroy, makeDestroy, stepsDestroy }
    } satisfies UpRun
  })
  const layer = Layer.mergeAll(Fake.layer(), countingStore(kind, folder, counters))
  return Effect.runPromise(
    program.pipe(
      Effect.provide(layer),
      Effect.provide(Logger.minimumLogLevel(LogLevel.Warning)),
      Effect.ensuring(Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))
    )
  )
}

/** Every measurement for one size and one store. */
export const measure = async (kind: StoreKind, size: number, options: ScalingOptions): Promise<SizeResult> => {
  const first = await upRun(kind, size, options, true)
  const runs = [first]
  const spent = () => runs.reduce((sum, run) => sum + run.millis, 0)
  while (runs.length < options.upRuns || (spent() < minimumUpMillis && runs.length < maximumUpRuns)) {
    runs.push(await upRun(kind, size, options, false))
  }
  const middle = median(runs.map((run) => run.millis))
  // The counters of the run closest to the median time.
  const typical = runs.reduce((best, run) =>
    Math.abs(run.millis - middle) < Math.abs(best.millis - middle) ? run : best
  )
  return {
    size,
    store: kind,
    planEmpty: first.plans?.empty ?? Number.NaN,
    planConverged: first.plans?.converged ?? Number.NaN,
    planDestroy: first.plans?.destroy ?? Number.NaN,
    makeDestroy: first.plans?.makeDestroy ?? Number.NaN,
    stepsDestroy: first.plans?.stepsDestroy ?? Number.NaN,
    up: middle,
    writes: typical.counters.writes,
    stateBytes: typical.counters.stateBytes,
    backupBytes: typical.counters.backupBytes,
    finalBytes: typical.finalBytes,
    writeMillis: typical.counters.writeMillis,
    heapPeak: Math.max(...runs.map((run) => run.counters.heapPeak - run.heapBefore)),
    heapRetained: median(runs.map((run) => run.heapRetained))
  }
}
