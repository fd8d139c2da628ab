/**
 * Workers under `/accounts/{account}/workers`: scripts uploaded as multipart (`metadata` JSON
 * and the modules, kept as sizes and digests), their versions and deployments, settings,
 * workers.dev subdomain, references, and the service view wrangler reads first. An upload's
 * bindings are checked against the account: an R2 bucket or a KV namespace it names must exist.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Crypto from "node:crypto"
import type {
  CloudflareDocument,
  Worker,
  WorkerBinding,
  WorkerDeployment,
  WorkerModule,
  WorkerVersion
} from "./Document.js"
import {
  allocateId,
  answer,
  type ApiFailure,
  asUuid,
  type Call,
  decodeBody,
  fail,
  type Handler,
  isoDate,
  locate,
  replaceIn
} from "./Envelope.js"
import * as Multipart from "./Multipart.js"

export const codes = {
  /** The script does not exist (under `/workers/scripts`). */
  noSuchScript: 10007,
  /** The service does not exist (under `/workers/services`). */
  noSuchService: 10090,
  /** An upload or a deployment the API does not accept (Cloudflare's "script validation" code). */
  invalid: 10021,
  /** Modules larger than the limit. */
  tooLarge: 10027,
  /** A binding without a name. */
  unnamedBinding: 10052,
  /** An `inherit` binding with nothing to inherit. */
  invalidInherit: 10057,
  /** A `kv_namespace` binding whose `namespace_id` is not a namespace of the account. */
  unknownKvNamespace: 10042,
  /** An `r2_bucket` binding whose `bucket_name` is not a bucket of the account. */
  unknownBucket: 10085,
  /** The simulator's choice of code: a script name the API would not accept. */
  invalidName: 10016,
  /** The simulator's choice of code: no such version of the script. */
  noSuchVersion: 10230
} as const

/** What a Worker may upload in all: 10 MiB, the paid plan's limit. */
export const maxScriptBytes = 10 * 1024 * 1024

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

const sourceOf = (call: Call): string => (call.headers["user-agent"]?.startsWith("wrangler/") ? "wrangler" : "api")

/** The version the last deployment sends most traffic to. */
export const liveVersion = (worker: Worker): WorkerVersion | undefined => {
  const deployment = worker.deployments.at(-1)
  if (deployment === undefined) return undefined
  const [first, ...rest] = deployment.versions
  if (first === undefined) return undefined
  const main = rest.reduce((best, entry) => (entry.percentage > best.percentage ? entry : best), first)
  return worker.versions.find((version) => version.id === main.versionId)
}

const etagOf = (worker: Worker, version: WorkerVersion | undefined) =>
  Crypto.createHash("sha256")
    .update(`${worker.tag}:${version?.id ?? ""}:${version?.modules.map((module) => module.sha256).join(",") ?? ""}`)
    .digest("hex")

const compatibility = (version: WorkerVersion | undefined) => ({
  compatibility_date: version?.compatibilityDate ?? "",
  compatibility_flags: version?.compatibilityFlags ?? []
})

export const scriptView = (worker: Worker) => {
  const version = liveVersion(worker)
  return {
    id: worker.name,
    tag: worker.tag,
    etag: etagOf(worker, version),
    handlers: ["fetch"],
    named_handlers: [],
    created_on: isoDate(worker.createdOn),
    modified_on: isoDate(worker.modifiedOn),
    ...compatibility(version),
    usage_model: "standard",
    last_deployed_from: version?.source ?? "api",
    has_assets: false,
    has_modules: version?.modules.some((module) => module.contentType === "application/javascript+module") ?? false,
    logpush: worker.logpush,
    placement: {},
    tail_consumers: null,
    tags: worker.tags
  }
}

const versionView = (worker: Worker, version: WorkerVersion, triggeredBy: string) => ({
  id: version.id,
  number: version.number,
  metadata: {
    author_email: "",
    author_id: "",
    source: version.source,
    created_on: isoDate(version.createdOn),
    modified_on: isoDate(version.createdOn),
    hasPreview: false
  },
  annotations: {
    "workers/triggered_by": triggeredBy,
    ...(version.message === undefined ? {} : { "workers/message": version.message })
  },
  resources: {
    script: { etag: etagOf(worker, version), handlers: ["fetch"], last_deployed_from: version.source },
    script_runtime: {
      ...compatibility(version),
      usage_model: "standard",
      limits: { cpu_ms: 30000 }
    },
    bindings: version.bindings
  },
  startup_time_ms: 1
})

const deploymentView = (deployment: WorkerDeployment, triggeredBy: string) => ({
  id: deployment.id,
  source: deployment.source,
  strategy: "percentage",
  author_email: "",
  created_on: isoDate(deployment.createdOn),
  annotations: {
    "workers/triggered_by": triggeredBy,
    ...(deployment.message === undefined ? {} : { "workers/message": deployment.message })
  },
  versions: deployment.versions.map((entry) => ({ version_id: entry.versionId, percentage: entry.percentage }))
})

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

const scriptNotFound = () => fail(404, codes.noSuchScript, "workers.api.error.script_not_found")

/** The Worker the path names, and a way to replace it. */
const findWorker = (call: Call, document: CloudflareDocument, missing: () => Effect.Effect<never, ApiFailure>) =>
  Effect.map(
    locate(
      document,
      "workers",
      (item) => item.accountId === call.params.account && item.name === call.params.script,
      missing
    ),
    ({ item, replace }) => ({ worker: item, replace })
  )

export const listScripts: Handler = (call, document) =>
  answer(
    document.workers.filter((worker) => worker.accountId === call.params.account).map((worker) => scriptView(worker)),
    document
  )

const Binding = Schema.Struct(
  { name: Schema.optional(Schema.String), type: Schema.String },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

const Metadata = Schema.Struct({
  main_module: Schema.optional(Schema.String),
  body_part: Schema.optional(Schema.String),
  bindings: Schema.optional(Schema.Array(Binding)),
  compatibility_date: Schema.optional(Schema.String),
  compatibility_flags: Schema.optional(Schema.Array(Schema.String)),
  keep_bindings: Schema.optional(Schema.Array(Schema.String)),
  annotations: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  logpush: Schema.optional(Schema.Boolean),
  tags: Schema.optional(Schema.Array(Schema.String))
})
type Metadata = typeof Metadata.Type

const invalid = (message: string) => fail(400, codes.invalid, message)

const stringField = (binding: Readonly<Record<string, unknown>>, field: string): string | undefined => {
  const value = binding[field]
  return typeof value === "string" ? value : undefined
}

/** One binding of an upload, checked against the account; `secret_text` loses its text. */
const checkBinding = (
  binding: typeof Binding.Type & { readonly name: string },
  account: string,
  document: CloudflareDocument,
  previous: WorkerVersion | undefined,
  strictInherit: boolean
): Effect.Effect<WorkerBinding | undefined, ApiFailure> =>
  Effect.gen(function* () {
    const { name, type } = binding
    switch (type) {
      case "plain_text":
        if (stringField(binding, "text") === undefined)
          return yield* invalid(`binding ${name} of type plain_text must have a text`)
        return binding
      case "secret_text": {
        if (stringField(binding, "text") === undefined)
          return yield* invalid(`binding ${name} of type secret_text must have a text`)
        return { name, type }
      }
      case "json":
        if (!("json" in binding)) return yield* invalid(`binding ${name} of type json must have a json value`)
        return binding
      case "kv_namespace": {
        const id = stringField(binding, "namespace_id")
        const known = document.kvNamespaces.some((namespace) => namespace.accountId === account && namespace.id === id)
        if (!known) {
          return yield* fail(
            400,
            codes.unknownKvNamespace,
            `KV namespace '${id ?? ""}' is not valid. Please verify the namespace_id in your configuration.`
          )
        }
        return { name, type, namespace_id: id }
      }
      case "r2_bucket": {
        const bucketName = stringField(binding, "bucket_name")
        const jurisdiction = stringField(binding, "jurisdiction")
        const known = document.buckets.some(
          (bucket) =>
            bucket.accountId === account &&
            bucket.name === bucketName &&
            bucket.jurisdiction === (jurisdiction ?? "default")
        )
        if (!known) {
          return yield* fail(
            400,
            codes.unknownBucket,
            `R2 bucket '${bucketName ?? ""}' not found. Please use a different name and try again.`
          )
        }
        return { name, type, bucket_name: bucketName, ...(jurisdiction === undefined ? {} : { jurisdiction }) }
      }
      case "inherit": {
        const inherited = previous?.bindings.find((item) => item.name === name)
        if (inherited === undefined) {
          return strictInherit
            ? yield* fail(400, codes.invalidInherit, `inherit binding '${name}' is invalid`)
            : undefined
        }
        return inherited
      }
      default:
        return binding
    }
  })

interface Upload {
  readonly mainModule: string
  readonly modules: ReadonlyArray<WorkerModule>
  readonly bindings: ReadonlyArray<WorkerBinding>
  readonly compatibilityDate: string
  readonly compatibilityFlags: ReadonlyArray<string>
  readonly metadata: Metadata
}

/** The multipart upload of `PUT …/scripts/{name}` and `POST …/versions`, checked. */
const readUpload = (
  call: Call,
  document: CloudflareDocument,
  previous: WorkerVersion | undefined
): Effect.Effect<Upload, ApiFailure> =>
  Effect.gen(function* () {
    const account = call.params.account ?? ""
    const parts = yield* Multipart.partsOf(call, codes.invalid)
    const metadataPart = parts.find((part) => part.name === "metadata")
    if (metadataPart === undefined) return yield* invalid("The upload has no metadata part.")
    const metadata = yield* decodeBody({ ...call, body: metadataPart.bytes }, Metadata, codes.invalid)
    const modules = parts
      .filter((part) => part !== metadataPart)
      .map(
        (part): WorkerModule => ({
          name: part.filename ?? part.name,
          contentType: part.contentType ?? "application/octet-stream",
          size: part.bytes.byteLength,
          sha256: Crypto.createHash("sha256").update(part.bytes).digest("hex")
        })
      )
    const mainModule = metadata.main_module ?? metadata.body_part
    if (mainModule === undefined) return yield* invalid("The metadata names no main_module (or body_part).")
    if (!modules.some((module) => module.name === mainModule)) {
      return yield* invalid(`Uncaught Error: No such module "${mainModule}".`)
    }
    const total = modules.reduce((sum, module) => sum + module.size, 0)
    if (total > maxScriptBytes) {
      return yield* fail(
        400,
        codes.tooLarge,
        `Your Worker exceeded the size limit of ${maxScriptBytes / 1024 / 1024} MiB.`
      )
    }
    const compatibilityDate = metadata.compatibility_date ?? ""
    if (compatibilityDate !== "" && !/^\d{4}-\d{2}-\d{2}$/.test(compatibilityDate)) {
      return yield* invalid(`Invalid compatibility date "${compatibilityDate}": expected YYYY-MM-DD.`)
    }
    const strictInherit = call.query.get("bindings_inherit") === "strict"
    const bindings: Array<WorkerBinding> = []
    for (const [index, binding] of (metadata.bindings ?? []).entries()) {
      const name = binding.name
      if (name === undefined || name === "") {
        return yield* fail(400, codes.unnamedBinding, `Binding at index ${index} must have a name.`)
      }
      if (bindings.some((item) => item.name === name)) {
        return yield* invalid(`Binding name '${name}' is used more than once.`)
      }
      const checked = yield* checkBinding({ ...binding, name }, account, document, previous, strictInherit)
      if (checked !== undefined) bindings.push(checked)
    }
    // keep_bindings: bindings of these types the upload does not name carry over from the live version.
    const kept = (previous?.bindings ?? []).filter(
      (binding) =>
        (metadata.keep_bindings ?? []).includes(binding.type) && !bindings.some((item) => item.name === binding.name)
    )
    return {
      mainModule,
      modules,
      bindings: [...bindings, ...kept],
      compatibilityDate,
      compatibilityFlags: metadata.compatibility_flags ?? [],
      metadata
    }
  })

const messageOf = (annotations: Readonly<Record<string, unknown>> | undefined): string | undefined => {
  const message = annotations?.["workers/message"]
  return typeof message === "string" ? message : undefined
}

/** A new version of `worker` from `upload`, and the document that has used up its ID. */
const addVersion = (
  document: CloudflareDocument,
  worker: Worker,
  upload: Upload,
  call: Call
): readonly [WorkerVersion, Worker, CloudflareDocument] => {
  const [hex, next] = allocateId(document, "worker-version")
  const message = messageOf(upload.metadata.annotations)
  const version: WorkerVersion = {
    id: asUuid(hex),
    number: worker.versions.length + 1,
    createdOn: call.now,
    source: sourceOf(call),
    mainModule: upload.mainModule,
    modules: upload.modules,
    bindings: upload.bindings,
    compatibilityDate: upload.compatibilityDate,
    compatibilityFlags: upload.compatibilityFlags,
    ...(message === undefined ? {} : { message })
  }
  return [version, { ...worker, versions: [...worker.versions, version], modifiedOn: call.now }, next]
}

const addDeployment = (
  document: CloudflareDocument,
  worker: Worker,
  versions: WorkerDeployment["versions"],
  call: Call,
  message: string | undefined
): readonly [WorkerDeployment, Worker, CloudflareDocument] => {
  const [hex, next] = allocateId(document, "worker-deployment")
  const deployment: WorkerDeployment = {
    id: asUuid(hex),
    createdOn: call.now,
    source: sourceOf(call),
    versions,
    ...(message === undefined ? {} : { message })
  }
  return [deployment, { ...worker, deployments: [...worker.deployments, deployment], modifiedOn: call.now }, next]
}

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
    const [version, withVersion, afterVersion] = addVersion(next, worker, upload, call)
    const [, deployed, afterDeployment] = addDeployment(
      afterVersion,
      withVersion,
      [{ versionId: version.id, percentage: 100 }],
      call,
      version.message
    )
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

export const listDeployments: Handler = (call, document) =>
  Effect.flatMap(findWorker(call, document, scriptNotFound), ({ worker }) =>
    answer(
      {
        deployments: worker.deployments
          .map((deployment, index) => deploymentView(deployment, index === 0 ? "upload" : "deployment"))
          .reverse()
      },
      document
    )
  )

const CreateDeployment = Schema.Struct({
  strategy: Schema.optional(Schema.Literal("percentage")),
  versions: Schema.Array(
    Schema.Struct({ version_id: Schema.String, percentage: Schema.Number.pipe(Schema.between(0, 100)) })
  ).pipe(Schema.minItems(1), Schema.maxItems(2)),
  annotations: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})

export const createDeployment: Handler = (call, document) =>
  Effect.gen(function* () {
    const { worker } = yield* findWorker(call, document, scriptNotFound)
    const body = yield* decodeBody(call, CreateDeployment, codes.invalid)
    for (const entry of body.versions) {
      if (!worker.versions.some((version) => version.id === entry.version_id)) {
        return yield* fail(404, codes.noSuchVersion, `workers.api.error.version_not_found: ${entry.version_id}`)
      }
    }
    const total = body.versions.reduce((sum, entry) => sum + entry.percentage, 0)
    if (Math.abs(total - 100) > 1e-9) return yield* invalid("The versions' percentages must add up to 100.")
    const [deployment, deployed, next] = addDeployment(
      document,
      worker,
      body.versions.map((entry) => ({ versionId: entry.version_id, percentage: entry.percentage })),
      call,
      messageOf(body.annotations)
    )
    return yield* answer(deploymentView(deployment, "deployment"), replaceIn(next, "workers", worker, deployed))
  })

export const listVersions: Handler = (call, document) =>
  Effect.flatMap(findWorker(call, document, scriptNotFound), ({ worker }) => {
    const items = worker.versions.map((version) => versionView(worker, version, "upload")).reverse()
    return answer({ items }, document)
  })

export const getVersion: Handler = (call, document) =>
  Effect.gen(function* () {
    const { worker } = yield* findWorker(call, document, scriptNotFound)
    const version = worker.versions.find((item) => item.id === call.params.version)
    if (version === undefined) {
      return yield* fail(404, codes.noSuchVersion, "workers.api.error.version_not_found")
    }
    return yield* answer(versionView(worker, version, "upload"), document)
  })

/** `POST …/versions`: a new version of an existing script, not deployed. */
export const createVersion: Handler = (call, document) =>
  Effect.gen(function* () {
    const { worker } = yield* findWorker(call, document, scriptNotFound)
    const upload = yield* readUpload(call, document, liveVersion(worker))
    const [version, withVersion, next] = addVersion(document, worker, upload, call)
    return yield* answer(
      versionView(withVersion, version, "version_upload"),
      replaceIn(next, "workers", worker, withVersion)
    )
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
