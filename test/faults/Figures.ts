/** The figures the fault suite adds up over its cases and prints at the end. */
export interface Figures {
  /** Kill cases run: a SIGKILL at a (point, occurrence), then a recovering `up`. */
  killCases: number
  /** Kill cases after which the clouds equal the file and the state, with nothing found wrong. */
  killPointsSurvived: number
  /** Distinct (point, occurrence) pairs among the cases survived. */
  readonly distinctPoints: Set<string>
  faultsInjected: number
  orphans: number
  duplicates: number
  /** Recorded by the state but gone from the cloud. */
  missing: number
  /** A value the file sets that the cloud does not hold after convergence. */
  lostUpdates: number
  /** A value the state records that the cloud does not hold after convergence (the cloud holds the file's). */
  staleRecords: number
  unparseableStates: number
}

export const make = (): Figures => ({
  killCases: 0,
  killPointsSurvived: 0,
  distinctPoints: new Set(),
  faultsInjected: 0,
  orphans: 0,
  duplicates: 0,
  missing: 0,
  lostUpdates: 0,
  staleRecords: 0,
  unparseableStates: 0
})

export const summary = (figures: Figures) => ({
  killCases: figures.killCases,
  killPointsSurvived: figures.killPointsSurvived,
  distinctKillPoints: figures.distinctPoints.size,
  faultsInjected: figures.faultsInjected,
  orphans: figures.orphans,
  duplicates: figures.duplicates,
  missing: figures.missing,
  lostUpdates: figures.lostUpdates,
  staleRecords: figures.staleRecords,
  unparseableStates: figures.unparseableStates
})

/** One line per figure, then the same figures as one JSON line. */
export const render = (figures: Figures): string => {
  const all = summary(figures)
  const width = Math.max(...Object.keys(all).map((name) => name.length))
  return [
    "fault suite figures:",
    ...Object.entries(all).map(([name, value]) => `  ${name.padEnd(width)}  ${value}`),
    `FLEETFLOW_FAULT_FIGURES ${JSON.stringify(all)}`
  ].join("\n")
}
