/**
 * Resource nodes (`server`, `r2-bucket`, `worker`, `pages`, `dns`) decoded into typed specs, each by the decoder of
 * its node in `Resources/`. Everything that needs no file system is checked here, so `load` reports it.
 */
import * as Effect from "effect/Effect"
import type { ConfigError } from "../Declaration/ConfigError.js"
import { fieldName, type KdlNode } from "../Declaration/KdlNode.js"
import { type DecodeContext, rejectTokens } from "../Declaration/ResourceFields.js"
import { decodeDnsZone, type DnsZoneSpec } from "./Resources/Dns.js"
import { decodePages, type PagesSpec } from "./Resources/Pages.js"
import { decodeR2, type R2Spec } from "./Resources/R2.js"
import { decodeServer, type ServerSpec, serverAliases } from "./Resources/Server.js"
import { decodeWorker, type WorkerSpec, workerAliases } from "./Resources/Worker.js"

export {
  type DecodeContext,
  type Located,
  optional,
  rejectTokens,
  resourceName
} from "../Declaration/ResourceFields.js"
export type { DiskSpec } from "./Resources/Disk.js"
export {
  checkAddress,
  type DnsZoneSpec,
  decodeDnsZone,
  parseReference,
  qualify,
  type RecordSpec,
  type ServerReference
} from "./Resources/Dns.js"
export { decodePages, type PagesSpec } from "./Resources/Pages.js"
export { type CorsSpec, type CustomDomainSpec, decodeR2, type R2Spec } from "./Resources/R2.js"
export type { ScaleSpec } from "./Resources/Scale.js"
export { decodeServer, type ServerMetadata, type ServerSpec } from "./Resources/Server.js"
export type { ServerDnsSpec } from "./Resources/ServerDns.js"
export { type BindingSpec, decodeWorker, type RouteSpec, type WorkerSpec } from "./Resources/Worker.js"

export type ResourceSpec = ServerSpec | R2Spec | WorkerSpec | PagesSpec | DnsZoneSpec

export const resourceNodes = ["server", "r2-bucket", "worker", "pages", "dns"] as const
export type ResourceNode = (typeof resourceNodes)[number]

export const isResourceNode = (name: string): name is ResourceNode =>
  (resourceNodes as ReadonlyArray<string>).includes(fieldName(name))

interface ResourceDecoder {
  readonly decode: (context: DecodeContext, node: KdlNode) => Effect.Effect<ResourceSpec, ConfigError>
  /** Other spellings of its fields that a stage's override replaces too: alias → canonical. */
  readonly aliases: Readonly<Record<string, string>>
}

const decoders: Readonly<Record<ResourceNode, ResourceDecoder>> = {
  server: { decode: decodeServer, aliases: serverAliases },
  "r2-bucket": { decode: decodeR2, aliases: {} },
  worker: { decode: decodeWorker, aliases: workerAliases },
  pages: { decode: decodePages, aliases: {} },
  dns: { decode: decodeDnsZone, aliases: {} }
}

/** The canonical field name of a child of a resource node, for template overrides. */
export const canonicalField = (resource: ResourceNode, name: string): string => {
  const normalized = fieldName(name)
  return decoders[resource].aliases[normalized] ?? normalized
}

export const decodeResource = (context: DecodeContext, node: KdlNode): Effect.Effect<ResourceSpec, ConfigError> =>
  Effect.gen(function* () {
    yield* rejectTokens(node)
    return yield* decoders[fieldName(node.name) as ResourceNode].decode(context, node)
  })
