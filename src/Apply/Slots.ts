/**
 * The parallelism of a run: at most `parallelism` steps at a time, a freed slot going to the waiting
 * step with the longest path still behind it (`CriticalPath.ts`), the earliest queued among equals.
 *
 * A step joins the queue when its last dependency succeeds, in the same turn as that dependency's
 * outcome and before the dependency gives its slot back: the slot a link of a long chain frees goes
 * to the next link, not to a short step that happened to queue first.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type { Step } from "./Step.js"

export interface Slots {
  /** Waits for the step's slot (interruptibly), runs `effect`, and gives the slot back however it ends. */
  readonly withSlot: <A, E, R>(step: Step, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** The step's outcome is known: the steps waiting for it queue once all they wait for has succeeded. */
  readonly settled: (step: Step, succeeded: boolean) => Effect.Effect<void>
  /** The step is done with its slot, or will not run: its slot or its place in the queue goes to the next. */
  readonly leave: (step: Step) => Effect.Effect<void>
}

interface Entry {
  readonly priority: number
  /** Steps this one waits for whose outcome is not known yet. */
  unknown: number
  /** One of them did not succeed: this step never queues. */
  blocked: boolean
  state: "waiting" | "queued" | "granted" | "left"
  /** When it queued, to keep equals in order. */
  order: number
  readonly turn: Deferred.Deferred<void>
}

const before = (a: Entry, b: Entry) => a.priority > b.priority || (a.priority === b.priority && a.order < b.order)

const swap = (heap: Array<Entry>, i: number, j: number) => {
  const entry = heap[i]!
  heap[i] = heap[j]!
  heap[j] = entry
}

/** A binary heap of the queued entries, the next to run on top. An entry that left stays until it surfaces. */
class ReadyQueue {
  private readonly heap: Array<Entry> = []

  push(entry: Entry) {
    const heap = this.heap
    heap.push(entry)
    let index = heap.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!before(heap[index]!, heap[parent]!)) break
      swap(heap, index, parent)
      index = parent
    }
  }

  pop(): Entry | undefined {
    const heap = this.heap
    const top = heap[0]
    const last = heap.pop()
    if (top === undefined || last === undefined || heap.length === 0) return top
    heap[0] = last
    let index = 0
    while (true) {
      const left = 2 * index + 1
      const right = left + 1
      let next = index
      if (left < heap.length && before(heap[left]!, heap[next]!)) next = left
      if (right < heap.length && before(heap[right]!, heap[next]!)) next = right
      if (next === index) return top
      swap(heap, index, next)
      index = next
    }
  }
}

/**
 * The slots of a run of `steps`. A step waiting for one outside `steps` takes it as succeeded, unless
 * it is in `failedBefore`; `priorities` are the steps' remaining paths. A step `slotless` holds runs
 * without a slot: it never queues, and only its outcome counts for the steps that wait for it.
 */
export const make = (
  steps: ReadonlyArray<Step>,
  parallelism: number,
  priorities: ReadonlyMap<string, number>,
  failedBefore: ReadonlySet<string>,
  slotless: (step: Step) => boolean = () => false
) =>
  Effect.gen(function* () {
    let free = Math.max(1, parallelism)
    let queued = 0
    const queue = new ReadyQueue()
    const entries = new Map<string, Entry>()
    const waitersOf = new Map<string, Array<Entry>>()
    for (const step of steps) {
      const entry: Entry = {
        priority: priorities.get(step.id) ?? 0,
        unknown: 0,
        blocked: false,
        state: slotless(step) ? "left" : "waiting",
        order: 0,
        turn: yield* Deferred.make<void>()
      }
      entries.set(step.id, entry)
    }
    for (const step of steps) {
      const entry = entries.get(step.id)!
      for (const id of new Set(step.after)) {
        if (failedBefore.has(id)) entry.blocked = true
        if (!entries.has(id)) continue
        entry.unknown++
        const waiters = waitersOf.get(id)
        if (waiters === undefined) waitersOf.set(id, [entry])
        else waiters.push(entry)
      }
    }

    const enqueue = (entry: Entry) => {
      if (entry.state !== "waiting" || entry.blocked || entry.unknown > 0) return
      entry.state = "queued"
      entry.order = queued++
      queue.push(entry)
    }
    const dispatch = () => {
      while (free > 0) {
        const next = queue.pop()
        if (next === undefined) return
        if (next.state !== "queued") continue
        next.state = "granted"
        free--
        Deferred.unsafeDone(next.turn, Effect.void)
      }
    }
    const leave = (step: Step) =>
      Effect.sync(() => {
        const entry = entries.get(step.id)
        if (entry === undefined || entry.state === "left") return
        if (entry.state === "granted") free++
        entry.state = "left"
        dispatch()
      })
    for (const step of steps) enqueue(entries.get(step.id)!)
    dispatch()

    const slots: Slots = {
      withSlot: (step, effect) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.zipRight(
            restore(Deferred.await(entries.get(step.id)!.turn)).pipe(Effect.onInterrupt(() => leave(step))),
            restore(effect).pipe(Effect.ensuring(leave(step)))
          )
        ),
      settled: (step, succeeded) =>
        Effect.sync(() => {
          for (const waiter of waitersOf.get(step.id) ?? []) {
            waiter.unknown--
            if (!succeeded) waiter.blocked = true
            enqueue(waiter)
          }
          dispatch()
        }),
      leave
    }
    return slots
  })
