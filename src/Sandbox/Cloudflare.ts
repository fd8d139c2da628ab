/**
 * The simulated Cloudflare account: R2 buckets and their custom domains, Workers, Pages
 * projects and DNS records, with 32-hex IDs and Cloudflare's error codes.
 */
import * as Effect from "effect/Effect"
import type { CloudProviderService, ProviderError } from "../Provider.js"
import type { Json } from "../Resource.js"
import {
  type ApplyContext,
  type DestroyContext,
  type Draft,
  describeOwner,
  fields,
  make as makeSimulation,
  type Runtime
} from "./Simulation.js"
import type { CloudResource, Section } from "./Store.js"

/** Whether the account holds an R2 bucket of this name, when the buckets are kept elsewhere. */

/** The account's workers.dev subdomain. */
export const workersSubdomain = "sandbox"

const locations: ReadonlyArray<string> = ["APAC", "WNAM", "ENAM", "WEUR", "EEUR", "OC"]
const jurisdictions: ReadonlyArray<string> = ["eu", "fedramp"]
const storageClasses: ReadonlyArray<string> = ["Standard", "InfrequentAccess"]
const recordTypes: ReadonlyArray<string> = ["A", "AAAA", "CNAME", "TXT", "MX"]

const others = (section: Section, type: CloudResource["type"], context: ApplyContext) =>
  section.resources.filter((resource) => resource.type === type && resource.id !== context.existing?.id)

const bucketNamed = (section: Section, name: string) =>
  section.resources.find((resource) => resource.type === "r2" && (resource.name === name || resource.id === name))

const isIPv4 = (value: string) =>
  /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(value) && value.split(".").every((part) => Number(part) <= 255)

const isIPv6 = (value: string) => value.includes(":") && /^[0-9a-fA-F:.]+$/.test(value)

/** The DNS label rule Cloudflare applies to bucket, worker and project names. */
const validName = (name: string, max: number) => name.length <= max && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name)

const taken = (resource: CloudResource, what: string) =>
  `${what} "${resource.name}" already exists${describeOwner(resource)}`

const bucket = (context: ApplyContext): Effect.Effect<Draft, ProviderError> =>
  Effect.gen(function* () {
    const { request, refuse, section } = context
    const read = fields(request.inputs, refuse)
    const name = (yield* read.string("name")) ?? request.name
    if (name.length < 3 || !validName(name, 63)) {
      return yield* refuse("invalid", `the bucket name "${name}" is not valid`, {
        code: 10005,
        hint: "3 to 63 lowercase letters, digits and dashes"
      })
    }
    const location = (yield* read.string("location"))?.toUpperCase()
    if (location !== undefined && !locations.includes(location)) {
      return yield* refuse("invalid", `unknown location "${location}" (one of ${locations.join(", ")})`)
    }
    const jurisdiction = yield* read.string("jurisdiction")
    if (jurisdiction !== undefined && !jurisdictions.includes(jurisdiction)) {
      return yield* refuse("invalid", `unknown jurisdiction "${jurisdiction}" (eu or fedramp)`)
    }
    const storageClass = (yield* read.string("storageClass")) ?? "Standard"
    if (!storageClasses.includes(storageClass)) {
      return yield* refuse("invalid", `unknown storage class "${storageClass}" (Standard or InfrequentAccess)`)
    }
    const holder = others(section, "r2", context).find((resource) => resource.name === name)
    if (holder !== undefined) {
      return yield* refuse("conflict", taken(holder, "bucket"), {
        code: 10004,
        hint: "bucket names are unique in the account: pick another name"
      })
    }
    return {
      name,
      inputs: request.inputs,
      attributes: {
        name,
        location: location ?? "WNAM",
        storageClass,
        ...(jurisdiction === undefined ? {} : { jurisdiction })
      }
    }
  })

const customDomain = (context: ApplyContext): Effect.Effect<Draft, ProviderError> =>
  Effect.gen(function* () {
    const { request, refuse, section } = context
    const read = fields(request.inputs, refuse)
    const bucketName = yield* read.string("bucket")
    if (bucketName === undefined) return yield* refuse("invalid", "a custom domain needs bucket")
    const domain = (yield* read.string("domain")) ?? request.name
    const zone = yield* read.string("zone")
    if (bucketNamed(section, bucketName) === undefined) {
      return yield* refuse("not-found", `The specified bucket does not exist: ${bucketName}`, { code: 10006 })
    }
    if (zone !== undefined && domain !== zone && !domain.endsWith(`.${zone}`)) {
      return yield* refuse("invalid", `${domain} is not in the zone ${zone}`)
    }
    const holder = others(section, "r2-domain", context).find((resource) => resource.name === domain)
    if (holder !== undefined) return yield* refuse("conflict", taken(holder, "custom domain"))
    return {
      name: domain,
      inputs: request.inputs,
      attributes: { domain, bucket: bucketName, status: "active", minTls: (yield* read.string("minTls")) ?? "1.0" }
    }
  })

/** Buckets named by R2 bindings: every object inside `bindings` with a `bucket` field. */
const boundBuckets = (value: Json | undefined): ReadonlyArray<string> => {
  if (Array.isArray(value)) return value.flatMap((item: Json) => boundBuckets(item))
  if (typeof value !== "object" || value === null) return []
  const record = value as { readonly [key: string]: Json }
  const own = typeof record.bucket === "string" ? [record.bucket] : []
  return [...own, ...Object.values(record).flatMap((item) => boundBuckets(item))]
}

const worker = (context: ApplyContext): Effect.Effect<Draft, ProviderError> =>
  Effect.gen(function* () {
    const { request, refuse, section } = context
    const name = (yield* fields(request.inputs, refuse).string("name")) ?? request.name
    if (!validName(name, 63)) {
      return yield* refuse("invalid", `the worker name "${name}" is not valid`, {
        code: 10016,
        hint: "lowercase letters, digits and dashes, at most 63"
      })
    }
    const holder = others(section, "worker", context).find((resource) => resource.name === name)
    if (holder !== undefined) return yield* refuse("conflict", taken(holder, "worker"))
    for (const bucketName of boundBuckets(request.inputs.bindings)) {
      if (bucketNamed(section, bucketName) === undefined) {
        return yield* refuse("not-found", `R2 bucket '${bucketName}' not found for the binding`, {
          code: 10085,
          hint: "declare the bucket (r2-bucket) or fix the binding's bucket name"
        })
      }
    }
    return {
      name,
      inputs: request.inputs,
      attributes: { url: `https://${name}.${workersSubdomain}.workers.dev` }
    }
  })

const pages = (context: ApplyContext): Effect.Effect<Draft, ProviderError> =>
  Effect.gen(function* () {
    const { request, refuse, section } = context
    const name = (yield* fields(request.inputs, refuse).string("name")) ?? request.name
    if (!validName(name, 58)) {
      return yield* refuse("invalid", `the project name "${name}" is not valid`, {
        code: 8000001,
        hint: "lowercase letters, digits and dashes, at most 58"
      })
    }
    const holder = others(section, "pages", context).find((resource) => resource.name === name)
    if (holder !== undefined) return yield* refuse("conflict", taken(holder, "project"), { code: 8000002 })
    return {
      name,
      inputs: request.inputs,
      attributes: { url: `https://${name}.pages.dev`, subdomain: `${name}.pages.dev` }
    }
  })

const record = (context: ApplyContext): Effect.Effect<Draft, ProviderError> =>
  Effect.gen(function* () {
    const { request, refuse, section } = context
    const read = fields(request.inputs, refuse)
    // A record's resource name is `<fqdn>/<TYPE>`; inputs may spell both out.
    const slash = request.name.lastIndexOf("/")
    const zone = yield* read.string("zone")
    if (zone === undefined) return yield* refuse("invalid", "a DNS record needs zone")
    const given =
      (yield* read.string("fqdn")) ??
      (yield* read.string("name")) ??
      (slash < 0 ? request.name : request.name.slice(0, slash))
    const fqdn = given === "@" ? zone : given
    const type = ((yield* read.string("type")) ?? (slash < 0 ? "" : request.name.slice(slash + 1))).toUpperCase()
    const content = (yield* read.string("content")) ?? (yield* read.string("value"))
    if (!recordTypes.includes(type)) {
      return yield* refuse("invalid", `unknown record type "${type}" (one of ${recordTypes.join(", ")})`, {
        code: 9004
      })
    }
    if (fqdn !== zone && !fqdn.endsWith(`.${zone}`)) {
      return yield* refuse("invalid", `the record name ${fqdn} is not in the zone ${zone}`, {
        code: 9005,
        hint: `write the full name ending in ${zone}, or "@" for the zone apex`
      })
    }
    if (content === undefined) return yield* refuse("invalid", "a DNS record needs content")
    if (type === "A" && !isIPv4(content)) {
      return yield* refuse("invalid", `Content for A record is invalid. Must be a valid IPv4 address: ${content}`, {
        code: 9005
      })
    }
    if (type === "AAAA" && !isIPv6(content)) {
      return yield* refuse("invalid", `Content for AAAA record is invalid. Must be a valid IPv6 address: ${content}`, {
        code: 9005
      })
    }
    const sameName = others(section, "dns", context).filter((resource) => resource.name === fqdn)
    const twin = sameName.find((resource) => resource.attributes.type === type)
    if (twin !== undefined) {
      return yield* refuse("conflict", `a ${type} record for ${fqdn} already exists${describeOwner(twin)}`, {
        code: 81057
      })
    }
    const clash = sameName.find((resource) => type === "CNAME" || resource.attributes.type === "CNAME")
    if (clash !== undefined) {
      return yield* refuse("conflict", `${fqdn} already has a ${clash.attributes.type} record; a CNAME stands alone`, {
        code: 81053
      })
    }
    return { name: fqdn, inputs: request.inputs, attributes: { fqdn, type, content, zone } }
  })

const destroy = ({ refuse, resource, section }: DestroyContext): Effect.Effect<void, ProviderError> => {
  if (resource.type !== "r2") return Effect.void
  const domains = section.resources.filter(
    (item) =>
      item.type === "r2-domain" && (item.attributes.bucket === resource.name || item.attributes.bucket === resource.id)
  )
  return domains.length === 0
    ? Effect.void
    : Effect.fail(
        refuse(
          "conflict",
          `bucket ${resource.name} still has custom domains: ${domains.map((d) => d.name).join(", ")}`,
          {
            code: 10008,
            hint: "remove its custom domains first"
          }
        )
      )
}

/** The simulated Cloudflare behind the fakes: r2, r2-domain, worker, pages and dns. */
export const make = (runtime: Runtime): CloudProviderService =>
  makeSimulation(
    {
      cloud: "cloudflare",
      name: "sandbox-cloudflare",
      handles: ["r2", "r2-domain", "worker", "pages", "dns"],
      apply: (context) => {
        switch (context.request.type) {
          case "r2":
            return bucket(context)
          case "r2-domain":
            return customDomain(context)
          case "worker":
            return worker(context)
          case "pages":
            return pages(context)
          default:
            return record(context)
        }
      },
      destroy
    },
    runtime
  )
