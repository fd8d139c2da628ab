/**
 * The values of a usacloud command line, checked before a process runs: IDs are numeric
 * (usacloud otherwise matches names and tags by substring), zones are single zones
 * (`--zone=all` would create in every zone), sizes are whole numbers, names are not empty.
 */
import * as Effect from "effect/Effect"
import * as Errors from "../Errors.js"

export type Check<A> = Effect.Effect<A, Errors.UsacloudError>

export const refuse = (command: string, detail: string) => Effect.fail(Errors.make(command, "invalid", detail))

export const isId = (value: string): boolean => /^[1-9][0-9]{0,15}$/.test(value) && Number.isSafeInteger(Number(value))

/** A numeric ID, refused otherwise: usacloud would match a name or tag containing it. */
export const id = (command: string, value: string, what = "ID"): Check<string> =>
  isId(value)
    ? Effect.succeed(value)
    : refuse(command, `${what} must be a numeric Sakura Cloud ID, got ${JSON.stringify(value)}`)

export const ids = (command: string, values: ReadonlyArray<string>, what: string) =>
  Effect.forEach(values, (value) => id(command, value, what))

export const zone = (command: string, value: string): Check<string> =>
  value !== "all" && /^[a-z][a-z0-9]*$/.test(value)
    ? Effect.succeed(value)
    : refuse(command, `zone must be one zone such as is1a or tk1b, got ${JSON.stringify(value)}`)

export const count = (command: string, what: string, value: number): Check<string> =>
  Number.isSafeInteger(value) && value > 0
    ? Effect.succeed(String(value))
    : refuse(command, `${what} must be a whole number above 0, got ${value}`)

export const name = (command: string, value: string, what = "name"): Check<string> =>
  value.trim().length > 0 ? Effect.succeed(value) : refuse(command, `${what} must not be empty`)

const hasChange = (changes: object) => Object.values(changes).some((value) => value !== undefined)

/** An update sets some field, and a new name is not empty. */
export const checkUpdate = (command: string, fields: { readonly name?: string | undefined }): Check<void> =>
  Effect.gen(function* () {
    if (!hasChange(fields)) return yield* refuse(command, "nothing to change")
    if (fields.name !== undefined) yield* name(command, fields.name)
  })
