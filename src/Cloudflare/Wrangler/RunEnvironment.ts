/**
 * The environment of one wrangler run: what wrangler needs of the parent's and what the user
 * named for their builds (`build-env`), never the state database's (see `Children/Environment.ts`),
 * plus the token and account FleetFlow chose, a private HOME and cache, and the output file
 * wrangler writes its records to.
 */
import * as Redacted from "effect/Redacted"
import * as NodePath from "node:path"
import * as ChildEnvironment from "../../Children/Environment.js"

export interface RunEnvironment {
  readonly token: Redacted.Redacted<string>
  readonly accountId: string
  readonly baseUrl?: string | undefined
  /** The run's private folder: HOME, XDG_CONFIG_HOME and the cache live in it. */
  readonly home: string
  readonly logDirectory: string
  readonly outputFile: string
  /** Names and prefixes (`SENTRY_*`) of the parent's variables that wrangler and the builds it runs get too. */
  readonly buildEnv?: ReadonlyArray<string> | undefined
}

/** The environment of one run: the parent's that wrangler and the user's builds need, plus FleetFlow's. */
export const environment = (
  parent: Readonly<Record<string, string | undefined>>,
  run: RunEnvironment
): Record<string, string> =>
  Object.assign(ChildEnvironment.pick(parent, [...ChildEnvironment.wrangler, ...(run.buildEnv ?? [])]), {
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
