/**
 * Faults the simulated Cloudflare API injects, and their spec language:
 *
 * ```
 * spec    := rule ("," rule)*
 * rule    := [method " "] path "=" kind ["*" count]
 * method  := GET | POST | PUT | PATCH | DELETE | *            (default *)
 * path    := a path under /client/v4; * matches any run of characters, / included
 * kind    := status [":" code]     that status with that API code (e.g. 503, 409:10004, 429:971)
 *          | "ratelimit:" seconds  opens a rate-limit window: every request, whatever its path,
 *                                  gets 429 with retry-after until the window closes
 *          | "hang"                never answers (the caller's timeout must stop it)
 * count   := a positive whole number: the rule affects the first `count` matching requests
 *            (a rate limit: opens that many windows); every one without a count
 * ```
 *
 * Example: `POST /accounts*=503*2, GET /zones*=ratelimit:2*1, /user/tokens/verify=hang`.
 * A status without a code gets the usual one: 429 → 10058 under R2, 971 elsewhere;
 * 401/403 → 10000; 5xx → 10001; other 4xx → 1000.
 */
import * as Either from "effect/Either"
import { globMatches, ruleList } from "../../Simulation/FaultSpec.js"
import { FaultRule } from "./Document.js"

export { FaultRule } from "./Document.js"

const methods: ReadonlyArray<string> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "*"]

/** The rule in spec form. */
export const format = (rule: FaultRule): string => {
  const kind =
    rule.kind._tag === "Status"
      ? `${rule.kind.status}${rule.kind.code === undefined ? "" : `:${rule.kind.code}`}`
      : rule.kind._tag === "RateLimit"
        ? `ratelimit:${rule.kind.seconds}`
        : "hang"
  return `${rule.method} ${rule.path}=${kind}${rule.times === undefined ? "" : `*${rule.times}`}`
}

export const matches = (rule: FaultRule, method: string, path: string): boolean =>
  (rule.method === "*" || rule.method === method.toUpperCase()) && globMatches(rule.path, path)

/** One rule, or why it is not one. */
export const parseRule = (spec: string): Either.Either<FaultRule, string> => {
  const text = spec.trim()
  const equals = text.lastIndexOf("=")
  if (equals <= 0) return Either.left(`"${text}" is not [METHOD] path=fault (e.g. POST /accounts/*/r2/buckets=503*2)`)
  const target = text.slice(0, equals).trim().split(/\s+/)
  const [method, path] = target.length === 1 ? ["*", target[0] ?? ""] : [(target[0] ?? "").toUpperCase(), target[1]]
  if (target.length > 2 || path === undefined) return Either.left(`"${text}": expected one method and one path`)
  if (!methods.includes(method)) return Either.left(`"${text}": unknown method "${method}" (${methods.join(", ")})`)
  if (!path.startsWith("/") && path !== "*") return Either.left(`"${text}": the path must start with / (or be *)`)
  const [kindText = "", times, ...rest] = text
    .slice(equals + 1)
    .trim()
    .split("*")
  if (rest.length > 0 || (times !== undefined && !/^[1-9][0-9]*$/.test(times))) {
    return Either.left(`"${text}": the count after * must be a positive whole number`)
  }
  const status = /^(\d{3})(?::(\d+))?$/.exec(kindText)
  const rateLimit = /^ratelimit:([1-9][0-9]*)$/.exec(kindText)
  const kind: FaultRule["kind"] | undefined =
    status !== null && Number(status[1]) >= 400 && Number(status[1]) <= 599
      ? {
          _tag: "Status",
          status: Number(status[1]),
          ...(status[2] === undefined ? {} : { code: Number(status[2]) })
        }
      : rateLimit !== null
        ? { _tag: "RateLimit", seconds: Number(rateLimit[1]) }
        : kindText === "hang"
          ? { _tag: "Hang" }
          : undefined
  if (kind === undefined) {
    return Either.left(`"${text}": unknown fault "${kindText}" (a status 400-599[:code], ratelimit:SECONDS or hang)`)
  }
  return Either.right({ method, path, kind, ...(times === undefined ? {} : { times: Number(times) }) })
}

/** A comma-separated list of rules. */
export const FaultSpec = ruleList(
  FaultRule,
  (spec) => parseRule(spec),
  (rule) => format(rule)
)

/** The API code a status fault answers with when the rule names none. */
export const defaultCode = (status: number, path: string): number => {
  if (status === 429) return isR2(path) ? 10058 : 971
  if (status === 401 || status === 403) return 10000
  if (status >= 500) return 10001
  return 1000
}

export const isR2 = (path: string): boolean => /^\/accounts\/[^/]+\/r2(\/|$)/.test(path)
