/**
 * Which handler answers which method and path. `:name` matches one path segment, `*name`
 * the rest of the path (an object key may contain `/`).
 */
import * as Accounts from "./Accounts.js"
import * as Dns from "./Dns.js"
import type { Handler } from "./Envelope.js"
import * as Kv from "./Kv.js"
import * as Pages from "./Pages.js"
import * as R2 from "./R2.js"
import * as Routes from "./Routes.js"
import * as Workers from "./Workers.js"

interface Route {
  readonly method: string
  readonly segments: ReadonlyArray<string>
  readonly handler: Handler
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE"

/** The routes of one path pattern, a handler per method. */
const at = (pattern: string, handlers: Partial<Record<Method, Handler>>): ReadonlyArray<Route> => {
  const segments = pattern.split("/").filter((segment) => segment !== "")
  return Object.entries(handlers).map(([method, handler]) => ({ method, segments, handler: handler! }))
}

const bucket = "/accounts/:account/r2/buckets/:bucket"
const records = "/zones/:zone/dns_records"
const scripts = "/accounts/:account/workers/scripts"
const script = `${scripts}/:script`
const namespaces = "/accounts/:account/storage/kv/namespaces"
const projects = "/accounts/:account/pages/projects"
const project = `${projects}/:project`

export const routes: ReadonlyArray<Route> = [
  ...at("/user/tokens/verify", { GET: Accounts.verifyToken }),
  ...at("/user", { GET: Accounts.getUser }),
  ...at("/accounts", { GET: Accounts.listAccounts }),
  ...at("/accounts/:account", { GET: Accounts.getAccount }),
  ...at("/memberships", { GET: Accounts.listMemberships }),
  ...at("/accounts/:account/r2/buckets", { GET: R2.listBuckets, POST: R2.createBucket }),
  ...at(bucket, { GET: R2.getBucket, PATCH: R2.patchBucket, DELETE: R2.deleteBucket }),
  ...at(`${bucket}/cors`, { GET: R2.getCors, PUT: R2.putCors, DELETE: R2.deleteCors }),
  ...at(`${bucket}/domains/custom`, { GET: R2.listDomains, POST: R2.addDomain }),
  ...at(`${bucket}/domains/custom/:domain`, { GET: R2.getDomain, PUT: R2.updateDomain, DELETE: R2.removeDomain }),
  ...at(`${bucket}/objects/*key`, { PUT: R2.putObject, GET: R2.getObject, DELETE: R2.deleteObject }),
  ...at("/zones", { GET: Dns.listZones }),
  ...at("/zones/:zone", { GET: Dns.getZone }),
  ...at(records, { GET: Dns.listRecords, POST: Dns.createRecord }),
  ...at(`${records}/batch`, { POST: Dns.batchRecords }),
  ...at(`${records}/:record`, {
    GET: Dns.getRecord,
    PATCH: Dns.patchRecord,
    PUT: Dns.putRecord,
    DELETE: Dns.deleteRecord
  }),
  ...at("/zones/:zone/workers/routes", { GET: Routes.listZoneRoutes, POST: Routes.createZoneRoute }),
  ...at("/zones/:zone/workers/routes/:route", {
    GET: Routes.getZoneRoute,
    PUT: Routes.updateZoneRoute,
    DELETE: Routes.deleteZoneRoute
  }),
  ...at("/accounts/:account/workers/subdomain", { GET: Workers.getAccountSubdomain }),
  ...at("/accounts/:account/workers/services/:script", { GET: Workers.getService, DELETE: Workers.deleteService }),
  ...at("/accounts/:account/workers/tails/by-consumer/:script", { GET: Workers.listTailProducers }),
  ...at(scripts, { GET: Workers.listScripts }),
  ...at(script, { PUT: Workers.putScript, DELETE: Workers.deleteScript }),
  ...at(`${script}/settings`, { GET: Workers.getSettings, PATCH: Workers.patchSettings }),
  ...at(`${script}/script-settings`, { GET: Workers.getScriptSettings, PATCH: Workers.patchScriptSettings }),
  ...at(`${script}/deployments`, { GET: Workers.listDeployments, POST: Workers.createDeployment }),
  ...at(`${script}/versions`, { GET: Workers.listVersions, POST: Workers.createVersion }),
  ...at(`${script}/versions/:version`, { GET: Workers.getVersion }),
  ...at(`${script}/subdomain`, { GET: Workers.getScriptSubdomain, POST: Workers.setScriptSubdomain }),
  ...at(`${script}/references`, { GET: Workers.getReferences }),
  ...at(`${script}/routes`, { GET: Routes.listScriptRoutes, PUT: Routes.putScriptRoutes }),
  ...at(namespaces, { GET: Kv.listNamespaces, POST: Kv.createNamespace }),
  ...at(`${namespaces}/:namespace`, { GET: Kv.getNamespace, PUT: Kv.renameNamespace, DELETE: Kv.deleteNamespace }),
  ...at(projects, { GET: Pages.listProjects, POST: Pages.createProject }),
  ...at(project, { GET: Pages.getProject, PATCH: Pages.updateProject, DELETE: Pages.deleteProject }),
  ...at(`${project}/upload-token`, { GET: Pages.uploadToken }),
  ...at(`${project}/deployments`, { GET: Pages.listDeployments, POST: Pages.createDeployment }),
  ...at(`${project}/deployments/:deployment`, { GET: Pages.getDeployment }),
  // Authorized by an upload token, which names the account and the project (see Handle).
  ...at("/pages/assets/check-missing", { POST: Pages.checkMissing }),
  ...at("/pages/assets/upload", { POST: Pages.uploadAssets }),
  ...at("/pages/assets/upsert-hashes", { POST: Pages.upsertHashes })
]

const matchSegments = (
  pattern: ReadonlyArray<string>,
  segments: ReadonlyArray<string>
): Record<string, string> | undefined => {
  const params: Record<string, string> = {}
  for (const [index, part] of pattern.entries()) {
    if (part.startsWith("*")) {
      if (segments.length <= index) return undefined
      params[part.slice(1)] = segments.slice(index).join("/")
      return params
    }
    const segment = segments[index]
    if (segment === undefined) return undefined
    if (part.startsWith(":")) params[part.slice(1)] = segment
    else if (part !== segment) return undefined
  }
  return segments.length === pattern.length ? params : undefined
}

export type Match =
  | { readonly _tag: "Found"; readonly handler: Handler; readonly params: Readonly<Record<string, string>> }
  | { readonly _tag: "MethodNotAllowed" }
  | { readonly _tag: "NoRoute" }

export const match = (method: string, path: string): Match => {
  const segments = path
    .split("/")
    .filter((segment) => segment !== "")
    .map((segment) => {
      try {
        return decodeURIComponent(segment)
      } catch {
        return segment
      }
    })
  let pathMatched = false
  for (const candidate of routes) {
    const params = matchSegments(candidate.segments, segments)
    if (params === undefined) continue
    if (candidate.method === method.toUpperCase()) return { _tag: "Found", handler: candidate.handler, params }
    pathMatched = true
  }
  return pathMatched ? { _tag: "MethodNotAllowed" } : { _tag: "NoRoute" }
}
