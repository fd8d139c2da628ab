/**
 * Durations as people write them, in the configuration, CLI options, the sandbox's variables and
 * the simulators' flags: a number and a unit (`500ms`, `1.5s`, `2m`, `1h`), or a bare `0`.
 */
import * as Duration from "effect/Duration"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const units: Record<string, (amount: number) => Duration.Duration> = {
  ms: Duration.millis,
  s: Duration.seconds,
  m: Duration.minutes,
  h: Duration.hours
}

/** The duration `text` writes, or `undefined` when it is not one. */
export const parse = (text: string): Duration.Duration | undefined => {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text)
  if (match === null) return undefined
  const amount = Number(match[1])
  const unit = match[2]
  // Zero needs no unit; any other amount does, so `200` is not read as milliseconds by mistake.
  if (amount === 0) return Duration.zero
  return unit === undefined ? undefined : units[unit]?.(amount)
}

/** `200ms`, `2s`, `1.5s`, `1m`, `0`, as a Schema from the text. */
export const DurationText = Schema.transformOrFail(Schema.String, Schema.DurationFromSelf, {
  strict: true,
  decode: (text, _, ast) => {
    const duration = parse(text)
    return duration === undefined
      ? ParseResult.fail(new ParseResult.Type(ast, text, `"${text}" is not a duration such as 200ms, 2s or 1m`))
      : ParseResult.succeed(duration)
  },
  encode: (duration) => ParseResult.succeed(`${Duration.toMillis(duration)}ms`)
})
