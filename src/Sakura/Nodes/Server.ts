/**
 * The `server` node: a Sakura Cloud server with its plan, zone, disk, keys, scripts, DNS names and replica count.
 */
import type * as Either from "effect/Either"
import {
  all,
  allStrings,
  block,
  type Block,
  checkProps,
  checkProvider,
  checkRange,
  type ConfigError,
  configError,
  type DecodeContext,
  decoding,
  type Env,
  type Field,
  fieldChoice,
  fieldStrings,
  fieldValue,
  ifWritten,
  integerValue,
  type KdlNode,
  type Located,
  type Location,
  missing,
  one,
  optional,
  optionalInteger,
  optionalString,
  prop,
  refuse,
  resourceName,
  stringValue
} from "../../Declaration.js"
import { planBounds, type ServerMetadata as ServerMetadataSchema, sakuraZones } from "../Model.js"
import { type DiskSpec, decodeDisk } from "./Disk.js"
import { decodeScriptVars, locatedStrings } from "./KeysAndScripts.js"
import { decodeScale, type ScaleSpec } from "./Scale.js"
import { decodeServerDns, type ServerDnsSpec } from "./ServerDns.js"

/** What the deploy tooling reads about a server, as the Sakura model keeps it. */
export type ServerMetadata = typeof ServerMetadataSchema.Encoded

export interface ServerSpec {
  readonly type: "server"
  readonly name: string
  readonly at: Location
  readonly zone: string
  readonly core: number
  readonly memory: number
  readonly disk: DiskSpec
  readonly sshKeys: ReadonlyArray<Located<string>>
  readonly startupScripts: ReadonlyArray<Located<string>>
  readonly startupScriptVars?: Readonly<Record<string, string>> | undefined
  readonly tags: ReadonlyArray<string>
  readonly description?: string | undefined
  readonly metadata: ServerMetadata
  readonly dns?: ServerDnsSpec | undefined
  readonly scale?: ScaleSpec | undefined
}

const serverFields = [
  "provider",
  "plan",
  "core",
  "memory",
  "disk",
  "disk-size",
  "os",
  "archive",
  "ssh-key",
  "tags",
  "startup-script",
  "init-script-vars",
  "dns",
  "dns-aliases",
  "zone",
  "scale",
  "description",
  "deploy-path",
  "ssh-host",
  "ssh-user",
  "deploy-services"
]

/** Other spellings of the server's fields: alias → canonical. */
export const serverAliases: Readonly<Record<string, string>> = {
  "ssh-keys": "ssh-key",
  tag: "tags",
  "startup-scripts": "startup-script"
}

/** `plan "2core-4gb"` or `plan core=2 memory=4`. */
const decodePlan = (env: Env, field: Field) =>
  decoding((take) => {
    const node = field.node
    if (node !== undefined && node.props.length > 0) {
      take(checkProps(node, ["core", "memory"]))
      const core = prop(node, "core")
      const memory = prop(node, "memory")
      return {
        core: core === undefined ? undefined : take(integerValue(env, core.value, "`core`", 1)),
        memory: memory === undefined ? undefined : take(integerValue(env, memory.value, "`memory`", 1))
      }
    }
    const value = take(fieldValue(env, field))
    const text = take(stringValue(env, value, "`plan`"))
    const match = /^(\d+)\s*core-(\d+)\s*gb$/i.exec(text.trim())
    if (match === null) {
      return refuse(
        take,
        configError(
          value.at,
          `\`plan\` must look like "2core-4gb", got ${JSON.stringify(text)}`,
          'write plan "2core-4gb" or plan core=2 memory=4'
        )
      )
    }
    return { core: Number(match[1]), memory: Number(match[2]) }
  })

const decodeMetadata = (env: Env, fields: Block) =>
  decoding((take) => {
    const metadata: ServerMetadata = {
      ...optional("deployPath", take(optionalString(env, one(fields, "deploy-path")))),
      ...optional("sshHost", take(optionalString(env, one(fields, "ssh-host")))),
      ...optional("sshUser", take(optionalString(env, one(fields, "ssh-user")))),
      ...optional(
        "deployServices",
        take(ifWritten(one(fields, "deploy-services"), (field) => fieldStrings(env, field)))
      )
    }
    return metadata
  })

export const decodeServer = (context: DecodeContext, node: KdlNode): Either.Either<ServerSpec, ConfigError> =>
  decoding((take) => {
    const env = context.env
    const name = take(resourceName(env, node))
    const fields = take(block(node, serverFields, { aliases: serverAliases }))
    take(checkProvider(env, fields, "sakura-cloud"))
    const plan = take(ifWritten(one(fields, "plan"), (field) => decodePlan(env, field)))
    const core = take(optionalInteger(env, one(fields, "core"), 1)) ?? plan?.core
    const memory = take(optionalInteger(env, one(fields, "memory"), 1)) ?? plan?.memory
    if (core === undefined || memory === undefined) {
      return refuse(
        take,
        missing(
          node,
          core === undefined ? "a plan (CPU cores)" : "a plan (memory)",
          'write plan core=2 memory=4 or plan "2core-4gb"'
        )
      )
    }
    const planAt = (name: string) => (one(fields, name) ?? one(fields, "plan"))?.at ?? node.at
    take(checkRange(core, planBounds.core, planAt("core"), "`core` (CPU cores)"))
    take(checkRange(memory, planBounds.memory, planAt("memory"), "`memory`", " GB"))
    const disk = take(decodeDisk(env, node, fields))
    const zoneField = one(fields, "zone")
    const zone =
      zoneField === undefined
        ? context.sakuraZone
        : take(fieldChoice(env, zoneField, sakuraZones, "zone", (text) => text.toLowerCase()))
    if (zone === undefined && context.providersFailed !== true) {
      return refuse(
        take,
        configError(node.at, "no zone: set providers { sakura-cloud { zone ... } } or zone on the server")
      )
    }
    const tags = take(allStrings(env, fields, "tags"))
    const metadata = take(decodeMetadata(env, fields))
    const spec: ServerSpec = {
      type: "server",
      name,
      at: node.at,
      zone: zone ?? "",
      core,
      memory,
      disk,
      sshKeys: take(locatedStrings(env, all(fields, "ssh-key"))),
      startupScripts: take(locatedStrings(env, all(fields, "startup-script"))),
      tags,
      metadata,
      ...optional(
        "startupScriptVars",
        take(ifWritten(one(fields, "init-script-vars"), (field) => decodeScriptVars(env, field)))
      ),
      ...optional("description", take(optionalString(env, one(fields, "description")))),
      ...optional("dns", take(decodeServerDns(context, fields))),
      ...optional("scale", take(ifWritten(one(fields, "scale"), (field) => decodeScale(env, field))))
    }
    return spec
  })
