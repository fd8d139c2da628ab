/**
 * Where a command works: the configuration it found, the stage, the state store it opens and the
 * clouds (real or the sandbox) it reaches.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as NodePath from "node:path"
import * as Leftovers from "../Children/Leftovers.js"
import * as Config from "../Config.js"
import type { CloudProvider } from "../Provider.js"
import type * as Sandbox from "../Sandbox.js"
import * as Scale from "../Scale.js"
import * as State from "../State.js"
import * as StateBackend from "../State/Backend.js"
import { InvalidOption } from "./Errors.js"
import type { Common } from "./Options.js"

/** A configuration and where its state and (in the sandbox) its cloud live. */
export interface Folder {
  readonly config: Config.FleetConfig
  readonly sandbox: boolean
  /** `.fleetflow/` (or `.fleetflow/sandbox/`): the local state, logs and the sandbox's clouds. */
  readonly stateDirectory: string
  /** The store that holds the state, or why it cannot be opened (only commands that open it fail). */
  readonly backend: Either.Either<StateBackend.Backend, Config.ConfigError | InvalidOption>
  /** The PostgreSQL database the file or `--state-url` names, whichever store holds the state now. */
  readonly database: Either.Either<StateBackend.Backend, Config.ConfigError | InvalidOption>
}

export interface Workspace extends Folder {
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

export const openFolder = (options: Common) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const located = yield* Config.findConfigFile(process.cwd(), Option.getOrUndefined(options.file))
    const config = yield* Config.load(located)
    const inSandbox = sandboxRequested(options.sandbox)
    const base = path.join(config.directory, ".fleetflow")
    // Before anything reads a cloud, so that no process a killed run left is still changing it.
    yield* Leftovers.adopt(base)
    const stateDirectory = inSandbox ? path.join(base, "sandbox") : base
    const database = databaseOf(config, inSandbox, stateDirectory, options.stateUrl)
    return {
      config,
      sandbox: inSandbox,
      stateDirectory,
      database,
      backend:
        config.state.backend === "local" && Option.isNone(options.stateUrl)
          ? Either.right({ kind: "local", directory: stateDirectory, project: config.project })
          : database
    } satisfies Folder
  })

export const openWorkspace = (options: Common) =>
  Effect.gen(function* () {
    const folder = yield* openFolder(options)
    const stage = yield* Config.selectStage(folder.config, Option.getOrUndefined(options.stage))
    return { ...folder, stage } satisfies Workspace
  })

const buildEnvOf = (workspace: Folder) => workspace.config.providers.cloudflare?.buildEnv ?? []

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
          const Sandbox = yield* Effect.promise(() => import("../Sandbox.js"))
          const options = yield* Sandbox.optionsFromEnv
          return Sandbox.layer(workspace.stateDirectory, { ...options, buildEnv: buildEnvOf(workspace) })
        })
      : Effect.map(
          Effect.promise(() => import("../Clouds.js")),
          (Clouds) =>
            Clouds.layer({
              profile: workspace.config.providers.sakura?.profile,
              cloudflareAccountId: workspace.config.providers.cloudflare?.accountId,
              cloudflareBuildEnv: buildEnvOf(workspace),
              wranglerLogDirectory: NodePath.join(workspace.stateDirectory, "logs", "wrangler")
            })
        )
  )

/** The workspace's state store, opened for the command and closed after it. */
const stateLayer = (workspace: Folder) => Layer.unwrapEffect(Effect.map(workspace.backend, StateBackend.layer))

/** Runs `effect` with the state store and the providers of the workspace. */
export const withWorkspace = <A, E, R>(workspace: Folder, effect: Effect.Effect<A, E, R>) =>
  Effect.provide(effect, Layer.merge(stateLayer(workspace), providerLayer(workspace)))

/** The sandbox settings are checked on every command that works on the sandbox, also those that need no cloud. */
export const checkSandboxSettings = (workspace: Folder) =>
  workspace.sandbox
    ? Effect.flatMap(
        Effect.promise(() => import("../Sandbox/Options.js")),
        (Options) => Options.optionsFromEnv
      )
    : Effect.void

/**
 * What to add where a command finds the real clouds' local state empty while the sandbox's holds
 * something: the two are kept apart, and a forgotten `--sandbox` would otherwise look like a loss.
 */
export const sandboxStateHint = (folder: Folder) =>
  Effect.gen(function* () {
    if (folder.sandbox || Either.getOrUndefined(folder.backend)?.kind !== "local") return ""
    const fs = yield* FileSystem.FileSystem
    const sandboxState = NodePath.join(folder.stateDirectory, "sandbox", "state.json")
    const exists = yield* fs.exists(sandboxState).pipe(Effect.orElseSucceed(() => false))
    return exists
      ? "\n  The sandbox cloud's state is kept apart, in .fleetflow/sandbox/: add --sandbox to read it."
      : ""
  })

/** Runs `effect` with the state store alone. */
export const withState = <A, E, R>(workspace: Folder, effect: Effect.Effect<A, E, R>) =>
  Effect.zipRight(checkSandboxSettings(workspace), Effect.provide(effect, stateLayer(workspace)))

/**
 * The replica counts `fleetflow scale` recorded for `stage`, checked against the file's ranges;
 * none when there is no state yet.
 */
export const recordedScale = (folder: Folder, stage: string) =>
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

export const desiredOf = (workspace: Workspace) =>
  Effect.flatMap(recordedScale(workspace, workspace.stage), (counts) =>
    Config.desiredResources(workspace.config, workspace.stage, { scale: counts })
  )

export const targetOf = (workspace: Workspace) =>
  Effect.map(desiredOf(workspace), (desired) => ({ config: workspace.config, stage: workspace.stage, desired }))

/** What `down` plans for: the stage with nothing declared, so that everything the state holds of it goes. */
export const downTargetOf = (workspace: Workspace) =>
  Effect.succeed({ config: workspace.config, stage: workspace.stage, desired: [] })
