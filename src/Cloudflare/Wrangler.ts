/**
 * FleetFlow's one door to wrangler, for what only wrangler does well: bundling and deploying
 * Workers, and the Pages asset upload. Each run is a process with a clean environment (what
 * wrangler needs and the variables named for builds, the token and account FleetFlow chose), a
 * private HOME and cache removed afterwards, and wrangler's ND-JSON output file, which is read
 * instead of its human output. Exit code, stdout and stderr are read together; a non-zero exit
 * becomes a `WranglerError` classified with the REST client's code table.
 */
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Environment from "./Api/Environment.js"
import * as Binary from "./Wrangler/Binary.js"
import * as Commands from "./Wrangler/Commands.js"
import * as Credentials from "./Wrangler/Credentials.js"
import type * as Errors from "./Wrangler/Errors.js"
import type * as Output from "./Wrangler/Output.js"
import * as Process from "./Wrangler/Process.js"

export type {
  DeployResult,
  DeploySpec,
  PagesDeployment,
  PagesDeploySpec,
  PagesProjectSpec
} from "./Wrangler/Commands.js"
export { isRetryable, type Reason, stripAnsi, toProviderError, WranglerError } from "./Wrangler/Errors.js"
export type {
  Account,
  CommandFailedRecord,
  DeployRecord,
  OtherRecord,
  OutputRecord,
  PagesDeployRecord,
  WhoAmI
} from "./Wrangler/Output.js"
export { keptLogFiles, type RunOptions, type RunResult } from "./Wrangler/Process.js"
export { environment, type RunEnvironment } from "./Wrangler/RunEnvironment.js"

type Result<A> = Effect.Effect<A, Errors.WranglerError>

export interface WranglerService {
  /** Runs wrangler with `args`; a non-zero exit is a `WranglerError`. */
  readonly run: (args: ReadonlyArray<string>, options?: Process.RunOptions) => Result<Process.RunResult>
  /** `wrangler deploy --config CONFIG --name NAME ...extraArgs` in `cwd`. */
  readonly deploy: (spec: Commands.DeploySpec) => Result<Commands.DeployResult>
  /** `wrangler delete --name NAME --force`; a Worker that does not exist fails with reason `not-found`. */
  readonly deleteWorker: (name: string) => Result<void>
  /** `wrangler pages project create NAME --production-branch BRANCH`. */
  readonly createPagesProject: (spec: Commands.PagesProjectSpec) => Result<void>
  /** `wrangler pages deploy DIRECTORY --project-name PROJECT [--branch BRANCH]`. */
  readonly deployPages: (spec: Commands.PagesDeploySpec) => Result<Commands.PagesDeployment>
  /** `wrangler pages project delete NAME -y`. */
  readonly deletePagesProject: (name: string) => Result<void>
  /** `wrangler whoami --json`: the accounts the token reaches. */
  readonly whoami: Result<Output.WhoAmI>
  /** Fails, without starting a process, when no run could start: no wrangler, token or account. */
  readonly check: Result<void>
}

export class Wrangler extends Context.Tag("fleetflow/Cloudflare/Wrangler")<Wrangler, WranglerService>() {}

export interface Settings {
  /** The wrangler executable; `FLEETFLOW_WRANGLER`, `wrangler` on PATH, then `node_modules/.bin/wrangler` otherwise. */
  readonly binary?: string | undefined
  /** `CF_API_TOKEN`, then `CLOUDFLARE_API_TOKEN` otherwise. */
  readonly token?: Redacted.Redacted<string> | undefined
  /** `CF_ACCOUNT_ID`, then `CLOUDFLARE_ACCOUNT_ID` otherwise. */
  readonly accountId?: string | undefined
  /** An API root instead of `CLOUDFLARE_API_BASE_URL` (the simulator's). */
  readonly baseUrl?: string | undefined
  /** Where wrangler writes its debug logs (`WRANGLER_LOG_PATH`), the newest `keptLogFiles` kept. Default: a temporary folder removed after each run. */
  readonly logDirectory?: string | undefined
  /** Each run's limit. Default 5 minutes. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Names and prefixes (`SENTRY_*`) of variables wrangler and its builds get besides its own: `build-env`. */
  readonly buildEnv?: ReadonlyArray<string> | undefined
}

export const defaultTimeout = Duration.minutes(5)

export const make = (
  settings: Settings = {}
): Effect.Effect<WranglerService, never, CommandExecutor.CommandExecutor | FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const executor = yield* CommandExecutor.CommandExecutor
    const found = yield* Environment.read(settings)
    const chosen = yield* Binary.choice(settings.binary)
    const prepare = (command: string) => Credentials.prepare(found, chosen, command)
    const runner: Process.Runner = {
      fs: yield* FileSystem.FileSystem,
      prepare,
      logDirectory: settings.logDirectory,
      buildEnv: settings.buildEnv ?? [],
      timeout: settings.timeout ?? defaultTimeout
    }
    const run: Process.Run = (args, options) =>
      Process.run(runner, args, options).pipe(Effect.provideService(CommandExecutor.CommandExecutor, executor))
    return {
      run,
      deploy: (spec) => Commands.deploy(run, spec),
      deleteWorker: (name) => Commands.deleteWorker(run, name),
      createPagesProject: (spec) => Commands.createPagesProject(run, spec),
      deployPages: (spec) => Commands.deployPages(run, spec),
      deletePagesProject: (name) => Commands.deletePagesProject(run, name),
      whoami: Commands.whoami(run),
      check: Effect.asVoid(prepare("wrangler"))
    }
  })

/** The client over the platform's processes and files. */
export const layer = (
  settings: Settings = {}
): Layer.Layer<Wrangler, never, CommandExecutor.CommandExecutor | FileSystem.FileSystem> =>
  Layer.effect(Wrangler, make(settings))

/**
 * A client made by `acquire` on its first use and kept: for a wrangler that needs something
 * started first (the sandbox serves its simulated API only once a deploy asks for it).
 */
export const lazy = (acquire: Result<WranglerService>): Effect.Effect<WranglerService> =>
  Effect.map(Effect.cached(acquire), (client) => ({
    run: (args, options) => Effect.flatMap(client, (wrangler) => wrangler.run(args, options)),
    deploy: (spec) => Effect.flatMap(client, (wrangler) => wrangler.deploy(spec)),
    deleteWorker: (name) => Effect.flatMap(client, (wrangler) => wrangler.deleteWorker(name)),
    createPagesProject: (spec) => Effect.flatMap(client, (wrangler) => wrangler.createPagesProject(spec)),
    deployPages: (spec) => Effect.flatMap(client, (wrangler) => wrangler.deployPages(spec)),
    deletePagesProject: (name) => Effect.flatMap(client, (wrangler) => wrangler.deletePagesProject(name)),
    whoami: Effect.flatMap(client, (wrangler) => wrangler.whoami),
    check: Effect.flatMap(client, (wrangler) => wrangler.check)
  }))
