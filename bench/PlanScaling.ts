/**
 * Plan scaling: `Fleet.plan` (refresh on) of the mix at N resources, on clouds and a state that
 * already hold all of it (built by `Fleet.converged`), so every run reads all N back from the
 * fake clouds, diffs them and finds nothing to do. The state is the local one the CLI uses.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Fake from "../src/Fake.js"
import * as Fleet from "../src/Fleet.js"
import * as Plan from "../src/Plan.js"
import * as State from "../src/State.js"
import * as Bench from "./Fleet.js"

export interface PlanTimes {
  readonly size: number
  /** Milliseconds of each measured plan, warm-up runs left out. */
  readonly times: ReadonlyArray<number>
}

export interface PlanRunOptions {
  /** Plans run first and not measured, so the JIT has compiled the hot paths. */
  readonly warmup: number
  /** Measured plans, at least. */
  readonly runs: number
  /** More runs while the measured ones took less than this together. */
  readonly minMillis: number
}

const quiet = Logger.minimumLogLevel(LogLevel.Warning)

/** Writes `state` as the local store at `folder` keeps it (what `up` would have left). */
export const writeState = (folder: string, state: State.StateFile): Promise<void> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* State.makeLocal(folder)
      yield* store.write(state)
    }).pipe(Effect.provide(NodeFileSystem.layer), Effect.provide(quiet))
  )

/**
 * Times `Fleet.plan` of `desired(size)` against the converged clouds and the state in `store`,
 * checking that every plan reads every resource back and changes nothing.
 */
export const timePlans = (
  size: number,
  store: Layer.Layer<State.StateStore>,
  options: PlanRunOptions
): Promise<PlanTimes> => {
  const fleet = Bench.desired(size)
  const { cloud } = Bench.converged(fleet)
  const target = Bench.target(fleet)
  const once = Effect.gen(function* () {
    const started = performance.now()
    const planned = yield* Fleet.plan(target, { refresh: true })
    const millis = performance.now() - started
    const { plan } = planned
    if (Plan.hasChanges(plan) || plan.actions.length !== size || planned.refreshed.size > 0) {
      return yield* Effect.dieMessage(
        `plan of the converged ${size}: ${plan.actions.length} actions, ${plan.summary.add} to add, ` +
          `${plan.summary.change} to change, ${plan.summary.destroy} to destroy, ${planned.refreshed.size} refreshed`
      )
    }
    return millis
  })
  const program = Effect.gen(function* () {
    for (let run = 0; run < options.warmup; run++) yield* once
    const times: Array<number> = []
    let spent = 0
    while (times.length < options.runs || (spent < options.minMillis && times.length < 100)) {
      const millis = yield* once
      times.push(millis)
      spent += millis
    }
    return { size, times } satisfies PlanTimes
  })
  return Effect.runPromise(
    program.pipe(Effect.provide(Layer.mergeAll(Fake.layer({ initial: cloud }), store)), Effect.provide(quiet))
  )
}

/** The local store at `folder`, as the CLI opens it. */
export const localStore = (folder: string): Layer.Layer<State.StateStore> =>
  State.layerLocal(folder).pipe(Layer.provide(NodeFileSystem.layer))
