/**
 * A Schema decoding failure as one line for an error message: the first few problems, each at
 * its place in the value (`at servers[0].ID: Expected string`), and how many more there are.
 */
import * as ParseResult from "effect/ParseResult"

const pathOf = (path: ReadonlyArray<PropertyKey>) =>
  path
    .map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`))
    .join("")
    .replace(/^\./, "")

const issuesOf = (error: ParseResult.ParseError): ReadonlyArray<ParseResult.ArrayFormatterIssue> => {
  try {
    return ParseResult.ArrayFormatter.formatErrorSync(error)
  } catch {
    // Describing a value recurses with it: JSON nested thousands deep overflows the stack.
    return [{ _tag: "Type", path: [], message: "a value nested too deeply to describe" }]
  }
}

export const describe = (error: ParseResult.ParseError, limit = 3): string => {
  const issues = issuesOf(error)
  const shown = issues.slice(0, limit).map((issue) => {
    const path = pathOf(issue.path)
    return path === "" ? issue.message : `at ${path}: ${issue.message}`
  })
  return [...shown, ...(issues.length > limit ? [`and ${issues.length - limit} more`] : [])].join("; ")
}
