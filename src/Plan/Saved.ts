/**
 * A plan saved to a file (`fleetflow plan --out FILE`) and applied later exactly as it was reviewed
 * (`fleetflow up FILE`). The file holds the actions with the state (lineage, serial) and the configuration
 * (a hash of its text and the stage) they were planned from, and no secret: the values that may hold one
 * (a startup script, its variables, a Worker's `var` bindings, any text holding the value of a variable
 * whose name says it is a secret) are kept as salted digests. `up FILE` plans again under the lock, takes
 * those values from the configuration again, and applies the fresh plan only when it is the saved one.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Crypto from "node:crypto"
import { readConfigText } from "../Config/ConfigText.js"
import * as ParseIssues from "../ParseIssues.js"
import * as Plan from "../Plan.js"
import { parseKey } from "../Resource.js"
import { isNotFound, writeFileAtomic } from "../State/AtomicFile.js"
import { passwordForms } from "../UrlPassword.js"
import { version as fleetflowVersion } from "../Version.js"

export const formatVersion = 1

export class SavedPlan extends Schema.Class<SavedPlan>("SavedPlan")({
  format: Schema.Literal("fleetflow-plan"),
  version: Schema.Literal(formatVersion),
  /** The FleetFlow that made it; another one may plan differently, so it applies only plans of its own. */
  fleetflow: Schema.String,
  created: Schema.String,
  project: Schema.String,
  stage: Schema.String,
  sandbox: Schema.Boolean,
  /** The state the plan was made from; no lineage (and serial 0) when there was none yet. */
  state: Schema.Struct({ lineage: Schema.optional(Schema.String), serial: Schema.NonNegativeInt }),
  /** SHA-256 of the configuration file's text and the stage. */
  config: Schema.Struct({ sha256: Schema.String }),
  refresh: Schema.Boolean,
  targets: Schema.Array(Schema.String),
  /** The key of the digests that stand for the values kept out of the file. */
  salt: Schema.String,
  plan: Plan.Plan
}) {}

const Header = Schema.Struct({ format: Schema.Literal("fleetflow-plan"), version: Schema.Number })

/** A file that cannot be read, written or understood as a saved plan. */
export class SavedPlanFileError extends Data.TaggedError("SavedPlanFileError")<{
  readonly file: string
  readonly reason: "unreadable" | "unwritable" | "invalid" | "newer"
  readonly detail: string
}> {
  override get message() {
    if (this.reason === "unwritable") return `cannot write the plan to ${this.file}: ${this.detail}`
    const what =
      this.reason === "unreadable" ? `cannot read the saved plan ${this.file}` : `${this.file} is not a saved plan`
    return `${what}: ${this.detail}\n  Make it again with \`fleetflow plan --out ${this.file}\`.`
  }
}

/** A saved plan that no longer describes what `up` would do: nothing is applied. */
export class StalePlan extends Data.TaggedError("StalePlan")<{
  readonly file: string
  readonly reason: string
  /** The plan command that makes it again, with the stage, targets and refresh it was made with. */
  readonly replan: string
}> {
  override get message() {
    return (
      `the saved plan ${this.file} is stale: ${this.reason}. Nothing was applied.\n` +
      `  Review the changes again: run \`${this.replan}\`, then \`fleetflow up ${this.file}\`.`
    )
  }
}

/** A word as the shell reads it, for the commands the messages name. */
const shellWord = (word: string) => (/^[\w./@:+,=-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`)

const replanOf = (file: string, saved: SavedPlan, stage: string) =>
  [
    "fleetflow plan",
    `--stage ${shellWord(stage)}`,
    ...saved.targets.map((key) => `--target ${shellWord(key)}`),
    ...(saved.refresh ? [] : ["--refresh=false"]),
    `--out ${shellWord(file)}`
  ].join(" ")

/** `stage`: the one the plan is to be made for again, the saved plan's unless another was asked for. */
const stale = (file: string, saved: SavedPlan, reason: string, stage = saved.stage) =>
  new StalePlan({ file: shellWord(file), reason, replan: replanOf(file, saved, stage) })

/** Variables whose names say they hold a secret, or that FleetFlow knows to (a token, a database URL). */
const secretName =
  /token|secret|passw|passphrase|credential|private|api_?key|access_?key|auth|_key$|^PG_?URL|_PG_URL$|DATABASE_URL/i

/** The values of the secret variables of `env`, and the passwords of the URLs among them. */
export const secretsIn = (env: Readonly<Record<string, string | undefined>>): ReadonlyArray<string> => {
  const found = new Set<string>()
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !secretName.test(name)) continue
    found.add(value)
    for (const password of passwordForms(value)) found.add(password)
  }
  // Shorter values would match ordinary words: a secret that short is no secret.
  return [...found].filter((value) => value.length >= 6)
}

interface Sensitive {
  readonly $sensitive: string
}

const isSensitive = (value: unknown): value is Sensitive =>
  typeof value === "object" && value !== null && typeof (value as Record<string, unknown>).$sensitive === "string"

const digest = (salt: string, value: unknown): Sensitive => ({
  $sensitive: Crypto.createHmac("sha256", salt).update(JSON.stringify(value)).digest("hex")
})

/** How a field of a resource type that may hold a secret is kept: the parts of it that may, as digests. */
const sensitiveFields: Readonly<Record<string, Readonly<Record<string, (value: unknown, salt: string) => unknown>>>> = {
  "startup-script": { content: (value, salt) => digest(salt, value) },
  server: {
    startupScriptVars: (value, salt) =>
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).map(([name, text]) => [name, digest(salt, text)]))
        : digest(salt, value)
  },
  worker: {
    bindings: (value, salt) =>
      Array.isArray(value)
        ? value.map((binding: Record<string, unknown>) =>
            binding?.type === "var" ? { ...binding, value: digest(salt, binding.value) } : binding
          )
        : value
  }
}

/** Every string that holds one of `secrets`, as a digest. */
const concealValues = (value: unknown, salt: string, secrets: ReadonlyArray<string>): unknown => {
  if (typeof value === "string") return secrets.some((secret) => value.includes(secret)) ? digest(salt, value) : value
  if (Array.isArray(value)) return value.map((item) => concealValues(item, salt, secrets))
  if (typeof value === "object" && value !== null && !isSensitive(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, concealValues(item, salt, secrets)]))
  }
  return value
}

type Encoded = Record<string, unknown>

/** One action, drift or existing resource of the encoded plan with its secrets kept out. */
const concealEntry = (entry: Encoded, salt: string, secrets: ReadonlyArray<string>): Encoded => {
  const type = typeof entry.key === "string" ? parseKey(entry.key)?.type : undefined
  const fields = (type === undefined ? undefined : sensitiveFields[type]) ?? {}
  const field = (name: unknown, value: unknown) => {
    const conceal = typeof name === "string" ? fields[name] : undefined
    return conceal === undefined || value === undefined ? value : conceal(value, salt)
  }
  const changes = Array.isArray(entry.changes)
    ? entry.changes.map((change: Encoded) => ({
        ...change,
        ...("before" in change ? { before: field(change.field, change.before) } : {}),
        ...("after" in change ? { after: field(change.field, change.after) } : {})
      }))
    : entry.changes
  const inputs =
    typeof entry.inputs === "object" && entry.inputs !== null
      ? Object.fromEntries(Object.entries(entry.inputs).map(([name, value]) => [name, field(name, value)]))
      : entry.inputs
  return concealValues(
    { ...entry, changes, ...(entry.inputs === undefined ? {} : { inputs }) },
    salt,
    secrets
  ) as Encoded
}

const encodePlan = Schema.encodeSync(Plan.Plan)

/** The plan as the file keeps it: encoded, every value that may be a secret replaced by its digest. */
export const concealPlan = (plan: Plan.Plan, salt: string, secrets: ReadonlyArray<string>) => {
  const encoded = encodePlan(plan) as unknown as Encoded
  const each = (list: unknown) =>
    (list as ReadonlyArray<Encoded> | undefined)?.map((entry) => concealEntry(entry, salt, secrets))
  return { ...encoded, actions: each(encoded.actions), drift: each(encoded.drift), existing: each(encoded.existing) }
}

/** Whether `fresh` is `saved`, a digest standing for the value it was made from. */
const same = (saved: unknown, fresh: unknown, salt: string): boolean => {
  if (isSensitive(saved)) return digest(salt, fresh).$sensitive === saved.$sensitive
  if (Array.isArray(saved)) {
    return Array.isArray(fresh) && saved.length === fresh.length && saved.every((item, i) => same(item, fresh[i], salt))
  }
  if (typeof saved === "object" && saved !== null) {
    if (typeof fresh !== "object" || fresh === null || Array.isArray(fresh)) return false
    const defined = (value: object) => Object.entries(value).filter(([, item]) => item !== undefined)
    const freshFields = new Map(defined(fresh))
    const savedFields = defined(saved)
    return (
      savedFields.length === freshFields.size &&
      savedFields.every(([key, item]) => freshFields.has(key) && same(item, freshFields.get(key), salt))
    )
  }
  return saved === fresh
}

/** The keys whose action (or adoption of an existing resource) differs between the saved plan and `fresh`. */
export const differences = (saved: SavedPlan, fresh: Plan.Plan): ReadonlyArray<string> => {
  const encoded = encodePlan(fresh)
  const found = new Set<string>()
  const compare = (before: ReadonlyArray<{ readonly key: string }>, after: ReadonlyArray<{ readonly key: string }>) => {
    const byKey = new Map(after.map((entry) => [entry.key, entry]))
    for (const entry of before) if (!same(entry, byKey.get(entry.key), saved.salt)) found.add(entry.key)
    const known = new Set(before.map((entry) => entry.key))
    for (const entry of after) if (!known.has(entry.key)) found.add(entry.key)
  }
  const { plan } = Schema.encodeSync(SavedPlan)(saved)
  compare(plan.actions, encoded.actions)
  compare(plan.existing ?? [], encoded.existing ?? [])
  return [...found]
}

const hashConfig = (configFile: string, stage: string) =>
  Effect.map(readConfigText(configFile), (text) =>
    Crypto.createHash("sha256").update(JSON.stringify({ stage, text })).digest("hex")
  )

export interface MakeOptions {
  readonly plan: Plan.Plan
  readonly configFile: string
  readonly sandbox: boolean
  readonly refresh: boolean
  readonly targets: ReadonlyArray<string>
}

/** The saved form of `plan`, with the secrets of this process's environment kept out. */
export const make = (options: MakeOptions) =>
  Effect.gen(function* () {
    const { plan } = options
    const salt = Crypto.randomBytes(16).toString("hex")
    const encoded = {
      format: "fleetflow-plan",
      version: formatVersion,
      fleetflow: fleetflowVersion,
      created: new Date(yield* Clock.currentTimeMillis).toISOString(),
      project: plan.project,
      stage: plan.stage,
      sandbox: options.sandbox,
      // The store's own convention: serial 0 is a state not written yet, whose lineage is not kept.
      state: plan.serial === 0 ? { serial: 0 } : { lineage: plan.lineage, serial: plan.serial },
      config: { sha256: yield* hashConfig(options.configFile, plan.stage) },
      refresh: options.refresh,
      targets: options.targets,
      salt,
      plan: concealPlan(plan, salt, secretsIn(process.env))
    }
    return encoded
  })

/** Writes the saved plan atomically, readable by its owner only. */
export const write = (file: string, encoded: object) =>
  writeFileAtomic(file, `${JSON.stringify(encoded, null, 2)}\n`, { mode: 0o600 }).pipe(
    Effect.mapError(
      (error) =>
        new SavedPlanFileError({
          file,
          reason: "unwritable",
          detail: isNotFound(error) ? "its folder does not exist" : error.message
        })
    )
  )

const maxBytes = 512 * 1024 * 1024

const parse = (file: string, text: string): Either.Either<SavedPlan, SavedPlanFileError> => {
  const invalid = (detail: string) => new SavedPlanFileError({ file, reason: "invalid", detail })
  try {
    const json: unknown = JSON.parse(text)
    const header = Schema.decodeUnknownEither(Header)(json)
    if (Either.isLeft(header)) {
      return Either.left(invalid('it has no `"format": "fleetflow-plan"` (make it with `fleetflow plan --out`)'))
    }
    if (header.right.version > formatVersion) {
      return Either.left(
        new SavedPlanFileError({
          file,
          reason: "newer",
          detail: `it was written by a newer FleetFlow (saved plan format ${header.right.version}; this one reads format ${formatVersion})`
        })
      )
    }
    return Either.mapLeft(Schema.decodeUnknownEither(SavedPlan)(json), (error) => invalid(ParseIssues.describe(error)))
  } catch (error) {
    // A file nested too deeply overflows the decoder's stack: still not a plan this FleetFlow wrote.
    return Either.left(invalid(error instanceof SyntaxError ? "it is not JSON" : "it is not a plan FleetFlow wrote"))
  }
}

/** Reads and checks a saved plan: outside input, whoever wrote it. */
export const read = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const unreadable = (detail: string) => new SavedPlanFileError({ file, reason: "unreadable", detail })
    const info = yield* fs
      .stat(file)
      .pipe(Effect.mapError((error) => unreadable(isNotFound(error) ? "there is no such file" : error.message)))
    if (info.type !== "File") return yield* unreadable("it is not a file")
    if (Number(info.size) > maxBytes) return yield* unreadable(`it is larger than ${maxBytes / 1024 / 1024} MB`)
    const text = yield* fs.readFileString(file).pipe(Effect.mapError((error) => unreadable(error.message)))
    return yield* parse(file, text)
  })

export interface Workspace {
  readonly project: string
  readonly stage: string
  readonly sandbox: boolean
  readonly configFile: string
}

/** Refuses a plan made elsewhere (another project, stage, cloud or FleetFlow) or from another configuration. */
export const checkWorkspace = (file: string, saved: SavedPlan, workspace: Workspace) =>
  Effect.gen(function* () {
    const refuse = (reason: string) => stale(file, saved, reason, workspace.stage)
    if (saved.fleetflow !== fleetflowVersion) {
      return yield* refuse(`it was made by FleetFlow ${saved.fleetflow}, and this is FleetFlow ${fleetflowVersion}`)
    }
    if (saved.project !== workspace.project) {
      return yield* refuse(`it was made for project "${saved.project}", not "${workspace.project}"`)
    }
    if (saved.stage !== workspace.stage) {
      return yield* refuse(`it was made for stage "${saved.stage}", not "${workspace.stage}"`)
    }
    if (saved.sandbox !== workspace.sandbox) {
      return yield* refuse(
        saved.sandbox ? "it was made on the sandbox cloud (with `--sandbox`)" : "it was made on the real clouds"
      )
    }
    const hash = yield* hashConfig(workspace.configFile, workspace.stage)
    if (hash !== saved.config.sha256) {
      return yield* refuse(`the configuration file ${workspace.configFile} changed since it was made`)
    }
  })

/** Refuses a plan made from another state than `stored` (under the lock, before anything is written). */
export const checkState = (
  file: string,
  saved: SavedPlan,
  stored: Option.Option<{ readonly lineage: string; readonly serial: number }>
) =>
  Effect.suspend(() => {
    const was = saved.state
    const refuse = (reason: string) => Effect.fail(stale(file, saved, reason))
    if (Option.isNone(stored)) {
      return was.serial === 0 ? Effect.void : refuse(`the state it was made from (serial ${was.serial}) is gone`)
    }
    const now = stored.value
    if (was.lineage === undefined)
      return refuse(`the state was created since it was made (now at serial ${now.serial})`)
    if (was.lineage !== now.lineage) {
      return refuse(`the state is another one (lineage ${now.lineage}; the plan was made from ${was.lineage})`)
    }
    if (was.serial !== now.serial) {
      return refuse(`the state changed since it was made (serial ${was.serial} → ${now.serial})`)
    }
    return Effect.void
  })

/** Refuses to apply `fresh` (planned now, under the lock) when it is not the saved plan. */
export const checkPlan = (file: string, saved: SavedPlan, fresh: Plan.Plan) =>
  Effect.suspend(() => {
    const changed = differences(saved, fresh)
    if (changed.length === 0) return Effect.void
    const shown = changed.slice(0, 5).join(", ") + (changed.length > 5 ? ` and ${changed.length - 5} more` : "")
    return Effect.fail(
      stale(
        file,
        saved,
        `planned again now, it differs for ${shown} (the clouds, or a file or variable the configuration reads, changed since)`
      )
    )
  })

/** A reviewed plan `up` must find unchanged. */
export interface Reviewed {
  readonly file: string
  readonly saved: SavedPlan
}
