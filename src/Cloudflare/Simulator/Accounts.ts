/**
 * What wrangler and clients use to discover who they are: the token check, the accounts and
 * the memberships. The token is an account-less API token, so `/user` is refused with 9109
 * (wrangler then shows no e-mail address).
 */
import * as Effect from "effect/Effect"
import type { Account } from "./Document.js"
import { answer, fail, type Handler, isoDate, pageOf, paginate } from "./Envelope.js"

export const codes = { validation: 1004, unauthorized: 9109 } as const

/** The ID the simulator reports for its one token. */
export const tokenId = "ed17574386854bf78a67040be0a770b0"

const accountView = (account: Account) => ({
  id: account.id,
  name: account.name,
  type: "standard",
  settings: { enforce_twofactor: false },
  created_on: isoDate(0)
})

export const verifyToken: Handler = (_call, document) =>
  answer({ id: tokenId, status: "active", not_before: null, expires_on: null }, document)

export const getUser: Handler = () => fail(403, codes.unauthorized, "Unauthorized to access requested resource")

export const listAccounts: Handler = (call, document) =>
  Effect.gen(function* () {
    const { page, perPage } = yield* pageOf(call, 20, 50, codes.validation)
    const name = call.query.get("name")
    const accounts = document.accounts.filter((account) => name === null || account.name === name)
    const { items, info } = paginate(accounts, page, perPage)
    return yield* answer(
      items.map((account) => accountView(account)),
      document,
      info
    )
  })

export const getAccount: Handler = (call, document) => {
  const account = document.accounts.find((item) => item.id === call.params.account)
  return account === undefined
    ? fail(403, codes.unauthorized, "Unauthorized to access requested resource")
    : answer(accountView(account), document)
}

export const listMemberships: Handler = (call, document) =>
  Effect.gen(function* () {
    const { page, perPage } = yield* pageOf(call, 20, 50, codes.validation)
    const { items, info } = paginate(document.accounts, page, perPage)
    return yield* answer(
      items.map((account) => ({
        id: account.id.split("").reverse().join(""),
        account: { id: account.id, name: account.name },
        roles: ["Administrator"],
        status: "accepted",
        permissions: {}
      })),
      document,
      info
    )
  })
