/** KV namespaces over the REST API: read to find the IDs of the namespaces a Worker binds by title. */
import * as Schemas from "./Schemas.js"
import type { Result, Transport } from "./Transport.js"

export interface Kv {
  /** Every KV namespace of the account, all pages followed. */
  readonly list: Result<ReadonlyArray<Schemas.KvNamespace>>
}

/** The largest page the namespaces list accepts. */
export const kvNamespacesPerPage = 100

export const make = (transport: Transport): Kv => ({
  list: transport.listAccount(
    "kv namespace list",
    ["storage", "kv", "namespaces"],
    Schemas.KvNamespace,
    kvNamespacesPerPage
  )
})
