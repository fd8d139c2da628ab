/**
 * The fast path of decoding must give what Schema's decoder gives, on every value: the same
 * value for one that decodes, a failure for one that does not.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import { quickDecoder } from "../src/QuickDecode.js"
import { StoredResource } from "../src/Resource.js"
import { StateFile } from "../src/State/Document.js"

const Sample = Schema.Struct({
  kind: Schema.Literal("a", "b"),
  count: Schema.NonNegativeInt,
  note: Schema.optional(Schema.String),
  tags: Schema.Array(Schema.String),
  extra: Schema.Record({ key: Schema.String, value: Schema.Union(Schema.Number, Schema.Boolean) })
})

const agrees = <A, I>(schema: Schema.Schema<A, I>, value: unknown) => {
  const quick = quickDecoder(schema)(value)
  const full = Schema.decodeUnknownEither(schema)(value)
  assert.strictEqual(Either.isRight(quick), Either.isRight(full), JSON.stringify(value))
  if (Either.isRight(quick) && Either.isRight(full)) assert.deepStrictEqual(quick.right, full.right)
}

/** A JSON value, as `JSON.parse` makes them. */
const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown

describe("QuickDecode", () => {
  it("decodes what Schema decodes, to the same value, and the value itself", () => {
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(StateFile), (state) => {
        const value = json(state)
        agrees(StateFile, value)
        // Decoding sets a `__proto__` key as the prototype, so only those values are copied.
        if (!JSON.stringify(value).includes('"__proto__"')) {
          assert.strictEqual(Either.getOrThrow(quickDecoder(StateFile)(value)), value)
        }
      }),
      { numRuns: 200 }
    )
  })

  it("fails where Schema fails: wrong types, missing fields, failed checks", () => {
    const valid = { kind: "a", count: 2, tags: ["x"], extra: { n: 1, b: true } }
    agrees(Sample, valid)
    for (const broken of [
      { ...valid, kind: "c" },
      { ...valid, count: -1 },
      { ...valid, count: 1.5 },
      { ...valid, note: 3 },
      { ...valid, tags: ["x", 1] },
      { ...valid, extra: { n: "1" } },
      { kind: "a", count: 2, tags: [] },
      [valid],
      null,
      "text"
    ]) {
      agrees(Sample, broken)
      assert.isTrue(Either.isLeft(quickDecoder(Sample)(broken)), JSON.stringify(broken))
    }
  })

  it("drops a property the schema does not name, as Schema does", () => {
    const value = { kind: "b", count: 0, tags: [], extra: {}, unknown: 1 }
    agrees(Sample, value)
    assert.notProperty(Either.getOrThrow(quickDecoder(Sample)(value)), "unknown")
  })

  it("agrees with Schema on arbitrary JSON and on resources with a field changed", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.jsonValue(), (value) => {
        agrees(StoredResource, value)
        agrees(Sample, value)
      }),
      { numRuns: 300 }
    )
    FastCheck.assert(
      FastCheck.property(
        Arbitrary.make(StoredResource),
        FastCheck.constantFrom(...Object.keys(StoredResource.fields)),
        FastCheck.jsonValue(),
        (resource, field, replacement) => agrees(StoredResource, json({ ...resource, [field]: replacement }))
      ),
      { numRuns: 300 }
    )
  })
})
