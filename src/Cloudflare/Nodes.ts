/**
 * The Cloudflare nodes of the configuration: for each, how its KDL node is decoded and what it expands to.
 */
import * as Effect from "effect/Effect"
import { eachAlone, type NodeKind, type StageCheck } from "../Declaration.js"
import type { Declared } from "./Model.js"
import { type DnsZoneSpec, decodeDnsZone, expandDns, settleDnsZone } from "./Nodes/Dns.js"
import { decodePages, expandPages, type PagesSpec } from "./Nodes/Pages.js"
import { decodeR2, expandR2, type R2Spec } from "./Nodes/R2.js"
import { checkRecordNames } from "./Nodes/RecordNames.js"
import { checkRoutes, decodeWorker, expandWorker, type WorkerSpec, workerAliases } from "./Nodes/Worker.js"

export type { DnsZoneSpec, RecordSpec, ServerReference } from "./Nodes/Dns.js"
export type { PagesSpec } from "./Nodes/Pages.js"
export type { CorsSpec, CustomDomainSpec, R2Spec } from "./Nodes/R2.js"
export type { BindingSpec, RouteSpec, WorkerSpec } from "./Nodes/Worker.js"

export const r2: NodeKind<R2Spec, Declared> = {
  node: "r2-bucket",
  type: "r2",
  aliases: {},
  decode: decodeR2,
  expansion: eachAlone(expandR2)
}

export const worker: NodeKind<WorkerSpec, Declared> = {
  node: "worker",
  type: "worker",
  aliases: workerAliases,
  decode: decodeWorker,
  expansion: (context, specs) => Effect.andThen(checkRoutes(specs), eachAlone(expandWorker)(context, specs))
}

export const pages: NodeKind<PagesSpec, Declared> = {
  node: "pages",
  type: "pages",
  aliases: {},
  decode: decodePages,
  expansion: eachAlone(expandPages)
}

export const dns: NodeKind<DnsZoneSpec, Declared> = {
  node: "dns",
  type: "dns",
  aliases: {},
  decode: decodeDnsZone,
  settle: settleDnsZone,
  expansion: eachAlone((_context, zone, collector, stage) => expandDns(zone, collector, stage))
}

export const kinds = [r2, worker, pages, dns] as const

/** DNS records are declared by servers too: their names are checked once the whole stage is expanded. */
export const stageChecks: ReadonlyArray<StageCheck> = [checkRecordNames]
