/**
 * Which ready step goes first: the one with the longest path of work still behind it. Starting
 * a long chain late makes the whole apply wait for it, while short independent steps fill the
 * slots around it at no cost.
 */
import { parseKey, type ResourceType } from "../Resource.js"
import type { Operation, Step } from "./Step.js"

/**
 * Roughly how many seconds a step takes against a real cloud. Only the proportions matter: a server
 * create boots the server (about a minute), a disk is copied from an archive, a worker or site is
 * uploaded; anything else is one API call. Deletes are quicker than creates (nothing to boot or copy).
 */
const secondsOf: Partial<Record<ResourceType, Partial<Record<Operation, number>>>> = {
  server: { create: 60, update: 30, delete: 10 },
  disk: { create: 20, update: 5, delete: 5 },
  worker: { create: 5, update: 5 },
  pages: { create: 10, update: 10 }
}

/** The estimate of one step; 1 for a single API call, and for a key outside the known types. */
export const estimate = (step: Step): number => {
  const type = parseKey(step.key)?.type
  return (type === undefined ? undefined : secondsOf[type]?.[step.operation]) ?? 1
}

/**
 * For each step, its estimate plus the longest estimated path through the steps that wait for it
 * (directly or not), among `steps`. A step in a cycle, which the plan never builds, counts its own
 * estimate only.
 */
export const remainingPaths = (
  steps: ReadonlyArray<Step>,
  estimateOf: (step: Step) => number = estimate
): ReadonlyMap<string, number> => {
  const byId = new Map(steps.map((step) => [step.id, step]))
  const waitersOf = new Map<string, Array<Step>>()
  for (const step of steps) {
    for (const id of new Set(step.after)) {
      if (!byId.has(id)) continue
      const waiters = waitersOf.get(id)
      if (waiters === undefined) waitersOf.set(id, [step])
      else waiters.push(step)
    }
  }
  // Back from the steps nothing waits for: a step's path is known once those of all its waiters are.
  const unknown = new Map(steps.map((step) => [step.id, waitersOf.get(step.id)?.length ?? 0]))
  const known = steps.filter((step) => unknown.get(step.id) === 0)
  const paths = new Map<string, number>()
  while (known.length > 0) {
    const step = known.pop()!
    let longest = 0
    for (const waiter of waitersOf.get(step.id) ?? []) longest = Math.max(longest, paths.get(waiter.id) ?? 0)
    paths.set(step.id, estimateOf(step) + longest)
    for (const id of new Set(step.after)) {
      const left = unknown.get(id)
      if (left === undefined) continue
      unknown.set(id, left - 1)
      if (left === 1) known.push(byId.get(id)!)
    }
  }
  for (const step of steps) if (!paths.has(step.id)) paths.set(step.id, estimateOf(step))
  return paths
}
