/**
 * Workers under `/accounts/{account}/workers`: scripts uploaded as multipart (`metadata` JSON
 * and the modules, kept as sizes and digests), their versions and deployments, settings,
 * workers.dev subdomain, references, and the service view wrangler reads first. The bindings
 * of an upload or a settings change are checked against the account: an R2 bucket or a KV
 * namespace one names must exist.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { CloudflareDocument, Worker } from "./Document.js"
import { allocateId, answer, decodeBody, fail, type Handler, isoDate } from "./Envelope.js"
import { codes, compatibility, findWorker, invalid, liveVersion, scriptNotFound, scriptView } from "./WorkerScript.js"
import * as Multipart from "./Multipart.js"
import { Binding, checkBindings, readUpload, type Upload } from "./WorkerUpload.js"
import { deployVersion } from "./WorkerVersions.js"

export { codes, liveVersion, scriptView } from "./WorkerScript.js"
export { maxScriptBytes } from "./WorkerUpload.js"
export { createDeployment, createVersion, getVersion, listDeployments, listVersions } from "./WorkerVersions.js"

const validName = (name: string) => /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/.test(name)

/** `<account name>` as a DNS label: the account's `*.workers.dev` subdomain. */
export const accountSubdomain = (document: CloudflareDocument, accountId: string): string => {
  const name = document.accounts.find((account) => account.id === accountId)?.name ?? accountId
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
  return label === "" ? accountId.slice(0, 16) : label
}

const settingsView = (worker: Worker) => {
  const version = liveVersion(worker)
  return {
    bindings: version?.bindings ?? [],
    ...compatibility(version),
    logpush: worker.logpush,
    placement: {},
    tail_consumers: [],
    usage_model: "standard",
    observability: { enabled: false },
    tags: worker.tags
  }
}

const scriptSettingsView = (worker: Worker) => ({
  logpush: worker.logpush,
  tail_consumers: [],
  observability: { enabled: false },
  tags: worker.tags
})

export const listScripts: Handler = (call, document) =>
  answer(
    document.workers.filter((worker) => worker.accountId === call.params.account).map((worker) => scriptView(worker)),
    document
  )

/** `PUT …/workers/scripts/{name}`: creates or replaces the script, deploying the upload at once. */
export const putScript: Handler = (call, document) =>
  Effect.gen(function* () {
    const account = call.params.account ?? ""
    const name = call.params.script ?? ""
    if (!validName(name)) {
      return yield* fail(400, codes.invalidName, `The name '${name}' is not a valid Worker name.`)
    }
    const existing = document.workers.find((item) => item.accountId === account && item.name === name)
    const previous = existing === undefined ? undefined : liveVersion(existing)
    const upload = yield* readUpload(call, document, previous)
    let next = document
    let worker: Worker
    if (existing === undefined) {
      const [tag, allocated] = allocateId(next, "worker")
      next = allocated
      worker = {
        accountId: account,
        name,
        tag,
        createdOn: call.now,
        modifiedOn: call.now,
        workersDev: false,
        previewsEnabled: false,
        logpush: upload.metadata.logpush ?? false,
        tags: upload.metadata.tags ?? [],
        versions: [],
        deployments: []
      }
    } else {
      worker = existing
    }
    const [version, deployed, afterDeployment] = deployVersion(next, worker, upload, call)
    const workers =
      existing === undefined
        ? [...afterDeployment.workers, deployed]
        : afterDeployment.workers.map((item) => (item === existing ? deployed : item))
    return yield* answer(
      { ...scriptView(deployed), deployment_id: version.id, startup_time_ms: 1 },
      { ...afterDeployment, workers }
    )
  })

/** Removes the Worker and every route that runs it. */
const removeWorker = (document: CloudflareDocument, worker: Worker): CloudflareDocument => {
  const zones = new Set(document.zones.filter((zone) => zone.accountId === worker.accountId).map((zone) => zone.id))
  return {
    ...document,
    workers: document.workers.filter((item) => item !== worker),
    routes: document.routes.filter((route) => !(zones.has(route.zoneId) && route.script === worker.name))
  }
}

export const deleteScript: Handler = (call, document) =>
  Effect.flatMap(findWorker(call, document, scriptNotFound), ({ worker }) =>
    answer({ id: worker.name }, removeWorker(document, worker))
  )

const serviceNotFound = () => fail(404, codes.noSuchService, "workers.api.error.service_not_found")

export const getService: Handler = (call, document) =>
  Effect.flatMap(findWorker(call, document, serviceNotFound), ({ worker }) =>
    answer(
      {
        id: worker.name,
        default_environment: {
          environment: "production",
          created_on: isoDate(worker.createdOn),
          modified_on: isoDate(worker.modifiedOn),
          script: scriptView(worker)
        },
        environments: [
          { environment: "production", created_on: isoDate(worker.createdOn), modified_on: isoDate(worker.modifiedOn) }
        ],
        created_on: isoDate(worker.createdOn),
        modified_on: isoDate(worker.modifiedOn)
      },
      document
    )
  )

export const deleteService: Handler = (call, document) =>
  Effect.flatMap(findWorker(call, document, serviceNotFound), ({ worker }) =>
    answer({ id: worker.name }, removeWorker(document, worker))
  )

export const getSettings: Handler = (call, document) =>
  Effect.flatMap(findWorker(call, document, scriptNotFound), ({ worker }) => answer(settingsView(worker), document))

const VersionSettings = Schema.Struct({
  bindings: Schema.optional(Schema.Array(Binding)),
  compatibility_date: Schema.optional(Schema.String),
  compatibility_flags: Schema.optional(Schema.Array(Schema.String))
})

/**
 * `PATCH …/scripts/{name}/settings`: a multipart body whose `settings` part (the API schema's
 * `workers_script-and-version-settings-item`) changes the bindings or compatibility settings;
 * the modules stay, and the change is a new version, deployed at once.
 */
export const patchSettings: Handler = (call, document) =>
  Effect.gen(function* () {
    const { worker } = yield* findWorker(call, document, scriptNotFound)
    const live = liveVersion(worker)
    if (live === undefined) return yield* invalid("The Worker has no deployed version to change.")
    const part = (yield* Multipart.partsOf(call, codes.invalid)).find((item) => item.name === "settings")
    if (part === undefined) return yield* invalid("The request has no settings part.")
    const settings = yield* decodeBody({ ...call, body: part.bytes }, VersionSettings, codes.invalid)
    const bindings =
      settings.bindings === undefined
        ? live.bindings
        : yield* checkBindings(settings.bindings, worker.accountId, document, live, false)
    const upload: Upload = {
      mainModule: live.mainModule,
      modules: live.modules,
      bindings,
      compatibilityDate: settings.compatibility_date ?? live.compatibilityDate,
      compatibilityFlags: settings.compatibility_flags ?? live.compatibilityFlags,
      metadata: {}
    }
    const [, deployed, next] = deployVersion(document, worker, upload, call)
    return yield* answer(settingsView(deployed), {
      ...next,
      workers: next.workers.map((item) => (item === worker ? deployed : item))
    })
  })

export const getScriptSettings: Handler = (call, document) =>
  Effect.flatMap(findWorker(call, document, scriptNotFound), ({ worker }) =>
    answer(scriptSettingsView(worker), document)
  )

const ScriptSettings = Schema.Struct({
  logpush: Schema.optional(Schema.Boolean),
  tags: Schema.optional(Schema.NullOr(Schema.Array(Schema.String)))
})

export const patchScriptSettings: Handler = (call, document) =>
  Effect.gen(function* () {
    const { worker, replace } = yield* findWorker(call, document, scriptNotFound)
    const body = yield* decodeBody(call, ScriptSettings, codes.invalid)
    const next: Worker = {
      ...worker,
      ...(body.logpush === undefined ? {} : { logpush: body.logpush }),
      ...(body.tags === undefined ? {} : { tags: body.tags ?? [] })
    }
    return yield* answer(scriptSettingsView(next), replace(next))
  })

const subdomainView = (worker: Worker) => ({ enabled: worker.workersDev, previews_enabled: worker.previewsEnabled })

export const getScriptSubdomain: Handler = (call, document) =>
  Effect.flatMap(findWorker(call, document, scriptNotFound), ({ worker }) => answer(subdomainView(worker), document))

const SetSubdomain = Schema.Struct({
  enabled: Schema.Boolean,
  previews_enabled: Schema.optional(Schema.Boolean)
})

export const setScriptSubdomain: Handler = (call, document) =>
  Effect.gen(function* () {
    const { worker, replace } = yield* findWorker(call, document, scriptNotFound)
    const body = yield* decodeBody(call, SetSubdomain, codes.invalid)
    const next: Worker = { ...worker, workersDev: body.enabled, previewsEnabled: body.previews_enabled ?? body.enabled }
    return yield* answer(subdomainView(next), replace(next))
  })

export const getAccountSubdomain: Handler = (call, document) =>
  answer({ subdomain: accountSubdomain(document, call.params.account ?? "") }, document)

/** Who depends on the script: other Workers' service bindings to it. */
export const getReferences: Handler = (call, document) =>
  Effect.flatMap(findWorker(call, document, scriptNotFound), ({ worker }) => {
    const incoming = document.workers.flatMap((other) =>
      other === worker || other.accountId !== worker.accountId
        ? []
        : (liveVersion(other)?.bindings ?? [])
            .filter((binding) => binding.type === "service" && binding.service === worker.name)
            .map((binding) => ({ service: other.name, environment: "production", name: binding.name }))
    )
    return answer(
      { services: { incoming, outgoing: [], pages_function: false }, durable_objects: [], dispatch_outbounds: [] },
      document
    )
  })

/** `GET …/workers/tails/by-consumer/{name}`: tail Workers are not simulated, so no producer has one. */
export const listTailProducers: Handler = (_call, document) => answer([], document)
