/**
 * The versions and deployments of a Worker: an upload makes a version, a deployment sends
 * traffic to one or two versions by percentage, and the last deployment decides what runs.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { CloudflareDocument, Worker, WorkerDeployment, WorkerVersion } from "./Document.js"
import {
  allocateId,
  answer,
  asUuid,
  type Call,
  decodeBody,
  fail,
  type Handler,
  isoDate,
  replaceIn
} from "./Envelope.js"
import {
  codes,
  compatibility,
  etagOf,
  findWorker,
  invalid,
  liveVersion,
  messageOf,
  scriptNotFound,
  sourceOf
} from "./WorkerScript.js"
import { readUpload, type Upload } from "./WorkerUpload.js"

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

/** A new version of `worker` from `upload`, and the document that has used up its ID. */
export const addVersion = (
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

export const addDeployment = (
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

/** A new version of `upload`, deployed at once to all traffic: what an upload or a settings change does. */
export const deployVersion = (
  document: CloudflareDocument,
  worker: Worker,
  upload: Upload,
  call: Call
): readonly [WorkerVersion, Worker, CloudflareDocument] => {
  const [version, withVersion, afterVersion] = addVersion(document, worker, upload, call)
  const versions = [{ versionId: version.id, percentage: 100 }]
  const [, deployed, next] = addDeployment(afterVersion, withVersion, versions, call, version.message)
  return [version, deployed, next]
}
