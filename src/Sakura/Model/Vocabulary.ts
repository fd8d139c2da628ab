/**
 * The closed sets of values Sakura Cloud accepts, and the field schemas its resource types share.
 */
import * as Schema from "effect/Schema"

export const sakuraZones = ["tk1a", "tk1b", "is1a", "is1b", "is1c", "tk1v"] as const

/** OS names as written → usacloud `--os-type`. */
export const osTypes: Readonly<Record<string, string>> = {
  "ubuntu-24.04": "ubuntu2404",
  "ubuntu-22.04": "ubuntu2204",
  ubuntu: "ubuntu",
  "debian-12": "debian12",
  "debian-11": "debian11",
  debian: "debian",
  "almalinux-9": "almalinux9",
  "almalinux-8": "almalinux8",
  almalinux: "almalinux",
  "rockylinux-9": "rockylinux9",
  "rockylinux-8": "rockylinux8",
  rockylinux: "rockylinux",
  ubuntu2404: "ubuntu2404",
  ubuntu2204: "ubuntu2204",
  debian12: "debian12",
  debian11: "debian11",
  almalinux9: "almalinux9",
  almalinux8: "almalinux8",
  rockylinux9: "rockylinux9",
  rockylinux8: "rockylinux8"
}

export const diskPlans = ["ssd", "hdd"] as const

/** What Sakura Cloud's plans allow at most and at least: CPU cores, memory (GB), disk size (GB). */
export const planBounds = {
  core: { minimum: 1, maximum: 192 },
  memory: { minimum: 1, maximum: 1920 },
  diskSize: { minimum: 20, maximum: 4096 }
} as const

/** The startup scripts that ship with FleetFlow; their texts are in `BuiltinScripts.ts`. */
export const builtinScriptNames = ["fleetflow-docker-setup"] as const
export type BuiltinScriptName = (typeof builtinScriptNames)[number]

export const Zone = Schema.String.pipe(Schema.pattern(/^[a-z][a-z0-9]*$/))

/** A list that may be left out: empty then. */
export const Tags = Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] })

/** The fields of a resource's inputs Sakura Cloud cannot report: kept only in FleetFlow's state. */
export type UnobservedFields<Inputs> = ReadonlyArray<keyof Inputs & string>
