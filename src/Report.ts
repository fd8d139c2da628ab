/**
 * The one place that turns a failure into what the operator reads and the exit code
 * the shell sees: 1 error, 3 partial apply, 4 state locked.
 */
import * as Cause from "effect/Cause"
import * as NodePath from "node:path"
import type { PartialApplyError } from "./Apply.js"
import type { ConfirmationRequired, InvalidOption, UnknownKey } from "./Cli/Errors.js"
import { type ConfigError, type ConfigProblem, problemCount, problemsOf } from "./Config.js"
import type * as Fleet from "./Fleet.js"
import type * as Rollback from "./Fleet/Rollback.js"
import type { PlanError } from "./Plan.js"
import type { SavedPlanFileError, StalePlan } from "./Plan/Saved.js"
import type { ProviderError } from "./Provider.js"
import * as Render from "./Render.js"
import type { CountOutOfRange, NotScaled } from "./Scale.js"
import type { SandboxOptionsError } from "./Sandbox/Options.js"
import type * as State from "./State.js"
import type { StateNotMigrated } from "./State/Backend.js"
import type { MigrateRefused } from "./State/Migrate.js"

export const ExitCode = { ok: 0, error: 1, changes: 2, partial: 3, locked: 4 } as const

/**
 * Every failure a command can end with. Each has its exit code and its message below, checked
 * by the compiler: a command that can fail in a new way does not compile until it is reported.
 */
export type Failure =
  | ConfigError
  | SandboxOptionsError
  | ProviderError
  | PlanError
  | SavedPlanFileError
  | StalePlan
  | PartialApplyError
  | State.StateError
  | State.StateLocked
  | State.LockNotFound
  | StateNotMigrated
  | MigrateRefused
  | Fleet.StageConflict
  | Fleet.UnknownTarget
  | Fleet.Cancelled
  | Fleet.ExistingResources
  | Fleet.AlreadyManaged
  | Fleet.NotDeclared
  | Fleet.ImportFailed
  | Rollback.HistoryUnavailable
  | Rollback.UnknownSerial
  | Rollback.PendingActions
  | NotScaled
  | CountOutOfRange
  | ConfirmationRequired
  | InvalidOption
  | UnknownKey

const exitCodes: { readonly [Tag in Failure["_tag"]]: number } = {
  ConfigError: ExitCode.error,
  SandboxOptionsError: ExitCode.error,
  ProviderError: ExitCode.error,
  PlanError: ExitCode.error,
  SavedPlanFileError: ExitCode.error,
  StalePlan: ExitCode.error,
  PartialApplyError: ExitCode.partial,
  StateCorrupt: ExitCode.error,
  StateConflict: ExitCode.error,
  StateIoError: ExitCode.error,
  StateOfAnotherProject: ExitCode.error,
  StateLocked: ExitCode.locked,
  LockNotFound: ExitCode.error,
  StateNotMigrated: ExitCode.error,
  MigrateRefused: ExitCode.error,
  StageConflict: ExitCode.error,
  UnknownTarget: ExitCode.error,
  Cancelled: ExitCode.error,
  ExistingResources: ExitCode.error,
  AlreadyManaged: ExitCode.error,
  NotDeclared: ExitCode.error,
  ImportFailed: ExitCode.error,
  HistoryUnavailable: ExitCode.error,
  UnknownSerial: ExitCode.error,
  PendingActions: ExitCode.error,
  NotScaled: ExitCode.error,
  CountOutOfRange: ExitCode.error,
  ConfirmationRequired: ExitCode.error,
  InvalidOption: ExitCode.error,
  UnknownKey: ExitCode.error
}

export const exitCodeOf = (failure: Failure): number => exitCodes[failure._tag]

/** A path as the operator typed it: relative when it is below the working folder. */
const relativeToHere = (file: string): string => {
  const relative = NodePath.relative(process.cwd(), file)
  return relative === "" || relative.startsWith("..") || NodePath.isAbsolute(relative) ? file : relative
}

const configProblem = (problem: ConfigProblem): string => {
  const file = relativeToHere(problem.file)
  const where = problem.line > 0 ? `${file}:${problem.line}:${problem.column}` : file
  const lines = [`Error: ${problem.message}`, `  --> ${where}${problem.path === "" ? "" : `  (${problem.path})`}`]
  if (problem.suggestion !== undefined) lines.push(`  ${problem.suggestion}`)
  return lines.join("\n")
}

/** Each problem as one error would be, then how many there are and where. */
const configError = (error: ConfigError): string => {
  const problems = problemsOf(error)
  if (problems.length === 1) return configProblem(error)
  const files = [...new Set(problems.map((problem) => relativeToHere(problem.file)))]
  const count = problemCount(error)
  return [
    ...problems.map(configProblem),
    ...(error.unlisted === undefined ? [] : [`… and ${error.unlisted} more`]),
    `${count} errors in ${files.join(", ")}`
  ].join("\n\n")
}

const partialApply = (error: PartialApplyError): string => {
  const list = (steps: ReadonlyArray<{ readonly operation: string; readonly key: string }>) =>
    steps.length === 0 ? ["  (none)"] : steps.map((step) => `  ${step.operation} ${step.key}`)
  const lines = [
    "Error: the apply did not complete.",
    "Failed:",
    ...error.failed.flatMap((failure) => {
      const code = Render.codeSuffix(failure.error)
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
  if (error.store !== undefined) {
    const { inFlight, message, whenBack } = error.store
    lines.push(
      `The state holds what was recorded before the failure; ${inFlight} ` +
        (inFlight === 1 ? "action was in flight and is settled" : "actions were in flight and are settled") +
        " by the next command from their intents.",
      message,
      `  ${whenBack}`
    )
  } else {
    lines.push(
      error.decision === "rollback"
        ? "What this run created or changed was undone; the state holds what exists. Fix the cause and run `fleetflow up` again."
        : "The state holds exactly what exists. Fix the cause and run `fleetflow up` again."
    )
  }
  return lines.join("\n")
}

/** What went wrong, why, and what to do, without a stack trace. */
export const describe = (failure: Failure): string => {
  switch (failure._tag) {
    case "ConfigError":
      return configError(failure)
    case "ProviderError":
      return Render.providerError(failure)
    case "PartialApplyError":
      return partialApply(failure)
    // The prompt line was left open by the answer that cancelled it.
    case "Cancelled":
      return `\n${failure.message}`
    default:
      return `Error: ${failure.message}`
  }
}

/** The error as `--json` prints it: its tag, its message and its fields. */
export const toJson = (failure: Failure): Record<string, unknown> => {
  const fields = JSON.parse(JSON.stringify(failure)) as Record<string, unknown>
  // Every problem of a configuration in one list, the first one included, as well as the first one's fields.
  const { others: _others, ...own } = fields
  const problems = failure._tag === "ConfigError" ? { errors: problemsOf(failure), count: problemCount(failure) } : {}
  return { ...own, ...problems, _tag: failure._tag, message: failure.message }
}

/** What a cause that carries no failure (a defect, an interruption) has to say. */
export const describeDefect = (cause: Cause.Cause<unknown>): string => {
  const defect = Cause.dieOption(cause)
  return defect._tag === "Some" ? `Error: ${String(defect.value)}` : `Error: ${Cause.pretty(cause)}`
}
