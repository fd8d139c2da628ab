/**
 * What the Sakura Cloud nodes declare: the cloud's own types, and the DNS records of a server's host name
 * (a Cloudflare type, in the shape the configuration checks against Cloudflare's model).
 */
import type { Reference } from "../../Resource.js"
import type * as Model from "../Model.js"

/** The A record of a server's host name, or the CNAME of one of its aliases. */
export interface HostRecord {
  readonly zone: string
  readonly name: string
  readonly type: "A" | "CNAME"
  readonly content: string | Reference
  readonly proxied: boolean
  readonly ttl: number
}

export type Declared = Model.Declared & { readonly dns: HostRecord }
