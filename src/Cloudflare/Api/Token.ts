/** The API token itself: whether Cloudflare takes it, asked once before a plan relies on it. */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Errors from "./Errors.js"
import type { Result, Transport } from "./Transport.js"

const TokenStatus = Schema.Struct({ status: Schema.String })

export interface Token {
  /**
   * Succeeds when the token is active. A user token is verified at `/user/tokens/verify`; an
   * account-owned token is refused there and verified at `/accounts/{account}/tokens/verify`.
   */
  readonly verify: Result<void>
}

const verifyAt = (transport: Transport, path: ReadonlyArray<string>) =>
  transport.result({
    operation: "token verify",
    method: "GET",
    path,
    result: TokenStatus,
    idempotent: true
  })

export const make = (transport: Transport): Token => ({
  verify: Effect.gen(function* () {
    const token = yield* verifyAt(transport, ["user", "tokens", "verify"]).pipe(
      Effect.catchIf(
        (error) => error.reason === "auth",
        (refused) =>
          Effect.orElse(
            Effect.flatMap(transport.accountId("token verify"), (account) =>
              verifyAt(transport, ["accounts", account, "tokens", "verify"])
            ),
            () => Effect.fail(refused)
          )
      )
    )
    if (token.status !== "active") {
      return yield* Errors.make(
        "token verify",
        "auth",
        `token verify: the API token from ${Errors.tokenVariables} is ${token.status}, not active`
      )
    }
  })
})
