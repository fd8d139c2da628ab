/**
 * The upload tokens the simulator issues for Pages (`…/upload-token`): HS256 JWTs signed with
 * a key derived from the API token, so every simulator serving the same store and token accepts
 * them and the store holds no secret. wrangler reads `exp` and `max_file_count_allowed` from them.
 */
import * as Crypto from "node:crypto"

export interface UploadClaims {
  readonly accountId: string
  readonly projectName: string
  /** Epoch seconds. */
  readonly exp: number
}

/** The key upload tokens are signed with, for the API token `token`. */
export const signingKey = (token: string): string =>
  Crypto.createHash("sha256").update(`fleetflow-simulator:pages-upload:${token}`).digest("hex")

const base64url = (text: string) => Buffer.from(text).toString("base64url")

const signature = (input: string, key: string) => Crypto.createHmac("sha256", key).update(input).digest("base64url")

/** How many files one Pages deployment may hold. */
export const maxFileCount = 20000

export const sign = (claims: UploadClaims, key: string, now: number): string => {
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))
  const payload = base64url(
    JSON.stringify({
      account_id: claims.accountId,
      project_name: claims.projectName,
      iat: Math.floor(now / 1000),
      exp: claims.exp,
      max_file_count_allowed: maxFileCount
    })
  )
  return `${header}.${payload}.${signature(`${header}.${payload}`, key)}`
}

/** The claims of `jwt` when the simulator signed it with `key` and it has not expired at `now`. */
export const verify = (jwt: string, key: string, now: number): UploadClaims | undefined => {
  const [header, payload, signed, ...rest] = jwt.split(".")
  if (header === undefined || payload === undefined || signed === undefined || rest.length > 0) return undefined
  const expected = Buffer.from(signature(`${header}.${payload}`, key))
  const actual = Buffer.from(signed)
  if (expected.length !== actual.length || !Crypto.timingSafeEqual(expected, actual)) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>
    const { account_id: accountId, project_name: projectName, exp } = claims
    if (typeof accountId !== "string" || typeof projectName !== "string" || typeof exp !== "number") return undefined
    return exp * 1000 > now ? { accountId, projectName, exp } : undefined
  } catch {
    return undefined
  }
}
