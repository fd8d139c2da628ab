/**
 * The one place that turns a failure into what the operator reads and the exit code
 * the shell sees: 1 error, 3 partial apply, 4 state locked.
 */
import * as NodePath from "node:path"
import * as Cause from "effect/Cause"
import * as Option from "effect/Option"
import { PartialApplyError } from "./Apply.js"
import { ConfigError } from "./Config.js"
import { ProviderError } from "./Provider.js"
import * as Render from "./Render.js"

export const ExitCode = { ok: 0, error: 1, changes: 2, partial: 3, locked: 4 } as const

interface Tagged {
  readonly _tag: string
  readonly message?: string
}

const isTagged = (value: unknown): value is Tagged =>
  typeof value === "object" && value !== null && typeof (value as Tagged)._tag === "string"

export const exitCodeOf = (error: unknown): number => {
  if (!isTagged(error)) return ExitCode.error
  switch (error._tag) {
    case "PartialApplyError":
      return ExitCode.partial
    case "StateLocked":
      return ExitCode.locked
    default:
      return ExitCode.error
  }
}

/** A path as the operator typed it: relative when it is below the working folder. */
const relativeToHere = (file: string): string => {
  const relative = NodePath.relative(process.cwd(), file)
  return relative === "" || relative.startsWith("..") || NodePath.isAbsolute(relative) ? file : relative
}

const configError = (error: ConfigError): string => {
  const file = relativeToHere(error.file)
  const where = error.line > 0 ? `${file}:${error.line}:${error.column}` : file
  const lines = [`Error: ${error.message}`, `  --> ${where}${error.path === "" ? "" : `  (${error.path})`}`]
  if (error.suggestion !== undefined) lines.push(`  ${error.suggestion}`)
  return lines.join("\n")
}

const partialApply = (error: PartialApplyError): string => {
  const list = (steps: ReadonlyArray<{ readonly operation: string; readonly key: string }>) =>
    steps.length === 0 ? ["  (none)"] : steps.map((step) => `  ${step.operation} ${step.key}`)
  const lines = [
    "Error: the apply did not complete.",
    "Failed:",
    ...error.failed.flatMap((failure) => {
      const code = failure.error.code === undefined ? "" : ` (code ${failure.error.code})`
      const hint = failure.error.hint === undefined || failure.error.hint === "" ? [] : failure.error.hint.split("\n")
      return [
        `  ${failure.step.operation} ${failure.step.key}: ${failure.error.message}${code}`,
        ...hint.map((line) => `    ${line}`)
      ]
    })
  ]
  if (error.decision === "rollback") lines.push("Rolled back (newest first):", ...list(error.rolledBack))
  lines.push(
    "Succeeded and kept (recorded in state):",
    ...list(error.succeeded),
    "Not started:",
    ...list(error.notStarted)
  )
  lines.push(
    error.decision === "rollback"
      ? "What this run created or changed was undone; the state holds what exists. Fix the cause and run `fleetflow up` again."
      : "The state holds exactly what exists. Fix the cause and run `fleetflow up` again."
  )
  return lines.join("\n")
}

/** What went wrong, why, and what to do, without a stack trace. */
export const describe = (error: unknown): string => {
  if (error instanceof ConfigError) return configError(error)
  if (error instanceof ProviderError) return Render.providerError(error)
  if (error instanceof PartialApplyError) return partialApply(error)
  if (!isTagged(error)) return `Error: ${String(error)}`
  // The prompt line was left open by the answer that cancelled it.
  if (error._tag === "Cancelled") return `\n${error.message}`
  return `Error: ${error.message ?? error._tag}`
}

/** The failure a cause carries, or its defect, for printing. */
export const fromCause = (cause: Cause.Cause<unknown>): unknown =>
  Option.getOrElse(Cause.failureOption(cause), () =>
    Option.match(Cause.dieOption(cause), {
      onNone: () => Cause.pretty(cause),
      onSome: (defect) => defect
    })
  )

/** The error as `--json` prints it: its tag, its message and its fields. */
export const toJson = (error: unknown): Record<string, unknown> => {
  if (!isTagged(error)) return { _tag: "UnknownError", message: String(error) }
  const fields = JSON.parse(JSON.stringify(error)) as Record<string, unknown>
  return { ...fields, _tag: error._tag, message: error.message ?? error._tag }
}
