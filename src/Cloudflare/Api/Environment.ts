/**
 * Where the API is and who calls it, read once from the environment with `effect/Config`.
 * Nothing here fails: a missing or unusable value becomes the error of the first call that
 * needs it, so a stage without Cloudflare resources never asks for a token.
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as Errors from "./Errors.js"

export const defaultBaseUrl = "https://api.cloudflare.com/client/v4"

/** The error a call gets when a setting is missing; it takes the call's operation. */
export type Problem = (operation: string) => Errors.CloudflareError

export interface Environment {
  /** The API root with `/client/v4` and no trailing slash. */
  readonly baseUrl: Either.Either<string, Problem>
  readonly token: Either.Either<Redacted.Redacted<string>, Problem>
  readonly accountId: Either.Either<string, Problem>
}

export interface Overrides {
  /** `account-id` from the cloudflare provider block. */
  readonly accountId?: string | undefined
  readonly token?: Redacted.Redacted<string> | undefined
  readonly baseUrl?: string | undefined
}

const text = (name: string) =>
  Config.string(name).pipe(
    Config.withDefault(""),
    Config.map((value) => value.trim())
  )

type Token =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Unusable"; readonly variable: string }
  | { readonly _tag: "Found"; readonly token: Redacted.Redacted<string> }

// The value is wrapped as soon as it is read; only its shape is looked at, never printed.
const token = (name: string) =>
  text(name).pipe(
    Config.map((value): Token => {
      if (value === "") return { _tag: "Missing" }
      if (!/^[\x21-\x7e]+$/.test(value)) return { _tag: "Unusable", variable: name }
      return { _tag: "Found", token: Redacted.make(value) }
    })
  )

const validAccountId = (value: string) => /^[A-Za-z0-9_-]{1,64}$/.test(value)

export const baseUrlFrom = (variable: string, raw: string): Either.Either<string, Problem> => {
  const value = raw.replace(/\/+$/, "")
  const refuse = (why: string) =>
    Either.left<Problem>((operation) => Errors.invalidBaseUrl(operation, variable, raw, why))
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return refuse("not a URL")
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return refuse("not http or https")
  if (url.search !== "" || url.hash !== "") return refuse("it has a query or a fragment")
  if (!url.pathname.endsWith("/client/v4")) return refuse("the path must end with /client/v4")
  return Either.right(value)
}

const tokenFrom = (found: ReadonlyArray<Token>): Either.Either<Redacted.Redacted<string>, Problem> => {
  for (const candidate of found) {
    if (candidate._tag === "Found") return Either.right(candidate.token)
    if (candidate._tag === "Unusable") {
      const variable = candidate.variable
      return Either.left((operation) => Errors.unusableToken(operation, variable))
    }
  }
  return Either.left(Errors.missingToken)
}

const accountFrom = (
  sources: ReadonlyArray<readonly [source: string, value: string | undefined]>
): Either.Either<string, Problem> => {
  for (const [source, raw] of sources) {
    const value = raw?.trim() ?? ""
    if (value === "") continue
    if (!validAccountId(value)) return Either.left((operation) => Errors.invalidAccount(operation, source, value))
    return Either.right(value)
  }
  return Either.left(Errors.missingAccount)
}

/**
 * The base URL from `CLOUDFLARE_API_BASE_URL` (wrangler's deprecated `CF_API_BASE_URL` too, so
 * the REST client and wrangler never talk to different endpoints); the token from `CF_API_TOKEN`,
 * else `CLOUDFLARE_API_TOKEN`; the account from the configuration, else `CF_ACCOUNT_ID`, else
 * `CLOUDFLARE_ACCOUNT_ID`. `overrides` win over the environment.
 */
export const read = (overrides: Overrides = {}): Effect.Effect<Environment> =>
  Effect.gen(function* () {
    const values = yield* Config.all({
      baseUrl: text("CLOUDFLARE_API_BASE_URL"),
      legacyBaseUrl: text("CF_API_BASE_URL"),
      cfToken: token("CF_API_TOKEN"),
      cloudflareToken: token("CLOUDFLARE_API_TOKEN"),
      cfAccountId: text("CF_ACCOUNT_ID"),
      cloudflareAccountId: text("CLOUDFLARE_ACCOUNT_ID")
    }).pipe(
      // A ConfigProvider that cannot be read counts as an empty environment.
      Effect.orElseSucceed(() => ({
        baseUrl: "",
        legacyBaseUrl: "",
        cfToken: { _tag: "Missing" } as Token,
        cloudflareToken: { _tag: "Missing" } as Token,
        cfAccountId: "",
        cloudflareAccountId: ""
      }))
    )
    const baseUrl =
      overrides.baseUrl !== undefined
        ? baseUrlFrom("the base URL setting", overrides.baseUrl)
        : values.baseUrl !== ""
          ? baseUrlFrom("CLOUDFLARE_API_BASE_URL", values.baseUrl)
          : values.legacyBaseUrl !== ""
            ? baseUrlFrom("CF_API_BASE_URL", values.legacyBaseUrl)
            : Either.right(defaultBaseUrl)
    return {
      baseUrl,
      token:
        overrides.token !== undefined
          ? Either.right(overrides.token)
          : tokenFrom([values.cfToken, values.cloudflareToken]),
      accountId: accountFrom([
        ["the configuration's account-id", overrides.accountId],
        ["CF_ACCOUNT_ID", values.cfAccountId],
        ["CLOUDFLARE_ACCOUNT_ID", values.cloudflareAccountId]
      ])
    }
  })
