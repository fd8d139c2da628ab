/**
 * Fault injection: rules that make matching calls fail (transient or permanent) or hang,
 * and the spec language of `FLEETFLOW_SANDBOX_FAULTS`
 * (`create:cloudflare:dns:*=permanent,update:*=transient*2,delete:sakura-cloud:server:web=hang`).
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { ResourceKey } from "../Resource.js"
import { globMatches, ruleList } from "../Simulation/FaultSpec.js"

export const Operation = Schema.Literal("create", "update", "delete", "read")
export type Operation = typeof Operation.Type

export const FaultKind = Schema.Literal("transient", "permanent", "hang")
export type FaultKind = typeof FaultKind.Type

export const FaultRule = Schema.Struct({
  operation: Schema.Literal("create", "update", "delete", "read", "*"),
  /** A resource key; `*` matches any run of characters. */
  key: Schema.NonEmptyString,
  kind: FaultKind,
  /** How many calls it affects. Default: 1 for transient, every call otherwise. */
  times: Schema.optional(Schema.Int.pipe(Schema.positive()))
})
export type FaultRule = typeof FaultRule.Type

/** The rule in spec form; it also identifies the rule's use count in the store. */
export const format = (rule: FaultRule): string =>
  `${rule.operation}:${rule.key}=${rule.kind}${rule.times === undefined ? "" : `*${rule.times}`}`

export const limitOf = (rule: FaultRule): number =>
  rule.times ?? (rule.kind === "transient" ? 1 : Number.POSITIVE_INFINITY)

export const matches = (rule: FaultRule, operation: Operation, key: ResourceKey): boolean =>
  (rule.operation === "*" || rule.operation === operation) && globMatches(rule.key, key)

const operations: ReadonlyArray<string> = [...Operation.literals, "*"]
const kinds: ReadonlyArray<string> = FaultKind.literals

/** One `operation:key=kind[*times]`, or why it is not one. */
export const parseRule = (spec: string): Either.Either<FaultRule, string> => {
  const text = spec.trim()
  const colon = text.indexOf(":")
  const equals = text.lastIndexOf("=")
  if (colon < 0 || equals < colon) {
    return Either.left(`"${text}" is not operation:key=kind (e.g. create:cloudflare:dns:*=transient*2)`)
  }
  const operation = text.slice(0, colon)
  const key = text.slice(colon + 1, equals)
  const [kind = "", times, ...rest] = text.slice(equals + 1).split("*")
  if (!operations.includes(operation)) {
    return Either.left(`"${text}": unknown operation "${operation}" (one of ${operations.join(", ")})`)
  }
  if (key.length === 0) return Either.left(`"${text}": the key is empty (use * for every key)`)
  if (!kinds.includes(kind)) return Either.left(`"${text}": unknown fault "${kind}" (one of ${kinds.join(", ")})`)
  if (rest.length > 0 || (times !== undefined && !/^[1-9][0-9]*$/.test(times))) {
    return Either.left(`"${text}": the count after * must be a positive whole number`)
  }
  return Either.right({
    operation: operation as FaultRule["operation"],
    key,
    kind: kind as FaultKind,
    ...(times === undefined ? {} : { times: Number(times) })
  })
}

/** A comma-separated list of rules, as `FLEETFLOW_SANDBOX_FAULTS` holds it. */
export const FaultSpec = ruleList(
  FaultRule,
  (spec) => parseRule(spec),
  (rule) => format(rule)
)
