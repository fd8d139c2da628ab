/**
 * How the simulated clouds behave: latency, server boot time and injected faults, set in
 * code or, for the CLI, from `FLEETFLOW_SANDBOX_LATENCY`, `FLEETFLOW_SANDBOX_BOOT_TIME`
 * and `FLEETFLOW_SANDBOX_FAULTS`.
 */
import * as Config from "effect/Config"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { DurationText } from "../DurationText.js"
import { type FaultRule, FaultSpec } from "./Faults.js"

export interface SandboxOptions {
  /** How long every usacloud run and every API request of the simulators takes. Default: no delay. */
  readonly latency?: Duration.Duration
  /** How long a server takes to boot after it is created or resized, on top of `latency`. */
  readonly bootTime?: Duration.Duration
  readonly faults?: ReadonlyArray<FaultRule>
  /** Variables wrangler and its builds get besides its own: the cloudflare provider block's `build-env`. */
  readonly buildEnv?: ReadonlyArray<string>
  /**
   * Keep a log of every usacloud run and API request in the simulators' stores, for tests that count
   * calls. Default: on for the fakes, off for the sandbox, whose files would otherwise grow with every
   * command and be written by every read.
   */
  readonly log?: boolean
}

export class SandboxOptionsError extends Data.TaggedError("SandboxOptionsError")<{
  readonly variable: string
  readonly value: string
  readonly message: string
}> {}

/** `200ms`, `2s`, `1.5s`, `1m`, `0`. */
export const DurationSpec = DurationText

const variable = <A>(name: string, schema: Schema.Schema<A, string>) =>
  Config.option(Config.string(name)).pipe(
    Effect.mapError((error) => new SandboxOptionsError({ variable: name, value: "", message: `${name}: ${error}` })),
    Effect.flatMap(
      Option.match({
        onNone: () => Effect.succeed(Option.none<A>()),
        onSome: (value) =>
          Schema.decode(schema)(value).pipe(
            Effect.map(Option.some),
            Effect.mapError(
              (error) =>
                new SandboxOptionsError({
                  variable: name,
                  value,
                  message: `${name}: ${ParseResult.ArrayFormatter.formatErrorSync(error)
                    .map((issue) => issue.message)
                    .join("; ")}`
                })
            )
          )
      })
    )
  )

/** The options the environment asks for; an unset variable leaves its option out. */
export const optionsFromEnv: Effect.Effect<SandboxOptions, SandboxOptionsError> = Effect.gen(function* () {
  const latency = yield* variable("FLEETFLOW_SANDBOX_LATENCY", DurationSpec)
  const bootTime = yield* variable("FLEETFLOW_SANDBOX_BOOT_TIME", DurationSpec)
  const faults = yield* variable("FLEETFLOW_SANDBOX_FAULTS", FaultSpec)
  return {
    ...Option.match(latency, { onNone: () => ({}), onSome: (value) => ({ latency: value }) }),
    ...Option.match(bootTime, { onNone: () => ({}), onSome: (value) => ({ bootTime: value }) }),
    ...Option.match(faults, { onNone: () => ({}), onSome: (value) => ({ faults: value }) })
  }
})
