/**
 * What `npm run bench` prints: one JSON line per figure on stdout. A figure is a measured
 * value; a ratio names both of its sides, its target and whether this run met it.
 *
 *   {"name":"plan.converged.10000","value":412.5,"unit":"ms","runs":5}
 *   {"name":"plan.scaling.time","value":9.8,"unit":"ratio","numerator":{…},"denominator":{…},"target":"≤ 12","met":true}
 */

export interface Figure {
  readonly name: string
  readonly value: number
  readonly unit: string
  /** How many measurements the value is the median of. */
  readonly runs?: number
  /** A bound the figure itself must keep (`≤ 300`), and whether it did. */
  readonly target?: string
  readonly met?: boolean
  readonly note?: string
}

export interface Side {
  readonly name: string
  readonly value: number
  readonly unit: string
}

export interface Ratio {
  readonly name: string
  readonly value: number
  readonly unit: "ratio"
  readonly numerator: Side
  readonly denominator: Side
  /** Absent on a ratio reported for information only. */
  readonly target?: string
  readonly met?: boolean
  readonly note?: string
}

export type Line = Figure | Ratio

export interface Bound {
  readonly op: "≤" | "≥"
  readonly limit: number
}

export const atMost = (limit: number): Bound => ({ op: "≤", limit })
export const atLeast = (limit: number): Bound => ({ op: "≥", limit })

export const meets = (value: number, bound: Bound): boolean =>
  Number.isFinite(value) && (bound.op === "≤" ? value <= bound.limit : value >= bound.limit)

export const show = (bound: Bound): string => `${bound.op} ${bound.limit}`

/** A bound `factor` times looser: what the CI smoke check accepts. */
export const loosen = (bound: Bound, factor: number): Bound =>
  bound.op === "≤" ? atMost(bound.limit * factor) : atLeast(bound.limit / factor)

const rounded = (value: number): number => {
  if (!Number.isFinite(value)) return value
  const magnitude = Math.abs(value)
  const digits = magnitude >= 100 ? 1 : magnitude >= 1 ? 2 : 4
  return Number(value.toFixed(digits))
}

const side = (figure: Figure): Side => ({ name: figure.name, value: rounded(figure.value), unit: figure.unit })

export const figure = (
  name: string,
  value: number,
  unit: string,
  extra: { readonly runs?: number; readonly bound?: Bound; readonly note?: string } = {}
): Figure => ({
  name,
  value: rounded(value),
  unit,
  ...(extra.runs === undefined ? {} : { runs: extra.runs }),
  ...(extra.bound === undefined ? {} : { target: show(extra.bound), met: meets(value, extra.bound) }),
  ...(extra.note === undefined ? {} : { note: extra.note })
})

export const ratio = (
  name: string,
  numerator: Figure,
  denominator: Figure,
  bound: Bound | undefined,
  note?: string
): Ratio => {
  const value = numerator.value / denominator.value
  return {
    name,
    value: rounded(value),
    unit: "ratio",
    numerator: side(numerator),
    denominator: side(denominator),
    ...(bound === undefined ? {} : { target: show(bound), met: meets(value, bound) }),
    ...(note === undefined ? {} : { note })
  }
}

export const emit = (line: Line): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}

export const progress = (text: string): void => {
  process.stderr.write(`${text}\n`)
}

export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export const megabytes = (bytes: number): number => bytes / 1024 / 1024
