/**
 * usacloud's flag validation (`validation error:` with one line per broken rule) and the
 * checks the API itself makes on what it is sent.
 */
import * as Effect from "effect/Effect"
import { stringFlag } from "./Args.js"
import type { Context } from "./Context.js"
import { apiError, fail, goQuote } from "./Failure.js"

export const validationError = (errors: ReadonlyArray<string>) =>
  errors.length === 0 ? Effect.void : fail(`validation error:\n${errors.map((error) => `\t${error}`).join("\n")}`)

export const oneOf = (
  flag: string,
  value: string | undefined,
  options: ReadonlyArray<string>
): ReadonlyArray<string> =>
  value === undefined || value === "" || options.includes(value) ? [] : [`--${flag}: oneof=${options.join(" ")}`]

export const required = (context: Context, flag: string): ReadonlyArray<string> => {
  const value = context.invocation.flags.get(flag)
  return value === undefined || value === "" || value === "0" ? [`--${flag}: required`] : []
}

/** usacloud's `tags` rule (unique, at most 10, each at most 32 characters). */
export const tagRules = (flag: string, tags: ReadonlyArray<string> | undefined): ReadonlyArray<string> => {
  if (tags === undefined) return []
  const errors: Array<string> = []
  if (new Set(tags).size !== tags.length) errors.push(`--${flag}: unique`)
  if (tags.length > 10) errors.push(`--${flag}: max=10`)
  tags.forEach((tag, index) => {
    if ([...tag].length > 32) errors.push(`--${flag}[${index}]: max=32`)
  })
  return errors
}

/** What the API itself refuses in a tag: empty ones, white space and control characters. */
export const checkTagCharacters = (context: Context, tags: ReadonlyArray<string>) => {
  const bad = tags.find((tag) => tag.length === 0 || /[\s\p{Cc}]/u.test(tag))
  return bad === undefined
    ? Effect.void
    : apiError(context, 400, `不適切な要求です。タグに使用できない文字が含まれています: ${goQuote(bad)}`)
}

export const descriptionRule = (context: Context): ReadonlyArray<string> =>
  [...(stringFlag(context.invocation, "description") ?? "")].length > 512 ? ["--description: max=512"] : []
