/**
 * A declared server expanded into its resources: per replica a disk and a server, the SSH keys
 * and startup scripts it names, and the DNS records of its host name and aliases.
 */
import * as Effect from "effect/Effect"
import type { ResourceKey } from "../../Resource.js"
import { configError } from "../ConfigError.js"
import { optional, type ServerSpec } from "../Resources.js"
import { replicaName } from "../Stages.js"
import { type Collector, type ExpandContext, ref, type Shared } from "./Collector.js"
import { type Named, scriptResource, sshKeyResource } from "./KeysAndScripts.js"

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

export const qualifyHost = (host: string, zone: string) => {
  const lower = host.toLowerCase().replace(/\.$/, "")
  return lower === zone || lower.endsWith("." + zone) ? lower : `${lower}.${zone}`
}

const referencedKeys = (items: ReadonlyArray<Named>): ReadonlyArray<ResourceKey> =>
  items.flatMap((item) => (typeof item === "object" ? [item.$ref] : []))

/** The A record of a server's host name (its first replica's address), and a CNAME per alias. */
const expandServerDns = (collector: Collector, dns: NonNullable<ServerSpec["dns"]>, serverKey: ResourceKey) =>
  Effect.gen(function* () {
    const fqdn = qualifyHost(dns.hostname, dns.zone)
    const aKey = yield* collector.add(
      "dns",
      `${fqdn}/A`,
      { zone: dns.zone, name: fqdn, type: "A", content: ref(serverKey, "ip"), proxied: false, ttl: 1 },
      [serverKey],
      dns.at
    )
    for (const alias of dns.aliases) {
      const aliasFqdn = qualifyHost(alias, dns.zone)
      yield* collector.add(
        "dns",
        `${aliasFqdn}/CNAME`,
        { zone: dns.zone, name: aliasFqdn, type: "CNAME", content: fqdn, proxied: false, ttl: 1 },
        [aKey],
        dns.at
      )
    }
  })

export const expandServer = (
  context: ExpandContext,
  collector: Collector,
  keys: Shared,
  scripts: Shared,
  server: ServerSpec,
  names: ReadonlyArray<string>
) =>
  Effect.gen(function* () {
    const sshKeys: Array<Named> = []
    for (const value of server.sshKeys) sshKeys.push(yield* sshKeyResource(context, collector, keys, value))
    const startupScripts: Array<Named> = []
    for (const value of server.startupScripts)
      startupScripts.push(yield* scriptResource(context, collector, scripts, value))
    const shared = referencedKeys([...sshKeys, ...startupScripts])
    const scaled = server.scale !== undefined
    const metadata = server.metadata
    const hasMetadata = Object.keys(metadata).length > 0
    for (const [index, name] of names.entries()) {
      const disk = server.disk
      const diskKey = yield* collector.add(
        "disk",
        name,
        {
          zone: server.zone,
          size: disk.size,
          plan: disk.plan,
          connection: "virtio",
          ...optional("os", disk.os),
          ...optional("archive", disk.archive)
        },
        [],
        disk.at
      )
      const hostname =
        server.dns === undefined
          ? undefined
          : scaled
            ? replicaName(server.dns.hostname, index + 1)
            : server.dns.hostname
      const serverKey = yield* collector.add(
        "server",
        name,
        {
          zone: server.zone,
          core: server.core,
          memory: server.memory,
          commitment: "standard",
          status: "up",
          disk: ref(diskKey, "id"),
          sshKeys,
          startupScripts,
          tags: [...server.tags],
          ...optional("description", server.description),
          ...optional("hostname", hostname),
          ...optional("startupScriptVars", server.startupScriptVars),
          ...optional("metadata", hasMetadata ? metadata : undefined)
        },
        [diskKey, ...shared],
        server.at
      )
      // A scaled server's records point at its first replica: one name, one stable address.
      if (server.dns !== undefined && index === 0) yield* expandServerDns(collector, server.dns, serverKey)
    }
  })
