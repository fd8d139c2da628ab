/**
 * The `r2-bucket` node: a Cloudflare R2 bucket with its location or jurisdiction, storage class, CORS rules and
 * custom domains.
 */
import * as Either from "effect/Either"
import {
  all,
  allStrings,
  block,
  checkDnsName,
  checkProps,
  checkProvider,
  type Collector,
  type ConfigError,
  configError,
  type DecodeContext,
  decoding,
  type Env,
  type ExpandContext,
  type Field,
  fieldChoice,
  fieldValue,
  ifWritten,
  type KdlNode,
  type Location,
  one,
  oneOf,
  optional,
  optionalInteger,
  prop,
  refuse,
  resourceName,
  stringValue
} from "../../Declaration.js"
import {
  type Declared,
  type DeclaredBucket,
  minTlsVersions,
  r2Jurisdictions,
  r2Locations,
  r2StorageClasses
} from "../Model.js"

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

const r2NamePattern = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/

const corsMethods = ["GET", "PUT", "POST", "DELETE", "HEAD"] as const

const decodeCors = (env: Env, field: Field) =>
  decoding((take) => {
    const node = field.node
    if (node === undefined)
      return refuse(take, configError(field.at, '`cors` is a block: cors { allowed-origins "..." }'))
    const cors = take(
      block(node, ["allowed-origins", "allowed-methods", "allowed-headers", "expose-headers", "max-age"], {
        props: true,
        aliases: { "exposed-headers": "expose-headers", "max-age-seconds": "max-age" }
      })
    )
    const methods: Array<string> = []
    for (const item of all(cors, "allowed-methods")) {
      for (const value of item.node?.args ?? [take(fieldValue(env, item))]) {
        const text = take(stringValue(env, value, "`allowed-methods`")).toUpperCase()
        methods.push(take(oneOf(text, corsMethods, value.at, "method")))
      }
    }
    const spec: CorsSpec = {
      allowedOrigins: take(allStrings(env, cors, "allowed-origins")),
      allowedMethods: methods,
      allowedHeaders: take(allStrings(env, cors, "allowed-headers")),
      exposeHeaders: take(allStrings(env, cors, "expose-headers")),
      ...optional("maxAge", take(optionalInteger(env, one(cors, "max-age"), 0)))
    }
    return spec
  })

const decodeCustomDomain = (env: Env, field: Field) =>
  decoding((take) => {
    const node = field.node
    if (node === undefined) return refuse(take, configError(field.at, "`custom-domain` takes a host name"))
    take(checkProps(node, ["zone", "min-tls"]))
    const first = node.args[0]
    if (first === undefined) {
      return refuse(
        take,
        configError(node.at, "`custom-domain` needs a host name", 'write custom-domain "cdn.example.com"')
      )
    }
    const host = take(stringValue(env, first, "`custom-domain`")).toLowerCase()
    take(checkDnsName(host, first.at, "`custom-domain`"))
    const zone = prop(node, "zone")
    const minTls = prop(node, "min-tls")
    let tls = "1.0"
    if (minTls !== undefined) {
      const raw = minTls.value.value
      const text = typeof raw === "number" ? raw.toFixed(1) : take(stringValue(env, minTls.value, "`min-tls`"))
      tls = take(oneOf(text, minTlsVersions, minTls.value.at, "TLS version"))
    }
    const spec: CustomDomainSpec = {
      host,
      minTls: tls,
      at: node.at,
      ...optional("zone", zone === undefined ? undefined : take(stringValue(env, zone.value, "`zone`")).toLowerCase())
    }
    return spec
  })

export const decodeR2 = (context: DecodeContext, node: KdlNode): Either.Either<R2Spec, ConfigError> =>
  decoding((take) => {
    const env = context.env
    const name = take(resourceName(env, node))
    if (!r2NamePattern.test(name)) {
      return refuse(
        take,
        configError(
          node.args[0]!.at,
          `invalid bucket name \`${name}\``,
          "use 3–63 characters: lowercase letters, digits and `-`, not starting or ending with `-`"
        )
      )
    }
    const fields = take(
      block(node, ["provider", "location", "jurisdiction", "storage-class", "cors", "custom-domain"], {
        aliases: { "location-hint": "location" }
      })
    )
    take(checkProvider(env, fields, "cloudflare"))
    const locationField = one(fields, "location")
    const jurisdictionField = one(fields, "jurisdiction")
    if (locationField !== undefined && jurisdictionField !== undefined) {
      return refuse(
        take,
        configError(jurisdictionField.at, "`location` and `jurisdiction` cannot be used together", "keep one of them")
      )
    }
    const location = take(
      ifWritten(locationField, (field) =>
        fieldChoice(env, field, r2Locations, "location", (text) => text.toUpperCase())
      )
    )
    const jurisdiction = take(
      ifWritten(jurisdictionField, (field) =>
        fieldChoice(env, field, r2Jurisdictions, "jurisdiction", (text) => text.toLowerCase())
      )
    )
    const storageClass = take(
      ifWritten(one(fields, "storage-class"), (field) =>
        fieldChoice(env, field, r2StorageClasses, "storage class", (text) => text.replaceAll(/[-_ ]/g, ""))
      )
    )
    const spec: R2Spec = {
      type: "r2",
      name,
      at: node.at,
      ...optional("location", location),
      ...optional("jurisdiction", jurisdiction),
      ...optional("storageClass", storageClass),
      ...optional("cors", take(ifWritten(one(fields, "cors"), (field) => decodeCors(env, field)))),
      customDomains: take(Either.all(all(fields, "custom-domain").map((field) => decodeCustomDomain(env, field))))
    }
    return spec
  })

/** The zone of a custom domain: the given one, the cloudflare zone if it contains the host, else the last two labels. */
const domainZone = (host: string, given: string | undefined, cloudflareZone: string | undefined) => {
  if (given !== undefined) return given
  if (cloudflareZone !== undefined && (host === cloudflareZone || host.endsWith("." + cloudflareZone))) {
    return cloudflareZone
  }
  return host.split(".").slice(-2).join(".")
}

export const expandR2 = (context: ExpandContext, bucket: R2Spec, collector: Collector<Declared>) =>
  Either.gen(function* () {
    const cors = bucket.cors
    const corsInputs: DeclaredBucket["cors"] =
      cors === undefined
        ? undefined
        : {
            allowedOrigins: [...cors.allowedOrigins],
            allowedMethods: [...cors.allowedMethods],
            allowedHeaders: [...cors.allowedHeaders],
            exposeHeaders: [...cors.exposeHeaders],
            ...optional("maxAge", cors.maxAge)
          }
    const bucketKey = yield* collector.add(
      "r2",
      bucket.name,
      {
        name: bucket.name,
        ...optional("location", bucket.location),
        ...optional("jurisdiction", bucket.jurisdiction),
        ...optional("storageClass", bucket.storageClass),
        ...optional("cors", corsInputs)
      },
      [],
      bucket.at
    )
    for (const domain of bucket.customDomains) {
      yield* collector.add(
        "r2-domain",
        domain.host,
        {
          bucket: bucket.name,
          domain: domain.host,
          zone: domainZone(domain.host, domain.zone, context.cloudflareZone),
          minTls: domain.minTls,
          // R2 calls about a bucket in a jurisdiction must name it.
          ...optional("jurisdiction", bucket.jurisdiction)
        },
        [bucketKey],
        domain.at
      )
    }
  })
