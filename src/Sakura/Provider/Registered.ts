/**
 * The SSH keys and notes registered in the account, listed once per run: every create of an
 * apply that looks for a key or note to take over, and every server that names one, reads the
 * same `ssh-key list` and `note list`. Like `Lookups.ts`, the lists are read at the first call
 * that needs them, or started by the plan of an `up` beside its other reads (`warmFor`), and
 * forgotten at the next `getState` or `find`, with which every command starts.
 *
 * What FleetFlow registers, changes or removes in the run is applied to the list it read, so a
 * later lookup sees it without listing again. A change that failed or was interrupted may have
 * happened all the same: the list is forgotten and read again by the next lookup.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import type { Note, SshKey, UsacloudError, UsacloudService } from "../Usacloud.js"
import type { Wanted } from "../../Provider.js"
import { sharedReads } from "../../SharedReads.js"
import { isId } from "./Common.js"

export interface Catalog<A extends { readonly id: string }> {
  /** What is registered: as listed in this run, with what FleetFlow changed since. */
  readonly list: Effect.Effect<ReadonlyArray<A>, UsacloudError>
  /** Starts the list in `lifetime`, without waiting for it: a create reads it later. */
  readonly warm: (lifetime: Scope.Scope) => Effect.Effect<void>
  /** Lists again, for what may have been registered outside since the list was read. */
  readonly fresh: Effect.Effect<ReadonlyArray<A>, UsacloudError>
  /** Runs a call that registers or changes one; the list holds its result from then on. */
  readonly put: <E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Runs a call that removes the one of `id`; the list no longer holds it. */
  readonly remove: <B, E, R>(id: string, effect: Effect.Effect<B, E, R>) => Effect.Effect<B, E, R>
}

export interface Registered {
  readonly sshKeys: Catalog<SshKey>
  readonly notes: Catalog<Note>
  /** Forgets the lists: what changed outside since they were read shows in the next ones. */
  readonly reset: Effect.Effect<void>
}

const catalog = <A extends { readonly id: string }>(
  read: Effect.Effect<ReadonlyArray<A>, UsacloudError>
): Catalog<A> & { readonly forget: Effect.Effect<void> } => {
  // One list, under one key.
  const listed = sharedReads<ReadonlyArray<A>, UsacloudError>()
  const all = "all"
  /** By ID, what FleetFlow made of it since the list was asked for; undefined once removed. */
  const changes = new Map<string, A | undefined>()
  const forget = Effect.sync(() => {
    listed.clear()
    changes.clear()
  })
  const withChanges = (items: ReadonlyArray<A>): ReadonlyArray<A> => {
    if (changes.size === 0) return items
    const result: Array<A> = []
    for (const item of items) {
      const changed = changes.has(item.id) ? changes.get(item.id) : item
      if (changed !== undefined) result.push(changed)
    }
    const ids = new Set(items.map((item) => item.id))
    for (const [id, item] of changes) if (item !== undefined && !ids.has(id)) result.push(item)
    return result
  }
  const listOf = (entry: Deferred.Deferred<ReadonlyArray<A>, UsacloudError>) =>
    Effect.map(Deferred.await(entry), (items) => withChanges(items))
  /** Records what a change did once it succeeded; forgets the list when it may have happened unseen. */
  const changing = <B, E, R>(effect: Effect.Effect<B, E, R>, record: (result: B) => void) =>
    Effect.onExit(effect, (exit) =>
      Exit.isSuccess(exit) ? Effect.sync(() => (listed.has(all) ? record(exit.value) : undefined)) : forget
    )
  // Asked for once, read in the background (in `lifetime`, else beyond the call that asks first).
  const start = (lifetime?: Scope.Scope) => listed.start(all, read, lifetime)
  const list = Effect.flatMap(start(), listOf)
  return {
    list,
    warm: (lifetime) => Effect.asVoid(start(lifetime)),
    fresh: Effect.zipRight(forget, list),
    put: (effect) => changing(effect, (item) => changes.set(item.id, item)),
    remove: (id, effect) => changing(effect, () => changes.set(id, undefined)),
    forget
  }
}

export const make = (usacloud: UsacloudService): Registered => {
  const sshKeys = catalog(usacloud.sshKeys.list())
  const notes = catalog(usacloud.notes.list())
  return { sshKeys, notes, reset: Effect.zipRight(sshKeys.forget, notes.forget) }
}

/** Whether a server's field names a key or note registered outside the file, which only a list resolves. */
const namesRegistered = (value: unknown): boolean =>
  Array.isArray(value) && value.some((item) => typeof item === "string" && !isId(item))

/**
 * Starts, in `lifetime`, the lists that the creates of `creating` will read (a key or note to take
 * over, or one a server names), so that the first of them does not wait a round trip for it.
 */
export const warmFor = (
  known: Registered,
  creating: ReadonlyArray<Wanted>,
  lifetime: Scope.Scope
): Effect.Effect<void> => {
  const reads = (type: string, field: string) =>
    creating.some((item) => item.type === type || (item.type === "server" && namesRegistered(item.inputs[field])))
  return Effect.zipRight(
    reads("ssh-key", "sshKeys") ? known.sshKeys.warm(lifetime) : Effect.void,
    reads("startup-script", "startupScripts") ? known.notes.warm(lifetime) : Effect.void
  )
}
