/**
 * Asking before changing the clouds or the state. What cannot be undone (a destroy, a
 * replacement, removing someone's lock) goes ahead only on `yes` typed out, as Terraform asks:
 * a `y` pressed out of habit must not destroy a stage.
 */
import * as Prompt from "@effect/cli/Prompt"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

/** `yes` typed out approves; anything else, an empty answer or a closed terminal refuses. */
export const typedYes = (question: string) =>
  Prompt.text({ message: `${question} Only 'yes' will be accepted to approve:` }).pipe(
    Effect.flatMap((answer) =>
      answer.trim() === "yes"
        ? Effect.succeed(true)
        : Effect.as(answer.trim() === "" ? Effect.void : Console.error(`"${answer.trim()}" is not "yes".`), false)
    ),
    Effect.catchAll(() => Effect.succeed(false))
  )

/** A plain yes/no, for what adds or changes and destroys nothing. */
export const yesNo = (question: string) =>
  Prompt.confirm({ message: question, initial: false }).pipe(Effect.catchAll(() => Effect.succeed(false)))
