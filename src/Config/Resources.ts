/**
 * Resource nodes (`server`, `r2-bucket`, `worker`, `pages`, `dns`) decoded into typed specs.
 * Everything that needs no file system is checked here, so `load` reports it.
 */
import * as Effect from "effect/Effect"
import { isIPv4, isIPv6 } from "node:net"
import { type ConfigError, configError, type Location } from "./ConfigError.js"
import {
  all,
  type Block,
  block,
  checkProps,
  type Field,
  fieldBoolean,
  fieldInteger,
  fieldString,
  fieldStrings,
  integerValue,
  missing,
  one,
  oneOf,
  prop,
  stringValue,
  tokenError,
  fieldValue
} from "./Fields.js"
import { type Env, markEnvironmental } from "./Interpolate.js"
import { fieldName, isTokenField, type KdlNode, type KdlValue } from "./KdlDocument.js"
import { didYouMean, listOf } from "./Suggest.js"
import {
  type DnsRecordType,
  diskPlans,
  dnsRecordTypes,
  minTlsVersions,
  osTypes,
  r2Jurisdictions,
  r2Locations,
  r2StorageClasses,
  sakuraZones
} from "./Vocabulary.js"

/** A string as written, with where it was written (files are resolved later). */
export interface Located<A> {
  readonly value: A
  readonly at: Location
}

export interface DiskSpec {
  readonly size: number
  readonly plan: "ssd" | "hdd"
  readonly os?: string | undefined
  readonly archive?: string | undefined
  readonly at: Location
}

export interface ServerDnsSpec {
  readonly hostname: string
  readonly aliases: ReadonlyArray<string>
  readonly zone: string
  readonly at: Location
}

export interface ScaleSpec {
  readonly min: number
  readonly max: number
  readonly at: Location
}

export interface ServerMetadata {
  readonly deployPath?: string | undefined
  readonly sshHost?: string | undefined
  readonly sshUser?: string | undefined
  readonly deployServices?: ReadonlyArray<string> | undefined
}

export interface ServerSpec {
  readonly type: "server"
  readonly name: string
  readonly at: Location
  readonly zone: string
  readonly core: number
  readonly memory: number
  readonly disk: DiskSpec
  readonly sshKeys: ReadonlyArray<Located<string>>
  readonly startupScripts: ReadonlyArray<Located<string>>
  readonly startupScriptVars?: Readonly<Record<string, string>> | undefined
  readonly tags: ReadonlyArray<string>
  readonly description?: string | undefined
  readonly metadata: ServerMetadata
  readonly dns?: ServerDnsSpec | undefined
  readonly scale?: ScaleSpec | undefined
}

export interface CorsSpec {
  readonly allowedOrigins: ReadonlyArray<string>
  readonly allowedMethods: ReadonlyArray<string>
  readonly allowedHeaders: ReadonlyArray<string>
  readonly exposeHeaders: ReadonlyArray<string>
  readonly maxAge?: number | undefined
}

export interface CustomDomainSpec {
  readonly host: string
  readonly zone?: string | undefined
  readonly minTls: string
  readonly at: Location
}

export interface R2Spec {
  readonly type: "r2"
  readonly name: string
  readonly at: Location
  readonly location?: string | undefined
  readonly jurisdiction?: string | undefined
  readonly storageClass?: string | undefined
  readonly cors?: CorsSpec | undefined
  readonly customDomains: ReadonlyArray<CustomDomainSpec>
}

export type BindingSpec =
  | { readonly type: "r2"; readonly name: string; readonly bucket: string }
  | { readonly type: "kv"; readonly name: string; readonly namespace: string }
  | { readonly type: "var"; readonly name: string; readonly value: string }

export interface WorkerSpec {
  readonly type: "worker"
  readonly name: string
  readonly at: Location
  readonly source: Located<string>
  readonly routes: ReadonlyArray<{ readonly pattern: string; readonly zone?: string | undefined }>
  readonly compatibilityDate?: string | undefined
  readonly compatibilityFlags: ReadonlyArray<string>
  readonly bindings: ReadonlyArray<BindingSpec>
}

export interface PagesSpec {
  readonly type: "pages"
  readonly name: string
  readonly at: Location
  readonly directory: Located<string>
  readonly productionBranch: string
  readonly branch?: string | undefined
}

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

export type ResourceSpec = ServerSpec | R2Spec | WorkerSpec | PagesSpec | DnsZoneSpec

/** What a resource decoder needs beyond the node. */
export interface DecodeContext {
  readonly env: Env
  /** The sakura-cloud provider's zone. */
  readonly sakuraZone?: string | undefined
  /** The default DNS zone: the cloudflare provider's, else `CLOUDFLARE_DOMAIN`. */
  readonly dnsZone?: string | undefined
}

export const resourceNodes = ["server", "r2-bucket", "worker", "pages", "dns"] as const
export type ResourceNode = (typeof resourceNodes)[number]

export const isResourceNode = (name: string): name is ResourceNode =>
  (resourceNodes as ReadonlyArray<string>).includes(fieldName(name))

const serverFields = [
  "provider",
  "plan",
  "core",
  "memory",
  "disk",
  "disk-size",
  "os",
  "archive",
  "ssh-key",
  "tags",
  "startup-script",
  "init-script-vars",
  "dns",
  "dns-aliases",
  "zone",
  "scale",
  "description",
  "deploy-path",
  "ssh-host",
  "ssh-user",
  "deploy-services"
]

/** Other spellings of fields, per resource node: alias → canonical. */
export const fieldAliases: Readonly<Record<ResourceNode, Readonly<Record<string, string>>>> = {
  server: { "ssh-keys": "ssh-key", tag: "tags", "startup-scripts": "startup-script" },
  "r2-bucket": {},
  worker: { "compatibility-flag": "compatibility-flags" },
  pages: {},
  dns: {}
}

/** The canonical field name of a child of a resource node, for template overrides. */
export const canonicalField = (resource: ResourceNode, name: string): string => {
  const normalized = fieldName(name)
  return fieldAliases[resource][normalized] ?? normalized
}

/** A token anywhere inside a resource or provider block is refused before anything else is read. */
export const rejectTokens = (node: KdlNode): Effect.Effect<void, ConfigError> =>
  Effect.gen(function* () {
    for (const property of node.props)
      if (isTokenField(property.key)) return yield* tokenError(property.at, property.key)
    for (const child of node.children) {
      if (isTokenField(child.name)) return yield* tokenError(child.at, child.name)
      yield* rejectTokens(child)
    }
  })

/** The name argument of a resource node. */
export const resourceName = (env: Env, node: KdlNode): Effect.Effect<string, ConfigError> =>
  Effect.gen(function* () {
    const first = node.args[0]
    if (first === undefined) {
      return yield* configError(node.at, `\`${node.name}\` needs a name`, `write ${node.name} "name"`)
    }
    return yield* stringValue(env, first, `the name of \`${node.name}\``)
  })

const optionalString = (env: Env, field: Field | undefined) =>
  field === undefined ? Effect.succeed(undefined) : fieldString(env, field)

const checkProvider = (env: Env, fields: Block, expected: "sakura-cloud" | "cloudflare") =>
  Effect.gen(function* () {
    const field = one(fields, "provider")
    if (field === undefined) return
    const value = yield* fieldString(env, field)
    const normalized = value === "sakura" ? "sakura-cloud" : value
    if (normalized !== expected) {
      return yield* configError(
        (yield* fieldValue(env, field)).at,
        `\`${fields.node.name}\` is served by \`${expected}\`, not \`${value}\``,
        `write provider "${expected}" or leave it out`
      )
    }
  })

const decodeZone = (env: Env, field: Field) =>
  Effect.gen(function* () {
    const value = yield* fieldValue(env, field)
    const zone = yield* stringValue(env, value, "`zone`")
    return yield* oneOf(zone.toLowerCase(), sakuraZones, value.at, "zone")
  })

const decodeOs = (env: Env, value: KdlValue) =>
  Effect.gen(function* () {
    const os = (yield* stringValue(env, value, "`os`")).toLowerCase()
    const type = osTypes[os]
    if (type !== undefined) return type
    const names = Object.keys(osTypes)
    return yield* configError(
      value.at,
      `unknown OS \`${os}\``,
      `${didYouMean(os, names) ?? ""} valid OS names: ${listOf(names)}`.trim()
    )
  })

const decodePlan = (env: Env, field: Field) =>
  Effect.gen(function* () {
    const node = field.node
    if (node !== undefined && node.props.length > 0) {
      yield* checkProps(node, ["core", "memory"])
      const core = prop(node, "core")
      const memory = prop(node, "memory")
      return {
        core: core === undefined ? undefined : yield* integerValue(env, core.value, "`core`", 1),
        memory: memory === undefined ? undefined : yield* integerValue(env, memory.value, "`memory`", 1)
      }
    }
    const value = yield* fieldValue(env, field)
    const text = yield* stringValue(env, value, "`plan`")
    const match = /^(\d+)\s*core-(\d+)\s*gb$/i.exec(text.trim())
    if (match === null) {
      return yield* configError(
        value.at,
        `\`plan\` must look like "2core-4gb", got ${JSON.stringify(text)}`,
        'write plan "2core-4gb" or plan core=2 memory=4'
      )
    }
    return { core: Number(match[1]), memory: Number(match[2]) }
  })

const decodeDisk = (env: Env, server: KdlNode, fields: Block) =>
  Effect.gen(function* () {
    const diskField = one(fields, "disk")
    let size: number | undefined
    let plan: "ssd" | "hdd" = "ssd"
    let os: string | undefined
    let archive: string | undefined
    let at = server.at
    if (diskField?.node !== undefined) {
      at = diskField.at
      const disk = yield* block(diskField.node, ["size", "os", "plan", "archive"], { props: true })
      const sizeField = one(disk, "size")
      if (sizeField !== undefined) size = yield* fieldInteger(env, sizeField, 1)
      const planField = one(disk, "plan")
      if (planField !== undefined) {
        const value = yield* fieldValue(env, planField)
        plan = yield* oneOf((yield* stringValue(env, value, "`plan`")).toLowerCase(), diskPlans, value.at, "disk plan")
      }
      const osField = one(disk, "os")
      if (osField !== undefined) os = yield* decodeOs(env, yield* fieldValue(env, osField))
      const archiveField = one(disk, "archive")
      if (archiveField !== undefined) archive = yield* fieldString(env, archiveField)
      if (sizeField === undefined && diskField.node.args[0] !== undefined) {
        size = yield* integerValue(env, diskField.node.args[0], "`disk`", 1)
      }
    }
    // Server-level `disk-size`, `os` and `archive` win over the `disk` node, so a stage can override one of them.
    const sizeField = one(fields, "disk-size")
    if (sizeField !== undefined) size = yield* fieldInteger(env, sizeField, 1)
    const osField = one(fields, "os")
    if (osField !== undefined) os = yield* decodeOs(env, yield* fieldValue(env, osField))
    const archiveField = one(fields, "archive")
    if (archiveField !== undefined) archive = yield* fieldString(env, archiveField)
    if (size === undefined) {
      return yield* missing(server, "a disk size", 'write disk size=40 os="ubuntu-24.04" or disk-size 40')
    }
    if (os === undefined && archive === undefined) {
      return yield* missing(server, "an OS or an archive", 'write os "ubuntu-24.04" or archive "name-or-id"')
    }
    if (os !== undefined && archive !== undefined) {
      return yield* configError(at, "a disk takes either an OS or an archive, not both", "remove `os` or `archive`")
    }
    const disk: DiskSpec = {
      size,
      plan,
      at,
      ...(os === undefined ? {} : { os }),
      ...(archive === undefined ? {} : { archive })
    }
    return disk
  })

const decodeServerDns = (context: DecodeContext, fields: Block) =>
  Effect.gen(function* () {
    const env = context.env
    const dnsField = one(fields, "dns")
    const aliasFields = all(fields, "dns-aliases")
    if (dnsField === undefined && aliasFields.length === 0) return undefined
    let hostname: string | undefined
    let zone: string | undefined
    const aliases: Array<string> = []
    if (dnsField?.node !== undefined) {
      const dns = yield* block(dnsField.node, ["hostname", "aliases", "zone"], { props: true })
      const hostnameField = one(dns, "hostname")
      if (hostnameField !== undefined) hostname = yield* fieldString(env, hostnameField)
      const zoneField = one(dns, "zone")
      if (zoneField !== undefined) zone = yield* fieldString(env, zoneField)
      for (const field of all(dns, "aliases")) aliases.push(...(yield* fieldStrings(env, field)))
    }
    for (const field of aliasFields) aliases.push(...(yield* fieldStrings(env, field)))
    const at = dnsField?.at ?? aliasFields[0]!.at
    if (hostname === undefined) {
      return yield* configError(at, "`dns` is missing `hostname`", 'write dns { hostname "app" }')
    }
    zone ??= context.dnsZone
    if (zone === undefined) {
      return yield* markEnvironmental(
        configError(
          at,
          "no DNS zone for this server's records",
          'set providers { cloudflare { zone "example.com" } }, zone in the dns block, or CLOUDFLARE_DOMAIN'
        )
      )
    }
    const spec: ServerDnsSpec = { hostname, aliases, zone, at }
    return spec
  })

/** One server per replica: a runaway count (`max=1e15`) would expand into that many servers. */
const maxReplicas = 1000

const decodeScale = (env: Env, field: Field) =>
  Effect.gen(function* () {
    const node = field.node
    if (node === undefined) return yield* configError(field.at, "`scale` takes min= and max=")
    const scale = yield* block(node, ["min", "max"], { props: true })
    const minField = one(scale, "min")
    const maxField = one(scale, "max")
    const single = node.args[0]
    const min =
      minField !== undefined
        ? yield* fieldInteger(env, minField, 1)
        : single !== undefined
          ? yield* integerValue(env, single, "`scale`", 1)
          : 1
    const max = maxField !== undefined ? yield* fieldInteger(env, maxField, 1) : min
    if (min > max) {
      return yield* configError(field.at, `\`scale\` min (${min}) is greater than max (${max})`)
    }
    if (max > maxReplicas) {
      return yield* configError(
        (maxField ?? minField)?.prop?.value.at ?? single?.at ?? field.at,
        `\`scale\` allows at most ${maxReplicas} servers, got ${max}`,
        "FleetFlow creates one server per replica: choose a smaller range"
      )
    }
    const spec: ScaleSpec = { min, max, at: field.at }
    return spec
  })

const decodeScriptVars = (env: Env, field: Field) =>
  Effect.gen(function* () {
    const vars: Record<string, string> = {}
    const node = field.node
    if (node === undefined) return vars
    for (const child of node.children) {
      const first = child.args[0]
      if (first === undefined) return yield* configError(child.at, `\`${child.name}\` needs a value`)
      vars[child.name] =
        typeof first.value === "string" ? yield* stringValue(env, first, `\`${child.name}\``) : String(first.value)
    }
    for (const property of node.props) {
      vars[property.key] =
        typeof property.value.value === "string"
          ? yield* stringValue(env, property.value, `\`${property.key}\``)
          : String(property.value.value)
    }
    return vars
  })

const locatedStrings = (env: Env, fields: ReadonlyArray<Field>) =>
  Effect.gen(function* () {
    const result: Array<Located<string>> = []
    for (const field of fields) {
      const values =
        field.node !== undefined && prop(field.node, "env") === undefined
          ? field.node.args
          : [yield* fieldValue(env, field)]
      if (values.length === 0) return yield* configError(field.at, `\`${field.written}\` needs a value`)
      for (const value of values)
        result.push({ value: yield* stringValue(env, value, `\`${field.written}\``), at: value.at })
    }
    return result
  })

export const decodeServer = (context: DecodeContext, node: KdlNode): Effect.Effect<ServerSpec, ConfigError> =>
  Effect.gen(function* () {
    const env = context.env
    const name = yield* resourceName(env, node)
    const fields = yield* block(node, serverFields, { aliases: fieldAliases.server })
    yield* checkProvider(env, fields, "sakura-cloud")
    const planField = one(fields, "plan")
    const plan = planField === undefined ? { core: undefined, memory: undefined } : yield* decodePlan(env, planField)
    const coreField = one(fields, "core")
    const memoryField = one(fields, "memory")
    const core = coreField === undefined ? plan.core : yield* fieldInteger(env, coreField, 1)
    const memory = memoryField === undefined ? plan.memory : yield* fieldInteger(env, memoryField, 1)
    if (core === undefined || memory === undefined) {
      return yield* missing(
        node,
        core === undefined ? "a plan (CPU cores)" : "a plan (memory)",
        'write plan core=2 memory=4 or plan "2core-4gb"'
      )
    }
    const disk = yield* decodeDisk(env, node, fields)
    const zoneField = one(fields, "zone")
    const zone = zoneField === undefined ? context.sakuraZone : yield* decodeZone(env, zoneField)
    if (zone === undefined) {
      return yield* configError(node.at, "no zone: set providers { sakura-cloud { zone ... } } or zone on the server")
    }
    const tags: Array<string> = []
    for (const field of all(fields, "tags")) tags.push(...(yield* fieldStrings(env, field)))
    const varsField = one(fields, "init-script-vars")
    const deployServices = one(fields, "deploy-services")
    const scaleField = one(fields, "scale")
    const metadata: ServerMetadata = {
      ...optional("deployPath", yield* optionalString(env, one(fields, "deploy-path"))),
      ...optional("sshHost", yield* optionalString(env, one(fields, "ssh-host"))),
      ...optional("sshUser", yield* optionalString(env, one(fields, "ssh-user"))),
      ...optional("deployServices", deployServices === undefined ? undefined : yield* fieldStrings(env, deployServices))
    }
    const spec: ServerSpec = {
      type: "server",
      name,
      at: node.at,
      zone,
      core,
      memory,
      disk,
      sshKeys: yield* locatedStrings(env, all(fields, "ssh-key")),
      startupScripts: yield* locatedStrings(env, all(fields, "startup-script")),
      tags,
      metadata,
      ...optional("startupScriptVars", varsField === undefined ? undefined : yield* decodeScriptVars(env, varsField)),
      ...optional("description", yield* optionalString(env, one(fields, "description"))),
      ...optional("dns", yield* decodeServerDns(context, fields)),
      ...optional("scale", scaleField === undefined ? undefined : yield* decodeScale(env, scaleField))
    }
    return spec
  })

/** `{ key: value }` when the value is present, `{}` otherwise: no `undefined` in the result. */
export const optional = <K extends string, A>(key: K, value: A | undefined): { [P in K]?: A } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: A }

const r2NamePattern = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/

const corsMethods = ["GET", "PUT", "POST", "DELETE", "HEAD"] as const

const decodeCors = (env: Env, field: Field) =>
  Effect.gen(function* () {
    const node = field.node
    if (node === undefined) return yield* configError(field.at, '`cors` is a block: cors { allowed-origins "..." }')
    const cors = yield* block(
      node,
      ["allowed-origins", "allowed-methods", "allowed-headers", "expose-headers", "max-age"],
      { props: true, aliases: { "exposed-headers": "expose-headers", "max-age-seconds": "max-age" } }
    )
    const strings = (name: string) =>
      Effect.gen(function* () {
        const values: Array<string> = []
        for (const item of all(cors, name)) values.push(...(yield* fieldStrings(env, item)))
        return values
      })
    const methods: Array<string> = []
    for (const item of all(cors, "allowed-methods")) {
      for (const value of item.node?.args ?? [yield* fieldValue(env, item)]) {
        const text = (yield* stringValue(env, value, "`allowed-methods`")).toUpperCase()
        methods.push(yield* oneOf(text, corsMethods, value.at, "method"))
      }
    }
    const maxAge = one(cors, "max-age")
    const spec: CorsSpec = {
      allowedOrigins: yield* strings("allowed-origins"),
      allowedMethods: methods,
      allowedHeaders: yield* strings("allowed-headers"),
      exposeHeaders: yield* strings("expose-headers"),
      ...optional("maxAge", maxAge === undefined ? undefined : yield* fieldInteger(env, maxAge, 0))
    }
    return spec
  })

const decodeCustomDomain = (env: Env, field: Field) =>
  Effect.gen(function* () {
    const node = field.node
    if (node === undefined) return yield* configError(field.at, "`custom-domain` takes a host name")
    yield* checkProps(node, ["zone", "min-tls"])
    const first = node.args[0]
    if (first === undefined) {
      return yield* configError(node.at, "`custom-domain` needs a host name", 'write custom-domain "cdn.example.com"')
    }
    const host = (yield* stringValue(env, first, "`custom-domain`")).toLowerCase()
    const zone = prop(node, "zone")
    const minTls = prop(node, "min-tls")
    let tls = "1.0"
    if (minTls !== undefined) {
      const raw = minTls.value.value
      const text = typeof raw === "number" ? raw.toFixed(1) : yield* stringValue(env, minTls.value, "`min-tls`")
      tls = yield* oneOf(text, minTlsVersions, minTls.value.at, "TLS version")
    }
    const spec: CustomDomainSpec = {
      host,
      minTls: tls,
      at: node.at,
      ...optional(
        "zone",
        zone === undefined ? undefined : (yield* stringValue(env, zone.value, "`zone`")).toLowerCase()
      )
    }
    return spec
  })

export const decodeR2 = (context: DecodeContext, node: KdlNode): Effect.Effect<R2Spec, ConfigError> =>
  Effect.gen(function* () {
    const env = context.env
    const name = yield* resourceName(env, node)
    if (!r2NamePattern.test(name)) {
      return yield* configError(
        node.args[0]!.at,
        `invalid bucket name \`${name}\``,
        "use 3–63 characters: lowercase letters, digits and `-`, not starting or ending with `-`"
      )
    }
    const fields = yield* block(
      node,
      ["provider", "location", "jurisdiction", "storage-class", "cors", "custom-domain"],
      { aliases: { "location-hint": "location" } }
    )
    yield* checkProvider(env, fields, "cloudflare")
    const locationField = one(fields, "location")
    const jurisdictionField = one(fields, "jurisdiction")
    if (locationField !== undefined && jurisdictionField !== undefined) {
      return yield* configError(
        jurisdictionField.at,
        "`location` and `jurisdiction` cannot be used together",
        "keep one of them"
      )
    }
    let location: string | undefined
    if (locationField !== undefined) {
      const value = yield* fieldValue(env, locationField)
      location = yield* oneOf(
        (yield* stringValue(env, value, "`location`")).toUpperCase(),
        r2Locations,
        value.at,
        "location"
      )
    }
    let jurisdiction: string | undefined
    if (jurisdictionField !== undefined) {
      const value = yield* fieldValue(env, jurisdictionField)
      const text = (yield* stringValue(env, value, "`jurisdiction`")).toLowerCase()
      jurisdiction = yield* oneOf(text, r2Jurisdictions, value.at, "jurisdiction")
    }
    let storageClass: string | undefined
    const classField = one(fields, "storage-class")
    if (classField !== undefined) {
      const value = yield* fieldValue(env, classField)
      const text = (yield* stringValue(env, value, "`storage-class`")).replaceAll(/[-_ ]/g, "")
      storageClass = yield* oneOf(text, r2StorageClasses, value.at, "storage class")
    }
    const corsField = one(fields, "cors")
    const spec: R2Spec = {
      type: "r2",
      name,
      at: node.at,
      ...optional("location", location),
      ...optional("jurisdiction", jurisdiction),
      ...optional("storageClass", storageClass),
      ...optional("cors", corsField === undefined ? undefined : yield* decodeCors(env, corsField)),
      customDomains: yield* Effect.forEach(all(fields, "custom-domain"), (field) => decodeCustomDomain(env, field))
    }
    return spec
  })

const decodeRoute = (env: Env, node: KdlNode) =>
  Effect.gen(function* () {
    yield* checkProps(node, ["zone", "pattern"])
    const pattern = prop(node, "pattern")?.value ?? node.args[0]
    if (pattern === undefined) {
      return yield* configError(node.at, "`route` needs a pattern", 'write route "api.example.com/*"')
    }
    const zone = prop(node, "zone")
    return {
      pattern: yield* stringValue(env, pattern, "`route`"),
      ...optional("zone", zone === undefined ? undefined : yield* stringValue(env, zone.value, "`zone`"))
    }
  })

const bindingTypes = ["r2", "kv", "var"] as const

const decodeBinding = (env: Env, node: KdlNode) =>
  Effect.gen(function* () {
    const type = fieldName(node.name)
    if (!(bindingTypes as ReadonlyArray<string>).includes(type)) {
      return yield* configError(
        node.at,
        `unknown binding type \`${node.name}\``,
        didYouMean(type, bindingTypes) ?? `valid binding types: ${listOf(bindingTypes)}`
      )
    }
    const first = node.args[0]
    if (first === undefined) return yield* configError(node.at, `\`${node.name}\` binding needs a name`)
    const name = yield* stringValue(env, first, "the binding name")
    if (type === "r2") {
      yield* checkProps(node, ["bucket"])
      const bucket = prop(node, "bucket")
      if (bucket === undefined) {
        return yield* configError(node.at, "`r2` binding is missing `bucket`", `write r2 "${name}" bucket="my-bucket"`)
      }
      return { type: "r2", name, bucket: yield* stringValue(env, bucket.value, "`bucket`") } as const
    }
    if (type === "kv") {
      yield* checkProps(node, ["namespace"])
      const namespace = prop(node, "namespace")
      if (namespace === undefined) {
        return yield* configError(
          node.at,
          "`kv` binding is missing `namespace`",
          `write kv "${name}" namespace="my-namespace"`
        )
      }
      return { type: "kv", name, namespace: yield* stringValue(env, namespace.value, "`namespace`") } as const
    }
    yield* checkProps(node, ["value"])
    const value = prop(node, "value")?.value ?? node.args[1]
    if (value === undefined) {
      return yield* configError(node.at, "`var` binding is missing its value", `write var "${name}" "value"`)
    }
    const text = typeof value.value === "string" ? yield* stringValue(env, value, "the value") : String(value.value)
    return { type: "var", name, value: text } as const
  })

export const decodeWorker = (context: DecodeContext, node: KdlNode): Effect.Effect<WorkerSpec, ConfigError> =>
  Effect.gen(function* () {
    const env = context.env
    const name = yield* resourceName(env, node)
    const fields = yield* block(
      node,
      ["provider", "source", "route", "routes", "compatibility-date", "compatibility-flags", "bindings"],
      { aliases: fieldAliases.worker }
    )
    yield* checkProvider(env, fields, "cloudflare")
    const sourceField = one(fields, "source")
    if (sourceField === undefined) return yield* missing(node, "`source`", 'write source "./workers/' + name + '"')
    const sourceValue = yield* fieldValue(env, sourceField)
    const source = { value: yield* stringValue(env, sourceValue, "`source`"), at: sourceValue.at }
    const routes: Array<{ readonly pattern: string; readonly zone?: string | undefined }> = []
    for (const field of all(fields, "route"))
      if (field.node !== undefined) routes.push(yield* decodeRoute(env, field.node))
    for (const field of all(fields, "routes")) {
      const group = field.node
      if (group === undefined) continue
      for (const value of group.args) routes.push({ pattern: yield* stringValue(env, value, "`routes`") })
      const inner = yield* block(group, ["route"])
      for (const route of all(inner, "route"))
        if (route.node !== undefined) routes.push(yield* decodeRoute(env, route.node))
    }
    const dateField = one(fields, "compatibility-date")
    let compatibilityDate: string | undefined
    if (dateField !== undefined) {
      const value = yield* fieldValue(env, dateField)
      compatibilityDate = yield* stringValue(env, value, "`compatibility-date`")
      if (!/^\d{4}-\d{2}-\d{2}$/.test(compatibilityDate)) {
        return yield* configError(
          value.at,
          `\`compatibility-date\` must be a date like "2026-11-01", got ${JSON.stringify(compatibilityDate)}`
        )
      }
    }
    const flags: Array<string> = []
    for (const field of all(fields, "compatibility-flags")) flags.push(...(yield* fieldStrings(env, field)))
    const bindings: Array<BindingSpec> = []
    for (const field of all(fields, "bindings")) {
      for (const child of field.node?.children ?? []) bindings.push(yield* decodeBinding(env, child))
    }
    const spec: WorkerSpec = {
      type: "worker",
      name,
      at: node.at,
      source,
      routes,
      compatibilityFlags: flags,
      bindings,
      ...optional("compatibilityDate", compatibilityDate)
    }
    return spec
  })

export const decodePages = (context: DecodeContext, node: KdlNode): Effect.Effect<PagesSpec, ConfigError> =>
  Effect.gen(function* () {
    const env = context.env
    const name = yield* resourceName(env, node)
    const fields = yield* block(node, ["provider", "directory", "production-branch", "branch"])
    yield* checkProvider(env, fields, "cloudflare")
    const directoryField = one(fields, "directory")
    if (directoryField === undefined) return yield* missing(node, "`directory`", 'write directory "./dist"')
    const directoryValue = yield* fieldValue(env, directoryField)
    const spec: PagesSpec = {
      type: "pages",
      name,
      at: node.at,
      directory: { value: yield* stringValue(env, directoryValue, "`directory`"), at: directoryValue.at },
      productionBranch: (yield* optionalString(env, one(fields, "production-branch"))) ?? "main",
      ...optional("branch", yield* optionalString(env, one(fields, "branch")))
    }
    return spec
  })

/** `name.zone` unless the name already ends with the zone; `@` is the apex. */
export const qualify = (name: string, zone: string): string => {
  const lower = name.toLowerCase().replace(/\.$/, "")
  if (lower === "@" || lower === "") return zone
  return lower === zone || lower.endsWith("." + zone) ? lower : `${lower}.${zone}`
}

/** `server.<name>.<attribute>`, else undefined. */
export const parseReference = (text: string): ServerReference | undefined => {
  if (!text.startsWith("server.")) return undefined
  const rest = text.slice("server.".length)
  const dot = rest.lastIndexOf(".")
  if (dot <= 0 || dot === rest.length - 1) return undefined
  return { server: rest.slice(0, dot), attribute: rest.slice(dot + 1) }
}

/** A and AAAA records hold addresses of their family. */
export const checkAddress = (type: DnsRecordType, text: string, at: Location): Effect.Effect<void, ConfigError> => {
  if (type === "A" && !isIPv4(text)) {
    return Effect.fail(
      configError(
        at,
        `an A record needs an IPv4 address, got ${JSON.stringify(text)}`,
        "or a reference such as server.NAME.ip"
      )
    )
  }
  if (type === "AAAA" && !isIPv6(text)) {
    return Effect.fail(
      configError(
        at,
        `an AAAA record needs an IPv6 address, got ${JSON.stringify(text)}`,
        "or a reference such as server.NAME.ipv6"
      )
    )
  }
  return Effect.void
}

const decodeRecord = (env: Env, zone: string, node: KdlNode) =>
  Effect.gen(function* () {
    const fields = yield* block(node, ["type", "value", "proxied", "ttl", "priority"], {
      props: true,
      aliases: { content: "value" }
    })
    const first = node.args[0]
    if (first === undefined) {
      return yield* configError(node.at, "`record` needs a name", 'write record "api" type="A" value="192.0.2.1"')
    }
    const name = yield* stringValue(env, first, "the record name")
    const typeField = one(fields, "type")
    if (typeField === undefined) return yield* missing(node, "`type`", `valid types: ${listOf(dnsRecordTypes)}`)
    const typeValue = yield* fieldValue(env, typeField)
    const type = yield* oneOf(
      (yield* stringValue(env, typeValue, "`type`")).toUpperCase(),
      dnsRecordTypes,
      typeValue.at,
      "record type"
    )
    const valueField = one(fields, "value")
    if (valueField === undefined) return yield* missing(node, "`value`", 'write value="..." (or content="...")')
    const raw = yield* fieldValue(env, valueField)
    const text = typeof raw.value === "number" ? String(raw.value) : yield* stringValue(env, raw, "`value`")
    // Whether `server.x.y` is a reference or a host name is settled against the stage's servers later.
    const reference = parseReference(text)
    if (reference === undefined) yield* checkAddress(type, text, raw.at)
    const proxiedField = one(fields, "proxied")
    const proxied = proxiedField === undefined ? false : yield* fieldBoolean(env, proxiedField)
    if (proxied && type !== "A" && type !== "AAAA" && type !== "CNAME") {
      return yield* configError(
        proxiedField!.at,
        `a ${type} record cannot be proxied`,
        "only A, AAAA and CNAME records can be"
      )
    }
    const ttlField = one(fields, "ttl")
    const ttl = ttlField === undefined ? 1 : yield* fieldInteger(env, ttlField, 1)
    if (ttl !== 1 && (ttl < 60 || ttl > 86400)) {
      return yield* configError(ttlField!.at, `\`ttl\` must be 1 (automatic) or between 60 and 86400, got ${ttl}`)
    }
    const priorityField = one(fields, "priority")
    const priority = priorityField === undefined ? undefined : yield* fieldInteger(env, priorityField, 0)
    if (type === "MX" && priority === undefined) {
      return yield* missing(node, "`priority` (MX records need one)", "write priority=10")
    }
    const spec: RecordSpec = {
      name,
      fqdn: qualify(name, zone),
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

export const decodeDnsZone = (context: DecodeContext, node: KdlNode): Effect.Effect<DnsZoneSpec, ConfigError> =>
  Effect.gen(function* () {
    const env = context.env
    const zone = (yield* resourceName(env, node)).toLowerCase().replace(/\.$/, "")
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(zone)) {
      return yield* configError(
        node.args[0]!.at,
        `\`${zone}\` is not a DNS zone name`,
        'write dns "example.com" { ... }'
      )
    }
    const fields = yield* block(node, ["provider", "record"])
    yield* checkProvider(env, fields, "cloudflare")
    const records = yield* Effect.forEach(all(fields, "record"), (field) => decodeRecord(env, zone, field.node!))
    const spec: DnsZoneSpec = { type: "dns", name: zone, at: node.at, records }
    return spec
  })

export const decodeResource = (context: DecodeContext, node: KdlNode): Effect.Effect<ResourceSpec, ConfigError> =>
  Effect.gen(function* () {
    yield* rejectTokens(node)
    switch (fieldName(node.name) as ResourceNode) {
      case "server":
        return yield* decodeServer(context, node)
      case "r2-bucket":
        return yield* decodeR2(context, node)
      case "worker":
        return yield* decodeWorker(context, node)
      case "pages":
        return yield* decodePages(context, node)
      case "dns":
        return yield* decodeDnsZone(context, node)
    }
  })
