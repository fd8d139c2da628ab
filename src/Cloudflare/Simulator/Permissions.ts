/**
 * What an API token may do: the permission group each endpoint needs, as the API documents it
 * per operation (`x-api-token-group` in Cloudflare's OpenAPI schema) and the dashboard names it.
 * A request the token's permissions do not cover is refused as the API refuses it: 403, code
 * 10000, "Authentication error". Holding `Edit` includes `Read`.
 */
const groups: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/accounts\/[^/]+\/r2\//, "Workers R2 Storage"],
  [/^\/accounts\/[^/]+\/workers\/scripts\/[^/]+\/routes$/, "Workers Routes"],
  [/^\/zones\/[^/]+\/workers\/routes/, "Workers Routes"],
  [/^\/accounts\/[^/]+\/(workers|services)\//, "Workers Scripts"],
  [/^\/accounts\/[^/]+\/storage\/kv\//, "Workers KV Storage"],
  [/^\/accounts\/[^/]+\/pages\//, "Cloudflare Pages"],
  [/^\/zones\/[^/]+\/dns_records/, "DNS"],
  [/^\/zones(\/[^/]+)?$/, "Zone"]
]

/** The permission a request needs ("DNS: Edit"), or undefined when any valid token may make it. */
export const required = (method: string, path: string): string | undefined => {
  const group = groups.find(([pattern]) => pattern.test(path))?.[1]
  return group === undefined ? undefined : `${group}: ${method === "GET" ? "Read" : "Edit"}`
}

/** Whether `held` covers `needed`. */
export const covers = (held: ReadonlyArray<string>, needed: string): boolean =>
  held.includes(needed) || (needed.endsWith(": Read") && held.includes(needed.replace(/: Read$/, ": Edit")))
