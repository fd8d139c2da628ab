/**
 * The Cloudflare resources of a stage: R2 buckets and their custom domains, workers, Pages
 * projects and DNS zones' records, built as the Cloudflare models declare them.
 */
import * as Effect from "effect/Effect"
import type { DeclaredBucket } from "../../Cloudflare/Model.js"
import { makeKey, type Reference, type ResourceKey } from "../../Resource.js"
import { configError } from "../../Declaration/ConfigError.js"
import { type DnsZoneSpec, optional, type PagesSpec, type R2Spec, type WorkerSpec } from "../Resources.js"
import { didYouMean, listOf } from "../../Declaration/Suggest.js"
import { type Collector, type ExpandContext, ref } from "../../Declaration/Collector.js"
import { checkedHash, existingPath, portablePath, resolvePath } from "../../Declaration/Files.js"

/** The zone of a custom domain: the given one, the cloudflare zone if it contains the host, else the last two labels. */
const domainZone = (host: string, given: string | undefined, cloudflareZone: string | undefined) => {
  if (given !== undefined) return given
  if (cloudflareZone !== undefined && (host === cloudflareZone || host.endsWith("." + cloudflareZone))) {
    return cloudflareZone
  }
  return host.split(".").slice(-2).join(".")
}

export const expandR2 = (context: ExpandContext, collector: Collector, bucket: R2Spec) =>
  Effect.gen(function* () {
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

export const expandWorker = (
  context: ExpandContext,
  collector: Collector,
  worker: WorkerSpec,
  buckets: ReadonlySet<string>
) =>
  Effect.gen(function* () {
    const source = yield* resolvePath(context.directory, worker.source.value)
    yield* existingPath(source, worker.source.at, "worker source", "file or folder")
    const sourceHash = yield* checkedHash(source, worker.source.at, "worker source")
    const dependsOn = worker.bindings.flatMap((binding) =>
      binding.type === "r2" && buckets.has(binding.bucket) ? [makeKey("r2", binding.bucket)] : []
    )
    yield* collector.add(
      "worker",
      worker.name,
      {
        name: worker.name,
        source: portablePath(context.directory, source),
        sourceHash,
        routes: worker.routes.map((route) => ({ pattern: route.pattern, ...optional("zone", route.zone) })),
        ...optional("compatibilityDate", worker.compatibilityDate),
        compatibilityFlags: [...worker.compatibilityFlags],
        bindings: worker.bindings.map((binding) => ({ ...binding }))
      },
      dependsOn,
      worker.at
    )
  })

export const expandPages = (context: ExpandContext, collector: Collector, pages: PagesSpec) =>
  Effect.gen(function* () {
    const directory = yield* resolvePath(context.directory, pages.directory.value)
    yield* existingPath(directory, pages.directory.at, "Pages directory", "folder")
    const directoryHash = yield* checkedHash(directory, pages.directory.at, "Pages directory")
    yield* collector.add(
      "pages",
      pages.name,
      {
        name: pages.name,
        directory: portablePath(context.directory, directory),
        directoryHash,
        productionBranch: pages.productionBranch,
        ...optional("branch", pages.branch)
      },
      [],
      pages.at
    )
  })

/** The names each declared server expands to. */
export type ServerReplicas = ReadonlyMap<string, ReadonlyArray<string>>

export const expandDns = (collector: Collector, zone: DnsZoneSpec, replicas: ServerReplicas) =>
  Effect.gen(function* () {
    for (const record of zone.records) {
      let content: string | Reference
      const dependsOn: Array<ResourceKey> = []
      if (typeof record.content === "string") content = record.content
      else {
        const { server, attribute } = record.content
        // A scaled server's base name means its first replica, as for its own records.
        const target = replicas.get(server)?.[0] ?? server
        const known = new Set([...replicas.values()].flat())
        if (!known.has(target)) {
          return yield* configError(
            record.at,
            `dangling reference \`server.${server}.${attribute}\`: no server \`${server}\` in this stage`,
            didYouMean(server, known) ?? (known.size === 0 ? "this stage has no servers" : `servers: ${listOf(known)}`)
          )
        }
        const key = makeKey("server", target)
        content = ref(key, attribute)
        dependsOn.push(key)
      }
      yield* collector.add(
        "dns",
        `${record.fqdn}/${record.type}`,
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
