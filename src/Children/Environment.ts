/**
 * What of FleetFlow's environment a child inherits: only what an allow-list names, never the rest.
 * A build that wrangler runs, or anything usacloud starts, can read every variable it is given, so
 * a variable passes because its tool needs it or because the user named it (`build-env`), and a
 * variable of FleetFlow's state database never passes, whatever list names it.
 *
 * A list holds names and prefixes (`LC_*`: a trailing `*` matches any rest), as `build-env` does.
 */

/** Whether `name` is one `pattern` names: itself, or a prefix written with a trailing `*`. */
export const matches = (pattern: string, name: string): boolean =>
  pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern

/**
 * What any tool needs to run on this machine:
 * - `PATH` to find node, git, esbuild and the shell a build command runs in; `SHELL` for those that ask which.
 * - `USER`, `LOGNAME`: who runs, for tools that read them rather than the uid.
 * - `LANG`, `LANGUAGE`, `LC_*`, `TZ`: the user's locale and time zone, so that text and times read as in their shell.
 * - `TERM`: what the terminal understands.
 * - `TMPDIR`, `TMP`, `TEMP`: where temporary files go when `/tmp` is not the place (full, noexec, a CI's own).
 * - `SSL_CERT_FILE`, `SSL_CERT_DIR`: a company's certificate authority, for OpenSSL and Go (usacloud is Go).
 * - `NO_PROXY`, `no_proxy`: the hosts no proxy is used for; nothing without a proxy.
 */
export const base: ReadonlyArray<string> = [
  "PATH",
  "SHELL",
  "USER",
  "LOGNAME",
  "LANG",
  "LANGUAGE",
  "LC_*",
  "TZ",
  "TERM",
  "TMPDIR",
  "TMP",
  "TEMP",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NO_PROXY",
  "no_proxy"
]

/** A proxy, when the network has no other way out. */
export const proxies: ReadonlyArray<string> = ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]

/**
 * usacloud: its settings and credentials (`SAKURACLOUD_*`, `SAKURA_*`, `USACLOUD_*`), its profiles
 * (`~/.usacloud` through `HOME`, or `$XDG_CONFIG_HOME/usacloud`), a proxy (Go's HTTP client reads the
 * variables), and the usacloud simulator's settings when `FLEETFLOW_USACLOUD` names the simulator.
 */
export const usacloud: ReadonlyArray<string> = [
  ...base,
  ...proxies,
  "HOME",
  "XDG_CONFIG_HOME",
  "SAKURACLOUD_*",
  "SAKURA_*",
  "USACLOUD_*",
  "FLEETFLOW_USACLOUD_SIMULATOR_*"
]

/**
 * wrangler, on top of what FleetFlow sets for each run (token, account, endpoint, HOME; see
 * `Cloudflare/Wrangler/RunEnvironment.ts`): Node's `NODE_OPTIONS` (a build's memory, a loader) and
 * `NODE_EXTRA_CA_CERTS` (a company's certificate authority, which FleetFlow's own API client trusts
 * too), and the wrangler settings that change only how it logs or bundles. Not its other `WRANGLER_*`
 * (`WRANGLER_CI_OVERRIDE_NAME` renames a worker, `WRANGLER_API_ENVIRONMENT` points at another API),
 * nor `npm_config_*` (they may hold a registry's token): `build-env` names them when a build needs them.
 * Not the proxies: FleetFlow's own API client reaches Cloudflare directly (Node's fetch reads no proxy
 * variable), and wrangler must reach the same endpoint the same way, the sandbox's on 127.0.0.1 included.
 */
export const wrangler: ReadonlyArray<string> = [
  ...base,
  "NODE_OPTIONS",
  "NODE_EXTRA_CA_CERTS",
  "WRANGLER_LOG",
  "WRANGLER_BUILD_CONDITIONS",
  "WRANGLER_BUILD_PLATFORM"
]

/** Where the state database's password is: libpq's variables (PGPASSWORD, PGHOST…) and `FLEETFLOW_PG_URL`. */
export const isDatabaseName = (name: string): boolean => /^PG[A-Z]/.test(name) || name === "FLEETFLOW_PG_URL"

/** A database variable by its name, or by its value: a PostgreSQL connection string, whatever its name. */
export const isDatabaseVariable = (name: string, value: string): boolean =>
  isDatabaseName(name) || /^\s*postgres(ql)?:\/\//i.test(value)

/**
 * Whether a name or prefix a user lists for a child (`build-env`) could let a database variable
 * through: one of `isDatabaseName`'s, or one of `stateVariables`, those the `state` block's url reads.
 */
export const couldPassDatabase = (pattern: string, stateVariables: ReadonlyArray<string>): boolean => {
  const named = ["FLEETFLOW_PG_URL", ...stateVariables]
  if (!pattern.endsWith("*")) return isDatabaseName(pattern) || named.includes(pattern)
  const prefix = pattern.slice(0, -1)
  // `P*` and `PG*` reach PGPASSWORD as surely as `PGPASS*` does.
  return "PG".startsWith(prefix) || isDatabaseName(prefix) || named.some((name) => name.startsWith(prefix))
}

/** The parent's variables that `names` names, minus any of the database's. */
export const pick = (
  parent: Readonly<Record<string, string | undefined>>,
  names: ReadonlyArray<string>
): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined || isDatabaseVariable(name, value)) continue
    if (names.some((pattern) => matches(pattern, name))) env[name] = value
  }
  return env
}
