/**
 * Top-level settings: `project`, the provider blocks in all their spellings, and `retry`.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import {
  all,
  block,
  type Block,
  type ConfigError,
  configError,
  didYouMean,
  type Env,
  type Field,
  fieldInteger,
  fieldName,
  fieldNumber,
  fieldString,
  fieldValue,
  type KdlNode,
  listOf,
  type Location,
  one,
  oneOf,
  optional,
  prop,
  rejectTokens,
  stringValue
} from "../Declaration.js"
import * as DurationText from "../DurationText.js"
import { defaultPolicy, type RetryPolicy } from "../Retry.js"
import { sakuraZones } from "../Sakura/Model.js"
import { decodeBuildEnv, stateUrlVariables } from "./BuildEnv.js"

export interface SakuraSettings {
  readonly zone: string
  readonly profile?: string | undefined
}

export interface CloudflareSettings {
  readonly accountId?: string | undefined
  readonly zone?: string | undefined
  /** `build-env`: names and prefixes (`SENTRY_*`) of the variables wrangler and its builds get. */
  readonly buildEnv?: ReadonlyArray<string> | undefined
}

export interface Providers {
  readonly sakura?: SakuraSettings | undefined
  readonly cloudflare?: CloudflareSettings | undefined
}

const providerNames = ["sakura-cloud", "cloudflare"] as const
const providerAliases: Readonly<Record<string, (typeof providerNames)[number]>> = {
  "sakura-cloud": "sakura-cloud",
  sakura: "sakura-cloud",
  sakuracloud: "sakura-cloud",
  cloudflare: "cloudflare"
}

interface Declared {
  readonly provider: (typeof providerNames)[number]
  readonly fields: Block
}

const declaration = (provider: string, node: KdlNode, at: KdlNode["at"]) =>
  Effect.gen(function* () {
    const canonical = providerAliases[fieldName(provider)]
    if (canonical === undefined) {
      return yield* configError(
        at,
        `unknown provider \`${provider}\``,
        didYouMean(fieldName(provider), Object.keys(providerAliases)) ?? `valid providers: ${listOf(providerNames)}`
      )
    }
    yield* rejectTokens(node)
    const allowed = canonical === "sakura-cloud" ? ["zone", "profile"] : ["account-id", "zone", "build-env"]
    const fields = yield* block(node, allowed, { props: true })
    const declared: Declared = { provider: canonical, fields }
    return declared
  })

/** Every provider declaration, in the order written. */
const declarations = (nodes: ReadonlyArray<KdlNode>, env: Env) =>
  Effect.gen(function* () {
    const found: Array<Declared> = []
    for (const node of nodes) {
      const name = fieldName(node.name)
      if (name === "providers") {
        for (const child of node.children) found.push(yield* declaration(child.name, child, child.at))
      } else if (name === "provider") {
        const first = node.args[0]
        if (first === undefined) {
          return yield* configError(node.at, "`provider` needs a name", `write provider "sakura-cloud" { zone "tk1a" }`)
        }
        const provider = yield* stringValue(env, first, "the provider name")
        // The name is an argument here, not a field of the block.
        found.push(yield* declaration(provider, { ...node, args: node.args.slice(1) }, first.at))
      } else if (providerAliases[name] !== undefined) {
        found.push(yield* declaration(node.name, node, node.at))
      }
    }
    return found
  })

const lastField = (list: ReadonlyArray<Declared>, name: string): Field | undefined => {
  let found: Field | undefined
  for (const declared of list) found = one(declared.fields, name) ?? found
  return found
}

/**
 * Provider settings; `CLOUDFLARE_DOMAIN` gives the cloudflare zone when the file does not.
 * Upstream's `CLOUDFLARE_ZONE_ID` is an id, not a zone name, so it is not used here.
 */
export const decodeProviders = (nodes: ReadonlyArray<KdlNode>, env: Env): Effect.Effect<Providers, ConfigError> =>
  Effect.gen(function* () {
    const found = yield* declarations(nodes, env)
    const sakura = found.filter((declared) => declared.provider === "sakura-cloud")
    const cloudflare = found.filter((declared) => declared.provider === "cloudflare")
    let sakuraSettings: SakuraSettings | undefined
    if (sakura.length > 0) {
      const zoneField = lastField(sakura, "zone")
      const profileField = lastField(sakura, "profile")
      let zone: string | undefined
      if (zoneField !== undefined) {
        const value = yield* fieldValue(env, zoneField)
        zone = yield* oneOf((yield* stringValue(env, value, "`zone`")).toLowerCase(), sakuraZones, value.at, "zone")
      }
      const profile = profileField === undefined ? undefined : yield* fieldString(env, profileField)
      if (zone !== undefined) sakuraSettings = { zone, ...optional("profile", profile) }
      else if (profile !== undefined) {
        return yield* configError(
          sakura[0]!.fields.node.at,
          "the sakura-cloud provider has a profile but no zone",
          `set zone, one of ${listOf(sakuraZones)}`
        )
      }
    }
    let cloudflareSettings: CloudflareSettings | undefined
    if (cloudflare.length > 0) {
      const accountField = lastField(cloudflare, "account-id")
      const zoneField = lastField(cloudflare, "zone")
      const zone = zoneField === undefined ? env.get("CLOUDFLARE_DOMAIN") : yield* fieldString(env, zoneField)
      const buildEnvFields = cloudflare.flatMap((declared) => all(declared.fields, "build-env"))
      const buildEnv = yield* decodeBuildEnv(env, buildEnvFields, stateUrlVariables(nodes))
      cloudflareSettings = {
        ...optional("accountId", accountField === undefined ? undefined : yield* fieldString(env, accountField)),
        ...optional("zone", zone === undefined || zone === "" ? undefined : zone.toLowerCase().replace(/\.$/, "")),
        ...optional("buildEnv", buildEnv.length === 0 ? undefined : buildEnv)
      }
    }
    return { ...optional("sakura", sakuraSettings), ...optional("cloudflare", cloudflareSettings) }
  })

export const decodeProject = (nodes: ReadonlyArray<KdlNode>, env: Env, fallback: string) =>
  Effect.gen(function* () {
    let project = fallback
    for (const node of nodes) {
      if (fieldName(node.name) !== "project") continue
      const first = node.args[0]
      if (first === undefined) {
        return yield* configError(node.at, "`project` needs a name", `write project "my-project"`)
      }
      project = yield* stringValue(env, first, "`project`")
      if (project.trim() === "") return yield* configError(first.at, "`project` must not be empty")
    }
    return project
  })

const durationField = (env: Env, field: Field) =>
  Effect.gen(function* () {
    const value = yield* fieldValue(env, field)
    const hint = `write a duration such as "500ms", "1s" or "2m"`
    if (typeof value.value !== "string") {
      return yield* configError(value.at, `\`${field.written}\` must be a duration, got ${String(value.value)}`, hint)
    }
    const text = yield* stringValue(env, value, `\`${field.written}\``)
    const duration = DurationText.parse(text)
    if (duration === undefined) {
      return yield* configError(value.at, `\`${field.written}\` must be a duration, got ${JSON.stringify(text)}`, hint)
    }
    return duration
  })

/** The `retry` node (properties or child nodes); the seed defaults fill what it leaves out. */
export const decodeRetry = (nodes: ReadonlyArray<KdlNode>, env: Env): Effect.Effect<RetryPolicy, ConfigError> =>
  Effect.gen(function* () {
    let policy = defaultPolicy
    for (const node of nodes) {
      if (fieldName(node.name) !== "retry") continue
      const fields = yield* block(node, ["max-attempts", "initial-delay", "max-delay", "multiplier"], {
        props: true,
        aliases: { "backoff-multiplier": "multiplier" }
      })
      const attempts = one(fields, "max-attempts")
      const initial = one(fields, "initial-delay")
      const max = one(fields, "max-delay")
      const multiplierField = one(fields, "multiplier")
      const multiplier = multiplierField === undefined ? policy.multiplier : yield* fieldNumber(env, multiplierField)
      if (multiplier < 1) {
        return yield* configError(multiplierField!.at, `\`multiplier\` must be at least 1, got ${multiplier}`)
      }
      policy = {
        maxAttempts: attempts === undefined ? policy.maxAttempts : yield* fieldInteger(env, attempts, 1),
        initialDelay: initial === undefined ? policy.initialDelay : yield* durationField(env, initial),
        maxDelay: max === undefined ? policy.maxDelay : yield* durationField(env, max),
        multiplier
      }
      if (Duration.lessThan(policy.maxDelay, policy.initialDelay)) {
        return yield* configError(
          (max ?? initial)?.at ?? node.at,
          "`max-delay` is shorter than `initial-delay`",
          "make max-delay at least as long as initial-delay"
        )
      }
    }
    return policy
  })

/** Where the state lives: `.fleetflow/state.json` (the default) or a PostgreSQL database. */
export type StateSettings =
  | { readonly backend: "local" }
  | {
      readonly backend: "postgres"
      /**
       * The connection string, or why it cannot be had (a variable that is not set): only the
       * commands that open the state need it. Absent when the file leaves it to `--state-url`.
       */
      readonly url?: Either.Either<Redacted.Redacted<string>, ConfigError> | undefined
      readonly schema?: string | undefined
      readonly at: Location
    }

export const stateBackends = ["local", "postgres"] as const

const schemaName = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** A password written out in a connection string (`postgres://user:pw@host/db`, `?password=`), not `${VARIABLE}`. */
const writtenPassword = (text: string) => {
  if (!URL.canParse(text)) return false
  const url = new URL(text)
  const password = url.password !== "" ? url.password : (url.searchParams.get("password") ?? "")
  return password !== "" && !password.startsWith("$")
}

/** The `state` node: `state { backend "postgres"; url env="FLEETFLOW_PG_URL"; schema "fleetflow" }`. */
export const decodeState = (nodes: ReadonlyArray<KdlNode>, env: Env): Effect.Effect<StateSettings, ConfigError> =>
  Effect.gen(function* () {
    let settings: StateSettings = { backend: "local" }
    for (const node of nodes) {
      if (fieldName(node.name) !== "state") continue
      yield* rejectTokens(node)
      const fields = yield* block(node, ["backend", "url", "schema"], { props: true })
      const backendField = one(fields, "backend")
      const backend =
        backendField === undefined
          ? "local"
          : yield* Effect.flatMap(fieldValue(env, backendField), (value) =>
              Effect.flatMap(stringValue(env, value, "`backend`"), (text) =>
                oneOf(text.toLowerCase(), stateBackends, value.at, "backend")
              )
            )
      const urlField = one(fields, "url")
      const schemaField = one(fields, "schema")
      if (backend === "local") {
        const extra = urlField ?? schemaField
        if (extra !== undefined) {
          return yield* configError(
            extra.at,
            `\`${extra.written}\` is a setting of the postgres backend, and this \`state\` uses the local file`,
            `write backend "postgres", or remove \`${extra.written}\``
          )
        }
        settings = { backend }
        continue
      }
      const url =
        urlField === undefined
          ? undefined
          : yield* Effect.either(decodeUrl(env, urlField, { ...urlField.at, path: "state > url" }))
      const schema = schemaField === undefined ? undefined : yield* fieldString(env, schemaField)
      if (schema !== undefined && !schemaName.test(schema)) {
        return yield* configError(
          schemaField!.at,
          `\`schema\` must be a PostgreSQL name of letters, digits and underscores (at most 63), got ${JSON.stringify(schema)}`,
          `write schema "fleetflow"`
        )
      }
      settings = { backend, url, schema, at: node.at }
    }
    return settings
  })

/**
 * The connection string: from the environment (`url env="FLEETFLOW_PG_URL"`) or written out, the
 * latter only without a password. Errors point at `state > url`, never at the string itself.
 */
const decodeUrl = (env: Env, field: Field, at: Location) =>
  Effect.gen(function* () {
    const value = yield* fieldValue(env, field)
    const variable = field.node === undefined ? undefined : prop(field.node, "env")?.value.value
    const url = yield* stringValue(env, { ...value, at }, "`url`")
    if (variable === undefined && typeof value.value === "string" && writtenPassword(value.value)) {
      return yield* configError(
        at,
        "a database password must not be written in the configuration file",
        `write url env="FLEETFLOW_PG_URL" and set FLEETFLOW_PG_URL, or keep the password in PGPASSWORD or ~/.pgpass`
      )
    }
    if (!/^postgres(ql)?:\/\//.test(url) || !URL.canParse(url)) {
      return yield* typeof variable === "string"
        ? configError(
            at,
            `${variable}, which \`url\` names, must hold a PostgreSQL connection string`,
            `set ${variable} to postgres://user:password@host:5432/database`
          )
        : configError(
            at,
            "`url` must be a PostgreSQL connection string",
            "write it as postgres://user@host:5432/database"
          )
    }
    return Redacted.make(url)
  })
