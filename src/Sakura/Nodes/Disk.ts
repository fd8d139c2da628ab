/**
 * A server's disk: the `disk` block (`disk size=40 os="ubuntu-24.04"`), and the server-level `disk-size`, `os`
 * and `archive` that override it.
 */
import type * as Either from "effect/Either"
import {
  block,
  type Block,
  checkRange,
  type ConfigError,
  configError,
  decoding,
  didYouMean,
  type Env,
  type Field,
  fieldChoice,
  fieldValue,
  ifWritten,
  integerValue,
  type KdlNode,
  listOf,
  type Location,
  missing,
  one,
  optional,
  optionalInteger,
  optionalString,
  refuse,
  stringValue
} from "../../Declaration.js"
import { diskPlans, osTypes, planBounds } from "../Model.js"

export interface DiskSpec {
  readonly size: number
  readonly plan: "ssd" | "hdd"
  readonly os?: string | undefined
  readonly archive?: string | undefined
  readonly at: Location
}

interface DiskParts {
  readonly size?: number | undefined
  readonly plan: "ssd" | "hdd"
  readonly os?: string | undefined
  readonly archive?: string | undefined
}

const decodeOs = (env: Env, field: Field) =>
  decoding((take) => {
    const value = take(fieldValue(env, field))
    const os = take(stringValue(env, value, "`os`")).toLowerCase()
    const type = osTypes[os]
    if (type !== undefined) return type
    const names = Object.keys(osTypes)
    return refuse(
      take,
      configError(
        value.at,
        `unknown OS \`${os}\``,
        `${didYouMean(os, names) ?? ""} valid OS names: ${listOf(names)}`.trim()
      )
    )
  })

/** The `disk` block; a bare argument (`disk 40`) is its size. */
const decodeDiskNode = (env: Env, node: KdlNode) =>
  decoding((take) => {
    const disk = take(block(node, ["size", "os", "plan", "archive"], { props: true }))
    const sizeField = one(disk, "size")
    const size = take(optionalInteger(env, sizeField, 1))
    const plan = take(
      ifWritten(one(disk, "plan"), (field) =>
        fieldChoice(env, field, diskPlans, "disk plan", (text) => text.toLowerCase())
      )
    )
    const os = take(ifWritten(one(disk, "os"), (field) => decodeOs(env, field)))
    const archive = take(optionalString(env, one(disk, "archive")))
    const first = node.args[0]
    const parts: DiskParts = {
      size: sizeField === undefined && first !== undefined ? take(integerValue(env, first, "`disk`", 1)) : size,
      plan: plan ?? "ssd",
      os,
      archive
    }
    return parts
  })

export const decodeDisk = (env: Env, server: KdlNode, fields: Block): Either.Either<DiskSpec, ConfigError> =>
  decoding((take) => {
    const diskField = one(fields, "disk")
    const parts: DiskParts = diskField?.node === undefined ? { plan: "ssd" } : take(decodeDiskNode(env, diskField.node))
    const at = diskField?.node === undefined ? server.at : diskField.at
    // Server-level `disk-size`, `os` and `archive` win over the `disk` node, so a stage can override one of them.
    const size = take(optionalInteger(env, one(fields, "disk-size"), 1)) ?? parts.size
    const os = take(ifWritten(one(fields, "os"), (field) => decodeOs(env, field))) ?? parts.os
    const archive = take(optionalString(env, one(fields, "archive"))) ?? parts.archive
    if (size === undefined) {
      return refuse(take, missing(server, "a disk size", 'write disk size=40 os="ubuntu-24.04" or disk-size 40'))
    }
    const sizeAt = (one(fields, "disk-size") ?? diskField)?.at ?? server.at
    take(checkRange(size, planBounds.diskSize, sizeAt, "the disk size", " GB"))
    if (os === undefined && archive === undefined) {
      return refuse(take, missing(server, "an OS or an archive", 'write os "ubuntu-24.04" or archive "name-or-id"'))
    }
    if (os !== undefined && archive !== undefined) {
      return refuse(
        take,
        configError(at, "a disk takes either an OS or an archive, not both", "remove `os` or `archive`")
      )
    }
    const disk: DiskSpec = {
      size,
      plan: parts.plan,
      at,
      ...optional("os", os),
      ...optional("archive", archive)
    }
    return disk
  })
