/**
 * What the simulators' and the sandbox's fault languages share: a spec is a comma-separated
 * list of rules, and targets are globs in which `*` matches any run of characters.
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

export const globMatches = (glob: string, text: string): boolean => {
  const pattern = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*")
  return new RegExp(`^${pattern}$`).test(text)
}

/** A comma-separated list of rules, each read by `parse` and written back by `format`; blank items are skipped. */
export const ruleList = <A>(
  rule: Schema.Schema<A>,
  parse: (spec: string) => Either.Either<A, string>,
  format: (rule: A) => string
) =>
  Schema.transformOrFail(Schema.String, Schema.Array(rule), {
    strict: true,
    decode: (text, _, ast) => {
      const rules: Array<A> = []
      for (const part of text.split(",")) {
        if (part.trim().length === 0) continue
        const parsed = parse(part)
        if (Either.isLeft(parsed)) return ParseResult.fail(new ParseResult.Type(ast, text, parsed.left))
        rules.push(parsed.right)
      }
      return ParseResult.succeed(rules)
    },
    encode: (rules) => ParseResult.succeed(rules.map((rule) => format(rule)).join(","))
  })
