/**
 * The state's journal: what changed at each write since `state.json` was last written in full,
 * one JSON line per write, appended and synced. Rewriting the whole state after every action
 * made an apply quadratic in the number of resources; a line holds only what the action
 * changed, and the full file is rewritten once the journal is about as long as the state.
 *
 * A line names the serial of the `state.json` it applies to (`base`): lines written before
 * the file was rewritten, or after it was restored from the backup, name another base and
 * are passed over. A last line without its newline is a write that a crash cut short; it was
 * never acknowledged and is dropped.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { StoredResource } from "../Resource.js"

interface StateLike<P, C> {
  readonly lineage: string
  readonly serial: number
  readonly resources: Readonly<Record<string, StoredResource>>
  readonly pending: ReadonlyArray<P>
  readonly scale?: C | undefined
}

/** One write's line: the resources it set or removed, and the intents and scale counts as they are after it. */
export const entrySchema = <P, PI, C, CI>(pending: Schema.Schema<P, PI>, scale: Schema.Schema<C, CI>) =>
  Schema.Struct({
    base: Schema.NonNegativeInt,
    serial: Schema.NonNegativeInt,
    lineage: Schema.String,
    set: Schema.Record({ key: Schema.String, value: StoredResource }),
    remove: Schema.Array(Schema.String),
    pending: Schema.Array(pending),
    scale: Schema.optional(scale)
  })

export interface Entry<P, C> {
  readonly base: number
  readonly serial: number
  readonly lineage: string
  readonly set: Readonly<Record<string, StoredResource>>
  readonly remove: ReadonlyArray<string>
  readonly pending: ReadonlyArray<P>
  readonly scale?: C | undefined
}

/** What changed from `before` to `after`; resources are compared by identity first, as the engine keeps unchanged ones. */
export const entryOf = <P, C>(base: number, before: StateLike<P, C>, after: StateLike<P, C>): Entry<P, C> => {
  // Runs at every write over the whole state: plain loops, no arrays of entries to collect.
  const set: Record<string, StoredResource> = {}
  for (const key in after.resources) {
    const resource = after.resources[key]!
    const previous = before.resources[key]
    if (previous !== resource && JSON.stringify(previous) !== JSON.stringify(resource)) set[key] = resource
  }
  const remove: Array<string> = []
  for (const key in before.resources) if (!(key in after.resources)) remove.push(key)
  return {
    base,
    serial: after.serial,
    lineage: after.lineage,
    set,
    remove,
    pending: after.pending,
    ...(after.scale === undefined ? {} : { scale: after.scale })
  }
}

/** `state` with one entry's changes applied; the caller has checked that the entry follows it. */
export const applyEntry = <P, C, S extends StateLike<P, C>>(state: S, entry: Entry<P, C>): S => {
  const resources: Record<string, StoredResource> = { ...state.resources, ...entry.set }
  for (const key of entry.remove) delete resources[key]
  const { scale: _, ...rest } = state
  return {
    ...rest,
    serial: entry.serial,
    resources,
    pending: entry.pending,
    ...(entry.scale === undefined ? {} : { scale: entry.scale })
  } as unknown as S
}

export interface Replayed<S> {
  readonly state: S
  /** Lines applied to the state. */
  readonly applied: number
  /** Bytes up to the end of the last complete line: anything after it is a torn write. */
  readonly validLength: number
}

/**
 * `state` with the journal's lines for its serial applied, or why the journal cannot be
 * trusted (a complete line that does not read, or a gap in the serials).
 */
export const replay = <P, C, S extends StateLike<P, C>>(
  state: S,
  text: string,
  decode: (json: unknown) => Either.Either<Entry<P, C>, string>
): Either.Either<Replayed<S>, string> => {
  const end = text.lastIndexOf("\n") + 1
  const lines = text.slice(0, end).split("\n").slice(0, -1)
  let current: S = state
  let applied = 0
  for (const [index, line] of lines.entries()) {
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      return Either.left(`line ${index + 1} is not valid JSON`)
    }
    const decoded = decode(json)
    if (Either.isLeft(decoded)) return Either.left(`line ${index + 1} ${decoded.left}`)
    const entry = decoded.right
    if (entry.base !== state.serial) continue
    if (entry.lineage !== current.lineage) return Either.left(`line ${index + 1} belongs to another state (lineage)`)
    if (entry.serial !== current.serial + 1) {
      return Either.left(`line ${index + 1} has serial ${entry.serial} after ${current.serial}`)
    }
    current = applyEntry(current, entry)
    applied++
  }
  return Either.right({ state: current, applied, validLength: Buffer.byteLength(text.slice(0, end)) })
}
