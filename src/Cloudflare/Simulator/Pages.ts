/**
 * Pages projects under `/accounts/{account}/pages/projects` and wrangler's direct-upload
 * protocol: an upload token (`…/upload-token`, a JWT, see `Jwt`), then `/pages/assets/
 * check-missing`, `upload` and `upsert-hashes` authorized by that token (their account and
 * project come from it), then a multipart `POST …/deployments` whose `manifest` maps paths to
 * uploaded hashes. Deployments finish at once (`latest_stage` deploy/success).
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { CloudflareDocument, PagesAsset, PagesDeployment, PagesProject } from "./Document.js"
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
  pageOf,
  paginate,
  replaceIn
} from "./Envelope.js"
import * as Jwt from "./Jwt.js"
import * as Multipart from "./Multipart.js"

export const codes = {
  /** The simulator's choice of code: a body or a name Pages does not accept. */
  invalid: 8000011,
  projectExists: 8000002,
  noSuchProject: 8000007,
  /** The simulator's choice of code: no such deployment of the project. */
  noSuchDeployment: 8000009,
  /** A missing, forged or expired upload token under `/pages/assets`. */
  unauthorized: 8000013
} as const

/** How long an upload token lasts. */
const uploadTokenSeconds = 3600

const validName = (name: string) => /^[a-z0-9](?:[a-z0-9-]{0,56}[a-z0-9])?$/.test(name)

const host = (project: PagesProject) => `${project.name}.pages.dev`

/** A branch as Pages writes it in an alias: lower case, other characters as `-`, at most 28. */
const branchLabel = (branch: string) =>
  branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 28)

const stage = (name: string, at: string) => ({ name, started_on: at, ended_on: at, status: "success" })

const deploymentView = (project: PagesProject, deployment: PagesDeployment) => {
  const at = isoDate(deployment.createdOn)
  const shortId = deployment.id.slice(0, 8)
  const alias = branchLabel(deployment.branch)
  return {
    id: deployment.id,
    short_id: shortId,
    project_id: project.id,
    project_name: project.name,
    environment: deployment.environment,
    url: `https://${shortId}.${host(project)}`,
    created_on: at,
    modified_on: at,
    aliases: deployment.environment === "preview" && alias !== "" ? [`https://${alias}.${host(project)}`] : null,
    production_branch: project.productionBranch,
    latest_stage: stage("deploy", at),
    stages: ["queued", "initialize", "clone_repo", "build", "deploy"].map((name) => stage(name, at)),
    deployment_trigger: {
      type: "ad_hoc",
      metadata: {
        branch: deployment.branch,
        commit_hash: deployment.commitHash ?? "",
        commit_message: "",
        commit_dirty: false
      }
    },
    build_config: buildConfig,
    env_vars: project.deploymentConfigs[deployment.environment].env_vars ?? {},
    is_skipped: false,
    uses_functions: deployment.hasWorker
  }
}

const buildConfig = {
  build_caching: false,
  build_command: "",
  destination_dir: "",
  root_dir: "",
  web_analytics_tag: null,
  web_analytics_token: null
}

export const projectView = (project: PagesProject) => {
  const latest = project.deployments.at(-1)
  const canonical = project.deployments.filter((deployment) => deployment.environment === "production").at(-1)
  return {
    id: project.id,
    name: project.name,
    subdomain: host(project),
    domains: [host(project)],
    production_branch: project.productionBranch,
    created_on: isoDate(project.createdOn),
    deployment_configs: project.deploymentConfigs,
    build_config: buildConfig,
    latest_deployment: latest === undefined ? null : deploymentView(project, latest),
    canonical_deployment: canonical === undefined ? null : deploymentView(project, canonical)
  }
}

const projectNotFound = () =>
  fail(
    404,
    codes.noSuchProject,
    "Project not found. The specified project name does not match any of your existing projects."
  )

/** The project named by the path (or the upload token), and a way to replace it. */
const findProject = (call: Call, document: CloudflareDocument) =>
  Effect.map(
    locate(
      document,
      "pages",
      (item) => item.accountId === call.params.account && item.name === call.params.project,
      projectNotFound
    ),
    ({ item, replace }) => ({ project: item, replace })
  )

export const listProjects: Handler = (call, document) =>
  Effect.gen(function* () {
    const { page, perPage } = yield* pageOf(call, 10, 100, codes.invalid)
    const projects = document.pages.filter((project) => project.accountId === call.params.account)
    const { items, info } = paginate(projects, page, perPage)
    return yield* answer(
      items.map((project) => projectView(project)),
      document,
      info
    )
  })

const DeploymentConfig = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const CreateProject = Schema.Struct({
  name: Schema.String,
  production_branch: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  deployment_configs: Schema.optional(
    Schema.Struct({ production: Schema.optional(DeploymentConfig), preview: Schema.optional(DeploymentConfig) })
  )
})

/** Secret environment variables are kept without their values. */
const withoutSecrets = (config: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
  const vars = config.env_vars
  if (typeof vars !== "object" || vars === null) return config
  const kept = Object.fromEntries(
    Object.entries(vars).map(([name, value]) =>
      typeof value === "object" && value !== null && (value as { type?: unknown }).type === "secret_text"
        ? [name, { type: "secret_text" }]
        : [name, value]
    )
  )
  return { ...config, env_vars: kept }
}

/** The configuration the API echoes: what was given over its defaults. */
const fillConfig = (
  given: Readonly<Record<string, unknown>> | undefined,
  base: Readonly<Record<string, unknown>>
): Readonly<Record<string, unknown>> => withoutSecrets({ ...base, ...given })

const defaultConfig = (now: number): Readonly<Record<string, unknown>> => ({
  compatibility_date: isoDate(now).slice(0, 10),
  compatibility_flags: [],
  env_vars: {},
  fail_open: true,
  always_use_latest_compatibility_date: false,
  build_image_major_version: 3,
  usage_model: "standard"
})

export const createProject: Handler = (call, document) =>
  Effect.gen(function* () {
    const account = call.params.account ?? ""
    const body = yield* decodeBody(call, CreateProject, codes.invalid)
    if (!validName(body.name)) {
      return yield* fail(
        400,
        codes.invalid,
        "The project name must be 1 to 58 lower-case letters, digits and dashes, starting and ending with a letter or digit."
      )
    }
    if (document.pages.some((project) => project.accountId === account && project.name === body.name)) {
      return yield* fail(
        409,
        codes.projectExists,
        "A project with this name already exists. Choose a different project name."
      )
    }
    const [hex, next] = allocateId(document, "pages-project")
    const defaults = defaultConfig(call.now)
    const project: PagesProject = {
      id: asUuid(hex),
      accountId: account,
      name: body.name,
      productionBranch: body.production_branch ?? "main",
      createdOn: call.now,
      deploymentConfigs: {
        production: fillConfig(body.deployment_configs?.production, defaults),
        preview: fillConfig(body.deployment_configs?.preview, defaults)
      },
      assets: [],
      deployments: []
    }
    return yield* answer(projectView(project), { ...next, pages: [...next.pages, project] })
  })

export const getProject: Handler = (call, document) =>
  Effect.flatMap(findProject(call, document), ({ project }) => answer(projectView(project), document))

const UpdateProject = Schema.Struct({
  production_branch: CreateProject.fields.production_branch,
  deployment_configs: CreateProject.fields.deployment_configs
})

/** `PATCH`: a new production branch, and deployment configurations merged into the current ones. */
export const updateProject: Handler = (call, document) =>
  Effect.gen(function* () {
    const { project, replace } = yield* findProject(call, document)
    const body = yield* decodeBody(call, UpdateProject, codes.invalid)
    const next: PagesProject = {
      ...project,
      productionBranch: body.production_branch ?? project.productionBranch,
      deploymentConfigs: {
        production: fillConfig(body.deployment_configs?.production, project.deploymentConfigs.production),
        preview: fillConfig(body.deployment_configs?.preview, project.deploymentConfigs.preview)
      }
    }
    return yield* answer(projectView(next), replace(next))
  })

export const deleteProject: Handler = (call, document) =>
  Effect.flatMap(findProject(call, document), ({ project }) =>
    answer(null, { ...document, pages: document.pages.filter((item) => item !== project) })
  )

export const uploadToken: Handler = (call, document) =>
  Effect.flatMap(findProject(call, document), ({ project }) =>
    answer(
      {
        jwt: Jwt.sign(
          {
            accountId: project.accountId,
            projectName: project.name,
            exp: Math.floor(call.now / 1000) + uploadTokenSeconds
          },
          call.signingKey,
          call.now
        )
      },
      document
    )
  )

const Hash = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{32}$/, { message: () => "a hash is 32 hex digits" }))
const Hashes = Schema.Struct({ hashes: Schema.Array(Hash) })

export const checkMissing: Handler = (call, document) =>
  Effect.gen(function* () {
    const { project } = yield* findProject(call, document)
    const { hashes } = yield* decodeBody(call, Hashes, codes.invalid)
    const known = new Set(project.assets.map((asset) => asset.hash))
    return yield* answer(
      [...new Set(hashes)].filter((hash) => !known.has(hash)),
      document
    )
  })

const UploadPayload = Schema.Array(
  Schema.Struct({
    key: Hash,
    value: Schema.String,
    metadata: Schema.optional(Schema.Struct({ contentType: Schema.optional(Schema.String) })),
    base64: Schema.optional(Schema.Boolean)
  })
)

export const uploadAssets: Handler = (call, document) =>
  Effect.gen(function* () {
    const { project, replace } = yield* findProject(call, document)
    const files = yield* decodeBody(call, UploadPayload, codes.invalid)
    const uploaded: Array<PagesAsset> = files.map((file) => ({
      hash: file.key,
      size: file.base64 === true ? Buffer.from(file.value, "base64").byteLength : Buffer.byteLength(file.value),
      contentType: file.metadata?.contentType ?? "application/octet-stream"
    }))
    const keys = new Set(uploaded.map((asset) => asset.hash))
    const assets = [...project.assets.filter((asset) => !keys.has(asset.hash)), ...uploaded]
    return yield* answer(
      { successful_key_count: uploaded.length, unsuccessful_keys: [] },
      replace({ ...project, assets })
    )
  })

export const upsertHashes: Handler = (call, document) =>
  Effect.gen(function* () {
    yield* findProject(call, document)
    yield* decodeBody(call, Hashes, codes.invalid)
    return yield* answer(true, document)
  })

const Manifest = Schema.Record({ key: Schema.String, value: Hash })

const invalid = (message: string): Effect.Effect<never, ApiFailure> => fail(400, codes.invalid, message)

/** `POST …/deployments`: a multipart form whose `manifest` names uploaded assets; `branch` picks the environment. */
export const createDeployment: Handler = (call, document) =>
  Effect.gen(function* () {
    const { project } = yield* findProject(call, document)
    const parts = yield* Multipart.partsOf(call, codes.invalid)
    const field = (name: string) => {
      const part = parts.find((item) => item.name === name)
      return part === undefined ? undefined : Multipart.text(part)
    }
    const manifestText = field("manifest")
    if (manifestText === undefined) return yield* invalid("The deployment has no manifest.")
    const manifest = yield* decodeBody(
      { ...call, body: new TextEncoder().encode(manifestText) },
      Manifest,
      codes.invalid
    )
    const known = new Set(project.assets.map((asset) => asset.hash))
    const missing = [...new Set(Object.values(manifest))].filter((hash) => !known.has(hash))
    if (missing.length > 0) {
      return yield* invalid(`The manifest names files that were never uploaded: ${missing.slice(0, 5).join(", ")}`)
    }
    const branch = field("branch") || project.productionBranch
    const commitHash = field("commit_hash")
    const [hex, next] = allocateId(document, "pages-deployment")
    const deployment: PagesDeployment = {
      id: asUuid(hex),
      branch,
      environment: branch === project.productionBranch ? "production" : "preview",
      fileCount: Object.keys(manifest).length,
      hasWorker: parts.some((part) => part.name === "_worker.bundle" || part.name === "_worker.js"),
      ...(commitHash === undefined || commitHash === "" ? {} : { commitHash }),
      createdOn: call.now
    }
    const updated = { ...project, deployments: [...project.deployments, deployment] }
    return yield* answer(deploymentView(updated, deployment), replaceIn(next, "pages", project, updated))
  })

export const listDeployments: Handler = (call, document) =>
  Effect.gen(function* () {
    const { project } = yield* findProject(call, document)
    const { page, perPage } = yield* pageOf(call, 25, 25, codes.invalid)
    const env = call.query.get("env")
    const deployments = project.deployments
      .filter((deployment) => env === null || deployment.environment === env)
      .reverse()
    const { items, info } = paginate(deployments, page, perPage)
    return yield* answer(
      items.map((deployment) => deploymentView(project, deployment)),
      document,
      info
    )
  })

export const getDeployment: Handler = (call, document) =>
  Effect.gen(function* () {
    const { project } = yield* findProject(call, document)
    const deployment = project.deployments.find((item) => item.id === call.params.deployment)
    if (deployment === undefined) return yield* fail(404, codes.noSuchDeployment, "Deployment not found.")
    return yield* answer(deploymentView(project, deployment), document)
  })
