/**
 * `--target`: the targeted resources and what they need, found before the refresh so that only
 * they are read and only their providers asked; then the plan cut down to them, as Terraform's
 * `-target` does.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Plan from "../Plan.js"
import type { CloudProviderService } from "../Provider.js"
import { claimsConflict, type DesiredResource, type ResourceKey, type StoredResource } from "../Resource.js"

export class UnknownTarget extends Data.TaggedError("UnknownTarget")<{ readonly key: string }> {
  override get message() {
    return `--target ${this.key} is not a resource of this stage\n  \`fleetflow validate\` lists the keys it declares`
  }
}

/**
 * The keys a targeted plan needs: each target, what it depends on, the resources that use one it
 * removes (they go first, or stop using it first), and the resources that hold a name it takes.
 */
export const closure = (
  targets: ReadonlyArray<string>,
  desired: ReadonlyArray<DesiredResource>,
  stored: ReadonlyMap<ResourceKey, StoredResource>,
  provider: Pick<CloudProviderService, "claims">
): Effect.Effect<ReadonlySet<ResourceKey>, UnknownTarget> =>
  Effect.gen(function* () {
    const declared = new Map(desired.map((resource) => [resource.key, resource]))
    const users = Plan.dependentsIn(stored)
    const removed = [...stored].filter(([key]) => !declared.has(key))
    const keep = new Set<ResourceKey>()
    const visit = (key: ResourceKey) => {
      if (keep.has(key)) return
      keep.add(key)
      const resource = declared.get(key)
      if (resource === undefined) {
        for (const user of users.get(key) ?? []) visit(user)
        return
      }
      for (const dep of resource.dependsOn) visit(dep)
      const claims = provider.claims(resource.type, resource.inputs)
      if (claims.length === 0) return
      for (const [other, held] of removed) {
        if (claimsConflict(claims, provider.claims(held.type, held.inputs))) visit(other)
      }
    }
    for (const target of targets) {
      if (!declared.has(target) && !stored.has(target)) return yield* new UnknownTarget({ key: target })
      visit(target)
    }
    return keep
  })

/** Keeps the targeted actions, everything they depend on and the actions they wait for. */
export const select = (plan: Plan.Plan, targets: ReadonlyArray<string>): Plan.Plan => {
  const byKey = new Map(plan.actions.map((action) => [action.key, action]))
  const keep = new Set<string>()
  const visit = (key: string) => {
    if (keep.has(key)) return
    const action = byKey.get(key)
    if (action === undefined) return
    keep.add(key)
    for (const dep of action.dependsOn) visit(dep)
    for (const waited of action.waitsFor ?? []) visit(waited)
  }
  for (const target of targets) visit(target)
  const actions = plan.actions.filter((action) => keep.has(action.key))
  return new Plan.Plan({ ...plan, actions, summary: Plan.summarize(actions) }, true)
}
