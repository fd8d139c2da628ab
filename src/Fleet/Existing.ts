/**
 * Before a plan creates anything, what its clouds hold already under the names it would take,
 * though the state does not: what matches the file is adopted, what differs is shown and refused,
 * so that `up` never makes a silent twin (a second A record beside someone's). Each provider says
 * what its creates meet (`meets`): on Cloudflare, the holder of a name the cloud gives once (see
 * `Claim`); on Sakura Cloud, where names repeat, what an earlier run made under the resource's
 * ownership tags, and the SSH keys and notes `up` uses as they are.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Plan from "../Plan.js"
import { type CloudProviderService, meetsIn, type ProviderError, type Scope } from "../Provider.js"
import { type Inputs, type Observed, sameInput } from "../Resource.js"

/** `up` met resources that exist outside the state and differ from the file. */
export class ExistingResources extends Data.TaggedError("ExistingResources")<{
  readonly existing: ReadonlyArray<Plan.Existing>
}> {
  override get message() {
    const keys = this.existing.map((item) => `${item.key} (id ${item.id})`).join(", ")
    return `${keys} exist${this.existing.length === 1 ? "s" : ""} already, outside the state, and differ${
      this.existing.length === 1 ? "s" : ""
    } from the file: nothing was changed\n  import to manage as declared (\`fleetflow import KEY ID\`, or \`fleetflow state recover\` for every resource of the stage it finds), or remove or rename it, then run again`
  }
}

/** The fields the cloud reports with other values than the plan would create. */
const differences = (
  create: Plan.Create,
  seen: Inputs | undefined
): ReadonlyArray<Plan.Existing["changes"][number]> => {
  if (seen === undefined) return []
  const planned = new Map(create.changes.map((change) => [change.field, change.after]))
  return Object.keys(seen)
    .sort()
    .flatMap((field) => {
      const before = seen[field]
      const after = planned.get(field)
      // A value known only after the apply (the address of a server being made) cannot be told apart.
      if (Plan.isUnknown(after) || sameInput(before, after)) return []
      return [
        {
          field,
          ...(before === undefined || before === null ? {} : { before }),
          ...(after === undefined ? {} : { after })
        }
      ]
    })
}

const existingOf = (create: Plan.Create, found: Observed): Plan.Existing => {
  const changes = differences(create, found.inputs)
  return { key: create.key, id: found.id, resolution: changes.length === 0 ? "adopt" : "refuse", changes }
}

/** The plan with what its creates would meet in the clouds: one batched lookup per provider. */
export const withExisting = (
  plan: Plan.Plan,
  scope: Scope,
  provider: CloudProviderService
): Effect.Effect<Plan.Plan, ProviderError> =>
  Effect.gen(function* () {
    const creates = plan.actions.filter((action): action is Plan.Create => action._tag === "Create")
    if (creates.length === 0) return plan
    const found = yield* meetsIn(
      provider,
      scope,
      creates.map((create) => ({ key: create.key, type: create.type, name: create.name, inputs: create.inputs }))
    )
    if (found.size === 0) return plan
    const existing = creates.flatMap((create) => {
      const seen = found.get(create.key)
      return seen === undefined ? [] : [existingOf(create, seen)]
    })
    const shown = new Plan.Plan({ ...plan, existing }, true)
    return new Plan.Plan({ ...shown, summary: Plan.summarize(plan.actions, Plan.adoptedOf(shown)) }, true)
  })

/** Fails when `up` would meet a resource that differs from the file. */
export const refuseDiffering = (plan: Plan.Plan): Effect.Effect<void, ExistingResources> => {
  const differing = plan.existing.filter((item) => item.resolution === "refuse")
  return differing.length === 0 ? Effect.void : Effect.fail(new ExistingResources({ existing: differing }))
}
