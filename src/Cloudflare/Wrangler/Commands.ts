/**
 * The wrangler commands FleetFlow runs, each over one `Run`: Worker deploys and deletes, Pages
 * projects and their deploys, and `whoami`. What a command produced is read from the records
 * of wrangler's output file (or, for `whoami`, its JSON on stdout).
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as NodePath from "node:path"
import * as ParseIssues from "../../ParseIssues.js"
import * as Errors from "./Errors.js"
import * as Output from "./Output.js"
import type { Result, Run } from "./Process.js"

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

/** The JSON object in `stdout`, even when something printed a line before it. */
const jsonObject = (stdout: string) => {
  const start = stdout.indexOf("{")
  const end = stdout.lastIndexOf("}")
  return start < 0 || end < start ? stdout.trim() : stdout.slice(start, end + 1)
}

const noRecord = (args: ReadonlyArray<string>, what: string) =>
  Errors.make(
    Errors.commandOf(args),
    "failed",
    // Wrangler stopped by a signal exits 0 too: what it did is settled by the next run's refresh.
    `${Errors.shown(args)}: wrangler exited without a ${what} record in its output file (it was stopped before it finished, or failed without saying so)`
  )

export const deploy = (run: Run, spec: DeploySpec): Result<DeployResult> => {
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

export const deleteWorker = (run: Run, name: string): Result<void> =>
  Effect.asVoid(run(["delete", "--name", name, "--force"]))

export const createPagesProject = (run: Run, spec: PagesProjectSpec): Result<void> =>
  Effect.asVoid(run(["pages", "project", "create", spec.name, "--production-branch", spec.productionBranch]))

export const deployPages = (run: Run, spec: PagesDeploySpec): Result<PagesDeployment> => {
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

export const deletePagesProject = (run: Run, name: string): Result<void> =>
  Effect.asVoid(run(["pages", "project", "delete", name, "-y"]))

const whoamiArgs = ["whoami", "--json"]

export const whoami = (run: Run): Result<Output.WhoAmI> =>
  Effect.flatMap(run(whoamiArgs), (result) =>
    Schema.decodeUnknown(Schema.parseJson(Output.WhoAmI))(jsonObject(result.stdout)).pipe(
      Effect.mapError((error) =>
        Errors.make(
          Errors.commandOf(whoamiArgs),
          "failed",
          `${Errors.shown(whoamiArgs)}: wrangler printed JSON FleetFlow cannot read: ${ParseIssues.describe(error)}`
        )
      )
    )
  )
