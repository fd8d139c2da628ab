/**
 * The Sakura Cloud nodes of the configuration: for each, how its KDL node is decoded and what it expands to.
 */
import type { NodeKind } from "../Declaration.js"
import type { Declared } from "./Nodes/Declared.js"
import { possibleNames } from "./Nodes/Replicas.js"
import { decodeServer, type ServerSpec, serverAliases } from "./Nodes/Server.js"
import { expandServers } from "./Nodes/ServerResources.js"

export type { Declared, HostRecord } from "./Nodes/Declared.js"
export type { DiskSpec } from "./Nodes/Disk.js"
export type { ScaleSpec } from "./Nodes/Scale.js"
export type { ServerMetadata, ServerSpec } from "./Nodes/Server.js"
export type { ServerDnsSpec } from "./Nodes/ServerDns.js"

export const server: NodeKind<ServerSpec, Declared> = {
  node: "server",
  type: "server",
  aliases: serverAliases,
  decode: decodeServer,
  names: possibleNames,
  expansion: expandServers
}

export const kinds = [server] as const
