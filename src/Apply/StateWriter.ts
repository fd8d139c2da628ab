/**
 * The apply engine's state in memory, written through the state store as the steps complete.
 */
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type { ResourceKey, StoredResource } from "../Resource.js"
import * as State from "../State.js"

/** One change the engine records: the resources it puts or removes, and what it does to the intents. */
export interface Edit {
  readonly put?: ReadonlyArray<readonly [ResourceKey, StoredResource]>
  readonly remove?: ReadonlyArray<ResourceKey>
  readonly pending?: (pending: ReadonlyArray<State.PendingOperation>) => ReadonlyArray<State.PendingOperation>
}

/**
 * Keeps the latest state in memory and makes every change durable before `commit` returns.
 * Changes that arrive while a write is under way go to disk together in the next write (a
 * group commit), so parallel steps never lose each other's updates and do not queue one
 * write each. The state is changed in place and the store is handed only what changed since
 * the last write (`writeChanges`): copying the state, or handing it over whole, at every
 * change made an apply quadratic in the number of resources.
 */
export const makeStateWriter = (initial: State.StateFile) =>
  Effect.gen(function* () {
    const store = yield* State.StateStore
    const resources: Record<ResourceKey, StoredResource> = { ...initial.resources }
    let pending = initial.pending
    let version = 0
    // Changed since the last durable write: each key's resource as it is now, undefined once removed.
    let unwritten = new Map<ResourceKey, StoredResource | undefined>()
    const durable = yield* Ref.make({ version: 0, serial: initial.serial })
    const writer = yield* Effect.makeSemaphore(1)

    const stateAt = (serial: number): State.StateFile => ({ ...initial, serial, resources: { ...resources }, pending })
    const changesOf = (changed: ReadonlyMap<ResourceKey, StoredResource | undefined>): State.StateChanges => {
      const set: Record<ResourceKey, StoredResource> = {}
      const remove: Array<ResourceKey> = []
      for (const [key, resource] of changed) {
        if (resource === undefined) remove.push(key)
        else set[key] = resource
      }
      return { set, remove, pending, scale: initial.scale }
    }

    const record = (edit: Edit) =>
      Effect.sync(() => {
        for (const key of edit.remove ?? []) {
          delete resources[key]
          unwritten.set(key, undefined)
        }
        for (const [key, resource] of edit.put ?? []) {
          resources[key] = resource
          unwritten.set(key, resource)
        }
        if (edit.pending !== undefined) pending = edit.pending(pending)
        return ++version
      })
    // The next write, with what it takes in one step, so that the intents it records match the
    // resources it records; what it took is given back when it fails, behind what changed meanwhile.
    const takeWrite = (serial: number) =>
      Effect.sync(() => {
        const changed = unwritten
        unwritten = new Map()
        const write =
          serial > 0
            ? Effect.map(
                store.writeChanges({ lineage: initial.lineage, serial }, changesOf(changed)),
                (next) => next.serial
              )
            : Effect.map(store.write(stateAt(serial)), (next) => next.serial)
        return { changed, version, write }
      })
    const giveBack = (changed: ReadonlyMap<ResourceKey, StoredResource | undefined>) =>
      Effect.sync(() => {
        for (const [key, resource] of changed) if (!unwritten.has(key)) unwritten.set(key, resource)
      })

    const commit = (edit: Edit) =>
      Effect.gen(function* () {
        const mine = yield* record(edit)
        // Steps whose calls end together record their changes before the first of them writes: one write for all.
        yield* Effect.yieldNow()
        yield* writer.withPermits(1)(
          Effect.uninterruptible(
            Effect.gen(function* () {
              const written = yield* Ref.get(durable)
              if (written.version >= mine) return
              const { changed, version, write } = yield* takeWrite(written.serial)
              const serial = yield* write.pipe(Effect.onError(() => giveBack(changed)))
              yield* Ref.set(durable, { version, serial })
            })
          )
        )
      })

    return {
      /** The state as recorded so far, with the serial of the last durable write: a copy. */
      latest: Effect.map(Ref.get(durable), (written) => stateAt(written.serial)),
      /** One resource as recorded so far. */
      resource: (key: ResourceKey) => Effect.sync(() => resources[key]),
      /** The resources as recorded so far, changed in place by later commits: read what is needed at once. */
      resources: Effect.sync((): Readonly<Record<ResourceKey, StoredResource>> => resources),
      commit
    }
  })
export type StateWriter = Effect.Effect.Success<ReturnType<typeof makeStateWriter>>
