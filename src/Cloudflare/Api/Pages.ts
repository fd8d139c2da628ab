/** Pages projects over the REST API: wrangler writes them; this list serves plans. */
import * as Schemas from "./Schemas.js"
import type { Result, Transport } from "./Transport.js"

export interface Pages {
  /** Every Pages project of the account, all pages followed. */
  readonly list: Result<ReadonlyArray<Schemas.PagesProject>>
}

/** The largest page the projects list accepts. */
export const pagesProjectsPerPage = 10

export const make = (transport: Transport): Pages => ({
  list: transport.listAccount("pages project list", ["pages", "projects"], Schemas.PagesProject, pagesProjectsPerPage)
})
