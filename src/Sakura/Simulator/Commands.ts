/**
 * What each simulated usacloud command does to the simulated cloud and prints, in the order
 * usacloud v1 works: load the config (failures exit 0), validate the flags, resolve the
 * targets from ID, name or tag arguments, ask for confirmation, call the API, print.
 * This module runs the steps every command shares; `Dispatch` names the handler of each.
 */
import * as Effect from "effect/Effect"
import { hasFlag, stringFlag } from "./Args.js"
import { type Context, envValue, permittedZones, readPathOrContent, zoneOf } from "./Context.js"
import { execute } from "./Dispatch.js"
import type { SimulatorDocument } from "./Document.js"
import { Failure, fail, goJsonError, outputOf } from "./Failure.js"
import { type Output, print } from "./Print.js"
import { oneOf, validationError } from "./Validation.js"

export type { Context } from "./Context.js"
export { apiErrorText, Failure, outputOf } from "./Failure.js"
export type { Output } from "./Print.js"

/** What a run does once its change to the store is made. */
export type Outcome =
  | { readonly _tag: "Done"; readonly output: Output }
  /** Prints `output` once the clock reaches `until` (usacloud polling the API until a state is reached). */
  | { readonly _tag: "Wait"; readonly until: number; readonly output: Output }
  | { readonly _tag: "Hang" }

/** Go's `encoding/json` view of `--parameters`: an object whose keys name the command's flags (`Name`, `CPU`, `Tags`, ...). */
const applyParameters = (context: Context): Effect.Effect<Context, Failure> => {
  const raw = stringFlag(context.invocation, "parameters")
  if (raw === undefined || raw === "") return Effect.succeed(context)
  const text = readPathOrContent(raw)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return Effect.fail(new Failure({ text: goJsonError(text), stage: "config" }))
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return Effect.fail(
      new Failure({
        text: `json: cannot unmarshal ${Array.isArray(parsed) ? "array" : typeof parsed} into Go value`,
        stage: "config"
      })
    )
  }
  const flags = new Map(context.invocation.flags)
  const kebab = (key: string) =>
    key
      .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
      .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
      .toLowerCase()
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    const name = kebab(key) === "memory-gb" ? "memory" : kebab(key)
    // Flags on the command line win: usacloud parses them again after loading the file.
    if (context.invocation.spec.flags[name] === undefined || context.invocation.flags.has(name)) continue
    if (Array.isArray(value))
      flags.set(
        name,
        value.map((item) => String(item))
      )
    else if (typeof value === "boolean") flags.set(name, value)
    else if (typeof value === "string" || typeof value === "number") flags.set(name, String(value))
  }
  return Effect.succeed({ ...context, invocation: { ...context.invocation, flags } })
}

const warningFor = (context: Context): string =>
  context.invocation.spec.resource === "auth-status"
    ? "[WARN] auth-status is deprecated. Please use 'usacloud rest https://secure.sakura.ad.jp/cloud/api/iam/1.0/auth/context' instead.\n"
    : ""

/** Runs one parsed invocation against `document`: what to print, and the document after it. */
export const run = (base: Context, document: SimulatorDocument): Effect.Effect<readonly [Outcome, SimulatorDocument]> =>
  Effect.gen(function* () {
    const warnings = warningFor(base)
    const mode = stringFlag(base.invocation, "argument-match-mode") ?? envValue(base.env, "ARGUMENT_MATCH_MODE")
    if (mode !== undefined && mode !== "partial" && mode !== "exact") {
      yield* Effect.fail(
        new Failure({
          text: "validation error:\n\t--argument-match-mode: must be one of [partial/exact]",
          stage: "config"
        })
      )
    }
    const context = yield* applyParameters(base)
    const { invocation } = context
    for (const flag of ["format", "query", "generate-skeleton", "example"]) {
      if (hasFlag(invocation, flag)) return yield* fail(`usacloud simulator: --${flag} is not simulated`)
    }
    const errors: Array<string> = []
    if (invocation.spec.zoned) {
      const zone = zoneOf(context)
      if (zone === undefined) errors.push("--zone: required")
      else errors.push(...oneOf("zone", zone, ["all", ...permittedZones(context)]))
    }
    errors.push(...oneOf("output-type", stringFlag(invocation, "output-type"), ["table", "json", "yaml"]))
    yield* validationError(errors)
    if (stringFlag(invocation, "output-type") === "yaml")
      return yield* fail("usacloud simulator: -o yaml is not simulated")
    const result = yield* execute(context, document)
    if (result.error !== undefined) {
      const failed = outputOf(new Failure({ text: result.error, stage: "command" }), warnings)
      return [{ _tag: "Done", output: failed } as const, result.document] as const
    }
    const output = print(context, result.values, warnings)
    if (result.failAfterWait !== undefined) {
      const failed = outputOf(new Failure({ text: result.failAfterWait, stage: "command" }), warnings)
      return [{ _tag: "Wait", until: result.until ?? context.now, output: failed } as const, result.document] as const
    }
    if (result.until !== undefined && result.until > context.now) {
      return [{ _tag: "Wait", until: result.until, output } as const, result.document] as const
    }
    return [{ _tag: "Done", output } as const, result.document] as const
  }).pipe(
    Effect.catchAll((failure) =>
      Effect.succeed([{ _tag: "Done", output: outputOf(failure, warningFor(base)) } as const, document] as const)
    )
  )
