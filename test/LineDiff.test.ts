/**
 * The lines a changed script differs by, as the plan shows them: each line of either text accounted
 * for once, changes with their context, and the rest counted.
 */
import { assert, describe, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { type DiffLine, lineDiff, linesOf } from "../src/LineDiff.js"

/** Walks the diff over both texts: every line is unchanged, removed or added, in order, and none is left over. */
const replay = (before: string, after: string, diff: ReadonlyArray<DiffLine>) => {
  const [old, now] = linesOf(before, after)
  let i = 0
  let j = 0
  for (const line of diff) {
    switch (line._tag) {
      case "Hidden":
        assert.isAbove(line.count, 0)
        assert.deepStrictEqual(old.slice(i, i + line.count), now.slice(j, j + line.count))
        i += line.count
        j += line.count
        break
      case "Same":
        assert.strictEqual(old[i++], line.text)
        assert.strictEqual(now[j++], line.text)
        break
      case "Removed":
        assert.strictEqual(old[i++], line.text)
        break
      case "Added":
        assert.strictEqual(now[j++], line.text)
        break
    }
  }
  assert.strictEqual(i, old.length)
  assert.strictEqual(j, now.length)
}

const script = (count: number, edit: (index: number) => string | undefined = () => undefined) =>
  Array.from({ length: count }, (_, index) => edit(index) ?? `line ${index}`).join("\n")

describe("lineDiff", () => {
  it("shows a changed line and an added one with two unchanged lines around them, the rest counted", () => {
    const before = script(10)
    const after = `${script(10, (index) => (index === 4 ? "line four" : undefined))}\nline 10`
    assert.deepStrictEqual(lineDiff(before, after), [
      { _tag: "Hidden", count: 2 },
      { _tag: "Same", text: "line 2" },
      { _tag: "Same", text: "line 3" },
      { _tag: "Removed", text: "line 4" },
      { _tag: "Added", text: "line four" },
      { _tag: "Same", text: "line 5" },
      { _tag: "Same", text: "line 6" },
      // One line between two changes is shown: counting it would take as much room.
      { _tag: "Same", text: "line 7" },
      { _tag: "Same", text: "line 8" },
      { _tag: "Same", text: "line 9" },
      { _tag: "Added", text: "line 10" }
    ])
  })

  it("finds a moved block as few removals and additions, not the whole middle again", () => {
    const before = ["a", "b", "c", "d", "e", "f"].join("\n")
    const after = ["a", "c", "d", "e", "b", "f"].join("\n")
    const changed = lineDiff(before, after).filter((line) => line._tag === "Removed" || line._tag === "Added")
    assert.deepStrictEqual(changed, [
      { _tag: "Removed", text: "b" },
      { _tag: "Added", text: "b" }
    ])
  })

  it("compares texts too large to compare line by line as removed, then added, and stays quick", () => {
    const before = script(5_000, (index) => `old ${index}`)
    const after = script(5_000, (index) => `new ${index}`)
    const diff = lineDiff(before, after)
    replay(before, after, diff)
    assert.strictEqual(diff.filter((line) => line._tag === "Removed").length, 5_000)
    assert.strictEqual(
      diff.findIndex((line) => line._tag === "Added"),
      5_000
    )
  })

  it("reads a newline that ends both texts as the end of their last line, and one that ends only one as a change", () => {
    assert.deepStrictEqual(lineDiff("a\nb\n", "a\nc\n"), [
      { _tag: "Same", text: "a" },
      { _tag: "Removed", text: "b" },
      { _tag: "Added", text: "c" }
    ])
    assert.deepStrictEqual(lineDiff("a\nb", "a\nb\n"), [
      { _tag: "Same", text: "a" },
      { _tag: "Same", text: "b" },
      { _tag: "Added", text: "" }
    ])
  })

  it("accounts for every line of both texts, whatever they are", () => {
    const text = FastCheck.tuple(
      FastCheck.array(FastCheck.constantFrom("a", "b", "c", "", "  d"), { maxLength: 30 }),
      FastCheck.boolean()
    ).map(([lines, ended]) => `${lines.join("\n")}${ended ? "\n" : ""}`)
    FastCheck.assert(
      FastCheck.property(text, text, (before, after) => {
        replay(before, after, lineDiff(before, after))
      }),
      { numRuns: 500 }
    )
  })
})
