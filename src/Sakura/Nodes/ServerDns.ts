/**
 * A server's own DNS names: the `dns` block (`dns { hostname "app" }`) and `dns-aliases`, in the zone of the block,
 * else the default DNS zone.
 */
import type * as Either from "effect/Either"
import {
  all,
  allStrings,
  block,
  type Block,
  checkDnsName,
  type ConfigError,
  configError,
  type DecodeContext,
  decoding,
  type Location,
  markEnvironmental,
  one,
  optionalString,
  refuse
} from "../../Declaration.js"

export interface ServerDnsSpec {
  readonly hostname: string
  readonly aliases: ReadonlyArray<string>
  readonly zone: string
  readonly at: Location
}

export const decodeServerDns = (
  context: DecodeContext,
  fields: Block
): Either.Either<ServerDnsSpec | undefined, ConfigError> =>
  decoding((take) => {
    const env = context.env
    const dnsField = one(fields, "dns")
    const aliasFields = all(fields, "dns-aliases")
    if (dnsField === undefined && aliasFields.length === 0) return undefined
    let hostname: string | undefined
    let zone: string | undefined
    const aliases: Array<string> = []
    if (dnsField?.node !== undefined) {
      const dns = take(block(dnsField.node, ["hostname", "aliases", "zone"], { props: true }))
      hostname = take(optionalString(env, one(dns, "hostname")))
      zone = take(optionalString(env, one(dns, "zone")))
      aliases.push(...take(allStrings(env, dns, "aliases")))
    }
    aliases.push(...take(allStrings(env, fields, "dns-aliases")))
    const at = dnsField?.at ?? aliasFields[0]!.at
    if (hostname === undefined) {
      return refuse(take, configError(at, "`dns` is missing `hostname`", 'write dns { hostname "app" }'))
    }
    zone ??= context.dnsZone
    if (zone === undefined) {
      return refuse(
        take,
        markEnvironmental(
          configError(
            at,
            "no DNS zone for this server's records",
            'set providers { cloudflare { zone "example.com" } }, zone in the dns block, or CLOUDFLARE_DOMAIN'
          )
        )
      )
    }
    for (const name of [hostname, ...aliases]) {
      const full = name === "@" || name.endsWith(zone) ? name.replace(/^@$/, zone) : `${name}.${zone}`
      take(checkDnsName(full, at, "the server's DNS name"))
    }
    const spec: ServerDnsSpec = { hostname, aliases, zone, at }
    return spec
  })
