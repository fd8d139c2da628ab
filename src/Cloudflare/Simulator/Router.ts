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

const route = (method: string, pattern: string, handler: Handler): Route => ({
  method,
  segments: pattern.split("/").filter((segment) => segment !== ""),
  handler
})

const bucket = "/accounts/:account/r2/buckets/:bucket"
const records = "/zones/:zone/dns_records"
const scripts = "/accounts/:account/workers/scripts"
const script = `${scripts}/:script`
const namespaces = "/accounts/:account/storage/kv/namespaces"
const projects = "/accounts/:account/pages/projects"
const project = `${projects}/:project`

export const routes: ReadonlyArray<Route> = [
  route("GET", "/user/tokens/verify", Accounts.verifyToken),
  route("GET", "/user", Accounts.getUser),
  route("GET", "/accounts", Accounts.listAccounts),
  route("GET", "/accounts/:account", Accounts.getAccount),
  route("GET", "/memberships", Accounts.listMemberships),
  route("GET", "/accounts/:account/r2/buckets", R2.listBuckets),
  route("POST", "/accounts/:account/r2/buckets", R2.createBucket),
  route("GET", bucket, R2.getBucket),
  route("PATCH", bucket, R2.patchBucket),
  route("DELETE", bucket, R2.deleteBucket),
  route("GET", `${bucket}/cors`, R2.getCors),
  route("PUT", `${bucket}/cors`, R2.putCors),
  route("DELETE", `${bucket}/cors`, R2.deleteCors),
  route("GET", `${bucket}/domains/custom`, R2.listDomains),
  route("POST", `${bucket}/domains/custom`, R2.addDomain),
  route("GET", `${bucket}/domains/custom/:domain`, R2.getDomain),
  route("PUT", `${bucket}/domains/custom/:domain`, R2.updateDomain),
  route("DELETE", `${bucket}/domains/custom/:domain`, R2.removeDomain),
  route("PUT", `${bucket}/objects/*key`, R2.putObject),
  route("GET", `${bucket}/objects/*key`, R2.getObject),
  route("DELETE", `${bucket}/objects/*key`, R2.deleteObject),
  route("GET", "/zones", Dns.listZones),
  route("GET", "/zones/:zone", Dns.getZone),
  route("GET", records, Dns.listRecords),
  route("POST", records, Dns.createRecord),
  route("POST", `${records}/batch`, Dns.batchRecords),
  route("GET", `${records}/:record`, Dns.getRecord),
  route("PATCH", `${records}/:record`, Dns.patchRecord),
  route("PUT", `${records}/:record`, Dns.putRecord),
  route("DELETE", `${records}/:record`, Dns.deleteRecord),
  route("GET", "/zones/:zone/workers/routes", Routes.listZoneRoutes),
  route("POST", "/zones/:zone/workers/routes", Routes.createZoneRoute),
  route("GET", "/zones/:zone/workers/routes/:route", Routes.getZoneRoute),
  route("PUT", "/zones/:zone/workers/routes/:route", Routes.updateZoneRoute),
  route("DELETE", "/zones/:zone/workers/routes/:route", Routes.deleteZoneRoute),
  route("GET", "/accounts/:account/workers/subdomain", Workers.getAccountSubdomain),
  route("GET", "/accounts/:account/workers/services/:script", Workers.getService),
  route("DELETE", "/accounts/:account/workers/services/:script", Workers.deleteService),
  route("GET", "/accounts/:account/workers/tails/by-consumer/:script", Workers.listTailProducers),
  route("GET", scripts, Workers.listScripts),
  route("PUT", script, Workers.putScript),
  route("DELETE", script, Workers.deleteScript),
  route("GET", `${script}/settings`, Workers.getSettings),
  route("GET", `${script}/script-settings`, Workers.getScriptSettings),
  route("PATCH", `${script}/script-settings`, Workers.patchScriptSettings),
  route("GET", `${script}/deployments`, Workers.listDeployments),
  route("POST", `${script}/deployments`, Workers.createDeployment),
  route("GET", `${script}/versions`, Workers.listVersions),
  route("POST", `${script}/versions`, Workers.createVersion),
  route("GET", `${script}/versions/:version`, Workers.getVersion),
  route("GET", `${script}/subdomain`, Workers.getScriptSubdomain),
  route("POST", `${script}/subdomain`, Workers.setScriptSubdomain),
  route("GET", `${script}/references`, Workers.getReferences),
  route("GET", `${script}/routes`, Routes.listScriptRoutes),
  route("PUT", `${script}/routes`, Routes.putScriptRoutes),
  route("GET", namespaces, Kv.listNamespaces),
  route("POST", namespaces, Kv.createNamespace),
  route("GET", `${namespaces}/:namespace`, Kv.getNamespace),
  route("PUT", `${namespaces}/:namespace`, Kv.renameNamespace),
  route("DELETE", `${namespaces}/:namespace`, Kv.deleteNamespace),
  route("GET", projects, Pages.listProjects),
  route("POST", projects, Pages.createProject),
  route("GET", project, Pages.getProject),
  route("PATCH", project, Pages.updateProject),
  route("DELETE", project, Pages.deleteProject),
  route("GET", `${project}/upload-token`, Pages.uploadToken),
  route("GET", `${project}/deployments`, Pages.listDeployments),
  route("POST", `${project}/deployments`, Pages.createDeployment),
  route("GET", `${project}/deployments/:deployment`, Pages.getDeployment),
  // Authorized by an upload token, which names the account and the project (see Handle).
  route("POST", "/pages/assets/check-missing", Pages.checkMissing),
  route("POST", "/pages/assets/upload", Pages.uploadAssets),
  route("POST", "/pages/assets/upsert-hashes", Pages.upsertHashes)
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
