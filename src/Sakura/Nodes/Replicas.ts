/**
 * A scaled server's replicas: their names, and how many of them a stage gets, checked against the ranges the
 * servers declare and the counts `--scale` asks for.
 */
import * as Effect from "effect/Effect"
import { configError, didYouMean, type ExpandContext, listOf } from "../../Declaration.js"
import type { ServerSpec } from "./Server.js"

/** Replica names of a scaled server, up to its maximum. */
export const replicaName = (name: string, index: number) => `${name}-${String(index).padStart(2, "0")}`

/** Every name a server's resources may take, whatever count is asked for: its own, and each replica's. */
export const possibleNames = (server: ServerSpec): ReadonlyArray<string> =>
  server.scale === undefined
    ? [server.name]
    : [server.name, ...Array.from({ length: server.scale.max }, (_, i) => replicaName(server.name, i + 1))]

/** How many replicas each scaled server gets, checked against its range. */
export const replicaCount = (server: ServerSpec, requested: number | undefined) =>
  Effect.gen(function* () {
    const scale = server.scale
    if (scale === undefined) return undefined
    const count = requested ?? scale.min
    if (!Number.isInteger(count) || count < scale.min || count > scale.max) {
      return yield* configError(
        scale.at,
        `scale of \`${server.name}\` must be between ${scale.min} and ${scale.max}, got ${count}`,
        `choose a count from ${scale.min} to ${scale.max}, or change the range`
      )
    }
    return count
  })

/** The names each server expands to (its replicas when scaled), after checking what `--scale` asks for. */
export const serverReplicas = (context: ExpandContext, servers: ReadonlyArray<ServerSpec>) =>
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
