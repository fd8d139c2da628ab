import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as DurationText from "../src/DurationText.js"

const millis = (text: string) => {
  const duration = DurationText.parse(text)
  return duration === undefined ? undefined : Duration.toMillis(duration)
}

describe("DurationText", () => {
  it("reads what the configuration and the sandbox both accepted", () => {
    assert.strictEqual(millis("500ms"), 500)
    assert.strictEqual(millis("1.5s"), 1500)
    assert.strictEqual(millis(" 2 m "), 120_000)
    assert.strictEqual(millis("1h"), 3_600_000)
    assert.strictEqual(millis("0"), 0)
    assert.strictEqual(millis("0ms"), 0)
  })

  it("refuses a number without a unit, and anything else", () => {
    assert.isUndefined(millis("200"))
    assert.isUndefined(millis("soon"))
    assert.isUndefined(millis("-1s"))
    assert.isUndefined(millis("2d"))
  })

  it("as a Schema, names the text it refuses", () => {
    const refused = Schema.decodeEither(DurationText.DurationText)("fast")
    assert.isTrue(Either.isLeft(refused))
    if (Either.isLeft(refused)) assert.include(refused.left.message, '"fast" is not a duration')
  })
})
