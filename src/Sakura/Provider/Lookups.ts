/**
 * What a create looks for first: a server or disk an interrupted run (or an earlier attempt of
 * this one) already made under the same name and ownership tags, so it is taken over instead of
 * made twice. One list per type and zone, filtered by the project's and stage's tags, answers
 * for every create of an apply; it is read at the first create that needs it and kept until the
 * next `getState` or `find`, with which every command starts.
 *
 * A list read before a change to an owner's resource ended (a create that may have happened
 * although it failed, a delete before a replacement) does not answer for that owner: it is
 * looked up again with a list of its own.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import type * as Scope from "effect/Scope"
import type { Disk, ListFilter, Server, UsacloudError, UsacloudService } from "../Usacloud.js"
import { shareRead } from "../../SharedReads.js"
import { lookupOwned, ownedIn } from "./Common.js"
import { type Owner, scopeTags } from "./Ownership.js"

export interface Owned {
  readonly server: Server
  readonly disk: Disk
}
export type Kind = keyof Owned

export interface Lookups {
  /** What `owner` already has of `kind` in `zone`, or undefined. */
  readonly existing: <K extends Kind>(
    kind: K,
    zone: string,
    owner: Owner
  ) => Effect.Effect<Owned[K] | undefined, UsacloudError>
  /** Starts the list `existing` will read for `owner` in `lifetime`, without waiting for it. */
  readonly warm: (kind: Kind, zone: string, owner: Owner, lifetime: Scope.Scope) => Effect.Effect<void>
  /** Runs a call that may make or remove `owner`'s resource of `kind`. */
  readonly changing: <A, E, R>(kind: Kind, owner: Owner, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Forgets the shared lists: what changed outside since they were read shows in the next ones. */
  readonly reset: Effect.Effect<void>
}

interface Shared {
  /** When the list was asked for, on the clock of `make`. */
  readonly begun: number
  readonly result: Deferred.Deferred<ReadonlyArray<Owned[Kind]>, UsacloudError>
}

const ownerKey = (kind: Kind, owner: Owner) => JSON.stringify([kind, owner.project, owner.stage, owner.name])

export const make = (usacloud: UsacloudService): Lookups => {
  const list = <K extends Kind>(
    kind: K,
    zone: string,
    filter: ListFilter
  ): Effect.Effect<ReadonlyArray<Owned[K]>, UsacloudError> =>
    (kind === "server" ? usacloud.servers.list(zone, filter) : usacloud.disks.list(zone, filter)) as Effect.Effect<
      ReadonlyArray<Owned[K]>,
      UsacloudError
    >

  // A counter orders list reads and changes; JavaScript runs each `Effect.sync` below at once.
  let clock = 0
  const shared = new Map<string, Shared>()
  /** When the last change of an owner ended; infinite while one runs. */
  const changed = new Map<string, number>()

  /**
   * The shared list of `kind` in `zone` for the owner's project and stage, asked for once and read
   * in the background (in `lifetime`, else beyond the call that asks first, which may be interrupted).
   */
  const sharedList = (kind: Kind, zone: string, owner: Owner, lifetime?: Scope.Scope): Effect.Effect<Shared> =>
    Effect.suspend(() => {
      const tags = scopeTags(owner)
      const key = JSON.stringify([kind, zone, ...tags])
      const known = shared.get(key)
      if (known !== undefined) return Effect.succeed(known)
      const entry: Shared = { begun: ++clock, result: Deferred.unsafeMake(FiberId.none) }
      shared.set(key, entry)
      const started = shareRead(
        list(kind, zone, { tags }),
        entry.result,
        // A failed read is not kept: the next create (the engine retries) reads the list again.
        () => (shared.get(key) === entry ? shared.delete(key) : undefined),
        lifetime
      )
      return Effect.as(started, entry)
    })

  return {
    existing: <K extends Kind>(kind: K, zone: string, owner: Owner) =>
      Effect.gen(function* () {
        const entry = yield* sharedList(kind, zone, owner)
        // A disk is declared inside its server, so its server's create follows in the same zone.
        if (kind === "disk") yield* sharedList("server", zone, owner)
        const lastChange = changed.get(ownerKey(kind, owner))
        if (lastChange === undefined || lastChange < entry.begun) {
          return ownedIn(yield* Deferred.await(entry.result), owner) as Owned[K] | undefined
        }
        const [found] = yield* lookupOwned((filter) => list(kind, zone, filter), [owner])
        return found
      }),
    warm: (kind, zone, owner, lifetime) => Effect.asVoid(sharedList(kind, zone, owner, lifetime)),
    changing: (kind, owner, effect) => {
      const key = ownerKey(kind, owner)
      return Effect.zipRight(
        Effect.sync(() => changed.set(key, Number.POSITIVE_INFINITY)),
        Effect.ensuring(
          effect,
          Effect.sync(() => changed.set(key, ++clock))
        )
      )
    },
    reset: Effect.sync(() => shared.clear())
  }
}
