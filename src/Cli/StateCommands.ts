/**
 * `fleetflow state …`: read the state, rebuild it from the clouds, list and restore its versions,
 * move it between stores.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Prompt from "@effect/cli/Prompt"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Config from "../Config.js"
import * as Fleet from "../Fleet.js"
import * as Rollback from "../Fleet/Rollback.js"
import * as Render from "../Render.js"
import * as State from "../State.js"
import * as StateBackend from "../State/Backend.js"
import { ConfirmationRequired, InvalidOption, UnknownKey } from "./Errors.js"
import { applyOptions, type Common, common, integerArg, parseLockTimeout, printJson, terminal } from "./Options.js"
import {
  checkSandboxSettings,
  type Folder,
  openFolder,
  openWorkspace,
  sandboxStateHint,
  targetOf,
  withState,
  withWorkspace
} from "./Workspace.js"

/** Runs `use` on the state; the stage is the one asked for, the only one, or none (all of them). */
const stateCommand = <A, E, R>(
  options: Common,
  use: (state: State.StateFile, stage: string | undefined, folder: Folder) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function* () {
    const folder = yield* openFolder(options)
    const { stages } = folder.config
    const stage = Option.isSome(options.stage)
      ? yield* Config.selectStage(folder.config, options.stage.value)
      : stages.length === 1
        ? stages[0]
        : undefined
    return yield* withState(
      folder,
      Effect.gen(function* () {
        const store = yield* State.StateStore
        const stored = yield* store.read
        return yield* use(
          Option.getOrElse(stored, () => State.emptyState(folder.config.project)),
          stage,
          folder
        )
      })
    )
  })

const stateList = Command.make("list", common, (options) =>
  stateCommand(options, (state, stage, folder) => {
    const keys = Object.entries(state.resources)
      .filter(([, resource]) => stage === undefined || resource.stage === stage)
      .map(([key]) => key)
      .sort()
    return options.json
      ? printJson(keys)
      : keys.length === 0
        ? Effect.flatMap(sandboxStateHint(folder), (hint) => Console.error(`The state holds no resources.${hint}`))
        : Console.log(keys.join("\n"))
  })
).pipe(Command.withDescription("list the resource keys the state holds"))

const resourceKey = Args.text({ name: "KEY" }).pipe(
  Args.withDescription("a key `fleetflow state list` prints, e.g. cloudflare:r2:assets")
)

const stateShow = Command.make("show", { ...common, key: resourceKey }, (options) =>
  stateCommand(options, (state) =>
    Effect.gen(function* () {
      const resource = state.resources[options.key]
      if (resource === undefined)
        return yield* new UnknownKey({ key: options.key, known: Object.keys(state.resources) })
      if (options.json) return yield* printJson({ key: options.key, ...resource })
      const attributes = Object.entries(resource.attributes).filter(([field]) => field !== "id")
      const width = Math.max(10, ...attributes.map(([field]) => field.length))
      const line = (field: string, text: string) => `${field.padEnd(width)} = ${text}`
      const lines = [`# ${options.key}`, line("id", resource.id), line("stage", resource.stage)]
      for (const [field, value] of attributes) lines.push(line(field, Render.value(value)))
      lines.push(line("created_at", resource.created_at), line("updated_at", resource.updated_at), "inputs:")
      for (const [field, value] of Object.entries(resource.inputs)) lines.push(`  ${field} = ${Render.value(value)}`)
      yield* Console.log(lines.join("\n"))
    })
  )
).pipe(Command.withDescription("show one resource the state holds"))

const stateRecover = Command.make("recover", { ...common, lockTimeout: applyOptions.lockTimeout }, (options) =>
  Effect.gen(function* () {
    const workspace = yield* openWorkspace(options)
    const lockTimeout = yield* parseLockTimeout(options.lockTimeout)
    const recovered = yield* withWorkspace(
      workspace,
      Effect.flatMap(targetOf(workspace), (target) => Fleet.recoverState(target, { lockTimeout }))
    )
    if (options.json) {
      return yield* printJson({
        stage: workspace.stage,
        found: recovered.found,
        missing: recovered.missing,
        unresolved: recovered.unresolved,
        serial: recovered.state.serial
      })
    }
    const section = (title: string, keys: ReadonlyArray<string>) =>
      keys.length === 0 ? [] : [title, ...keys.map((key) => `  ${key}`)]
    const lines = [
      ...section("Found in the clouds and recorded:", recovered.found),
      ...section("Not found (`fleetflow up` creates them):", recovered.missing),
      ...section("Found, but what they refer to was not (left out):", recovered.unresolved)
    ]
    yield* Console.log(
      [
        ...(lines.length === 0 ? ["The state already holds every resource of the stage; nothing to recover."] : lines),
        ...(recovered.found.length === 0 ? [] : ["Run `fleetflow plan` to compare them with the file."])
      ].join("\n")
    )
  })
).pipe(
  Command.withDescription(
    "rebuild the stage's state from the clouds: declared resources found by name and ownership tags are recorded"
  )
)

const historyLimit = Options.integer("limit").pipe(
  Options.withDefault(20),
  Options.withDescription("how many versions to list, newest first; 0 lists them all")
)

const stateHistory = Command.make("history", { ...common, limit: historyLimit }, (options) =>
  Effect.gen(function* () {
    const folder = yield* openFolder(options)
    if (options.limit < 0) return yield* new InvalidOption({ option: "--limit", reason: "must be 0 or more" })
    const kept = yield* withState(folder, Rollback.history)
    const entries = options.limit === 0 ? kept : kept.slice(0, options.limit)
    if (options.json) return yield* printJson(entries)
    if (entries.length === 0) return yield* Console.error("The state has no versions yet.")
    const rows = entries.map((entry, index) => [
      String(entry.serial),
      entry.written_at.replace("T", " ").replace(/\.\d+Z$/, "Z"),
      entry.written_by,
      entry.operation ?? "",
      String(entry.resources),
      index === 0 ? "(current)" : ""
    ])
    const header = ["SERIAL", "WRITTEN", "BY", "COMMAND", "RESOURCES", ""]
    const lineages = new Set(entries.map((entry) => entry.lineage))
    yield* Console.log(
      [
        Render.columns([header, ...rows], { color: false }),
        ...(kept.length > entries.length
          ? [`… ${kept.length - entries.length} older versions (--limit 0 lists them all)`]
          : []),
        ...(lineages.size > 1 ? ["", `Versions of ${lineages.size} lineages; the first row is the current state.`] : [])
      ].join("\n")
    )
  })
).pipe(Command.withDescription("list the kept versions of the state, newest first (PostgreSQL state)"))

const stateRollback = Command.make(
  "rollback",
  {
    ...common,
    lockTimeout: applyOptions.lockTimeout,
    yes: applyOptions.yes,
    serial: integerArg("SERIAL", "the earlier version to restore, as `fleetflow state history` lists it")
  },
  (options) =>
    Effect.gen(function* () {
      const folder = yield* openFolder(options)
      const lockTimeout = yield* parseLockTimeout(options.lockTimeout)
      const confirm = (changed: ReadonlyArray<string>) =>
        Effect.gen(function* () {
          if (!options.json) {
            yield* Console.log(
              changed.length === 0
                ? `Serial ${options.serial} records the same resources as the current state.`
                : `Restoring serial ${options.serial} changes the record of:\n${changed.map((key) => `  ${key}`).join("\n")}`
            )
          }
          if (options.yes) return true
          if (!terminal.interactive())
            return yield* new ConfirmationRequired({
              command: `state rollback ${options.serial}`,
              review: "See the versions in `fleetflow state history`"
            })
          return yield* Prompt.confirm({
            message: `Make the state what serial ${options.serial} recorded? The clouds are not changed.`,
            initial: false
          }).pipe(Effect.catchAll(() => Effect.succeed(false)))
        })
      const outcome = yield* withState(folder, Rollback.rollback(options.serial, { lockTimeout, confirm }))
      if (options.json) {
        return yield* printJson({ restored: options.serial, serial: outcome.serial, changed: outcome.changed })
      }
      yield* Console.log(
        `The state is now serial ${outcome.serial}, a copy of serial ${options.serial}. The clouds did not change:\n` +
          "run `fleetflow plan` to see how they differ from it, and `fleetflow state recover`\n" +
          "if it records fewer resources than the clouds hold."
      )
    })
).pipe(
  Command.withDescription(
    "make the state what an earlier version recorded, as a new version (PostgreSQL state); changes no cloud"
  )
)

const stateMigrate = Command.make(
  "migrate",
  {
    ...common,
    lockTimeout: applyOptions.lockTimeout,
    to: Options.choice("to", ["postgres", "local"]).pipe(
      Options.withDescription(
        "where the state goes: the PostgreSQL database of the file or --state-url, or .fleetflow/"
      )
    )
  },
  (options) =>
    Effect.gen(function* () {
      const folder = yield* openFolder(options)
      const lockTimeout = yield* parseLockTimeout(options.lockTimeout)
      const database = yield* folder.database
      const local: StateBackend.Backend = {
        kind: "local",
        directory: folder.stateDirectory,
        project: folder.config.project
      }
      const [from, to] = options.to === "postgres" ? [local, database] : [database, local]
      const { migrate } = yield* Effect.promise(() => import("../State/Migrate.js"))
      yield* checkSandboxSettings(folder)
      const result = yield* Effect.scoped(
        Effect.gen(function* () {
          const source = yield* StateBackend.open(from)
          const target = yield* StateBackend.open(to)
          return yield* migrate(source, target, {
            ...(lockTimeout === undefined ? {} : { lock: { timeout: lockTimeout } })
          })
        })
      )
      if (options.json) return yield* printJson(result)
      const version =
        result.version === undefined ? "" : ` (lineage ${result.version.lineage}, serial ${result.version.serial})`
      const next =
        folder.config.state.backend === options.to
          ? ""
          : options.to === "postgres"
            ? '\nMake the file use it: state { backend "postgres"; url env="FLEETFLOW_PG_URL" }.'
            : '\nMake the file use it: remove its `state` block (or write backend "local").'
      yield* Console.log(
        result.outcome === "empty"
          ? `There is no state in ${result.from} to copy.`
          : result.outcome === "unchanged"
            ? `${result.to} already holds this state${version}; nothing was copied.${next}`
            : `Copied the state${version}\n  from ${result.from}\n  to   ${result.to}\nThe source is left as it was.${next}`
      )
    })
).pipe(
  Command.withDescription(
    "copy the state to PostgreSQL or back to .fleetflow/, lineage and serial kept; never overwrites another state"
  )
)

export const state = Command.make("state").pipe(
  Command.withDescription("read the state, rebuild it from the clouds, or move it between stores"),
  Command.withSubcommands([stateList, stateShow, stateRecover, stateHistory, stateRollback, stateMigrate])
)
