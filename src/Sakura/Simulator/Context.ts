/**
 * What a simulated command runs with: its parsed invocation, the environment it sees, the
 * time, and what those say about the zones it works in and how arguments match.
 */
import * as NodeFs from "node:fs"
import { type Invocation, listFlag, stringFlag } from "./Args.js"
import { zones } from "./Cloud.js"

export interface Context {
  readonly invocation: Invocation
  readonly env: Readonly<Record<string, string>>
  readonly now: number
  readonly bootTimeMillis: number
}

export const envValue = (env: Readonly<Record<string, string>>, name: string): string | undefined => {
  const value = env[`SAKURA_${name}`] ?? env[`SAKURACLOUD_${name}`]
  return value === undefined || value === "" ? undefined : value
}

export const matchMode = (context: Context): string =>
  stringFlag(context.invocation, "argument-match-mode") ?? envValue(context.env, "ARGUMENT_MATCH_MODE") ?? "partial"

export const permittedZones = (context: Context): ReadonlyArray<string> => {
  const configured = listFlag(context.invocation, "zones") ?? envValue(context.env, "ZONES")?.split(",")
  return configured !== undefined && configured.length > 0 ? configured : zones
}

export const zoneOf = (context: Context): string | undefined =>
  stringFlag(context.invocation, "zone") ?? envValue(context.env, "ZONE")

/** The zones a zoned command works in: one, or every zone for `all`. */
export const zonesOf = (context: Context): ReadonlyArray<string> => {
  const zone = zoneOf(context)!
  return zone === "all" ? permittedZones(context).filter((name) => name !== "all") : [zone]
}

export const inZones = <A extends { readonly zone: string }>(context: Context, items: ReadonlyArray<A>) => {
  const wanted = zonesOf(context)
  return items.filter((item) => wanted.includes(item.zone))
}

/** A flag that names a file or holds the content itself, as usacloud reads it. */
export const readPathOrContent = (value: string): string => {
  try {
    if (NodeFs.existsSync(value) && NodeFs.statSync(value).isFile()) return NodeFs.readFileSync(value, "utf8")
  } catch {
    // Not a readable file: the value is the content.
  }
  return value
}
