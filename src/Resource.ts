/**
 * The vocabulary shared by configuration, plan, state and providers: resource keys,
 * JSON values with references, desired resources and what a provider reports back.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

export const ProviderName = Schema.Literal("sakura-cloud", "cloudflare")
export type ProviderName = typeof ProviderName.Type

/** The registry of resource types: each type, named once, with the cloud that serves it. */
export const providerOf = {
  server: "sakura-cloud",
  disk: "sakura-cloud",
  "ssh-key": "sakura-cloud",
  "startup-script": "sakura-cloud",
  r2: "cloudflare",
  "r2-domain": "cloudflare",
  worker: "cloudflare",
  pages: "cloudflare",
  dns: "cloudflare"
} as const satisfies Record<string, ProviderName>

export type ResourceType = keyof typeof providerOf

const resourceTypes = Object.keys(providerOf) as unknown as readonly [ResourceType, ...Array<ResourceType>]

export const ResourceType = Schema.Literal(...resourceTypes)

/** `provider:type:name`, e.g. `sakura-cloud:server:creo-dev-01` or `cloudflare:dns:api.example.com/A`. */
export type ResourceKey = string

// One flat string: a key lives as long as the plan, and a chain of concatenations costs several times its text.
export const makeKey = (type: ResourceType, name: string): ResourceKey => [providerOf[type], type, name].join(":")

export interface KeyParts {
  readonly provider: ProviderName
  readonly type: ResourceType
  readonly name: string
}

export const parseKey = (key: ResourceKey): KeyParts | undefined => {
  const first = key.indexOf(":")
  const second = key.indexOf(":", first + 1)
  if (first < 0 || second < 0) return undefined
  const provider = key.slice(0, first)
  const type = key.slice(first + 1, second)
  const name = key.slice(second + 1)
  if (!Schema.is(ProviderName)(provider) || !Schema.is(ResourceType)(type) || name.length === 0) return undefined
  if (providerOf[type] !== provider) return undefined
  return { provider, type, name }
}

/**
 * A JSON value. Inside desired inputs an object `{ "$ref": KEY, "attribute": "ip" }` is a
 * reference to another resource's attribute, resolved by the engine at apply time.
 */
export type Json = string | number | boolean | null | ReadonlyArray<Json> | { readonly [key: string]: Json }

export const Json: Schema.Schema<Json> = Schema.Union(
  Schema.String,
  Schema.Number,
  Schema.Boolean,
  Schema.Null,
  Schema.Array(Schema.suspend(() => Json)),
  Schema.Record({ key: Schema.String, value: Schema.suspend(() => Json) })
)

export const Inputs = Schema.Record({ key: Schema.String, value: Json })
export type Inputs = typeof Inputs.Type

/** An input that is not set: absent, `null` (a cloud's "none"), or an empty list. */
export const isUnset = (value: Json | undefined): boolean =>
  value === undefined || value === null || (Array.isArray(value) && value.length === 0)

/** Equal JSON values, whatever the order of their keys (a database may not keep it); walked without copying. */
export const equalJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    for (let index = 0; index < a.length; index++) if (!equalJson(a[index], b[index])) return false
    return true
  }
  const left = a as Record<string, unknown>
  const right = b as Record<string, unknown>
  for (const key in left) if (!equalJson(left[key], right[key])) return false
  for (const key in right) if (!Object.hasOwn(left, key) && right[key] !== undefined) return false
  return true
}

/** The recorded inputs with what the cloud reports laid over them (a field it reports unset stays as recorded if unset there too). */
export const refreshedInputs = (recorded: Inputs, seen: Inputs | undefined): Inputs => {
  if (seen === undefined) return recorded
  const merged: Record<string, Inputs[string]> = { ...recorded }
  for (const [field, value] of Object.entries(seen)) {
    if (isUnset(value) && isUnset(recorded[field])) continue
    if (value === null) delete merged[field]
    else merged[field] = value
  }
  return merged
}

/** Whether two input values mean the same: equal JSON, or both unset. */
export const sameInput = (a: Json | undefined, b: Json | undefined): boolean =>
  (isUnset(a) && isUnset(b)) || equalJson(a, b)

// A type alias, not an interface, so a Reference is assignable to Json.
export type Reference = {
  readonly $ref: ResourceKey
  readonly attribute: string
}

/**
 * A value as the configuration declares it: `T`, where any value, at any depth, may instead be
 * a reference to another resource's attribute that the engine resolves at apply time.
 */
export type WithReferences<T> =
  | Reference
  | (T extends ReadonlyArray<infer Item>
      ? ReadonlyArray<WithReferences<Item>>
      : T extends object
        ? { readonly [K in keyof T]: WithReferences<T[K]> }
        : T)

/** The fields of a resource's inputs whose change needs a new resource instead of an update. */
export type ReplaceFields<Inputs> = ReadonlyArray<keyof Inputs & string>

/**
 * A name a resource takes in its cloud, which the cloud gives to one resource at a time: a bucket's
 * or a worker's name, a DNS name. Two resources conflict on a name when either holds it exclusively
 * (a CNAME holds its DNS name alone; an A and an AAAA record share theirs).
 */
export interface Claim {
  readonly name: string
  readonly exclusive: boolean
}

/** Whether two resources' claims name one cloud name that either holds alone. */
export const claimsConflict = (a: ReadonlyArray<Claim>, b: ReadonlyArray<Claim>): boolean =>
  a.some((left) => b.some((right) => left.name === right.name && (left.exclusive || right.exclusive)))

/** A resource's inputs as the configuration declares them: each field as its type has it, or a reference. */
export type DeclaredInputs<T> = { readonly [K in keyof T]: WithReferences<T[K]> }

export const reference = (key: ResourceKey, attribute: string): Reference => ({ $ref: key, attribute })

export const isReference = (value: unknown): value is Reference =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  typeof (value as Record<string, unknown>).$ref === "string" &&
  typeof (value as Record<string, unknown>).attribute === "string"

/** Every key referenced anywhere inside a value. */
export const referencesIn = (value: Json): ReadonlyArray<ResourceKey> => {
  if (isReference(value)) return [value.$ref]
  if (Array.isArray(value)) return value.flatMap((item: Json) => referencesIn(item))
  if (typeof value === "object" && value !== null) {
    return Object.values(value as Record<string, Json>).flatMap((item) => referencesIn(item))
  }
  return []
}

/** How a reference reads in the configuration language: `server.creo-dev-01.ip`. */
export const showReference = (ref: Reference): string => {
  const parts = parseKey(ref.$ref)
  return parts === undefined ? `${ref.$ref}.${ref.attribute}` : `${parts.type}.${parts.name}.${ref.attribute}`
}

/** Where a resource was declared, for error messages. */
export const SourceSpan = Schema.Struct({
  file: Schema.String,
  line: Schema.Number,
  column: Schema.Number,
  /** `stage "dev" > server "creo-dev-01"` */
  path: Schema.String
})
export type SourceSpan = typeof SourceSpan.Type

/** One resource the configuration asks for, in one stage. */
export interface DesiredResource {
  readonly key: ResourceKey
  readonly provider: ProviderName
  readonly type: ResourceType
  readonly name: string
  /** JSON inputs; may hold references (see `Json`). */
  readonly inputs: Inputs
  /** Keys this resource needs first: every reference in `inputs`, and containment. */
  readonly dependsOn: ReadonlyArray<ResourceKey>
  readonly source?: SourceSpan | undefined
}

/** What a provider reports for a resource that exists in its cloud. */
export const Observed = Schema.Struct({
  id: Schema.String,
  /** Outputs such as `ip`, `ipv6`, `status`, `hostname`, `url`. */
  attributes: Inputs,
  /**
   * The inputs the provider can read back, as the cloud has them now (drift): only the fields
   * it reads; `null` for a field it reads that is not set (CORS rules removed).
   */
  inputs: Schema.optional(Inputs)
})
export type Observed = typeof Observed.Type

/** A resource as the state records it. */
export const StoredResource = Schema.Struct({
  provider: ProviderName,
  type: ResourceType,
  name: Schema.String,
  stage: Schema.String,
  id: Schema.String,
  /** Outputs reported by the provider: `ip`, `status`, ... */
  attributes: Inputs,
  /** The inputs it was last applied with, references resolved. */
  inputs: Inputs,
  /** Those inputs as declared, references kept, when they hold any: a rollback re-creates from them. */
  declared: Schema.optional(Inputs),
  dependsOn: Schema.Array(Schema.String),
  created_at: Schema.String,
  updated_at: Schema.String
})
export type StoredResource = typeof StoredResource.Type

/** An attribute a reference can name: `id` is the resource's id, the rest are its outputs. */
export const attributeOf = (resource: StoredResource | undefined, attribute: string): Json | undefined =>
  resource === undefined ? undefined : attribute === "id" ? resource.id : resource.attributes[attribute]

/** A reference whose target has no such attribute in state: the plan and the state disagree. */
export class UnresolvedReference extends Schema.TaggedError<UnresolvedReference>()("UnresolvedReference", {
  key: Schema.String,
  reference: Schema.String
}) {
  override get message() {
    return `${this.key} refers to ${this.reference}, which the state does not hold`
  }
}

const resolve = (
  key: ResourceKey,
  value: Json,
  resources: Readonly<Record<string, StoredResource>>,
  later: ReadonlySet<ResourceKey>
): Effect.Effect<Json, UnresolvedReference> => {
  if (isReference(value)) {
    if (later.has(value.$ref)) return Effect.succeed(value)
    const found = attributeOf(resources[value.$ref], value.attribute)
    return found === undefined
      ? Effect.fail(new UnresolvedReference({ key, reference: showReference(value) }))
      : Effect.succeed(found)
  }
  if (Array.isArray(value)) {
    return Effect.forEach(value as ReadonlyArray<Json>, (item) => resolve(key, item, resources, later))
  }
  if (typeof value === "object" && value !== null) {
    return Effect.map(
      Effect.forEach(Object.entries(value), ([field, item]) =>
        Effect.map(resolve(key, item as Json, resources, later), (resolved) => [field, resolved] as const)
      ),
      (entries) => Object.fromEntries(entries) as Json
    )
  }
  return Effect.succeed(value)
}

/** Replaces each reference with the attribute it names; references to the keys in `later` are left as they are. */
export const resolveInputs = (
  key: ResourceKey,
  inputs: Inputs,
  resources: Readonly<Record<string, StoredResource>>,
  later: ReadonlySet<ResourceKey> = new Set()
): Effect.Effect<Inputs, UnresolvedReference> =>
  Effect.map(resolve(key, inputs, resources, later), (json) => json as Inputs)
