/**
 * Kill points for the crash suite: the process kills itself with SIGKILL (what `kill -9` or a
 * power cut does: no finalizer runs) the n-th time it reaches a named point. `CrashPoints` does
 * nothing unless the CLI's entry point turns it on from `FLEETFLOW_CRASH_AT=<point>#<n>`
 * (`layerFromEnv`); importing the library never reads that variable.
 *
 * Points: `intent-recorded` (an intent is in the state, the provider call not yet made),
 * `call-returned` (the cloud changed, the state does not know yet), `journal-torn` (half of a
 * journal line is written), `journal-appended` (a line is written and synced, the write not yet
 * acknowledged), `state-backup-kept` (a full rewrite kept the backup, the new state not yet
 * written), `state-temp-written` (the new state is on disk under its temporary name),
 * `state-renamed` (the new state is in place, the journal it folds in not yet removed),
 * `state-uncommitted` (a PostgreSQL write's transaction is open, not committed),
 * `state-committed` (a PostgreSQL write is committed, not yet acknowledged),
 * `retry-wait` (waiting before another attempt).
 */
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

export const variable = "FLEETFLOW_CRASH_AT"

export const points = [
  "intent-recorded",
  "call-returned",
  "journal-torn",
  "journal-appended",
  "state-backup-kept",
  "state-temp-written",
  "state-renamed",
  "state-uncommitted",
  "state-committed",
  "retry-wait"
] as const
export type Point = (typeof points)[number]

export interface CrashPointsService {
  /** Counts one arrival at `point`; `true` when the process is to die there this time. */
  readonly due: (point: Point) => Effect.Effect<boolean>
}

/** By default no point is ever due. */
export class CrashPoints extends Context.Reference<CrashPoints>()("fleetflow/CrashPoints", {
  defaultValue: (): CrashPointsService => ({ due: () => Effect.succeed(false) })
}) {}

/** SIGKILL, so that no finalizer runs. */
export const kill: Effect.Effect<void> = Effect.sync(() => {
  process.kill(process.pid, "SIGKILL")
})

/** Whether the process is to die at this arrival at `point`. */
export const due = (point: Point): Effect.Effect<boolean> =>
  Effect.flatMap(CrashPoints, (crashPoints) => crashPoints.due(point))

/** Kills the process here when this arrival at `point` is the one chosen. */
export const point = (name: Point): Effect.Effect<void> =>
  Effect.flatMap(due(name), (dies) => (dies ? kill : Effect.void))

/** Due at the `occurrence`-th arrival at `target`, from a spec `<point>#<n>` (`#1` when left out). */
export const make = (spec: string): CrashPointsService => {
  const [target = "", count = "1"] = spec.split("#")
  const occurrence = Number(count)
  if (!Number.isInteger(occurrence) || occurrence < 1) return CrashPoints.defaultValue()
  let reached = 0
  return {
    due: (point) =>
      Effect.sync(() => {
        if (point !== target) return false
        reached++
        return reached === occurrence
      })
  }
}

/** The points `FLEETFLOW_CRASH_AT` names; none when it is unset or empty. */
export const layerFromEnv: Layer.Layer<CrashPoints> = Layer.effect(
  CrashPoints,
  Config.option(Config.string(variable)).pipe(
    Effect.map((spec) =>
      Option.match(
        Option.filter(spec, (text) => text !== ""),
        { onNone: () => CrashPoints.defaultValue(), onSome: (text) => make(text) }
      )
    ),
    Effect.orElseSucceed(() => CrashPoints.defaultValue())
  )
)
