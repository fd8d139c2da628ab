/**
 * Saved plans on the command line: `fleetflow plan --out FILE` writes one, `fleetflow up FILE` opens the
 * workspace it was made in and applies it without asking again (the plan was the review).
 */
import * as Args from "@effect/cli/Args"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Plan from "../Plan.js"
import * as Saved from "../Plan/Saved.js"
import * as Render from "../Render.js"
import { InvalidOption } from "./Errors.js"
import type { ApplyCommandOptions } from "./Options.js"
import { openWorkspace, type Workspace } from "./Workspace.js"

export const out = Options.text("out").pipe(
  Options.withDescription("save the plan to this file, for `fleetflow up FILE` to apply exactly (holds no secrets)"),
  Options.optional
)

const planFile = Args.text({ name: "PLANFILE" }).pipe(
  Args.withDescription("a plan saved by `fleetflow plan --out`: apply exactly it, without asking again"),
  Args.optional
)

/** `up` takes a saved plan; `down` none. */
export const planFileOf = (command: "up" | "down"): Args.Args<Option.Option<string>> =>
  command === "up" ? planFile : Args.none.pipe(Args.map(() => Option.none<string>()))

/** Writes `plan` to `file`; says where, unless the output is JSON. */
export const save = (
  file: string,
  plan: Plan.Plan,
  workspace: Workspace,
  options: { readonly refresh: boolean; readonly target: ReadonlyArray<string> }
) =>
  Effect.gen(function* () {
    const saved = yield* Saved.make({
      plan,
      configFile: workspace.config.file,
      sandbox: workspace.sandbox,
      refresh: options.refresh,
      targets: options.target
    })
    yield* Saved.write(file, saved)
  })

/** What `plan --out` says after the plan, for the operator to apply it. */
export const savedNote = (file: Option.Option<string>): string =>
  Option.match(file, {
    onNone: () => "",
    onSome: (path) =>
      `\n\nSaved this plan to ${path}. \`fleetflow up ${path}\` applies exactly it, unless something changed meanwhile.`
  })

/**
 * The saved plan and the workspace it applies to: the plan's stage unless `-s` names one. The targets and
 * the refresh are the plan's own: `--target` is refused rather than ignored.
 */
export const openReviewed = (options: ApplyCommandOptions, file: string) =>
  Effect.gen(function* () {
    const saved = yield* Saved.read(file)
    if (options.target.length > 0) {
      return yield* new InvalidOption({
        option: "--target",
        reason: `cannot be given with a saved plan, which applies the targets it was made with`
      })
    }
    const workspace = yield* openWorkspace({
      ...options,
      stage: Option.orElse(options.stage, () => Option.some(saved.stage))
    })
    yield* Saved.checkWorkspace(file, saved, {
      project: workspace.config.project,
      stage: workspace.stage,
      sandbox: workspace.sandbox,
      configFile: workspace.config.file
    })
    return { workspace, reviewed: { file, saved } satisfies Saved.Reviewed }
  })

/** In place of the confirmation: the saved plan was the review, so `up FILE` says what it applies and goes on. */
export const applying =
  (opened: { readonly reviewed: Saved.Reviewed }, options: { readonly json: boolean }) => (plan: Plan.Plan) =>
    Effect.as(
      options.json
        ? Effect.void
        : Console.log(
            `Applying the plan saved in ${opened.reviewed.file} (${opened.reviewed.saved.created}) to stage "${plan.stage}": ` +
              Render.counts(plan.summary)
          ),
      true
    )
