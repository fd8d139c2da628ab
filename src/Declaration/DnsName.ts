/**
 * DNS names as Cloudflare accepts them: at most 253 characters, labels of 1 to 63, no empty label (`a..b`),
 * letters, digits, `-` and `_` (`_dmarc`), and `*` only as a whole first label.
 */
import * as Either from "effect/Either"
import { type ConfigError, configError, type Location } from "./ConfigError.js"

const maxName = 253
const maxLabel = 63
// Letters past ASCII are left to the cloud (an internationalized name is sent as written).
const labelCharacters = /^[A-Za-z0-9_\-\u0080-\uffff]+$/

/** Why `name` is not a DNS name, or `undefined` when it is one. A trailing `.` is allowed. */
export const dnsNameProblem = (name: string): string | undefined => {
  const bare = name.endsWith(".") ? name.slice(0, -1) : name
  if (bare.length > maxName) return `it is ${bare.length} characters long, over ${maxName}`
  const labels = bare.split(".")
  for (const [index, label] of labels.entries()) {
    if (label === "") return "it has an empty label (two dots in a row, or a dot at the start)"
    if (label.length > maxLabel)
      return `its label \`${label.slice(0, 20)}…\` is ${label.length} characters, over ${maxLabel}`
    if (label === "*" && index === 0) continue
    if (!labelCharacters.test(label)) return `its label \`${label}\` has characters other than letters, digits, - and _`
  }
  return undefined
}

export const checkDnsName = (name: string, at: Location, what: string): Either.Either<string, ConfigError> => {
  const problem = dnsNameProblem(name)
  return problem === undefined
    ? Either.right(name)
    : Either.left(
        configError(
          at,
          `${what} \`${name.length > 80 ? name.slice(0, 80) + "…" : name}\` is not a valid DNS name: ${problem}`,
          "labels are 1 to 63 characters, the whole name at most 253"
        )
      )
}
