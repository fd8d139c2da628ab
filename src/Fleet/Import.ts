/**
 * What `import` refuses: a key the state holds already, one the stage does not declare, and a
 * resource it cannot take under the key (not found, managed under another key, made for another).
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type { DesiredResource, ResourceKey } from "../Resource.js"
import type * as State from "../State.js"

/** `import` named a resource the state already holds. */
export class AlreadyManaged extends Data.TaggedError("AlreadyManaged")<{
  readonly key: ResourceKey
  readonly id: string
}> {
  override get message() {
    return `${this.key} is already in the state (id ${this.id})\n  \`fleetflow state show ${this.key}\` shows it`
  }
}

/** `import` named a key the stage does not declare. */
export class NotDeclared extends Data.TaggedError("NotDeclared")<{ readonly key: string; readonly stage: string }> {
  override get message() {
    return `${this.key} is not declared in stage "${this.stage}": declare it in the file first, then import it\n  \`fleetflow validate\` lists the keys the stage declares`
  }
}

/**
 * `import` found nothing under the ID, found it managed under another key already, or the
 * resource depends on one the state does not hold yet.
 */
export class ImportFailed extends Data.TaggedError("ImportFailed")<{
  readonly key: string
  readonly reason: string
  readonly hint?: string | undefined
}> {
  override get message() {
    return `cannot import ${this.key}: ${this.reason}${this.hint === undefined ? "" : `\n  ${this.hint}`}`
  }
}

/**
 * Fails when the state holds the resource `id` under another key: the plan of each key would
 * undo the other, up to replacing (deleting) it.
 */
export const notHeldElsewhere = (
  state: State.StateFile,
  declared: DesiredResource,
  id: string
): Effect.Effect<void, ImportFailed> => {
  const holder = Object.entries(state.resources).find(
    ([, resource]) => resource.id === id && resource.type === declared.type && resource.provider === declared.provider
  )?.[0]
  return holder === undefined
    ? Effect.void
    : Effect.fail(
        new ImportFailed({
          key: declared.key,
          reason: `the ${declared.type} with the ID ${id} is in the state already, as ${holder}; one resource is managed under one key`,
          hint: `\`fleetflow state show ${holder}\` shows it`
        })
      )
}
