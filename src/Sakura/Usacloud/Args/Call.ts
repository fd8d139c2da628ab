/**
 * One usacloud invocation and the order of its argument vector: resource, verb, ID, `-y`,
 * `--zone`, `-o json`, the command's flags, then the global flags.
 */
import * as Effect from "effect/Effect"
import { type Check, id, zone } from "./Checks.js"
import { flag, switchFlag } from "./Flags.js"

/** One usacloud invocation as the client runs it. */
export interface Call {
  /** The command for errors and logs, e.g. "server create". */
  readonly command: string
  readonly args: ReadonlyArray<string>
  /** `long` for commands that wait on Sakura Cloud (create, boot, shutdown, wait, delete). */
  readonly duration: "short" | "long"
  /**
   * `any` retries every transient failure. `refused` retries only failures where the API
   * refused the request (423, 429, 503, 409 busy): after a timeout or a dropped connection a
   * create may have happened, and running it again would make a second resource.
   */
  readonly retry: "any" | "refused"
}

export interface Globals {
  readonly profile?: string | undefined
}

export interface Shape {
  readonly resource: string
  /** Empty for a command of one word (`auth-status`). */
  readonly verb: string
  readonly id?: string | undefined
  readonly zone?: string | undefined
  /** `-y`: usacloud asks for confirmation otherwise, and fails without a terminal. */
  readonly confirm?: boolean | undefined
  /** `-o json`. */
  readonly json?: boolean | undefined
  readonly flags?: ReadonlyArray<string> | undefined
  readonly duration?: Call["duration"] | undefined
  readonly retry?: Call["retry"] | undefined
}

const globalArgs = (globals: Globals): ReadonlyArray<string> => [
  "--argument-match-mode",
  "exact",
  ...flag("--profile", globals.profile)
]

export const call = (globals: Globals, shape: Shape): Call => ({
  command: shape.verb === "" ? shape.resource : `${shape.resource} ${shape.verb}`,
  args: [
    shape.resource,
    ...(shape.verb === "" ? [] : [shape.verb]),
    ...(shape.id === undefined ? [] : [shape.id]),
    ...switchFlag("-y", shape.confirm),
    ...flag("--zone", shape.zone),
    ...(shape.json === true ? ["-o", "json"] : []),
    ...(shape.flags ?? []),
    ...globalArgs(globals)
  ],
  duration: shape.duration ?? "short",
  retry: shape.retry ?? "any"
})

type Rest<K extends keyof Shape> = Omit<Shape, "resource" | "verb" | K>

/** A create prints what it made; it is retried only where the API refused it, or it could make two. */
export const creating = (flags: ReadonlyArray<string>, duration: Call["duration"] = "short"): Rest<"zone" | "id"> => ({
  confirm: true,
  json: true,
  flags,
  duration,
  retry: "refused"
})

/** An update prints the resource as it is now. */
export const updating = (flags: ReadonlyArray<string>, duration: Call["duration"] = "short"): Rest<"zone" | "id"> => ({
  confirm: true,
  json: true,
  flags,
  duration
})

/** Calls for one set of global flags, their zone and ID checked. */
export interface Calls {
  readonly plain: (resource: string, verb: string, shape: Rest<"zone" | "id">) => Call
  readonly zoned: (resource: string, verb: string, zoneName: string, shape: Rest<"zone">) => Check<Call>
  readonly zonedId: (
    resource: string,
    verb: string,
    zoneName: string,
    idValue: string,
    shape: Rest<"zone" | "id">
  ) => Check<Call>
  /** A resource of no zone (SSH keys, notes) by its ID. */
  readonly global: (resource: string, verb: string, idValue: string, shape: Rest<"zone" | "id">) => Check<Call>
}

export const calls = (globals: Globals): Calls => {
  const zoned: Calls["zoned"] = (resource, verb, zoneName, shape) =>
    Effect.map(zone(`${resource} ${verb}`, zoneName), (checked) =>
      call(globals, { ...shape, resource, verb, zone: checked })
    )
  return {
    plain: (resource, verb, shape) => call(globals, { ...shape, resource, verb }),
    zoned,
    zonedId: (resource, verb, zoneName, idValue, shape) =>
      Effect.flatMap(id(`${resource} ${verb}`, idValue), (checked) =>
        zoned(resource, verb, zoneName, { ...shape, id: checked })
      ),
    global: (resource, verb, idValue, shape) =>
      Effect.map(id(`${resource} ${verb}`, idValue), (checked) =>
        call(globals, { ...shape, resource, verb, id: checked })
      )
  }
}
