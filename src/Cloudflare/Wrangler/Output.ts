/**
 * What wrangler writes for machines: the ND-JSON records of `WRANGLER_OUTPUT_FILE_PATH` (one
 * JSON object a line, each with a `type`) and the JSON of `whoami --json`. Records FleetFlow
 * reads are decoded strictly; records of other types are kept as they are.
 */
import * as Schema from "effect/Schema"

/** `wrangler deploy` of a Worker. */
export const DeployRecord = Schema.Struct({
  type: Schema.Literal("deploy"),
  worker_name: Schema.optional(Schema.NullOr(Schema.String)),
  version_id: Schema.optional(Schema.NullOr(Schema.String)),
  /** The URLs the Worker answers on (workers.dev, routes, custom domains). */
  targets: Schema.optional(Schema.NullOr(Schema.Array(Schema.String)))
})
export type DeployRecord = typeof DeployRecord.Type

/** `wrangler pages deploy`. */
export const PagesDeployRecord = Schema.Struct({
  type: Schema.Literal("pages-deploy-detailed"),
  pages_project: Schema.optional(Schema.NullOr(Schema.String)),
  deployment_id: Schema.String,
  url: Schema.String,
  /** "production" or "preview". */
  environment: Schema.String
})
export type PagesDeployRecord = typeof PagesDeployRecord.Type

/** Any command that failed; `code` is the API's error code when the API refused. */
export const CommandFailedRecord = Schema.Struct({
  type: Schema.Literal("command-failed"),
  code: Schema.optional(Schema.NullOr(Schema.Union(Schema.Number, Schema.String))),
  message: Schema.optional(Schema.NullOr(Schema.String))
})
export type CommandFailedRecord = typeof CommandFailedRecord.Type

const knownTypes: ReadonlyArray<string> = ["deploy", "pages-deploy-detailed", "command-failed"]

/** A record of another type (`wrangler-session`, `pages-deploy`, `version-upload`, …), kept whole. */
export const OtherRecord = Schema.Struct(
  { type: Schema.String.pipe(Schema.filter((type) => !knownTypes.includes(type))) },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)
export type OtherRecord = typeof OtherRecord.Type

export const OutputRecord = Schema.Union(DeployRecord, PagesDeployRecord, CommandFailedRecord, OtherRecord)
export type OutputRecord = typeof OutputRecord.Type

/** One line of the output file. */
export const OutputLine = Schema.parseJson(OutputRecord)

export const isDeploy = (record: OutputRecord): record is DeployRecord => record.type === "deploy"
export const isPagesDeploy = (record: OutputRecord): record is PagesDeployRecord =>
  record.type === "pages-deploy-detailed"
export const isCommandFailed = (record: OutputRecord): record is CommandFailedRecord => record.type === "command-failed"

export const Account = Schema.Struct({ id: Schema.String, name: Schema.String })
export type Account = typeof Account.Type

/** `wrangler whoami --json`: `{"loggedIn":true,"accounts":[{"id","name",…}],…}`. */
export const WhoAmI = Schema.Struct({
  loggedIn: Schema.optional(Schema.Boolean),
  accounts: Schema.optionalWith(Schema.Array(Account), { default: () => [] })
})
export type WhoAmI = typeof WhoAmI.Type
