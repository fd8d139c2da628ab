/**
 * A KDL node as the declarations read it: its arguments, properties and children, each with where it was written.
 */
import type { Location } from "./ConfigError.js"

export type Scalar = string | number | boolean | null

export interface KdlValue {
  readonly value: Scalar
  readonly at: Location
}

export interface KdlProperty {
  /** As written; see `fieldName` for comparisons. */
  readonly key: string
  readonly value: KdlValue
  readonly at: Location
}

export interface KdlNode {
  readonly name: string
  readonly args: ReadonlyArray<KdlValue>
  /** One per key (the last one written wins, as in KDL), in the order written. */
  readonly props: ReadonlyArray<KdlProperty>
  readonly children: ReadonlyArray<KdlNode>
  readonly at: Location
}

/** `-` and `_` spell the same field: `disk-size`, `disk_size`. */
export const fieldName = (name: string): string => name.replaceAll("_", "-").toLowerCase()

/** A field named like an API token: `token`, `api-token`, `api_token`, `apitoken`, `cf-api-token`. */
export const isTokenField = (name: string): boolean => {
  // Asked of every field of every node: most names do not end in `n`, which needs no string built.
  let end = name.length - 1
  while (end >= 0 && (name[end] === "-" || name[end] === "_")) end--
  if (name[end] !== "n" && name[end] !== "N") return false
  return /token$/.test(fieldName(name).replaceAll("-", ""))
}
