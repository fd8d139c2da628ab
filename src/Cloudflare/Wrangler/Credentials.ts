/**
 * What a run needs before any process starts: the token, the account and the API root read
 * from the settings and the environment, and the wrangler binary. Each missing piece fails the
 * command it was needed for.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Redacted from "effect/Redacted"
import * as Environment from "../Api/Environment.js"
import * as ApiErrors from "../Api/Errors.js"
import * as Binary from "./Binary.js"
import * as Errors from "./Errors.js"

export interface Prepared {
  readonly binary: string
  readonly token: Redacted.Redacted<string>
  readonly accountId: string
  /** Absent for Cloudflare's own API root. */
  readonly baseUrl?: string | undefined
}

const setting = <A>(command: string, value: Either.Either<A, Environment.Problem>) =>
  Either.match(value, {
    onRight: (a) => Effect.succeed(a),
    onLeft: (problem) => {
      const error = problem(command)
      // A missing token or account is a credentials problem, whatever the REST client calls it.
      const missing = problem === ApiErrors.missingToken || problem === ApiErrors.missingAccount
      return Effect.fail(Errors.make(command, missing ? "auth" : error.reason, error.message, { hint: error.hint }))
    }
  })

/** Credentials and the binary, checked before any process starts. */
export const prepare = (
  found: Environment.Environment,
  chosen: Binary.Choice | undefined,
  command: string
): Effect.Effect<Prepared, Errors.WranglerError> =>
  Effect.gen(function* () {
    const token = yield* setting(command, found.token)
    const accountId = yield* setting(command, found.accountId)
    const baseUrl = yield* setting(command, found.baseUrl)
    const binary = yield* Binary.find(chosen).pipe(
      Effect.mapError((error) => Errors.make(command, error.reason, error.message))
    )
    return {
      binary,
      token,
      accountId,
      ...(baseUrl === Environment.defaultBaseUrl ? {} : { baseUrl })
    }
  })
