/**
 * FleetFlow's one door to wrangler, for what only wrangler does well: bundling and deploying
 * Workers, and the Pages asset upload. Each run is a process with a clean environment (no
 * proxies, no stray CF_* / CLOUDFLARE_* variables, the token and account FleetFlow chose), a
 * private HOME and cache removed afterwards, and wrangler's ND-JSON output file, which is read
 * instead of its human output. Exit code, stdout and stderr are read together; a non-zero exit
 * becomes a `WranglerError` classified with the REST client's code table.
 */
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as NodePath from "node:path"
import * as Environment from "./Api/Environment.js"
import * as ApiErrors from "./Api/Errors.js"
import * as Binary from "./Wrangler/Binary.js"
import * as Errors from "./Wrangler/Errors.js"
import * as Output from "./Wrangler/Output.js"
import * as ParseIssues from "../ParseIssues.js"

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

type Result<A> = Effect.Effect<A, Errors.WranglerError>

export interface RunOptions {
  /** Where wrangler runs (it reads `wrangler.*` and `.env` there). Default: the run's private folder. */
  readonly cwd?: string | undefined
  /** Overrides the settings' timeout for this run. */
  readonly timeout?: Duration.DurationInput | undefined
}

/** A run that exited 0. */
export interface RunResult {
  readonly exitCode: number
  readonly stdout: string
  /** ANSI escape codes stripped. */
  readonly stderr: string
  /** The records wrangler wrote to its output file, in order. */
  readonly records: ReadonlyArray<Output.OutputRecord>
}

export interface DeploySpec {
  /** The folder wrangler runs in; relative paths in the configuration resolve against it. */
  readonly cwd: string
  /** The wrangler configuration (`wrangler.json`, `wrangler.toml`). */
  readonly configPath: string
  readonly name: string
  readonly extraArgs?: ReadonlyArray<string> | undefined
}

export interface DeployResult {
  readonly versionId?: string | undefined
  /** Where the Worker answers (workers.dev, routes, custom domains). */
  readonly urls: ReadonlyArray<string>
}

export interface PagesProjectSpec {
  readonly name: string
  readonly productionBranch: string
}

export interface PagesDeploySpec {
  /** The folder of static files; a relative one resolves against the process's working directory. */
  readonly directory: string
  readonly project: string
  /** The production branch deploys to production; any other makes a preview. */
  readonly branch?: string | undefined
  /** Where wrangler runs (a `functions` folder there is deployed with the assets). Default: a private folder. */
  readonly cwd?: string | undefined
}

export interface PagesDeployment {
  readonly deploymentId: string
  readonly url: string
  /** "production" or "preview". */
  readonly environment: string
}

export interface WranglerService {
  /** Runs wrangler with `args`; a non-zero exit is a `WranglerError`. */
  readonly run: (args: ReadonlyArray<string>, options?: RunOptions) => Result<RunResult>
  /** `wrangler deploy --config CONFIG --name NAME ...extraArgs` in `cwd`. */
  readonly deploy: (spec: DeploySpec) => Result<DeployResult>
  /** `wrangler delete --name NAME --force`; a Worker that does not exist fails with reason `not-found`. */
  readonly deleteWorker: (name: string) => Result<void>
  /** `wrangler pages project create NAME --production-branch BRANCH`. */
  readonly createPagesProject: (spec: PagesProjectSpec) => Result<void>
  /** `wrangler pages deploy DIRECTORY --project-name PROJECT [--branch BRANCH]`. */
  readonly deployPages: (spec: PagesDeploySpec) => Result<PagesDeployment>
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
  /** Where wrangler writes its debug logs (`WRANGLER_LOG_PATH`). Default: a temporary folder removed after each run. */
  readonly logDirectory?: string | undefined
  /** Each run's limit. Default 5 minutes. */
  readonly timeout?: Duration.DurationInput | undefined
}

export const defaultTimeout = Duration.minutes(5)

const proxyVariables: ReadonlySet<string> = new Set(["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"])

/** Credentials and endpoints of the parent must not reach wrangler: FleetFlow sets its own. */
const isDropped = (name: string) => proxyVariables.has(name) || /^(CF|CLOUDFLARE)_/i.test(name)

export interface RunEnvironment {
  readonly token: Redacted.Redacted<string>
  readonly accountId: string
  readonly baseUrl?: string | undefined
  /** The run's private folder: HOME, XDG_CONFIG_HOME and the cache live in it. */
  readonly home: string
  readonly logDirectory: string
  readonly outputFile: string
}

/** The environment of one run: the parent's, minus proxies and CF_* / CLOUDFLARE_*, plus FleetFlow's. */
export const environment = (
  parent: Readonly<Record<string, string | undefined>>,
  run: RunEnvironment
): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(parent)) {
    if (value !== undefined && !isDropped(name)) env[name] = value
  }
  return Object.assign(env, {
    CLOUDFLARE_API_TOKEN: Redacted.value(run.token),
    CLOUDFLARE_ACCOUNT_ID: run.accountId,
    ...(run.baseUrl === undefined ? {} : { CLOUDFLARE_API_BASE_URL: run.baseUrl }),
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_HIDE_BANNER: "true",
    // Set, not only inherited, so that neither the parent nor a project's .env can make the log print headers.
    WRANGLER_LOG_SANITIZE: "true",
    NO_COLOR: "1",
    // Without a terminal wrangler answers its own confirmations; CI makes it say so and never prompt.
    CI: "true",
    HOME: run.home,
    XDG_CONFIG_HOME: NodePath.join(run.home, "config"),
    // Otherwise wrangler caches the account in the project's node_modules/.cache, shared across accounts.
    WRANGLER_CACHE_DIR: NodePath.join(run.home, "cache"),
    WRANGLER_LOG_PATH: run.logDirectory,
    WRANGLER_OUTPUT_FILE_PATH: run.outputFile
  })
}

interface Prepared {
  readonly binary: string
  readonly token: Redacted.Redacted<string>
  readonly accountId: string
  readonly baseUrl?: string | undefined
}

interface Finished {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

const text = (stream: Stream.Stream<Uint8Array, PlatformError.PlatformError>) =>
  stream.pipe(Stream.decodeText(), Stream.mkString)

const unavailableReasons: ReadonlyArray<string> = ["NotFound", "PermissionDenied"]

const issues = (error: ParseResult.ParseError) => ParseIssues.describe(error)

/** The JSON object in `stdout`, even when something printed a line before it. */
const jsonObject = (stdout: string) => {
  const start = stdout.indexOf("{")
  const end = stdout.lastIndexOf("}")
  return start < 0 || end < start ? stdout.trim() : stdout.slice(start, end + 1)
}

export const make = (
  settings: Settings = {}
): Effect.Effect<WranglerService, never, CommandExecutor.CommandExecutor | FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const executor = yield* CommandExecutor.CommandExecutor
    const fs = yield* FileSystem.FileSystem
    const found = yield* Environment.read(settings)
    const chosen = yield* Binary.choice(settings.binary)
    const timeoutOf = (options: RunOptions) => Duration.decode(options.timeout ?? settings.timeout ?? defaultTimeout)

    /** Credentials and the binary, checked before any process starts. */
    const prepare = (command: string): Result<Prepared> =>
      Effect.gen(function* () {
        const setting = <A>(value: Either.Either<A, Environment.Problem>) =>
          Either.match(value, {
            onRight: (a) => Effect.succeed(a),
            onLeft: (problem) => {
              const error = problem(command)
              // A missing token or account is a credentials problem, whatever the REST client calls it.
              const missing = problem === ApiErrors.missingToken || problem === ApiErrors.missingAccount
              return Effect.fail(
                Errors.make(command, missing ? "auth" : error.reason, error.message, { hint: error.hint })
              )
            }
          })
        const token = yield* setting(found.token)
        const accountId = yield* setting(found.accountId)
        const baseUrl = yield* setting(found.baseUrl)
        const binary = yield* Binary.find(chosen).pipe(
          Effect.mapError((error) => Errors.make(command, error.reason, error.message))
        )
        return {
          binary,
          token,
          accountId,
          ...(baseUrl === Environment.defaultBaseUrl ? {} : { baseUrl })
        }
      })

    const platformFailure =
      (command: string, binary: string, cwd: string) =>
      (error: PlatformError.PlatformError): Result<Finished> => {
        if (error._tag === "SystemError" && error.method === "spawn" && unavailableReasons.includes(error.reason)) {
          const detail = error.reason === "NotFound" ? "no such file or command" : "permission denied"
          return Effect.fail(Errors.missingBinary(command, `${binary}: ${detail}`))
        }
        if (error._tag === "SystemError" && error.method === "access") {
          return Effect.fail(
            Errors.make(command, "invalid", `${command}: the working directory ${cwd} cannot be used (${error.reason})`)
          )
        }
        return Effect.fail(Errors.make(command, "failed", `${command}: wrangler stopped abnormally: ${error.message}`))
      }

    const readRecords = (outputFile: string, scrub: (text: string) => string) =>
      Effect.gen(function* () {
        const content = yield* fs.readFileString(outputFile).pipe(Effect.orElseSucceed(() => ""))
        const records: Array<Output.OutputRecord> = []
        const problems: Array<string> = []
        for (const line of content.split("\n")) {
          if (line.trim() === "") continue
          const decoded = Schema.decodeUnknownEither(Output.OutputLine)(line)
          if (Either.isRight(decoded)) records.push(decoded.right)
          else problems.push(scrub(issues(decoded.left)))
        }
        return { records, problems }
      })

    const run: WranglerService["run"] = (args, options = {}) => {
      const command = Errors.commandOf(args)
      const timeout = timeoutOf(options)
      return Effect.gen(function* () {
        const prepared = yield* prepare(command)
        const secret = Redacted.value(prepared.token)
        // wrangler has no reason to print the token; this makes sure nothing we return holds it.
        const scrub = (value: string) => (secret === "" ? value : value.split(secret).join("<redacted>"))
        return yield* Effect.scoped(
          Effect.gen(function* () {
            const home = yield* fs.makeTempDirectoryScoped({ prefix: "fleetflow-wrangler-" })
            const logDirectory =
              settings.logDirectory === undefined
                ? NodePath.join(home, "logs")
                : NodePath.resolve(settings.logDirectory)
            yield* fs.makeDirectory(logDirectory, { recursive: true }).pipe(Effect.ignore)
            const outputFile = NodePath.join(home, "output.ndjson")
            const cwd = options.cwd === undefined ? home : NodePath.resolve(options.cwd)
            const env = environment(process.env, {
              token: prepared.token,
              accountId: prepared.accountId,
              baseUrl: prepared.baseUrl,
              home,
              logDirectory,
              outputFile
            })
            const wranglerCommand = Command.make(prepared.binary, ...args).pipe(
              Command.env(env, { extendEnv: false }),
              Command.workingDirectory(cwd),
              // stdin at end of file: a prompt wrangler did not expect fails instead of waiting.
              Command.stdin(Stream.empty)
            )
            const finished = yield* Effect.scoped(
              Effect.gen(function* () {
                const child = yield* Command.start(wranglerCommand)
                const [exitCode, stdout, stderr] = yield* Effect.all(
                  [child.exitCode, text(child.stdout), text(child.stderr)],
                  { concurrency: "unbounded" }
                )
                return { exitCode, stdout, stderr } satisfies Finished
              })
            ).pipe(
              Effect.catchAll(platformFailure(command, prepared.binary, cwd)),
              Effect.timeoutFail({
                duration: timeout,
                onTimeout: () => Errors.fromTimeout(args, Duration.toMillis(timeout))
              })
            )
            const stdout = scrub(finished.stdout)
            const stderr = scrub(Errors.stripAnsi(finished.stderr))
            const { records, problems } = yield* readRecords(outputFile, scrub)
            if (finished.exitCode !== 0) {
              return yield* Errors.classify({
                args,
                exitCode: finished.exitCode,
                stderr,
                failed: records.filter(Output.isCommandFailed).at(-1)
              })
            }
            if (problems.length > 0) {
              return yield* Errors.make(
                command,
                "failed",
                `${Errors.shown(args)}: wrangler wrote output FleetFlow cannot read: ${problems.join("; ")}`
              )
            }
            return { exitCode: finished.exitCode, stdout, stderr, records } satisfies RunResult
          })
        ).pipe(
          Effect.catchTag("SystemError", "BadArgument", (error) =>
            Effect.fail(
              Errors.make(command, "failed", `${command}: a temporary folder for wrangler failed: ${error.message}`)
            )
          )
        )
      }).pipe(
        Effect.tap(() => Effect.logDebug(`${command} succeeded`)),
        Effect.annotateLogs("args", Errors.shown(args)),
        Effect.withSpan("Wrangler.run", { attributes: { command } }),
        Effect.provideService(CommandExecutor.CommandExecutor, executor)
      )
    }

    const noRecord = (args: ReadonlyArray<string>, what: string) =>
      Errors.make(
        Errors.commandOf(args),
        "failed",
        `${Errors.shown(args)}: wrangler succeeded but wrote no ${what} record to its output file`
      )

    const deploy: WranglerService["deploy"] = (spec) => {
      const args = ["deploy", "--config", spec.configPath, "--name", spec.name, ...(spec.extraArgs ?? [])]
      return Effect.flatMap(run(args, { cwd: spec.cwd }), (result) => {
        const record = result.records.filter(Output.isDeploy).at(-1)
        if (record === undefined) return Effect.fail(noRecord(args, "deploy"))
        return Effect.succeed({
          ...(record.version_id == null ? {} : { versionId: record.version_id }),
          urls: record.targets ?? []
        } satisfies DeployResult)
      })
    }

    const deployPages: WranglerService["deployPages"] = (spec) => {
      const args = [
        "pages",
        "deploy",
        NodePath.resolve(spec.directory),
        "--project-name",
        spec.project,
        ...(spec.branch === undefined ? [] : ["--branch", spec.branch])
      ]
      return Effect.flatMap(run(args, { cwd: spec.cwd }), (result) => {
        const record = result.records.filter(Output.isPagesDeploy).at(-1)
        if (record === undefined) return Effect.fail(noRecord(args, "pages-deploy-detailed"))
        return Effect.succeed({
          deploymentId: record.deployment_id,
          url: record.url,
          environment: record.environment
        } satisfies PagesDeployment)
      })
    }

    const whoamiArgs = ["whoami", "--json"]
    const whoami: WranglerService["whoami"] = Effect.flatMap(run(whoamiArgs), (result) =>
      Schema.decodeUnknown(Schema.parseJson(Output.WhoAmI))(jsonObject(result.stdout)).pipe(
        Effect.mapError((error) =>
          Errors.make(
            Errors.commandOf(whoamiArgs),
            "failed",
            `${Errors.shown(whoamiArgs)}: wrangler printed JSON FleetFlow cannot read: ${issues(error)}`
          )
        )
      )
    )

    return {
      run,
      deploy,
      deleteWorker: (name) => Effect.asVoid(run(["delete", "--name", name, "--force"])),
      createPagesProject: (spec) =>
        Effect.asVoid(run(["pages", "project", "create", spec.name, "--production-branch", spec.productionBranch])),
      deployPages,
      deletePagesProject: (name) => Effect.asVoid(run(["pages", "project", "delete", name, "-y"])),
      whoami,
      check: Effect.asVoid(prepare("wrangler"))
    }
  })

/** The client over the platform's processes and files. */
export const layer = (
  settings: Settings = {}
): Layer.Layer<Wrangler, never, CommandExecutor.CommandExecutor | FileSystem.FileSystem> =>
  Layer.effect(Wrangler, make(settings))

/** The client with Node's processes and files provided. */
export const layerNode = (settings: Settings = {}): Layer.Layer<Wrangler> =>
  layer(settings).pipe(Layer.provide(NodeContext.layer))

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
