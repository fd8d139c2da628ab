/**
 * The multipart upload of a Worker (`metadata` JSON and the modules, kept as sizes and
 * digests), checked as the API checks it: the main module is there, the modules fit the size
 * limit, and each binding is well formed and names an R2 bucket or a KV namespace the account has.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Crypto from "node:crypto"
import type { CloudflareDocument, WorkerBinding, WorkerModule, WorkerVersion } from "./Document.js"
import { type ApiFailure, type Call, decodeBody, fail } from "./Envelope.js"
import * as Multipart from "./Multipart.js"
import { codes, invalid } from "./WorkerScript.js"

/** What a Worker may upload in all: 10 MiB, the paid plan's limit. */
export const maxScriptBytes = 10 * 1024 * 1024

export const Binding = Schema.Struct(
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

/** The bindings an upload or a settings change names, each checked against the account, in their order. */
export const checkBindings = (
  given: ReadonlyArray<typeof Binding.Type>,
  account: string,
  document: CloudflareDocument,
  previous: WorkerVersion | undefined,
  strictInherit: boolean
): Effect.Effect<ReadonlyArray<WorkerBinding>, ApiFailure> =>
  Effect.gen(function* () {
    const bindings: Array<WorkerBinding> = []
    for (const [index, binding] of given.entries()) {
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
    return bindings
  })

export interface Upload {
  readonly mainModule: string
  readonly modules: ReadonlyArray<WorkerModule>
  readonly bindings: ReadonlyArray<WorkerBinding>
  readonly compatibilityDate: string
  readonly compatibilityFlags: ReadonlyArray<string>
  readonly metadata: Metadata
}

/** The multipart upload of `PUT …/scripts/{name}` and `POST …/versions`, checked. */
export const readUpload = (
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
    const bindings = yield* checkBindings(metadata.bindings ?? [], account, document, previous, strictInherit)
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
