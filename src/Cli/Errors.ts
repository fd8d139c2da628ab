/**
 * The command line's own failures: how a command ends with an exit code, and what the operator
 * asked for that cannot be done.
 */
import * as Data from "effect/Data"

/** Ends the command with an exit code and nothing more to print. */
export class Exit extends Data.TaggedError("Exit")<{ readonly code: number }> {}

/** A command that would change the clouds, run where nobody can confirm it. */
export class ConfirmationRequired extends Data.TaggedError("ConfirmationRequired")<{
  readonly command: string
  /** What to check before confirming; the plan by default. */
  readonly review?: string
}> {
  override get message() {
    const review = this.review ?? "Review the plan with `fleetflow plan`"
    return `\`fleetflow ${this.command}\` needs a confirmation, and there is no terminal to ask on.\n  ${review}, then run \`fleetflow ${this.command} --yes\`.`
  }
}

export class InvalidOption extends Data.TaggedError("InvalidOption")<{
  readonly option: string
  readonly reason: string
}> {
  override get message() {
    return `${this.option}: ${this.reason}`
  }
}

export class UnknownKey extends Data.TaggedError("UnknownKey")<{
  readonly key: string
  readonly known: ReadonlyArray<string>
}> {
  override get message() {
    return `the state holds no resource ${this.key}\n  \`fleetflow state list\` shows the keys it holds`
  }
}
