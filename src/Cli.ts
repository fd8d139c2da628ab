/**
 * The `fleetflow` command tree.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Prompt from "@effect/cli/Prompt"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as NodePath from "node:path"
import type * as Apply from "./Apply.js"
import * as Config from "./Config.js"
import * as Fleet from "./Fleet.js"
import * as Plan from "./Plan.js"
import * as Progress from "./Progress.js"
import type { CloudProvider } from "./Provider.js"
import * as Render from "./Render.js"
import { equalJson } from "./Resource.js"
import type * as Retry from "./Retry.js"
import { ExitCode } from "./Report.js"
import type * as Sandbox from "./Sandbox.js"
import * as Scale from "./Scale.js"
import * as State from "./State.js"
import * as StateBackend from "./State/Backend.js"
import { version } from "./Version.js"

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

const terminal = {
  interactive: () => process.stdin.isTTY === true && process.stdout.isTTY === true,
  color: () => process.stdout.isTTY === true && process.env.NO_COLOR === undefined
}

const file = Options.text("file").pipe(
  Options.withAlias("f"),
  Options.withDescription("the configuration file (default: fleet.kdl here or in a parent folder)"),
  Options.optional
)
const stage = Options.text("stage").pipe(
  Options.withAlias("s"),
  Options.withDescription("the stage to work on (or FLEETFLOW_STAGE)"),
  Options.optional
)
const json = Options.boolean("json").pipe(Options.withDescription("print machine-readable JSON on stdout"))
const sandbox = Options.boolean("sandbox").pipe(
  Options.withDescription("work on the built-in sandbox cloud in .fleetflow/sandbox/ (or FLEETFLOW_SANDBOX=1)")
)
const stateUrl = Options.redacted("state-url").pipe(
  Options.withDescription(
    "keep the state in this PostgreSQL database (postgres://user@host:5432/db) instead of where the file's `state` says; " +
      "a password given here shows in the process list: prefer `url env=` in the file"
  ),
  Options.optional
)
const common = { file, stage, json, sandbox, stateUrl }
type Common = {
  readonly file: Option.Option<string>
  readonly stage: Option.Option<string>
  readonly json: boolean
  readonly sandbox: boolean
  readonly stateUrl: Option.Option<Redacted.Redacted<string>>
}

const refresh = Options.choice("refresh", ["true", "false"]).pipe(
  Options.withDefault("true" as const),
  Options.map((value) => value === "true"),
  Options.withDescription("read what exists in the clouds before planning; --refresh=false plans from the state alone")
)
const target = Options.text("target").pipe(
  Options.withDescription("limit the work to this resource key and what it depends on (repeatable)"),
  Options.repeated
)
const planOptions = { refresh, target }

const applyOptions = {
  ...planOptions,
  yes: Options.boolean("yes").pipe(Options.withAlias("y"), Options.withDescription("apply without asking")),
  parallelism: Options.integer("parallelism").pipe(
    Options.withDefault(10),
    Options.withDescription("how many actions may run at once")
  ),
  onFailure: Options.choice("on-failure", ["abort", "rollback", "continue"]).pipe(
    Options.withDescription("what to do when an action fails and there is no terminal to ask (default abort)"),
    Options.optional
  ),
  retry: Options.text("retry").pipe(
    Options.withDescription(
      "override the file's retry policy, e.g. max-attempts=5,initial-delay=500ms,max-delay=10s,multiplier=2"
    ),
    Options.optional
  ),
  lockTimeout: Options.text("lock-timeout").pipe(
    Options.withDescription("wait this long for the state lock, e.g. 30s (default: fail at once)"),
    Options.optional
  )
}

/** A configuration and where its state and (in the sandbox) its cloud live. */
interface Folder {
  readonly config: Config.FleetConfig
  readonly sandbox: boolean
  /** `.fleetflow/` (or `.fleetflow/sandbox/`): the local state, logs and the sandbox's clouds. */
  readonly stateDirectory: string
  /** The store that holds the state, or why it cannot be opened (only commands that open it fail). */
  readonly backend: Either.Either<StateBackend.Backend, Config.ConfigError | InvalidOption>
  /** The PostgreSQL database the file or `--state-url` names, whichever store holds the state now. */
  readonly database: Either.Either<StateBackend.Backend, Config.ConfigError | InvalidOption>
}

interface Workspace extends Folder {
  readonly stage: string
}

const sandboxRequested = (flag: boolean) => flag || ["1", "true", "yes"].includes(process.env.FLEETFLOW_SANDBOX ?? "")

/**
 * The PostgreSQL database of `--state-url`, else of the file's `state` block. The sandbox's state
 * is kept apart from the real one there too, under its own key.
 */
const databaseOf = (
  config: Config.FleetConfig,
  inSandbox: boolean,
  localDirectory: string,
  flag: Option.Option<Redacted.Redacted<string>>
): Either.Either<StateBackend.Backend, Config.ConfigError | InvalidOption> => {
  const settings = config.state
  const project = inSandbox ? `${config.project} (sandbox)` : config.project
  const schema = settings.backend === "postgres" ? settings.schema : undefined
  if (Option.isSome(flag)) {
    const text = Redacted.value(flag.value)
    return /^postgres(ql)?:\/\//.test(text) && URL.canParse(text)
      ? Either.right({ kind: "postgres", url: flag.value, schema, project, localDirectory })
      : Either.left(
          new InvalidOption({
            option: "--state-url",
            reason: "must be a PostgreSQL connection string such as postgres://user@host:5432/database"
          })
        )
  }
  if (settings.backend === "local" || settings.url === undefined) {
    const at = settings.backend === "postgres" ? settings.at : { file: config.file, line: 0, column: 0, path: "" }
    return Either.left(
      Config.configError(
        at,
        settings.backend === "postgres"
          ? "`state` uses the postgres backend but gives no `url`"
          : "no PostgreSQL database is configured for the state",
        `write state { backend "postgres"; url env="FLEETFLOW_PG_URL" } in the file, or pass --state-url`
      )
    )
  }
  return Either.map(settings.url, (url) => ({ kind: "postgres", url, schema, project, localDirectory }))
}

const openFolder = (options: Common) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const located = yield* Config.findConfigFile(process.cwd(), Option.getOrUndefined(options.file))
    const config = yield* Config.load(located)
    const inSandbox = sandboxRequested(options.sandbox)
    const base = path.join(config.directory, ".fleetflow")
    const stateDirectory = inSandbox ? path.join(base, "sandbox") : base
    const database = databaseOf(config, inSandbox, stateDirectory, options.stateUrl)
    return {
      config,
      sandbox: inSandbox,
      stateDirectory,
      database,
      backend:
        config.state.backend === "local" && Option.isNone(options.stateUrl)
          ? Either.right({ kind: "local", directory: stateDirectory })
          : database
    } satisfies Folder
  })

const openWorkspace = (options: Common) =>
  Effect.gen(function* () {
    const folder = yield* openFolder(options)
    const stage = yield* Config.selectStage(folder.config, Option.getOrUndefined(options.stage))
    return { ...folder, stage } satisfies Workspace
  })

/**
 * The sandbox clouds, or the real ones: Sakura Cloud through usacloud, Cloudflare through its API and wrangler.
 * Their code is imported here, when a command needs them, so that the others start faster.
 */
const providerLayer = (
  workspace: Folder
): Layer.Layer<CloudProvider, Sandbox.SandboxOptionsError, FileSystem.FileSystem | CommandExecutor.CommandExecutor> =>
  Layer.unwrapEffect(
    workspace.sandbox
      ? Effect.gen(function* () {
          const Sandbox = yield* Effect.promise(() => import("./Sandbox.js"))
          return Sandbox.layer(workspace.stateDirectory, yield* Sandbox.optionsFromEnv)
        })
      : Effect.map(
          Effect.promise(() => import("./Clouds.js")),
          (Clouds) =>
            Clouds.layer({
              profile: workspace.config.providers.sakura?.profile,
              cloudflareAccountId: workspace.config.providers.cloudflare?.accountId,
              wranglerLogDirectory: NodePath.join(workspace.stateDirectory, "logs", "wrangler")
            })
        )
  )

/** The workspace's state store, opened for the command and closed after it. */
const stateLayer = (workspace: Folder) => Layer.unwrapEffect(Effect.map(workspace.backend, StateBackend.layer))

/** Runs `effect` with the state store and the providers of the workspace. */
const withWorkspace = <A, E, R>(workspace: Folder, effect: Effect.Effect<A, E, R>) =>
  Effect.provide(effect, Layer.merge(stateLayer(workspace), providerLayer(workspace)))

/** The sandbox settings are checked on every command that works on the sandbox, also those that need no cloud. */
const checkSandboxSettings = (workspace: Folder) =>
  workspace.sandbox
    ? Effect.flatMap(
        Effect.promise(() => import("./Sandbox/Options.js")),
        (Options) => Options.optionsFromEnv
      )
    : Effect.void

/** Runs `effect` with the state store alone. */
const withState = <A, E, R>(workspace: Folder, effect: Effect.Effect<A, E, R>) =>
  Effect.zipRight(checkSandboxSettings(workspace), Effect.provide(effect, stateLayer(workspace)))

const printJson = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

const encodePlan = Schema.encodeSync(Plan.Plan)

/**
 * The replica counts `fleetflow scale` recorded for `stage`, checked against the file's ranges;
 * none when there is no state yet.
 */
const recordedScale = (folder: Folder, stage: string) =>
  Effect.gen(function* () {
    const stored = yield* Effect.flatMap(State.StateStore, (store) => store.read)
    const ranges = yield* Scale.rangesOf(folder.config, stage)
    const recorded = yield* Scale.checkRecorded(
      folder.config,
      stage,
      ranges,
      Option.match(stored, { onNone: () => ({}), onSome: (state) => State.scaleOf(state, stage) }),
      folder.sandbox ? ["--sandbox"] : []
    )
    if (recorded.ignored.length > 0) {
      yield* Effect.logWarning(
        `The state records a count for ${recorded.ignored.map((name) => `\`${name}\``).join(", ")} in stage "${stage}", ` +
          "which the file no longer declares with `scale`; the count is ignored."
      )
    }
    return recorded.counts
  })

const desiredOf = (workspace: Workspace) =>
  Effect.flatMap(recordedScale(workspace, workspace.stage), (counts) =>
    Config.desiredResources(workspace.config, workspace.stage, { scale: counts })
  )

const targetOf = (workspace: Workspace) =>
  Effect.map(desiredOf(workspace), (desired) => ({ config: workspace.config, stage: workspace.stage, desired }))

const parseLockTimeout = (value: Option.Option<string>) =>
  Option.match(value, {
    onNone: () => Effect.succeed(undefined),
    onSome: (text) =>
      Option.match(Config.parseDuration(text), {
        onNone: () =>
          Effect.fail(
            new InvalidOption({ option: "--lock-timeout", reason: `"${text}" is not a duration such as 30s or 2m` })
          ),
        onSome: (duration) => Effect.succeed(Duration.toMillis(duration))
      })
  })

/** `--retry max-attempts=5,initial-delay=500ms`: the fields given replace the file's. */
const parseRetry = (value: Option.Option<string>, base: Retry.RetryPolicy) =>
  Effect.gen(function* () {
    if (Option.isNone(value)) return base
    const invalid = (reason: string) => new InvalidOption({ option: "--retry", reason })
    let policy = base
    for (const part of value.value.split(",")) {
      const [field = "", text = ""] = part.split("=").map((piece) => piece.trim())
      const duration = () =>
        Option.match(Config.parseDuration(text), {
          onNone: () => Effect.fail(invalid(`${field}: "${text}" is not a duration such as 500ms or 2s`)),
          onSome: Effect.succeed
        })
      const number = Number(text)
      switch (field) {
        case "max-attempts":
          if (!Number.isInteger(number) || number < 1) return yield* invalid(`max-attempts must be 1 or more`)
          policy = { ...policy, maxAttempts: number }
          break
        case "initial-delay":
          policy = { ...policy, initialDelay: yield* duration() }
          break
        case "max-delay":
          policy = { ...policy, maxDelay: yield* duration() }
          break
        case "multiplier":
          if (!(number >= 1)) return yield* invalid("multiplier must be at least 1")
          policy = { ...policy, multiplier: number }
          break
        default:
          return yield* invalid(
            `unknown field "${field}" (max-attempts, initial-delay, max-delay, multiplier), as in max-attempts=5,initial-delay=1s`
          )
      }
    }
    return policy
  })

const validate = Command.make("validate", common, (options) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const folder = yield* openFolder(options)
    const { config } = folder
    const requested = Option.getOrUndefined(options.stage)
    const stages = requested === undefined ? config.stages : [yield* Config.selectStage(config, requested)]
    // A chosen stage is shown with the counts `fleetflow scale` recorded; all stages with their minimums.
    const declared = yield* Effect.forEach(stages, (name) =>
      Effect.gen(function* () {
        const counts = requested === undefined ? {} : yield* withState(folder, recordedScale(folder, name))
        return { stage: name, desired: yield* Config.desiredResources(config, name, { scale: counts }) }
      })
    )
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

const plan = Command.make(
  "plan",
  {
    ...common,
    ...planOptions,
    detailedExitcode: Options.boolean("detailed-exitcode").pipe(
      Options.withDescription("exit 0 with no changes, 2 with changes, 1 on error")
    )
  },
  (options) =>
    Effect.gen(function* () {
      const workspace = yield* openWorkspace(options)
      const { plan: made } = yield* withWorkspace(
        workspace,
        Effect.flatMap(targetOf(workspace), (planTarget) =>
          Fleet.plan(planTarget, { refresh: options.refresh, targets: options.target })
        )
      )
      if (options.json) yield* printJson({ plan: encodePlan(made) })
      else yield* Console.log(Render.plan(made, { color: terminal.color() }))
      if (options.detailedExitcode && Plan.hasChanges(made)) return yield* new Exit({ code: ExitCode.changes })
    })
).pipe(Command.withDescription("show what `up` would change; changes nothing"))

type ApplyCommandOptions = Common & {
  readonly refresh: boolean
  readonly target: ReadonlyArray<string>
  readonly yes: boolean
  readonly parallelism: number
  readonly onFailure: Option.Option<"abort" | "rollback" | "continue">
  readonly lockTimeout: Option.Option<string>
  readonly retry: Option.Option<string>
}

const confirmPlan = (command: "up" | "down", options: ApplyCommandOptions, workspace: Workspace) => (made: Plan.Plan) =>
  Effect.gen(function* () {
    if (!options.json) yield* Console.log(Render.plan(made, { color: terminal.color() }))
    if (options.yes) return true
    const where = workspace.sandbox ? "the sandbox" : "the clouds"
    const question =
      command === "down"
        ? `Destroy ${made.summary.destroy} resource${made.summary.destroy === 1 ? "" : "s"} of stage "${workspace.stage}" on ${where}? This cannot be undone.`
        : `Apply these changes to stage "${workspace.stage}" on ${where}?`
    return yield* Prompt.confirm({
      message: question,
      initial: false
    }).pipe(Effect.catchAll(() => Effect.succeed(false)))
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
  Command.make(name, { ...common, ...applyOptions }, (options) =>
    Effect.gen(function* () {
      if (!options.yes && !terminal.interactive()) return yield* new ConfirmationRequired({ command: name })
      const workspace = yield* openWorkspace(options)
      const applyTarget =
        name === "up"
          ? targetOf(workspace)
          : Effect.succeed({ config: workspace.config, stage: workspace.stage, desired: [] })
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
            columns: out.columns
          })
          return yield* withWorkspace(
            workspace,
            Effect.flatMap(applyTarget, (target) =>
              (name === "up" ? Fleet.up : Fleet.down)(target, {
                refresh: options.refresh,
                targets: options.target,
                parallelism: options.parallelism,
                retry,
                lockTimeout,
                reporter,
                confirm: confirmPlan(name, options, workspace),
                onFailure: decideOnFailure(options)
              })
            )
          )
        })
      )
      const { summary } = outcome.plan
      if (options.json) {
        return yield* printJson({
          plan: encodePlan(outcome.plan),
          applied: outcome.result.succeeded.map(({ step }) => ({ operation: step.operation, key: step.key })),
          serial: outcome.state.serial
        })
      }
      if (!Plan.hasChanges(outcome.plan))
        return yield* Console.log(Render.plan(outcome.plan, { color: terminal.color() }))
      const verb = name === "up" ? "Apply" : "Destroy"
      yield* Console.log(
        `\n${verb} complete! Resources: ${summary.add} added, ${summary.change} changed, ${summary.destroy} destroyed.`
      )
    })
  ).pipe(Command.withDescription(description))

const up = applyCommand("up", "plan, confirm and apply the stage")
const down = applyCommand("down", "destroy the stage's resources, dependents first")

const scale = Command.make(
  "scale",
  {
    ...common,
    lockTimeout: applyOptions.lockTimeout,
    server: Args.text({ name: "SERVER" }).pipe(
      Args.withDescription("a server the stage declares with `scale min= max=`, by its base name")
    ),
    count: Args.integer({ name: "COUNT" }).pipe(Args.withDescription("how many servers it runs, within its range"))
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

/** Runs `use` on the state; the stage is the one asked for, the only one, or none (all of them). */
const stateCommand = <A, E, R>(
  options: Common,
  use: (state: State.StateFile, stage: string | undefined) => Effect.Effect<A, E, R>
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
          stage
        )
      })
    )
  })

const stateList = Command.make("list", common, (options) =>
  stateCommand(options, (state, stage) => {
    const keys = Object.entries(state.resources)
      .filter(([, resource]) => stage === undefined || resource.stage === stage)
      .map(([key]) => key)
      .sort()
    return options.json
      ? printJson(keys)
      : keys.length === 0
        ? Console.error("The state holds no resources.")
        : Console.log(keys.join("\n"))
  })
).pipe(Command.withDescription("list the resource keys the state holds"))

export class UnknownKey extends Data.TaggedError("UnknownKey")<{
  readonly key: string
  readonly known: ReadonlyArray<string>
}> {
  override get message() {
    return `the state holds no resource ${this.key}\n  \`fleetflow state list\` shows the keys it holds`
  }
}

const stateShow = Command.make("show", { ...common, key: Args.text({ name: "KEY" }) }, (options) =>
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

/** `state history` and `state rollback` on a store that keeps only the last version. */
export class HistoryUnavailable extends Data.TaggedError("HistoryUnavailable")<{
  readonly command: string
  readonly location: string
}> {
  override get message() {
    return (
      `\`fleetflow state ${this.command}\` needs a store that keeps every version of the state; ` +
      `${this.location} keeps the last one and a backup (state.json.backup).\n` +
      `  Keep the state in PostgreSQL (\`state { backend "postgres" }\`, see the README) to have its history.`
    )
  }
}

export class UnknownSerial extends Data.TaggedError("UnknownSerial")<{
  readonly serial: number
  readonly current: number
}> {
  override get message() {
    return this.serial >= this.current
      ? `serial ${this.serial} is not an earlier version: the state is at serial ${this.current}`
      : `the state keeps no version with serial ${this.serial}\n  \`fleetflow state history\` lists the versions kept`
  }
}

export class PendingActions extends Data.TaggedError("PendingActions")<{ readonly keys: ReadonlyArray<string> }> {
  override get message() {
    return (
      `the state records actions a stopped command left unsettled (${this.keys.join(", ")})\n` +
      "  Run `fleetflow up` or `fleetflow state recover` first, so that the clouds and the state agree on them."
    )
  }
}

/** The store and the versions it keeps, or the error saying this store keeps none. */
const versioned = (command: string) =>
  Effect.gen(function* () {
    const store = yield* State.StateStore
    const versions = yield* Effect.serviceOption(State.StateVersions)
    if (Option.isNone(versions)) return yield* new HistoryUnavailable({ command, location: store.location })
    return { store, history: versions.value.history, readVersion: versions.value.readVersion }
  })

const historyLimit = Options.integer("limit").pipe(
  Options.withDefault(20),
  Options.withDescription("how many versions to list, newest first; 0 lists them all")
)

const stateHistory = Command.make("history", { ...common, limit: historyLimit }, (options) =>
  Effect.gen(function* () {
    const folder = yield* openFolder(options)
    if (options.limit < 0) return yield* new InvalidOption({ option: "--limit", reason: "must be 0 or more" })
    const kept = yield* withState(
      folder,
      Effect.flatMap(versioned("history"), ({ history }) => history)
    )
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
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
    const line = (cells: ReadonlyArray<string>) =>
      cells
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd()
    const lineages = new Set(entries.map((entry) => entry.lineage))
    yield* Console.log(
      [
        line(header),
        ...rows.map(line),
        ...(kept.length > entries.length
          ? [`… ${kept.length - entries.length} older versions (--limit 0 lists them all)`]
          : []),
        ...(lineages.size > 1 ? ["", `Versions of ${lineages.size} lineages; the first row is the current state.`] : [])
      ].join("\n")
    )
  })
).pipe(Command.withDescription("list the kept versions of the state, newest first (PostgreSQL state)"))

/** Keys whose record differs between two states. */
const changedKeys = (from: State.StateFile, to: State.StateFile) => {
  const keys = new Set([...Object.keys(from.resources), ...Object.keys(to.resources)])
  return [...keys].filter((key) => !equalJson(from.resources[key], to.resources[key])).sort()
}

const stateRollback = Command.make(
  "rollback",
  {
    ...common,
    lockTimeout: applyOptions.lockTimeout,
    yes: applyOptions.yes,
    serial: Args.integer({ name: "SERIAL" }).pipe(
      Args.withDescription("the earlier version to restore, as `fleetflow state history` lists it")
    )
  },
  (options) =>
    Effect.gen(function* () {
      if (!options.yes && !terminal.interactive())
        return yield* new ConfirmationRequired({
          command: `state rollback ${options.serial}`,
          review: "See what it restores in `fleetflow state history`"
        })
      const folder = yield* openFolder(options)
      const lockTimeout = yield* parseLockTimeout(options.lockTimeout)
      const outcome = yield* withState(
        folder,
        Effect.scoped(
          Effect.gen(function* () {
            const { store, readVersion } = yield* versioned("rollback")
            yield* store.lock("state rollback", lockTimeout === undefined ? undefined : { timeout: lockTimeout })
            const current = yield* store.read
            const serialNow = Option.match(current, { onNone: () => 0, onSome: (state) => state.serial })
            if (Option.isNone(current) || options.serial >= serialNow) {
              return yield* new UnknownSerial({ serial: options.serial, current: serialNow })
            }
            if (current.value.pending.length > 0) {
              return yield* new PendingActions({ keys: current.value.pending.map((pending) => pending.key) })
            }
            const earlier = yield* readVersion(options.serial)
            if (Option.isNone(earlier)) return yield* new UnknownSerial({ serial: options.serial, current: serialNow })
            const changed = changedKeys(current.value, earlier.value)
            if (!options.json) {
              yield* Console.log(
                changed.length === 0
                  ? `Serial ${options.serial} records the same resources as the current state.`
                  : `Restoring serial ${options.serial} changes the record of:\n${changed.map((key) => `  ${key}`).join("\n")}`
              )
            }
            if (!options.yes) {
              const confirmed = yield* Prompt.confirm({
                message: `Make the state what serial ${options.serial} recorded? The clouds are not changed.`,
                initial: false
              }).pipe(Effect.catchAll(() => Effect.succeed(false)))
              if (!confirmed) return yield* new Fleet.Cancelled({ reason: "Cancelled; the state was not changed." })
            }
            const written = yield* store.write({
              ...earlier.value,
              lineage: current.value.lineage,
              serial: current.value.serial
            })
            return { changed, serial: written.serial }
          })
        )
      )
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
      const local: StateBackend.Backend = { kind: "local", directory: folder.stateDirectory }
      const [from, to] = options.to === "postgres" ? [local, database] : [database, local]
      const { migrate } = yield* Effect.promise(() => import("./State/Migrate.js"))
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

const state = Command.make("state").pipe(
  Command.withDescription("read the state, rebuild it from the clouds, or move it between stores"),
  Command.withSubcommands([stateList, stateShow, stateRecover, stateHistory, stateRollback, stateMigrate])
)

const importCommand = Command.make(
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

const forceUnlock = Command.make("force-unlock", { ...common, id: Args.text({ name: "LOCK_ID" }) }, (options) =>
  Effect.gen(function* () {
    const workspace = yield* openFolder(options)
    const removed = yield* withState(
      workspace,
      Effect.flatMap(State.StateStore, (store) => store.forceUnlock(options.id))
    )
    yield* Console.log(
      `Removed the lock ${removed.id} held by ${removed.user}@${removed.host} (pid ${removed.pid}, ${removed.operation}).`
    )
  })
).pipe(Command.withDescription("remove a stale state lock by its ID"))

export const root = Command.make("fleetflow").pipe(
  Command.withDescription("Declarative infrastructure for Sakura Cloud and Cloudflare, from a KDL file"),
  Command.withSubcommands([validate, plan, up, down, scale, importCommand, state, forceUnlock])
)

export const run = Command.run(root, { name: "fleetflow", version })
