/**
 * wrangler in process, for the fake clouds: the same `WranglerService` as the real one, making
 * the API calls wrangler makes for a Worker deploy, a Worker delete and the Pages commands, over
 * whichever `HttpClient` is provided (the Cloudflare API simulator's, in process). No process
 * starts and nothing is bundled: the entry module is uploaded as it is. A refused call fails as
 * the real wrangler's does, with the API's code and the reason FleetFlow gives that code.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createHash } from "node:crypto"
import * as NodePath from "node:path"
import * as Wrangler from "../Wrangler.js"

export interface Settings {
  readonly token: string
  readonly accountId: string
}

type Result<A> = Effect.Effect<A, Wrangler.WranglerError>

const apiRoot = "https://api.cloudflare.com/client/v4"

const reasonForCode: ReadonlyMap<number, Wrangler.Reason> = new Map([
  // A path the API cannot route (a wrong account ID) is an error, whatever the status.
  [7000, "invalid"],
  [7003, "invalid"],
  [10007, "not-found"],
  [10090, "not-found"],
  [8000007, "not-found"],
  [8000002, "exists"],
  [10000, "auth"],
  [9109, "auth"]
])

const reasonForStatus = (status: number): Wrangler.Reason => {
  if (status === 429) return "rate-limited"
  if (status >= 500) return "transient"
  if (status === 401 || status === 403) return "auth"
  if (status === 404) return "not-found"
  if (status === 409) return "conflict"
  return status === 400 ? "invalid" : "failed"
}

/** A refused call as the real wrangler reports it: the API's message and code, classified by the code first. */
export const refusal = (
  command: string,
  status: number,
  error: { readonly code?: number; readonly message?: string }
) => {
  const reason = (error.code === undefined ? undefined : reasonForCode.get(error.code)) ?? reasonForStatus(status)
  return new Wrangler.WranglerError({
    command,
    reason,
    ...(error.code === undefined ? {} : { code: error.code }),
    message: `${command}: ${error.message ?? `the API answered ${status}`}${error.code === undefined ? "" : ` (code ${error.code})`}`,
    transient: reason === "transient" || reason === "rate-limited"
  })
}

const unreadable = (command: string, message: string) =>
  new Wrangler.WranglerError({ command, reason: "failed", message: `${command}: ${message}`, transient: false })

interface Envelope {
  readonly success?: boolean
  readonly errors?: ReadonlyArray<{ readonly code?: number; readonly message?: string }>
  readonly result?: unknown
}

type Body =
  | { readonly _tag: "json"; readonly value: unknown }
  | { readonly _tag: "form"; readonly value: FormData }
  | { readonly _tag: "none" }

const none: Body = { _tag: "none" }
const json = (value: unknown): Body => ({ _tag: "json", value })
const form = (value: FormData): Body => ({ _tag: "form", value })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const field = (value: unknown, name: string): unknown => (isRecord(value) ? value[name] : undefined)

const stringField = (value: unknown, name: string): string | undefined => {
  const found = field(value, name)
  return typeof found === "string" ? found : undefined
}

const records = (value: unknown): ReadonlyArray<Record<string, unknown>> =>
  Array.isArray(value) ? value.filter(isRecord) : []

/** The upload's bindings, in the order wrangler writes them: vars, KV namespaces, R2 buckets. */
const bindingsOf = (config: Record<string, unknown>): ReadonlyArray<Record<string, unknown>> => [
  ...Object.entries(isRecord(config.vars) ? config.vars : {}).map(([name, text]) => ({
    name,
    type: "plain_text",
    text: String(text)
  })),
  ...records(config.kv_namespaces).map((item) => ({ name: item.binding, type: "kv_namespace", namespace_id: item.id })),
  ...records(config.r2_buckets).map((item) => ({
    name: item.binding,
    type: "r2_bucket",
    bucket_name: item.bucket_name
  }))
]

interface Route {
  readonly pattern: string
  readonly zone_name?: string
}

const routesOf = (config: Record<string, unknown>): ReadonlyArray<Route> => {
  const listed = config.routes ?? (config.route === undefined ? [] : [config.route])
  return (Array.isArray(listed) ? listed : []).flatMap((route): ReadonlyArray<Route> => {
    if (typeof route === "string") return [{ pattern: route }]
    const pattern = stringField(route, "pattern")
    const zone = stringField(route, "zone_name")
    return pattern === undefined ? [] : [{ pattern, ...(zone === undefined ? {} : { zone_name: zone }) }]
  })
}

/** How wrangler lists a route among a deploy's targets. */
const routeTarget = (route: Route) =>
  route.zone_name === undefined ? route.pattern : `${route.pattern} (zone name: ${route.zone_name})`

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html",
  ".css": "text/css",
  ".js": "application/javascript",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".txt": "text/plain"
}

/** A Pages asset's key: 32 hex digits of its content and extension (wrangler uses blake3; any such hash will do here). */
const assetHash = (bytes: Uint8Array, path: string) =>
  createHash("sha256")
    .update(Buffer.from(bytes).toString("base64"))
    .update(NodePath.extname(path).slice(1))
    .digest("hex")
    .slice(0, 32)

/** The API as wrangler reaches it: one call, and the files it reads. */
interface Api {
  readonly account: string
  readonly call: (
    command: string,
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    body?: Body,
    token?: string
  ) => Result<unknown>
  readonly read: (command: string, path: string) => Result<Uint8Array>
  readonly fs: FileSystem.FileSystem
}

const api = (settings: Settings, client: HttpClient.HttpClient, fs: FileSystem.FileSystem): Api => ({
  account: `/accounts/${settings.accountId}`,
  fs,
  call: (command, method, path, body = none, token = settings.token) =>
    Effect.gen(function* () {
      const base = HttpClientRequest.make(method)(`${apiRoot}${path}`).pipe(HttpClientRequest.bearerToken(token))
      const request =
        body._tag === "json"
          ? yield* HttpClientRequest.bodyJson(base, body.value)
          : body._tag === "form"
            ? HttpClientRequest.bodyFormData(base, body.value)
            : base
      const response = yield* client.execute(request)
      const envelope = (yield* response.json) as Envelope
      if (response.status >= 400 || envelope.success === false) {
        return yield* refusal(command, response.status, envelope.errors?.[0] ?? {})
      }
      return envelope.result
    }).pipe(
      Effect.catchTags({
        RequestError: (error) =>
          Effect.fail(
            new Wrangler.WranglerError({
              command,
              reason: "transient",
              message: `${command}: ${error.message}`,
              transient: true
            })
          ),
        ResponseError: (error) => Effect.fail(unreadable(command, error.message)),
        HttpBodyError: (error) => Effect.fail(unreadable(command, String(error.reason)))
      })
    ),
  read: (command, path) =>
    fs.readFile(path).pipe(Effect.mapError((error) => unreadable(command, `cannot read ${path}: ${error.message}`)))
})

/** The multipart upload of a Worker: its metadata and its entry module, as it is. */
const upload = (api: Api, command: string, config: Record<string, unknown>, cwd: string) =>
  Effect.gen(function* () {
    const main = stringField(config, "main")
    if (main === undefined) return yield* unreadable(command, "the configuration names no entry point (main)")
    const entry = NodePath.resolve(cwd, main)
    const module = NodePath.basename(entry)
    const metadata = {
      main_module: module,
      bindings: bindingsOf(config),
      compatibility_date: stringField(config, "compatibility_date"),
      compatibility_flags: Array.isArray(config.compatibility_flags) ? config.compatibility_flags : []
    }
    const body = new FormData()
    body.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }))
    body.append(module, new Blob([yield* api.read(command, entry)], { type: "application/javascript+module" }), module)
    return body
  })

const readConfig = (api: Api, command: string, path: string) =>
  Effect.gen(function* () {
    const text = yield* api.read(command, path)
    const config: unknown = yield* Effect.try({
      try: () => JSON.parse(new TextDecoder().decode(text)),
      catch: () => unreadable(command, `${path} is not JSON`)
    })
    return isRecord(config) ? config : yield* unreadable(command, `${path} holds no configuration`)
  })

/**
 * A new Worker is uploaded and deployed at once; an existing one gets a version, then a
 * deployment of it (packages/wrangler/src/deploy/deploy.ts). workers.dev is on unless the
 * Worker has routes, and routes are replaced only when there are some
 * (packages/wrangler/src/triggers/deploy.ts).
 */
const deploy = (api: Api, spec: Wrangler.DeploySpec): Result<Wrangler.DeployResult> =>
  Effect.gen(function* () {
    const command = "wrangler deploy"
    const config = yield* readConfig(api, command, spec.configPath)
    const scripts = `${api.account}/workers/scripts/${spec.name}`
    const exists = yield* api.call(command, "GET", `${api.account}/workers/services/${spec.name}`).pipe(
      Effect.as(true),
      Effect.catchIf(
        (error) => error.reason === "not-found",
        () => Effect.succeed(false)
      )
    )
    const body = yield* upload(api, command, config, spec.cwd)
    const versionId = exists
      ? yield* Effect.gen(function* () {
          const id = stringField(yield* api.call(command, "POST", `${scripts}/versions`, form(body)), "id") ?? ""
          const versions = [{ version_id: id, percentage: 100 }]
          yield* api.call(command, "POST", `${scripts}/deployments`, json({ strategy: "percentage", versions }))
          return id
        })
      : stringField(yield* api.call(command, "PUT", scripts, form(body)), "deployment_id")
    const routes = routesOf(config)
    const workersDev = typeof config.workers_dev === "boolean" ? config.workers_dev : routes.length === 0
    yield* api.call(command, "POST", `${scripts}/subdomain`, json({ enabled: workersDev }))
    if (routes.length > 0) yield* api.call(command, "PUT", `${scripts}/routes`, json(routes))
    const subdomain = workersDev
      ? stringField(yield* api.call(command, "GET", `${api.account}/workers/subdomain`), "subdomain")
      : undefined
    return {
      versionId,
      urls: [
        ...(subdomain === undefined ? [] : [`https://${spec.name}.${subdomain}.workers.dev`]),
        ...routes.map(routeTarget)
      ]
    }
  })

/** The files under `directory`, by their path from it (`/index.html`), in order. */
const files = (api: Api, command: string, directory: string) =>
  Effect.gen(function* () {
    const names = yield* api.fs
      .readDirectory(directory, { recursive: true })
      .pipe(Effect.mapError((error) => unreadable(command, `cannot read ${directory}: ${error.message}`)))
    const found: Array<{ readonly path: string; readonly bytes: Uint8Array }> = []
    for (const name of [...names].sort()) {
      const path = NodePath.join(directory, name)
      const info = yield* api.fs.stat(path).pipe(Effect.mapError((error) => unreadable(command, error.message)))
      if (info.type !== "File") continue
      found.push({ path: `/${name.split(NodePath.sep).join("/")}`, bytes: yield* api.read(command, path) })
    }
    return found
  })

/**
 * The Pages upload protocol (packages/wrangler/src/pages/upload.ts): an upload token, the
 * hashes the project lacks, their upload and registration, then a deployment whose manifest
 * maps paths to hashes (packages/wrangler/src/api/pages/deploy.ts).
 */
const deployPages = (api: Api, spec: Wrangler.PagesDeploySpec): Result<Wrangler.PagesDeployment> =>
  Effect.gen(function* () {
    const command = `wrangler pages deploy ${spec.directory}`
    const project = `${api.account}/pages/projects/${spec.project}`
    const jwt = stringField(yield* api.call(command, "GET", `${project}/upload-token`), "jwt") ?? ""
    const assets = (yield* files(api, command, spec.directory)).map((file) => ({
      ...file,
      hash: assetHash(file.bytes, file.path)
    }))
    const hashes = assets.map((asset) => asset.hash)
    const missing = yield* api.call(command, "POST", "/pages/assets/check-missing", json({ hashes }), jwt)
    const lacking = new Set(Array.isArray(missing) ? missing : [])
    const payload = assets
      .filter((asset) => lacking.has(asset.hash))
      .map((asset) => ({
        key: asset.hash,
        value: Buffer.from(asset.bytes).toString("base64"),
        metadata: { contentType: contentTypes[NodePath.extname(asset.path)] ?? "application/octet-stream" },
        base64: true
      }))
    if (payload.length > 0) yield* api.call(command, "POST", "/pages/assets/upload", json(payload), jwt)
    yield* api.call(command, "POST", "/pages/assets/upsert-hashes", json({ hashes }), jwt)
    const body = new FormData()
    body.append("manifest", JSON.stringify(Object.fromEntries(assets.map((asset) => [asset.path, asset.hash]))))
    if (spec.branch !== undefined) body.append("branch", spec.branch)
    const deployment = yield* api.call(command, "POST", `${project}/deployments`, form(body))
    return {
      deploymentId: stringField(deployment, "id") ?? "",
      url: stringField(deployment, "url") ?? "",
      environment: stringField(deployment, "environment") ?? ""
    }
  })

const whoami = (api: Api): Result<Wrangler.WhoAmI> =>
  Effect.map(api.call("wrangler whoami", "GET", "/accounts"), (result) => ({
    loggedIn: true,
    accounts: records(result).map((item) => ({ id: String(item.id), name: String(item.name) }))
  }))

/** The service over the API reached through `client`, reading sources through `fs`. */
export const make = (
  settings: Settings,
  client: HttpClient.HttpClient,
  fs: FileSystem.FileSystem
): Wrangler.WranglerService => {
  const reached = api(settings, client, fs)
  const { account } = reached
  return {
    run: (args) =>
      Effect.fail(
        unreadable(
          `wrangler ${args.join(" ")}`,
          "wrangler commands other than FleetFlow's are not available in process"
        )
      ),
    deploy: (spec) => deploy(reached, spec),
    // wrangler's `delete --force` skips the checks for references and tail consumers (packages/wrangler/src/delete.ts).
    deleteWorker: (name) =>
      Effect.asVoid(reached.call("wrangler delete", "DELETE", `${account}/workers/services/${name}?force=true`)),
    createPagesProject: (spec) =>
      Effect.asVoid(
        reached.call(
          `wrangler pages project create ${spec.name}`,
          "POST",
          `${account}/pages/projects`,
          json({ name: spec.name, production_branch: spec.productionBranch })
        )
      ),
    deployPages: (spec) => deployPages(reached, spec),
    deletePagesProject: (name) =>
      Effect.asVoid(
        reached.call(`wrangler pages project delete ${name}`, "DELETE", `${account}/pages/projects/${name}`)
      ),
    whoami: whoami(reached),
    check: Effect.void
  }
}

/** The service over the provided `HttpClient`, with Node's file system. */
export const layer = (
  settings: Settings
): Layer.Layer<Wrangler.Wrangler, never, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(
    Wrangler.Wrangler,
    Effect.map(Effect.all({ client: HttpClient.HttpClient, fs: FileSystem.FileSystem }), ({ client, fs }) =>
      make(settings, client, fs)
    )
  )
