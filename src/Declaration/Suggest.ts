/**
 * "Did you mean" over a set of valid names, by Damerau–Levenshtein distance
 * (optimal string alignment: a swapped pair of letters counts as one edit).
 */

export const distance = (a: string, b: string): number => {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: Array<Array<number>> = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0))
  )
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1)
      d[i]![j] = best
    }
  }
  return at(a.length, b.length)
}

/** Longer names get no suggestion: a typo is short, and the distance costs the product of the lengths. */
const longestName = 256

/** The closest candidate, if it is close enough to be a likely typo. */
export const closest = (input: string, candidates: Iterable<string>): string | undefined => {
  const needle = input.toLowerCase()
  if (needle.length > longestName) return undefined
  const limit = Math.max(1, Math.ceil(needle.length / 3))
  let best: { readonly name: string; readonly score: number } | undefined
  for (const candidate of candidates) {
    // The difference in length is a lower bound of the distance.
    if (candidate.length > longestName || Math.abs(candidate.length - needle.length) > limit) continue
    const score = distance(needle, candidate.toLowerCase())
    if (score <= limit && (best === undefined || score < best.score)) best = { name: candidate, score }
  }
  return best?.name
}

export const didYouMean = (input: string, candidates: Iterable<string>): string | undefined => {
  const match = closest(input, candidates)
  return match === undefined ? undefined : `did you mean \`${match}\`?`
}

export const listOf = (names: Iterable<string>): string => [...names].map((name) => `\`${name}\``).join(", ")
