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

/** What one write changes: the resources it sets or removes, and the intents and scale counts as they are after it. */
export interface Changes<P, C> {
  readonly set: Readonly<Record<string, StoredResource>>
  readonly remove: ReadonlyArray<string>
  readonly pending: ReadonlyArray<P>
  readonly scale?: C | undefined
}

/** One write's line: its changes, the serial it produced and the serial of the `state.json` it applies to. */
export interface Entry<P, C> extends Changes<P, C> {
  readonly base: number
  readonly serial: number
  readonly lineage: string
}

/** The line for `changes`, made by the write that produced `version`. */
export const entryFor = <P, C>(
  base: number,
  version: { readonly lineage: string; readonly serial: number },
  changes: Changes<P, C>
): Entry<P, C> => ({
  base,
  serial: version.serial,
  lineage: version.lineage,
  set: changes.set,
  remove: changes.remove,
  pending: changes.pending,
  ...(changes.scale === undefined ? {} : { scale: changes.scale })
})

/**
 * What changed from `before` to `after`, for a writer that hands over whole states; it walks
 * both. Resources are compared by identity first, as the engine keeps unchanged ones.
 */
export const entryOf = <P, C>(base: number, before: StateLike<P, C>, after: StateLike<P, C>): Entry<P, C> => {
  const set: Record<string, StoredResource> = {}
  for (const key in after.resources) {
    const resource = after.resources[key]!
    const previous = before.resources[key]
    if (previous !== resource && JSON.stringify(previous) !== JSON.stringify(resource)) set[key] = resource
  }
  const remove: Array<string> = []
  for (const key in before.resources) if (!(key in after.resources)) remove.push(key)
  return entryFor(base, after, { set, remove, pending: after.pending, scale: after.scale })
}

/**
 * Applies `changes` to `resources` in place: for a record its owner has copied, so that
 * recording a change costs what the change holds.
 */
const applyInPlace = <P, C>(
  resources: Record<string, StoredResource>,
  changes: Changes<P, C>
): Record<string, StoredResource> => {
  for (const key in changes.set) resources[key] = changes.set[key]!
  for (const key of changes.remove) delete resources[key]
  return resources
}

/** `state` with `changes` applied, the resources in `resources` (the state's own or a copy its caller owns). */
const withChanges = <P, C, S extends StateLike<P, C>>(
  state: S,
  serial: number,
  resources: Record<string, StoredResource>,
  changes: Changes<P, C>
): S => {
  const { scale: _, ...rest } = state
  return {
    ...rest,
    serial,
    resources: applyInPlace(resources, changes),
    pending: changes.pending,
    ...(changes.scale === undefined ? {} : { scale: changes.scale })
  } as unknown as S
}

/**
 * `state` at `serial` with `changes` applied to its own resources record, in place: for a state
 * whose resources only its owner holds, so that recording a change costs what the change holds.
 */
export const applyOwned = <P, C, S extends StateLike<P, C>>(state: S, serial: number, changes: Changes<P, C>): S =>
  withChanges(state, serial, state.resources as Record<string, StoredResource>, changes)

/** `state` with one entry's changes applied; the caller has checked that the entry follows it. */
export const applyEntry = <P, C, S extends StateLike<P, C>>(state: S, entry: Entry<P, C>): S =>
  withChanges(state, entry.serial, { ...state.resources }, entry)

/**
 * `state` with entries applied in turn, its resources copied once; the caller has checked
 * that each follows the one before.
 */
export const applyEntries = <P, C, S extends StateLike<P, C>>(state: S, entries: Iterable<Entry<P, C>>): S => {
  // Copied at the first entry: with an empty journal the copy of a large record would be garbage.
  let resources: Record<string, StoredResource> | undefined
  let current = state
  for (const entry of entries) {
    resources ??= { ...state.resources }
    current = withChanges(current, entry.serial, resources, entry)
  }
  return current
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
  const entries: Array<Entry<P, C>> = []
  let serial = state.serial
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
    if (entry.lineage !== state.lineage) return Either.left(`line ${index + 1} belongs to another state (lineage)`)
    if (entry.serial !== serial + 1) {
      return Either.left(`line ${index + 1} has serial ${entry.serial} after ${serial}`)
    }
    entries.push(entry)
    serial = entry.serial
  }
  return Either.right({
    state: applyEntries(state, entries),
    applied: entries.length,
    validLength: Buffer.byteLength(text.slice(0, end))
  })
}
