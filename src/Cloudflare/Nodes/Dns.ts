/**
 * The `dns` node: a Cloudflare DNS zone and its records, whose values may point at a server (`server.NAME.ip`).
 */
import * as Either from "effect/Either"
import { isIPv4, isIPv6 } from "node:net"
import {
  all,
  block,
  checkDnsName,
  checkProvider,
  checkRange,
  type Collector,
  type ConfigError,
  configError,
  type DecodeContext,
  decoding,
  didYouMean,
  type Entry,
  type Env,
  everyError,
  fieldBoolean,
  fieldChoice,
  fieldValue,
  ifWritten,
  type KdlNode,
  listOf,
  type Location,
  missing,
  one,
  optional,
  optionalInteger,
  ref,
  referenceAttributes,
  refuse,
  resourceName,
  type StageView,
  stringValue
} from "../../Declaration.js"
import { makeKey, type Reference, type ResourceKey } from "../../Resource.js"
import { type Declared, type DnsRecordType, dnsRecordTypes } from "../Model.js"

export interface ServerReference {
  readonly server: string
  readonly attribute: string
}

export interface RecordSpec {
  readonly name: string
  /** The value as written, for a `server.x.y` that turns out not to be a reference. */
  readonly written: string
  readonly fqdn: string
  readonly type: DnsRecordType
  readonly content: string | ServerReference
  readonly proxied: boolean
  readonly ttl: number
  readonly priority?: number | undefined
  readonly at: Location
}

export interface DnsZoneSpec {
  readonly type: "dns"
  readonly name: string
  readonly at: Location
  readonly records: ReadonlyArray<RecordSpec>
}

/** `name.zone` unless the name already ends with the zone; `@` is the apex. */
export const qualify = (name: string, zone: string): string => {
  const lower = name.toLowerCase().replace(/\.$/, "")
  if (lower === "@" || lower === "") return zone
  // Joined, not concatenated: one flat string, kept with the record and its resource.
  return lower === zone || lower.endsWith("." + zone) ? lower : [lower, zone].join(".")
}

/** `server.<name>.<attribute>`, else undefined. */
export const parseReference = (text: string): ServerReference | undefined => {
  if (!text.startsWith("server.")) return undefined
  const rest = text.slice("server.".length)
  const dot = rest.lastIndexOf(".")
  if (dot <= 0 || dot === rest.length - 1) return undefined
  return { server: rest.slice(0, dot), attribute: rest.slice(dot + 1) }
}

/** What an address record holds, and the reference that names such an address instead. */
const addressFamilies: Partial<
  Record<
    DnsRecordType,
    { readonly family: string; readonly isAddress: (text: string) => boolean; readonly attribute: string }
  >
> = {
  A: { family: "IPv4", isAddress: isIPv4, attribute: "ip" },
  AAAA: { family: "IPv6", isAddress: isIPv6, attribute: "ipv6" }
}

/** A and AAAA records hold addresses of their family. */
export const checkAddress = (type: DnsRecordType, text: string, at: Location): Either.Either<void, ConfigError> => {
  const address = addressFamilies[type]
  if (address === undefined || address.isAddress(text)) return Either.void
  return Either.left(
    configError(
      at,
      `an ${type} record needs an ${address.family} address, got ${JSON.stringify(text)}`,
      `or a reference such as server.NAME.${address.attribute}`
    )
  )
}

const decodeRecord = (env: Env, zone: string, node: KdlNode) =>
  decoding((take) => {
    const fields = take(
      block(node, ["type", "value", "proxied", "ttl", "priority"], {
        props: true,
        aliases: { content: "value" }
      })
    )
    const first = node.args[0]
    if (first === undefined) {
      return refuse(
        take,
        configError(node.at, "`record` needs a name", 'write record "api" type="A" value="192.0.2.1"')
      )
    }
    const name = take(stringValue(env, first, "the record name"))
    const typeField = one(fields, "type")
    if (typeField === undefined) return refuse(take, missing(node, "`type`", `valid types: ${listOf(dnsRecordTypes)}`))
    const type = take(fieldChoice(env, typeField, dnsRecordTypes, "record type", (text) => text.toUpperCase()))
    const valueField = one(fields, "value")
    if (valueField === undefined) return refuse(take, missing(node, "`value`", 'write value="..." (or content="...")'))
    const raw = take(fieldValue(env, valueField))
    const text = typeof raw.value === "number" ? String(raw.value) : take(stringValue(env, raw, "`value`"))
    // Whether `server.x.y` is a reference or a host name is settled against the stage's servers later.
    const reference = parseReference(text)
    if (reference === undefined) take(checkAddress(type, text, raw.at))
    const proxiedField = one(fields, "proxied")
    const proxied = take(ifWritten(proxiedField, (field) => fieldBoolean(env, field))) ?? false
    if (proxied && type !== "A" && type !== "AAAA" && type !== "CNAME") {
      return refuse(
        take,
        configError(proxiedField!.at, `a ${type} record cannot be proxied`, "only A, AAAA and CNAME records can be")
      )
    }
    const ttlField = one(fields, "ttl")
    const ttl = take(optionalInteger(env, ttlField, 1)) ?? 1
    if (ttl !== 1 && (ttl < 60 || ttl > 86400)) {
      return refuse(
        take,
        configError(ttlField!.at, `\`ttl\` must be 1 (automatic) or between 60 and 86400, got ${ttl}`)
      )
    }
    const priorityField = one(fields, "priority")
    const priority = take(optionalInteger(env, priorityField, 0))
    if (priority !== undefined)
      take(checkRange(priority, { minimum: 0, maximum: 65535 }, priorityField!.at, "`priority`"))
    if (type === "MX" && priority === undefined) {
      return refuse(take, missing(node, "`priority` (MX records need one)", "write priority=10"))
    }
    const fqdn = take(checkDnsName(qualify(name, zone), first.at, "the record name"))
    const spec: RecordSpec = {
      name,
      fqdn,
      type,
      content: reference !== undefined ? reference : text,
      written: text,
      proxied,
      ttl,
      at: node.at,
      ...optional("priority", priority)
    }
    return spec
  })

export const decodeDnsZone = (context: DecodeContext, node: KdlNode): Either.Either<DnsZoneSpec, ConfigError> =>
  decoding((take) => {
    const env = context.env
    const zone = take(resourceName(env, node)).toLowerCase().replace(/\.$/, "")
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(zone)) {
      return refuse(
        take,
        configError(node.args[0]!.at, `\`${zone}\` is not a DNS zone name`, 'write dns "example.com" { ... }')
      )
    }
    take(checkDnsName(zone, node.args[0]!.at, "the zone"))
    const fields = take(block(node, ["provider", "record"]))
    take(checkProvider(env, fields, "cloudflare"))
    const records = take(everyError(all(fields, "record"), (field) => decodeRecord(env, zone, field.node!)))
    const spec: DnsZoneSpec = { type: "dns", name: zone, at: node.at, records }
    return spec
  })

/**
 * Settles `server.<name>.<attribute>` values against the servers of the stage: a known server
 * needs a known attribute; an unknown server with a known attribute is a dangling reference;
 * anything else is a plain value (a host name such as `server.example.com`).
 */
const settleRecord = (record: RecordSpec, servers: ReadonlyArray<Entry>, names: ReadonlySet<string>) =>
  decoding((take) => {
    if (typeof record.content === "string") return record
    const { server, attribute } = record.content
    const validAttribute = (referenceAttributes as ReadonlyArray<string>).includes(attribute)
    if (names.has(server) && validAttribute) return record
    if (names.has(server)) {
      return refuse(
        take,
        configError(
          record.at,
          `unknown attribute \`${attribute}\` in \`server.${server}.${attribute}\``,
          `${didYouMean(attribute, referenceAttributes) ?? ""} valid attributes: ${listOf(referenceAttributes)}`.trim()
        )
      )
    }
    if (validAttribute) {
      const known = servers.map((entry) => entry.name)
      return refuse(
        take,
        configError(
          record.at,
          `dangling reference \`server.${server}.${attribute}\`: no server \`${server}\` in this stage`,
          didYouMean(server, known) ?? (known.length === 0 ? "this stage has no servers" : `servers: ${listOf(known)}`)
        )
      )
    }
    take(checkAddress(record.type, record.written, record.at))
    const literal: RecordSpec = { ...record, content: record.written }
    return literal
  })

/** A zone with each of its `server.NAME.ATTRIBUTE` values settled against the servers of its stage. */
export const settleDnsZone = (zone: DnsZoneSpec, stage: StageView): Either.Either<DnsZoneSpec, ConfigError> => {
  const servers = stage("server")
  const names = new Set(servers.flatMap((server) => server.names))
  return Either.map(
    everyError(zone.records, (record) => settleRecord(record, servers, names)),
    (records): DnsZoneSpec => ({ ...zone, records })
  )
}

/** A resource per record; a record naming a server points at its first replica, which it depends on. */
export const expandDns = (zone: DnsZoneSpec, collector: Collector<Declared>, stage: StageView) =>
  Either.gen(function* () {
    const replicas = new Map(stage("server").map((server) => [server.name, server.names]))
    // Once per zone: made per record, it made a zone of records on many servers quadratic.
    const known = new Set([...replicas.values()].flat())
    for (const record of zone.records) {
      let content: string | Reference
      const dependsOn: Array<ResourceKey> = []
      if (typeof record.content === "string") content = record.content
      else {
        const { server, attribute } = record.content
        // A scaled server's base name means its first replica, as for its own records.
        const target = replicas.get(server)?.[0] ?? server
        if (!known.has(target)) {
          return yield* Either.left(
            configError(
              record.at,
              `dangling reference \`server.${server}.${attribute}\`: no server \`${server}\` in this stage`,
              didYouMean(server, known) ??
                (known.size === 0 ? "this stage has no servers" : `servers: ${listOf(known)}`)
            )
          )
        }
        const key = makeKey("server", target)
        content = ref(key, attribute)
        dependsOn.push(key)
      }
      yield* collector.add(
        "dns",
        [record.fqdn, record.type].join("/"),
        {
          zone: zone.name,
          name: record.fqdn,
          type: record.type,
          content,
          proxied: record.proxied,
          ttl: record.ttl,
          ...optional("priority", record.priority)
        },
        dependsOn,
        record.at
      )
    }
  })
