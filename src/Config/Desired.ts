/**
 * A stage's specs expanded into desired resources: one per server, disk, SSH key, startup
 * script, bucket, custom domain, worker, Pages project and DNS record, with the inputs the
 * providers read, each built as its model declares it, and the dependencies the engine orders by.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type { DesiredResource } from "../Resource.js"
import { type ConfigError, configError } from "../Declaration/ConfigError.js"
import { expandDns, expandPages, expandR2, expandWorker } from "./Desired/Cloudflare.js"
import { Collector, type ExpandContext, makeShared } from "../Declaration/Collector.js"
import { expandServer, replicaCount } from "./Desired/Servers.js"
import type { ResourceSpec, ServerSpec } from "./Resources.js"
import { replicaName } from "./Stages.js"
import { didYouMean, listOf } from "../Declaration/Suggest.js"

export type { ExpandContext } from "../Declaration/Collector.js"

/** The names each server expands to (its replicas when scaled), after checking what `--scale` asks for. */
const serverReplicas = (context: ExpandContext, servers: ReadonlyArray<ServerSpec>) =>
  Effect.gen(function* () {
    const requested = context.scale ?? {}
    const scaledNames = servers.filter((server) => server.scale !== undefined).map((server) => server.name)
    for (const name of Object.keys(requested)) {
      if (!scaledNames.includes(name)) {
        const server = servers.find((candidate) => candidate.name === name)
        return yield* configError(
          server?.at ?? { file: context.file, line: 0, column: 0, path: "" },
          server === undefined
            ? `no server \`${name}\` to scale in this stage`
            : `server \`${name}\` has no \`scale\` range`,
          server === undefined
            ? (didYouMean(name, scaledNames) ??
                (scaledNames.length === 0
                  ? "no server of this stage has a scale range"
                  : `scaled servers: ${listOf(scaledNames)}`))
            : "add scale min=1 max=N to the server"
        )
      }
    }
    const replicas = new Map<string, ReadonlyArray<string>>()
    for (const server of servers) {
      const count = yield* replicaCount(server, requested[server.name])
      replicas.set(
        server.name,
        count === undefined ? [server.name] : Array.from({ length: count }, (_, i) => replicaName(server.name, i + 1))
      )
    }
    return replicas
  })

export const expand = (
  context: ExpandContext,
  specs: ReadonlyArray<ResourceSpec>
): Effect.Effect<ReadonlyArray<DesiredResource>, ConfigError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const collector = new Collector()
    const servers = specs.filter((spec): spec is ServerSpec => spec.type === "server")
    const replicas = yield* serverReplicas(context, servers)
    const buckets = new Set(specs.flatMap((spec) => (spec.type === "r2" ? [spec.name] : [])))
    const keys = makeShared()
    const scripts = makeShared()
    for (const spec of specs) {
      switch (spec.type) {
        case "server":
          yield* expandServer(context, collector, keys, scripts, spec, replicas.get(spec.name) ?? [spec.name])
          break
        case "r2":
          yield* expandR2(context, collector, spec)
          break
        case "worker":
          yield* expandWorker(context, collector, spec, buckets)
          break
        case "pages":
          yield* expandPages(context, collector, spec)
          break
        case "dns":
          yield* expandDns(collector, spec, replicas)
          break
      }
    }
    return collector.resources
  })
