/**
 * Kill points for the crash suite: with `FLEETFLOW_CRASH_AT=<point>#<n>`, the process kills
 * itself with SIGKILL (what `kill -9` or a power cut does: no finalizer runs) the n-th time it
 * reaches the named point. Without the variable a point costs one comparison.
 *
 * Points: `intent-recorded` (an intent is in the state, the provider call not yet made),
 * `call-returned` (the cloud changed, the state does not know yet), `journal-torn` (half of a
 * journal line is written), `journal-appended` (a line is written and synced, the write not yet
 * acknowledged), `state-backup-kept` (a full rewrite kept the backup, the new state not yet
 * written), `state-temp-written` (the new state is on disk under its temporary name),
 * `retry-wait` (waiting before another attempt).
 */
export const variable = "FLEETFLOW_CRASH_AT"

export const points = [
  "intent-recorded",
  "call-returned",
  "journal-torn",
  "journal-appended",
  "state-backup-kept",
  "state-temp-written",
  "retry-wait"
] as const
export type Point = (typeof points)[number]

const parse = (spec: string | undefined): { readonly point: string; readonly occurrence: number } | undefined => {
  if (spec === undefined || spec === "") return undefined
  const [point = "", count = "1"] = spec.split("#")
  const occurrence = Number(count)
  return Number.isInteger(occurrence) && occurrence >= 1 ? { point, occurrence } : undefined
}

const target = parse(process.env[variable])
let reached = 0

/** Kills the process here when `FLEETFLOW_CRASH_AT` names this point and occurrence. */
export const point = (name: Point): void => {
  if (target === undefined || target.point !== name) return
  reached++
  if (reached === target.occurrence) process.kill(process.pid, "SIGKILL")
}
