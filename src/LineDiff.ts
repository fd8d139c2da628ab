/**
 * The lines two texts differ by, as a plan shows a changed script: the changed lines with a few
 * unchanged ones around them, the rest counted. Pure, and bounded: the common start and end are
 * set aside first, and a changed middle too large to compare line by line shows as removed, then added.
 */

/** A line of either text: in both, only in the first, only in the second. */
type Edit = { readonly _tag: "Same" | "Removed" | "Added"; readonly text: string }

export type DiffLine = Edit | { readonly _tag: "Hidden"; readonly count: number }

/** Unchanged lines shown on each side of a change. */
const context = 2

/** Cells of the comparison table a changed middle may take (two texts of 2,000 changed lines). */
const maxCells = 4_000_000

/** The fewest removals and additions that turn `before` into `after` (a longest common subsequence). */
const middleEdits = (before: ReadonlyArray<string>, after: ReadonlyArray<string>): ReadonlyArray<Edit> => {
  const removed = before.map((text): Edit => ({ _tag: "Removed", text }))
  const added = after.map((text): Edit => ({ _tag: "Added", text }))
  if (before.length === 0 || after.length === 0 || before.length * after.length > maxCells)
    return [...removed, ...added]
  const width = after.length + 1
  // common[i * width + j]: the longest common subsequence of before[i..] and after[j..].
  const common = new Uint32Array((before.length + 1) * width)
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) {
      common[i * width + j] =
        before[i] === after[j]
          ? common[(i + 1) * width + j + 1]! + 1
          : Math.max(common[(i + 1) * width + j]!, common[i * width + j + 1]!)
    }
  }
  const edits: Array<Edit> = []
  let i = 0
  let j = 0
  while (i < before.length && j < after.length) {
    if (before[i] === after[j]) {
      edits.push({ _tag: "Same", text: before[i]! })
      i++
      j++
    } else if (common[(i + 1) * width + j]! >= common[i * width + j + 1]!) {
      edits.push(removed[i++]!)
    } else {
      edits.push(added[j++]!)
    }
  }
  return [...edits, ...removed.slice(i), ...added.slice(j)]
}

const editsOf = (before: ReadonlyArray<string>, after: ReadonlyArray<string>): ReadonlyArray<Edit> => {
  let start = 0
  while (start < before.length && start < after.length && before[start] === after[start]) start++
  let end = 0
  while (
    end < before.length - start &&
    end < after.length - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  ) {
    end++
  }
  const same = (text: string): Edit => ({ _tag: "Same", text })
  return [
    ...before.slice(0, start).map(same),
    ...middleEdits(before.slice(start, before.length - end), after.slice(start, after.length - end)),
    ...before.slice(before.length - end).map(same)
  ]
}

/** Each text's lines; the end of the last line, when both texts end one, opens no empty line after it. */
export const linesOf = (before: string, after: string): readonly [ReadonlyArray<string>, ReadonlyArray<string>] => {
  const ended = before.endsWith("\n") && after.endsWith("\n")
  const split = (text: string) => (ended ? text.slice(0, -1) : text).split("\n")
  return [split(before), split(after)]
}

/** The lines of `before` and `after` as removed, added and unchanged, unchanged runs away from a change counted. */
export const lineDiff = (before: string, after: string): ReadonlyArray<DiffLine> => {
  const edits = editsOf(...linesOf(before, after))
  const near = new Array<boolean>(edits.length).fill(false)
  edits.forEach((edit, index) => {
    if (edit._tag === "Same") return
    for (let at = Math.max(0, index - context); at <= Math.min(edits.length - 1, index + context); at++) near[at] = true
  })
  const lines: Array<DiffLine> = []
  let hidden: Array<Edit> = []
  // A single line is shown rather than counted: the count would take its place.
  const flush = () => {
    if (hidden.length === 1) lines.push(hidden[0]!)
    else if (hidden.length > 1) lines.push({ _tag: "Hidden", count: hidden.length })
    hidden = []
  }
  edits.forEach((edit, index) => {
    if (near[index]) {
      flush()
      lines.push(edit)
    } else {
      hidden.push(edit)
    }
  })
  flush()
  return lines
}
