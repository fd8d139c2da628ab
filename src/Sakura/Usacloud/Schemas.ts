/**
 * The JSON usacloud prints with `-o json`, decoded into camelCase types: only the fields FleetFlow
 * reads, so output that differs in any other field (another usacloud version, a stand-in) still
 * reads. Keys are Go field names. A field FleetFlow needs is required, and its absence is an error
 * that names it; one it can do without reads as absent, or as Go's empty value where Go omits it.
 * IDs are JSON numbers of 12 digits: they are kept exact as decimal strings.
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const idFromNumber = (value: number) => Number.isSafeInteger(value) && value >= 0

/** A resource ID: a whole JSON number below 2^53, kept as its decimal string. */
export const Id = Schema.transformOrFail(Schema.Number, Schema.String, {
  strict: true,
  decode: (value, _, ast) =>
    idFromNumber(value)
      ? ParseResult.succeed(String(value))
      : ParseResult.fail(new ParseResult.Type(ast, value, `expected an ID (a whole number below 2^53), got ${value}`)),
  encode: (value, _, ast) =>
    /^[0-9]{1,16}$/.test(value) && idFromNumber(Number(value))
      ? ParseResult.succeed(Number(value))
      : ParseResult.fail(new ParseResult.Type(ast, value, `expected a numeric ID, got ${JSON.stringify(value)}`))
})

/** A reference to another resource; usacloud prints 0 when there is none. */
export const Reference = Schema.transformOrFail(Schema.Number, Schema.UndefinedOr(Schema.String), {
  strict: true,
  decode: (value, _, ast) =>
    idFromNumber(value)
      ? ParseResult.succeed(value === 0 ? undefined : String(value))
      : ParseResult.fail(new ParseResult.Type(ast, value, `expected an ID (a whole number below 2^53), got ${value}`)),
  encode: (value) => ParseResult.succeed(value === undefined ? 0 : Number(value))
})

/** Tags print as an array; `null` is read as no tags. */
const Tags = Schema.transform(Schema.NullOr(Schema.Array(Schema.String)), Schema.Array(Schema.String), {
  strict: true,
  decode: (tags) => tags ?? [],
  encode: (tags) => tags
})

// Keys are literal type parameters: typed `string`, the encoded side would get an index signature.
const field = <const Key extends string, S extends Schema.Schema.Any>(key: Key, schema: S) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(key))

/** Fields Go omits when empty (`json:",omitempty"`): absent reads as the empty value. */
const omitEmpty = <const Key extends string, S extends Schema.Schema.AnyNoContext>(
  key: Key,
  schema: S,
  empty: () => Schema.Schema.Type<S>
) => Schema.optionalWith(schema, { default: empty }).pipe(Schema.fromKey(key))

const optionalField = <const Key extends string, S extends Schema.Schema.AnyNoContext>(key: Key, schema: S) =>
  Schema.optional(schema).pipe(Schema.fromKey(key))

/** The NIC on the shared segment carries the server's public address. */
export const Interface = Schema.Struct({
  ipAddress: field("IPAddress", Schema.String),
  switchScope: optionalField("SwitchScope", Schema.String),
  upstreamType: optionalField("UpstreamType", Schema.String)
})
export type Interface = typeof Interface.Type

export const ServerDisk = Schema.Struct({
  id: field("ID", Id),
  availability: optionalField("Availability", Schema.String)
})
export type ServerDisk = typeof ServerDisk.Type

export const Server = Schema.Struct({
  id: field("ID", Id),
  name: field("Name", Schema.String),
  description: field("Description", Schema.String),
  tags: field("Tags", Tags),
  /** "available" | "migrating" | "failed" | … */
  availability: field("Availability", Schema.String),
  hostName: field("HostName", Schema.String),
  cpu: field("CPU", Schema.Number),
  memoryMB: field("MemoryMB", Schema.Number),
  commitment: omitEmpty("Commitment", Schema.String, () => ""),
  /** "up" | "down" | "cleaning" | "" */
  instanceStatus: field("InstanceStatus", Schema.String),
  zone: field("Zone", Schema.Struct({ name: field("Name", Schema.String) })),
  interfaces: omitEmpty("Interfaces", Schema.Array(Interface), () => []),
  disks: omitEmpty("Disks", Schema.Array(ServerDisk), () => [])
})
export type Server = typeof Server.Type

export const Disk = Schema.Struct({
  id: field("ID", Id),
  name: field("Name", Schema.String),
  description: field("Description", Schema.String),
  tags: field("Tags", Tags),
  availability: field("Availability", Schema.String),
  connection: omitEmpty("Connection", Schema.String, () => ""),
  sizeMB: field("SizeMB", Schema.Number),
  /** 4 ssd, 2 hdd. */
  diskPlanId: field("DiskPlanID", Id),
  /** 0 or absent: none. */
  sourceArchiveId: optionalField("SourceArchiveID", Reference),
  serverId: optionalField("ServerID", Reference),
  /** usacloud adds the zone name to zoned results. */
  zone: field("Zone", Schema.String)
})
export type Disk = typeof Disk.Type

export const SshKey = Schema.Struct({
  id: field("ID", Id),
  name: field("Name", Schema.String),
  description: field("Description", Schema.String),
  publicKey: field("PublicKey", Schema.String),
  fingerprint: field("Fingerprint", Schema.String)
})
export type SshKey = typeof SshKey.Type

export const Archive = Schema.Struct({
  id: field("ID", Id),
  name: field("Name", Schema.String),
  /** "shared" for public archives, "user" for your own. */
  scope: field("Scope", Schema.String)
})
export type Archive = typeof Archive.Type

export const Note = Schema.Struct({
  id: field("ID", Id),
  name: field("Name", Schema.String),
  tags: field("Tags", Tags),
  /** "shell" | "yaml_cloud_config" */
  class: field("Class", Schema.String),
  content: field("Content", Schema.String)
})
export type Note = typeof Note.Type

export const AuthStatus = Schema.Struct({
  accountId: field("AccountID", Id),
  accountName: omitEmpty("AccountName", Schema.String, () => "")
})
export type AuthStatus = typeof AuthStatus.Type
