/**
 * Named steps of a long scenario: a failure inside one carries the step's name in its message,
 * so a scenario of ten commands says which of them broke. Later steps run only after the
 * earlier ones passed, since they are parts of one effect.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"

const label = (name: string, error: unknown) => {
  // The message is changed in place so that an assertion keeps its expected and actual values for the diff.
  if (error instanceof Error) error.message = `step "${name}": ${error.message}`
}

export const step = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.tapErrorCause(effect, (cause) => Effect.sync(() => label(name, Cause.squash(cause))))
