/**
 * The wrangler configuration a worker is deployed with. KDL is the source of truth for the
 * worker's name, compatibility settings, routes and bindings; the source folder's own
 * wrangler.json, wrangler.jsonc or wrangler.toml, when there is one, supplies everything else
 * (entry point, build, rules, assets). The result is written to a private folder, so its
 * relative paths are made absolute against the source folder first.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Jsonc from "jsonc-parser"
import * as NodePath from "node:path"
import * as Toml from "smol-toml"
import type { WorkerInputs } from "../Model.js"

/** The worker's inputs, for callers that read them beside its configuration. */
export { Binding, WorkerInputs } from "../Model.js"

/** The names wrangler looks for, in its order of preference. */
export const configFileNames = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"] as const

/** Where an entry point is looked for in a folder without a wrangler configuration. */
export const entryCandidates = [
  "src/index.ts",
  "src/index.js",
  "src/index.mjs",
  "src/worker.ts",
  "src/worker.js",
  "index.ts",
  "index.js",
  "index.mjs",
  "worker.ts",
  "worker.js"
] as const

/** A problem with the worker's source that the operator has to fix. */
export class WorkerSourceError extends Schema.TaggedError<WorkerSourceError>()("WorkerSourceError", {
  message: Schema.String,
  hint: Schema.optional(Schema.String)
}) {}

export interface FolderConfig {
  readonly path: string
  readonly config: Readonly<Record<string, unknown>>
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const parseConfig = (path: string, text: string): Effect.Effect<Record<string, unknown>, WorkerSourceError> =>
  Effect.try({
    try: () => {
      if (path.endsWith(".toml")) return Toml.parse(text) as unknown
      const errors: Array<Jsonc.ParseError> = []
      const value: unknown = Jsonc.parse(text, errors, { allowTrailingComma: true })
      const first = errors[0]
      if (first !== undefined) {
        throw new Error(`${Jsonc.printParseErrorCode(first.error)} at offset ${first.offset}`)
      }
      return value
    },
    catch: (error) =>
      new WorkerSourceError({
        message: `${path} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
        hint: "Fix the file, or remove it to let FleetFlow generate the configuration from KDL."
      })
  }).pipe(
    Effect.flatMap((value) =>
      isRecord(value)
        ? Effect.succeed(value)
        : Effect.fail(new WorkerSourceError({ message: `${path} does not hold a configuration object` }))
    )
  )

const exists = (fs: FileSystem.FileSystem, path: string) => fs.exists(path).pipe(Effect.orElseSucceed(() => false))

/** The folder and, when it has one, its wrangler configuration; a file source is its own entry point. */
export const inspectSource = (
  source: string
): Effect.Effect<
  { readonly folder: string; readonly entry?: string; readonly config?: FolderConfig },
  WorkerSourceError,
  FileSystem.FileSystem
> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(source).pipe(
      Effect.mapError(
        () =>
          new WorkerSourceError({
            message: `the worker source ${source} does not exist`,
            hint: "Point `source` at the worker's folder or its entry file."
          })
      )
    )
    if (info.type !== "Directory") return { folder: NodePath.dirname(source), entry: source }
    for (const name of configFileNames) {
      const path = NodePath.join(source, name)
      if (!(yield* exists(fs, path))) continue
      const text = yield* fs
        .readFileString(path)
        .pipe(Effect.mapError(() => new WorkerSourceError({ message: `${path} cannot be read` })))
      return { folder: source, config: { path, config: yield* parseConfig(path, text) } }
    }
    const packageJson = NodePath.join(source, "package.json")
    if (yield* exists(fs, packageJson)) {
      const manifest = yield* fs.readFileString(packageJson).pipe(
        Effect.map((text): unknown => JSON.parse(text)),
        Effect.orElseSucceed((): unknown => undefined)
      )
      const main = isRecord(manifest) ? (manifest.module ?? manifest.main) : undefined
      if (typeof main === "string" && (yield* exists(fs, NodePath.join(source, main)))) {
        return { folder: source, entry: NodePath.join(source, main) }
      }
    }
    for (const candidate of entryCandidates) {
      const path = NodePath.join(source, candidate)
      if (yield* exists(fs, path)) return { folder: source, entry: path }
    }
    return yield* new WorkerSourceError({
      message: `the worker source ${source} has no wrangler configuration and no entry point`,
      hint: `Add ${configFileNames.join(", ")} or one of ${entryCandidates.join(", ")}, or point \`source\` at the entry file.`
    })
  })

const absolute = (folder: string, value: unknown) =>
  typeof value === "string" && value !== "" ? NodePath.resolve(folder, value) : value

/** Paths in a folder's configuration, made absolute so the configuration can live elsewhere. */
const withAbsolutePaths = (folder: string, config: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const result: Record<string, unknown> = { ...config }
  for (const field of ["main", "tsconfig", "base_dir"]) {
    if (field in result) result[field] = absolute(folder, result[field])
  }
  if (isRecord(result.assets))
    result.assets = { ...result.assets, directory: absolute(folder, result.assets.directory) }
  if (isRecord(result.site)) result.site = { ...result.site, bucket: absolute(folder, result.site.bucket) }
  if (isRecord(result.build)) result.build = { ...result.build, cwd: absolute(folder, result.build.cwd ?? ".") }
  return result
}

const byBinding = (items: unknown): ReadonlyArray<Record<string, unknown>> =>
  Array.isArray(items) ? items.filter(isRecord) : []

/** The folder's own entries whose binding name KDL does not declare, then KDL's. */
const mergeBindings = (
  own: unknown,
  declared: ReadonlyArray<Record<string, unknown>>
): ReadonlyArray<Record<string, unknown>> => {
  const names = new Set(declared.map((item) => item.binding))
  return [...byBinding(own).filter((item) => !names.has(item.binding)), ...declared]
}

export interface BuildInput {
  readonly inputs: WorkerInputs
  readonly folder: string
  readonly entry?: string | undefined
  readonly folderConfig?: FolderConfig | undefined
  /** KV namespace IDs by the title or ID the bindings give. */
  readonly kvNamespaceIds: ReadonlyMap<string, string>
}

/** The configuration to deploy with, or why there is none. */
export const build = (input: BuildInput): Effect.Effect<Record<string, unknown>, WorkerSourceError> =>
  Effect.gen(function* () {
    const { inputs, folderConfig } = input
    const own = folderConfig === undefined ? {} : withAbsolutePaths(input.folder, folderConfig.config)
    // The account comes from FleetFlow's settings; a configuration's own would win over them.
    const { account_id: _account, ...rest } = own
    const compatibilityDate = inputs.compatibilityDate ?? rest.compatibility_date
    if (typeof compatibilityDate !== "string" || compatibilityDate === "") {
      return yield* new WorkerSourceError({
        message: `worker "${inputs.name}" has no compatibility date`,
        hint: 'Add compatibility-date "YYYY-MM-DD" to the worker in the KDL file.'
      })
    }
    const main = input.entry ?? rest.main
    if (typeof main !== "string" || main === "") {
      return yield* new WorkerSourceError({
        message: `${folderConfig?.path ?? input.folder} does not name the worker's entry point (main)`,
        hint: 'Add "main" to the wrangler configuration, or point `source` at the entry file.'
      })
    }
    const kv = yield* Effect.forEach(
      inputs.bindings.filter((binding) => binding.type === "kv"),
      (binding) => {
        const id = input.kvNamespaceIds.get(binding.namespace)
        return id === undefined
          ? Effect.fail(
              new WorkerSourceError({
                message: `worker "${inputs.name}": binding ${binding.name} names the KV namespace "${binding.namespace}", which the account does not have`,
                hint: `Create it first (wrangler kv namespace create ${binding.namespace}), or give its ID.`
              })
            )
          : Effect.succeed({ binding: binding.name, id })
      }
    )
    const r2 = inputs.bindings.flatMap((binding) =>
      binding.type === "r2" ? [{ binding: binding.name, bucket_name: binding.bucket }] : []
    )
    const vars = Object.fromEntries(
      inputs.bindings.flatMap((binding) => (binding.type === "var" ? [[binding.name, binding.value] as const] : []))
    )
    const routes = inputs.routes.map((route) =>
      route.zone === undefined ? route.pattern : { pattern: route.pattern, zone_name: route.zone }
    )
    return {
      ...rest,
      name: inputs.name,
      main,
      compatibility_date: compatibilityDate,
      ...(inputs.compatibilityFlags.length === 0 ? {} : { compatibility_flags: [...inputs.compatibilityFlags] }),
      ...(routes.length === 0 ? {} : { routes }),
      ...(inputs.workersDev === undefined ? {} : { workers_dev: inputs.workersDev }),
      r2_buckets: mergeBindings(rest.r2_buckets, r2),
      kv_namespaces: mergeBindings(rest.kv_namespaces, kv),
      vars: { ...(isRecord(rest.vars) ? rest.vars : {}), ...vars }
    }
  })

/** A KV binding may give a namespace's ID (32 hexadecimal digits) rather than its title. */
export const looksLikeNamespaceId = (value: string): boolean => /^[0-9a-f]{32}$/i.test(value)
