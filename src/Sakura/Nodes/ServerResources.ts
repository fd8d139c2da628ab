/**
 * A declared server expanded into its resources: per replica a disk and a server, the SSH keys
 * and startup scripts it names, and the DNS records of its host name and aliases.
 */
import * as Effect from "effect/Effect"
import {
  type Collector,
  type ConfigError,
  type ExpandContext,
  type Expansion,
  optional,
  ref
} from "../../Declaration.js"
import type { ResourceKey } from "../../Resource.js"
import type { Declared } from "./Declared.js"
import { makeShared, type Named, type Shared, scriptResource, sshKeyResource } from "./KeyAndScriptResources.js"
import { replicaName, serverReplicas } from "./Replicas.js"
import type { ServerSpec } from "./Server.js"

export const qualifyHost = (host: string, zone: string) => {
  const lower = host.toLowerCase().replace(/\.$/, "")
  return lower === zone || lower.endsWith("." + zone) ? lower : `${lower}.${zone}`
}

const referencedKeys = (items: ReadonlyArray<Named>): ReadonlyArray<ResourceKey> =>
  items.flatMap((item) => (typeof item === "object" ? [item.$ref] : []))

/** The A record of a server's host name (its first replica's address), and a CNAME per alias. */
const expandServerDns = (collector: Collector<Declared>, dns: NonNullable<ServerSpec["dns"]>, serverKey: ResourceKey) =>
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

const expandServer = (
  context: ExpandContext,
  collector: Collector<Declared>,
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

/** The stage's servers, ready to expand: each into its replicas, sharing one resource per SSH key or script content. */
export const expandServers = (
  context: ExpandContext,
  servers: ReadonlyArray<ServerSpec>
): Effect.Effect<Expansion<ServerSpec, Declared>, ConfigError> =>
  Effect.gen(function* () {
    const replicas = yield* serverReplicas(context, servers)
    const keys = makeShared()
    const scripts = makeShared()
    return {
      entries: [...replicas].map(([name, names]) => ({ name, names })),
      expand: (server, collector) =>
        expandServer(context, collector, keys, scripts, server, replicas.get(server.name) ?? [server.name])
    }
  })
