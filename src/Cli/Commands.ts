/**
 * The commands that read the configuration and work on a stage: validate, plan, up, down,
 * scale, import, force-unlock.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Prompt from "@effect/cli/Prompt"
import * as Path from "@effect/platform/Path"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Apply from "../Apply.js"
import * as Config from "../Config.js"
import * as Fleet from "../Fleet.js"
import * as Plan from "../Plan.js"
import * as Progress from "../Progress.js"
import * as Render from "../Render.js"
import { ExitCode } from "../Report.js"
import * as Scale from "../Scale.js"
import * as State from "../State.js"
import * as Confirm from "./Confirm.js"
import * as SavedPlans from "./SavedPlans.js"
import * as Signals from "./Signals.js"
import { appliedOutputs, outputsSection } from "./ViewCommands.js"
import { ConfirmationRequired, Exit, InvalidOption } from "./Errors.js"
import {
  type ApplyCommandOptions,
  applyOptions,
  common,
  encodePlan,
  integerArg,
  parseLockTimeout,
  parseRetry,
  planOptions,
  printJson,
  terminal
} from "./Options.js"
import {
  downTargetOf,
  openFolder,
  openWorkspace,
  recordedScale,
  targetOf,
  type Workspace,
  withState,
  withWorkspace
} from "./Workspace.js"

export const validate = Command.make("validate", common, (options) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const folder = yield* openFolder(options)
    const { config } = folder
    const requested = Option.getOrUndefined(options.stage)
    // A chosen stage is shown with the counts `fleetflow scale` recorded; all stages with their minimums, and
    // the errors of every stage at once.
    const declared =
      requested === undefined
        ? yield* Config.desiredByStage(config, config.stages)
        : yield* Effect.gen(function* () {
            const name = yield* Config.selectStage(config, requested)
            const counts = yield* withState(folder, recordedScale(folder, name))
            return [{ stage: name, desired: yield* Config.desiredResources(config, name, { scale: counts }) }]
          })
    if (options.json) {
      return yield* printJson({
        file: config.file,
        project: config.project,
        kdlVersion: config.kdlVersion,
        stages: declared.map(({ stage: name, desired }) => ({
          name,
          resources: desired.map((resource) => ({ key: resource.key, dependsOn: resource.dependsOn }))
        }))
      })
    }
    const lines = [`${path.relative(process.cwd(), config.file) || config.file} is valid (KDL v${config.kdlVersion}).`]
    lines.push(`project "${config.project}"`)
    for (const { stage: name, desired } of declared) {
      lines.push(``, `stage "${name}": ${desired.length} resource${desired.length === 1 ? "" : "s"}`)
      for (const resource of desired) {
        const deps = resource.dependsOn.length === 0 ? "" : `  (needs ${resource.dependsOn.join(", ")})`
        lines.push(`  ${resource.key}${deps}`)
      }
    }
    yield* Console.log(lines.join("\n"))
  })
).pipe(Command.withDescription("parse and check the configuration, and print what it declares"))

/** The refresh's line, on stderr whatever `--json` does with stdout: live on a terminal, else its last line alone. */
const refreshLine = Effect.suspend(() =>
  Progress.refreshing({
    tty: process.stderr.isTTY === true,
    write: (text) => {
      process.stderr.write(text)
    },
    columns: process.stderr.columns
  })
)

export const plan = Command.make(
  "plan",
  {
    ...common,
    ...planOptions,
    out: SavedPlans.out,
    destroy: Options.boolean("destroy").pipe(
      Options.withDescription("show what `down` would destroy instead; changes nothing")
    ),
    detailedExitcode: Options.boolean("detailed-exitcode").pipe(
      Options.withDescription("exit 0 with no changes, 2 with changes, 1 on error")
    )
  },
  (options) =>
    Effect.gen(function* () {
      if (options.destroy && Option.isSome(options.out)) {
        return yield* new InvalidOption({
          option: "--out",
          reason: "a saved plan is for `fleetflow up FILE`; `fleetflow down` shows what it destroys and asks again"
        })
      }
      const workspace = yield* openWorkspace(options)
      const { plan: made } = yield* Effect.scoped(
        Effect.flatMap(refreshLine, (refreshing) =>
          withWorkspace(
            workspace,
            Effect.flatMap(options.destroy ? downTargetOf(workspace) : targetOf(workspace), (planTarget) =>
              Fleet.plan(planTarget, { refresh: options.refresh, targets: options.target, refreshing })
            )
          )
        )
      )
      if (Option.isSome(options.out)) yield* SavedPlans.save(options.out.value, made, workspace, options)
      if (options.json) yield* printJson({ plan: encodePlan(made) })
      else {
        const text = Render.plan(made, { color: terminal.color() }, options.destroy ? "down" : "up")
        yield* Console.log(text + SavedPlans.savedNote(options.out))
      }
      if (options.detailedExitcode && Plan.hasChanges(made)) return yield* new Exit({ code: ExitCode.changes })
    })
).pipe(
  Command.withDescription("show what `up` would change (with --destroy, what `down` would destroy); changes nothing")
)

const confirmPlan = (command: "up" | "down", options: ApplyCommandOptions, workspace: Workspace) => (made: Plan.Plan) =>
  Effect.gen(function* () {
    if (!options.json) yield* Console.log(Render.plan(made, { color: terminal.color() }, command))
    if (options.yes) return true
    const where = workspace.sandbox ? "the sandbox" : "the clouds"
    const destroyed = `${made.summary.destroy} resource${made.summary.destroy === 1 ? "" : "s"}`
    if (command === "down") {
      const kept = made.summary.forget === undefined ? "" : ` (and leave ${made.summary.forget} in place)`
      return yield* Confirm.typedYes(
        `Destroy ${destroyed} of stage "${workspace.stage}" on ${where}${kept}? This cannot be undone.`
      )
    }
    const question = `Apply these changes to stage "${workspace.stage}" on ${where}?`
    return made.summary.destroy > 0
      ? yield* Confirm.typedYes(`${question} ${destroyed} will be destroyed (replacements included).`)
      : yield* Confirm.yesNo(question)
  })

const decideOnFailure = (options: ApplyCommandOptions) => (error: Apply.PartialApplyError) =>
  Effect.gen(function* () {
    const fromFlag = Option.getOrUndefined(options.onFailure)
    if (fromFlag !== undefined) return fromFlag
    if (!terminal.interactive() || options.json) return "abort" as const
    return yield* Prompt.select<Fleet.FailureChoice>({
      message: `${error.succeeded.length} succeeded, ${error.failed.length} failed, ${error.notStarted.length} not started. What now?`,
      choices: [
        { title: "abort", value: "abort", description: "stop here; the state holds what was done" },
        { title: "continue", value: "continue", description: "run what does not depend on the failure" },
        { title: "rollback", value: "rollback", description: "undo what this run did, newest first" }
      ]
    }).pipe(Effect.catchAll(() => Effect.succeed("abort" as const)))
  })

const applyCommand = (name: "up" | "down", description: string) =>
  Command.make(name, { ...common, ...applyOptions, planFile: SavedPlans.planFileOf(name) }, (options) =>
    Effect.gen(function* () {
      const fromFile = Option.isSome(options.planFile)
        ? yield* SavedPlans.openReviewed(options, options.planFile.value)
        : undefined
      const saved = fromFile?.reviewed.saved
      if (!options.yes && saved === undefined && !terminal.interactive()) {
        return yield* new ConfirmationRequired({
          command: name,
          ...(name === "down" ? { review: "Review what it destroys with `fleetflow plan --destroy`" } : {})
        })
      }
      const workspace = fromFile?.workspace ?? (yield* openWorkspace(options))
      const applyTarget = name === "up" ? targetOf(workspace) : downTargetOf(workspace)
      const lockTimeout = yield* parseLockTimeout(options.lockTimeout)
      const retry = yield* parseRetry(options.retry, workspace.config.retry)
      if (options.parallelism < 1) {
        return yield* new InvalidOption({ option: "--parallelism", reason: "must be 1 or more" })
      }
      const write = (text: string) => {
        ;(options.json ? process.stderr : process.stdout).write(text)
      }
      const outcome = yield* Effect.scoped(
        Effect.gen(function* () {
          const out = options.json ? process.stderr : process.stdout
          const reporter = yield* Progress.make({
            tty: out.isTTY === true,
            color: terminal.color(),
            write,
            columns: out.columns,
            onLiveArea: Signals.writeNotesWith
          })
          const refreshing = yield* refreshLine
          return yield* withWorkspace(
            workspace,
            Effect.flatMap(applyTarget, (target) =>
              (name === "up" ? Fleet.up : Fleet.down)(target, {
                refresh: saved?.refresh ?? options.refresh,
                targets: saved?.targets ?? options.target,
                refreshing,
                parallelism: options.parallelism,
                retry,
                lockTimeout,
                reporter,
                reviewed: fromFile?.reviewed,
                confirm:
                  fromFile === undefined
                    ? confirmPlan(name, options, workspace)
                    : SavedPlans.applying(fromFile, options),
                onFailure: decideOnFailure(options)
              })
            )
          )
        })
      )
      const { summary } = outcome.plan
      const outputs = name === "up" ? appliedOutputs(outcome, workspace.stage) : []
      if (options.json) {
        return yield* printJson({
          plan: encodePlan(outcome.plan),
          applied: outcome.result.succeeded.map(({ step }) => ({ operation: step.operation, key: step.key })),
          serial: outcome.state.serial,
          ...(name === "up" ? { outputs } : {})
        })
      }
      if (!Plan.hasChanges(outcome.plan))
        return yield* Console.log(Render.plan(outcome.plan, { color: terminal.color() }, name))
      const verb = name === "up" ? "Apply" : "Destroy"
      yield* Console.log(`\n${verb} complete! Resources: ${Render.counts(summary, "done")}${outputsSection(outputs)}`)
    })
  ).pipe(Command.withDescription(description))

export const up = applyCommand(
  "up",
  "plan, confirm and apply the stage; or apply a saved plan (PLANFILE) as it was reviewed"
)
export const down = applyCommand("down", "destroy the stage's resources, dependents first")

export const scale = Command.make(
  "scale",
  {
    ...common,
    lockTimeout: applyOptions.lockTimeout,
    server: Args.text({ name: "SERVER" }).pipe(
      Args.withDescription("a server the stage declares with `scale min= max=`, by its base name")
    ),
    count: integerArg("COUNT", "how many servers it runs, within its range")
  },
  (options) =>
    Effect.gen(function* () {
      const workspace = yield* openWorkspace(options)
      const { stage: name, config } = workspace
      const ranges = yield* Scale.rangesOf(config, name)
      const range = yield* Scale.checkCount(config, name, ranges, options.server, options.count)
      const lockTimeout = yield* parseLockTimeout(options.lockTimeout)
      const recorded = yield* Effect.scoped(
        Effect.gen(function* () {
          const store = yield* State.StateStore
          yield* store.lock("scale", lockTimeout === undefined ? undefined : { timeout: Duration.millis(lockTimeout) })
          const current = Option.getOrElse(yield* store.read, () => State.emptyState(config.project))
          const from = State.scaleOf(current, name)[range.server] ?? range.min
          if (from === options.count) return { from, state: current }
          return { from, state: yield* store.write(State.withScale(current, name, range.server, options.count)) }
        })
      ).pipe((effect) => withState(workspace, effect))
      const changed = recorded.from !== options.count
      if (options.json) {
        return yield* printJson({
          stage: name,
          server: range.server,
          from: recorded.from,
          to: options.count,
          changed,
          serial: recorded.state.serial
        })
      }
      const servers = (count: number) => `${count} server${count === 1 ? "" : "s"}`
      yield* Console.log(
        changed
          ? `${range.server}: ${recorded.from} → ${servers(options.count)}; run \`fleetflow up\` to apply`
          : `${range.server}: already ${servers(options.count)}; nothing changed`
      )
    })
).pipe(
  Command.withDescription(
    "set how many servers a scaled server runs in the stage; records the count in the state and applies nothing: `fleetflow up` converges"
  )
)

export const importCommand = Command.make(
  "import",
  {
    ...common,
    lockTimeout: applyOptions.lockTimeout,
    key: Args.text({ name: "KEY" }).pipe(Args.withDescription("the declared resource, e.g. cloudflare:r2:assets")),
    id: Args.text({ name: "ID" }).pipe(Args.withDescription("the existing resource's ID in its cloud"))
  },
  (options) =>
    Effect.gen(function* () {
      const workspace = yield* openWorkspace(options)
      const lockTimeout = yield* parseLockTimeout(options.lockTimeout)
      const imported = yield* withWorkspace(
        workspace,
        Effect.flatMap(targetOf(workspace), (target) =>
          Fleet.importResource(target, options.key, options.id, { lockTimeout })
        )
      )
      if (options.json) return yield* printJson({ key: imported.key, ...imported.resource, serial: imported.serial })
      yield* Console.log(
        `Imported ${imported.key} (id ${imported.resource.id}). Run \`fleetflow plan\` to compare it with the file.`
      )
    })
).pipe(Command.withDescription("adopt an existing resource as a declared one; the clouds are not changed"))

const forceUnlockOptions = {
  ...common,
  yes: Options.boolean("yes").pipe(Options.withAlias("y"), Options.withDescription("remove it without asking")),
  id: Args.text({ name: "LOCK_ID" }).pipe(
    Args.withDescription("the lock ID a refused command printed (`state is locked by …, lock ID …`)")
  )
}

/**
 * Shows who holds the lock and asks; a lock whose command still runs must not be removed by habit.
 * An ID that is not the current lock's is refused first: there is nothing to confirm.
 */
const confirmUnlock = (id: string) =>
  Effect.gen(function* () {
    const store = yield* State.StateStore
    const current = yield* store.currentLock
    if (Option.isNone(current) || current.value.id !== id) {
      return yield* new State.LockNotFound({ path: store.location, id, current: Option.getOrUndefined(current) })
    }
    if (!terminal.interactive()) {
      return yield* new ConfirmationRequired({
        command: `force-unlock ${id}`,
        review: "Make sure the command holding it has ended (the error that named the lock says where it ran)"
      })
    }
    const { user, host, pid, operation, created } = current.value
    return yield* Confirm.typedYes(
      `Remove the state lock ${id} held by ${user}@${host} (pid ${pid}, \`${operation}\`, since ${created})? ` +
        "If its command still runs, two commands will change the state at once."
    )
  })

export const forceUnlock = Command.make("force-unlock", forceUnlockOptions, (options) =>
  Effect.gen(function* () {
    const workspace = yield* openFolder(options)
    const removed = yield* withState(
      workspace,
      Effect.gen(function* () {
        if (!options.yes && !(yield* confirmUnlock(options.id))) {
          return yield* new Fleet.Cancelled({ reason: "Cancelled; the lock was kept." })
        }
        return yield* Effect.flatMap(State.StateStore, (store) => store.forceUnlock(options.id))
      })
    )
    yield* Console.log(
      `Removed the lock ${removed.id} held by ${removed.user}@${removed.host} (pid ${removed.pid}, ${removed.operation}).`
    )
  })
).pipe(Command.withDescription("remove a stale state lock by its ID"))
