/**
 * The options the commands share, and how their values are read: a duration, a retry policy.
 */
import * as Args from "@effect/cli/Args"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Config from "../Config.js"
import * as Plan from "../Plan.js"
import type * as Retry from "../Retry.js"
import { InvalidOption } from "./Errors.js"

export const terminal = {
  interactive: () => process.stdin.isTTY === true && process.stdout.isTTY === true,
  /** The one rule for colour: on a terminal, unless NO_COLOR (any value but empty, as no-color.org says) or --no-color. */
  color: () =>
    process.stdout.isTTY === true && (process.env.NO_COLOR ?? "") === "" && !process.argv.includes("--no-color")
}

const file = Options.text("file").pipe(
  Options.withAlias("f"),
  Options.withDescription("the configuration file (default: fleet.kdl here or in a parent folder)"),
  Options.optional
)
const stage = Options.text("stage").pipe(
  Options.withAlias("s"),
  Options.withDescription("the stage to work on (or FLEETFLOW_STAGE)"),
  Options.optional
)
const json = Options.boolean("json").pipe(Options.withDescription("print machine-readable JSON on stdout"))
const sandbox = Options.boolean("sandbox").pipe(
  Options.withDescription("work on the built-in sandbox cloud in .fleetflow/sandbox/ (or FLEETFLOW_SANDBOX=1)")
)
const stateUrl = Options.redacted("state-url").pipe(
  Options.withDescription(
    "keep the state in this PostgreSQL database (postgres://user@host:5432/db) instead of where the file's `state` says; " +
      "a password given here shows in the process list: prefer `url env=` in the file"
  ),
  Options.optional
)
export const common = { file, stage, json, sandbox, stateUrl }
export type Common = {
  readonly file: Option.Option<string>
  readonly stage: Option.Option<string>
  readonly json: boolean
  readonly sandbox: boolean
  readonly stateUrl: Option.Option<Redacted.Redacted<string>>
}

export const refresh = Options.choice("refresh", ["true", "false"]).pipe(
  Options.withDefault("true" as const),
  Options.map((value) => value === "true"),
  Options.withDescription("read what exists in the clouds before planning; --refresh=false plans from the state alone")
)
export const target = Options.text("target").pipe(
  Options.withDescription("limit the work to this resource key and what it depends on (repeatable)"),
  Options.repeated
)
export const planOptions = { refresh, target }

export const applyOptions = {
  ...planOptions,
  yes: Options.boolean("yes").pipe(Options.withAlias("y"), Options.withDescription("apply without asking")),
  parallelism: Options.integer("parallelism").pipe(
    Options.withDefault(10),
    Options.withDescription("how many actions may run at once")
  ),
  onFailure: Options.choice("on-failure", ["abort", "rollback", "continue"]).pipe(
    Options.withDescription("what to do when an action fails and there is no terminal to ask (default abort)"),
    Options.optional
  ),
  retry: Options.text("retry").pipe(
    Options.withDescription(
      "override the file's retry policy, e.g. max-attempts=5,initial-delay=500ms,max-delay=10s,multiplier=2"
    ),
    Options.optional
  ),
  lockTimeout: Options.text("lock-timeout").pipe(
    Options.withDescription("wait this long for the state lock, e.g. 30s (default: fail at once)"),
    Options.optional
  )
}

export type ApplyCommandOptions = Common & {
  readonly refresh: boolean
  readonly target: ReadonlyArray<string>
  readonly yes: boolean
  readonly parallelism: number
  readonly onFailure: Option.Option<"abort" | "rollback" | "continue">
  readonly lockTimeout: Option.Option<string>
  readonly retry: Option.Option<string>
}

/**
 * A whole-number argument whose usage error names it (`COUNT: 'x' is not an integer`): @effect/cli's own
 * integer argument answers `'x' is not a integer`, naming nothing.
 */
export const integerArg = (name: string, description: string) =>
  Args.text({ name }).pipe(
    Args.mapEffect((text) =>
      /^-?\d+$/.test(text.trim())
        ? Effect.succeed(Number(text.trim()))
        : Effect.fail(HelpDoc.p(`${name}: '${text}' is not an integer`))
    ),
    Args.withDescription(description)
  )

export const printJson = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

export const encodePlan = Schema.encodeSync(Plan.Plan)

export const parseLockTimeout = (value: Option.Option<string>) =>
  Option.match(value, {
    onNone: () => Effect.succeed(undefined),
    onSome: (text) =>
      Option.match(Config.parseDuration(text), {
        onNone: () =>
          Effect.fail(
            new InvalidOption({ option: "--lock-timeout", reason: `"${text}" is not a duration such as 30s or 2m` })
          ),
        onSome: (duration) => Effect.succeed(Duration.toMillis(duration))
      })
  })

/** `--retry max-attempts=5,initial-delay=500ms`: the fields given replace the file's. */
export const parseRetry = (value: Option.Option<string>, base: Retry.RetryPolicy) =>
  Effect.gen(function* () {
    if (Option.isNone(value)) return base
    const invalid = (reason: string) => new InvalidOption({ option: "--retry", reason })
    let policy = base
    for (const part of value.value.split(",")) {
      const [field = "", text = ""] = part.split("=").map((piece) => piece.trim())
      const duration = () =>
        Option.match(Config.parseDuration(text), {
          onNone: () => Effect.fail(invalid(`${field}: "${text}" is not a duration such as 500ms or 2s`)),
          onSome: Effect.succeed
        })
      const number = Number(text)
      switch (field) {
        case "max-attempts":
          if (!Number.isInteger(number) || number < 1) return yield* invalid(`max-attempts must be 1 or more`)
          policy = { ...policy, maxAttempts: number }
          break
        case "initial-delay":
          policy = { ...policy, initialDelay: yield* duration() }
          break
        case "max-delay":
          policy = { ...policy, maxDelay: yield* duration() }
          break
        case "multiplier":
          if (!(number >= 1)) return yield* invalid("multiplier must be at least 1")
          policy = { ...policy, multiplier: number }
          break
        default:
          return yield* invalid(
            `unknown field "${field}" (max-attempts, initial-delay, max-delay, multiplier), as in max-attempts=5,initial-delay=1s`
          )
      }
    }
    return policy
  })
