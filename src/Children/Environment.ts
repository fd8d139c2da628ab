/**
 * What of FleetFlow's environment a child inherits: all of it except what opens FleetFlow's
 * state database and what the child's tool has no business reading. A build that wrangler
 * runs, or anything usacloud starts, can read every variable it is given.
 */

/**
 * libpq's variables (PGPASSWORD, PGHOST…), `FLEETFLOW_PG_URL`, and any variable holding a PostgreSQL
 * connection string, whatever the state's `url env=` names it.
 */
export const isDatabaseVariable = (name: string, value: string): boolean =>
  /^PG[A-Z]/.test(name) || name === "FLEETFLOW_PG_URL" || /^\s*postgres(ql)?:\/\//i.test(value)

/** The parent's variables minus the database's and those `dropped` names. */
export const inherited = (
  parent: Readonly<Record<string, string | undefined>>,
  dropped: (name: string) => boolean
): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(parent)) {
    if (value !== undefined && !dropped(name) && !isDatabaseVariable(name, value)) env[name] = value
  }
  return env
}

/** Cloudflare's and wrangler's settings: usacloud has no use for them. */
export const isCloudflareVariable = (name: string): boolean => /^(CF|CLOUDFLARE|WRANGLER)_/i.test(name)

/** Sakura Cloud's and usacloud's settings, its API secret among them: wrangler has no use for them. */
export const isSakuraVariable = (name: string): boolean => /^(SAKURACLOUD|SAKURA|USACLOUD)_/i.test(name)
