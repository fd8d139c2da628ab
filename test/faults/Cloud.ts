/**
 * What the fault suite checks after a run: the state file parses, and the simulated clouds hold
 * exactly what the state records (no orphan, no duplicate, nothing missing) with the values the
 * file asks for (no lost update).
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as path from "node:path"
import { makeKey } from "../../src/Resource.js"
import * as Sandbox from "../../src/Sandbox.js"
import * as State from "../../src/State.js"
import * as Postgres from "../../src/State/Postgres.js"
import { readLock } from "../support/StateFile.js"
import { type Expectation, project } from "./Stage.js"

export const sandboxDir = (dir: string) => path.join(dir, ".fleetflow", "sandbox")
export const statePath = (dir: string) => path.join(sandboxDir(dir), "state.json")
export const backupPath = (dir: string) => path.join(sandboxDir(dir), "state.json.backup")
export const lockPath = (dir: string) => path.join(sandboxDir(dir), "lock.json")
export const journalPath = (dir: string) => path.join(sandboxDir(dir), "state.journal")

/** A state file as read from disk: absent, parsed, or why it does not parse (JSON, then the schema). */
export type Parsed =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Parsed"; readonly state: State.StateFile }
  | { readonly _tag: "Unparseable"; readonly reason: string }

const decode = Schema.decodeUnknownEither(State.StateFile)

export const parseFile = (file: string): Parsed => {
  if (!fs.existsSync(file)) return { _tag: "Absent" }
  let json: unknown
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"))
  } catch (error) {
    return { _tag: "Unparseable", reason: `${file} is not JSON: ${String(error)}` }
  }
  const state = decode(json)
  return Either.isRight(state)
    ? { _tag: "Parsed", state: state.right }
    : { _tag: "Unparseable", reason: `${file}: ${ParseResult.TreeFormatter.formatErrorSync(state.left)}` }
}

/** Where a case keeps its state: the sandbox folder's files, or a schema of the test's PostgreSQL. */
export type StateLocation =
  | { readonly _tag: "Local"; readonly dir: string }
  | { readonly _tag: "Postgres"; readonly url: string; readonly schema: string }

/** The state at `location`, read the way the CLI reads it; the backup's too for the files. */
export const readStates = (location: StateLocation): Effect.Effect<ReadonlyArray<Parsed>> =>
  location._tag === "Local"
    ? Effect.sync(() => [statePath(location.dir), backupPath(location.dir)].map((file) => parseFile(file)))
    : Effect.scoped(
        Effect.gen(function* () {
          const store = yield* Postgres.makePostgres({
            url: Redacted.make(location.url),
            schema: location.schema,
            project: `${project} (sandbox)`
          })
          return Option.match(yield* store.read, {
            onNone: (): Parsed => ({ _tag: "Absent" }),
            onSome: (state): Parsed => ({ _tag: "Parsed", state })
          })
        })
      ).pipe(
        Effect.catchAll((error) =>
          Effect.succeed<Parsed>({ _tag: "Unparseable", reason: `${location.schema}: ${error.message}` })
        ),
        Effect.map((parsed) => [parsed])
      )

/** The ID of the lock a killed run left, if any. */
export const lockId = (dir: string): string | undefined =>
  fs.existsSync(lockPath(dir)) ? readLock(lockPath(dir)).id : undefined

/** How many calls the sandbox's fault rules have failed so far (transient rules with a count). */
export const faultsInjected = (dir: string): number => {
  const file = Sandbox.storePath(sandboxDir(dir))
  if (!fs.existsSync(file)) return 0
  const document = JSON.parse(fs.readFileSync(file, "utf8")) as { readonly faults?: Record<string, number> }
  return Object.values(document.faults ?? {}).reduce((sum, count) => sum + count, 0)
}

export interface CloudResource {
  readonly key: string
  readonly id: string
  readonly name: string
  readonly inputs: Record<string, unknown>
}

/** Everything both simulated sandbox clouds of `dir` hold, each under the resource key its ownership names. */
export const inspect = (dir: string) => inspectFolder(sandboxDir(dir))

/** What the simulated clouds kept in `folder` (their stores, as in a sandbox folder) hold. */
export const inspectFolder = (folder: string) =>
  Sandbox.inspect(folder).pipe(
    Effect.map((resources) =>
      resources.map(
        (resource): CloudResource => ({
          key: makeKey(resource.type, Sandbox.ownerOf(resource).name ?? resource.name),
          id: resource.id,
          name: `${resource.type}:${resource.name}`,
          inputs: resource.inputs
        })
      )
    ),
    Effect.provide(NodeContext.layer)
  )

export interface Findings {
  /** In a cloud, not recorded by the state (or recorded with another ID). */
  readonly orphans: ReadonlyArray<string>
  /** Two cloud resources of one type with one name. */
  readonly duplicates: ReadonlyArray<string>
  /** Recorded by the state, not in the cloud. */
  readonly missing: ReadonlyArray<string>
  /** Declared by the file, not recorded by the state (or recorded but not declared). */
  readonly undeclared: ReadonlyArray<string>
  /** A value the cloud holds that differs from what the file asks: the update never reached the cloud. */
  readonly lostUpdates: ReadonlyArray<string>
  /**
   * A value the cloud holds that differs from the inputs the state records for it: the update
   * reached the cloud but not the state, which then plans from a value nothing holds.
   */
  readonly staleRecords: ReadonlyArray<string>
  /** Intents left in the state. */
  readonly pending: ReadonlyArray<string>
}

/** JSON with object keys sorted and lists as sets: the clouds promise neither an order of fields nor of tags. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).sort().join(",")}]`
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([field, item]) => `${JSON.stringify(field)}:${canonical(item)}`)
      .join(",")}}`
  }
  return JSON.stringify(value)
}

const sameValue = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b)

const show = (value: unknown) => JSON.stringify(value)

/**
 * Compares the clouds with a converged state. The expectations say what the file asks for (a
 * cloud without it lost the update); a field both the cloud and the state's inputs hold must
 * agree too, or the state records a value the cloud does not hold (a stale record).
 */
export const compare = (
  state: State.StateFile,
  cloud: ReadonlyArray<CloudResource>,
  desired: ReadonlyArray<string>,
  expected: ReadonlyArray<Expectation>
): Findings => {
  const recorded = new Map(Object.entries(state.resources))
  const byKey = new Map<string, Array<CloudResource>>()
  const byName = new Map<string, number>()
  for (const resource of cloud) {
    byKey.set(resource.key, [...(byKey.get(resource.key) ?? []), resource])
    byName.set(resource.name, (byName.get(resource.name) ?? 0) + 1)
  }
  const orphans = cloud
    .filter((resource) => recorded.get(resource.key)?.id !== resource.id)
    .map((resource) => `${resource.key} [id=${resource.id}]`)
  const duplicates = [
    ...[...byKey].filter(([, items]) => items.length > 1).map(([key, items]) => `${key} ×${items.length}`),
    ...[...byName].filter(([, count]) => count > 1).map(([name, count]) => `${name} ×${count}`)
  ]
  const missing = [...recorded]
    .filter(([key, resource]) => !(byKey.get(key) ?? []).some((item) => item.id === resource.id))
    .map(([key, resource]) => `${key} [id=${resource.id}]`)
  const declared = new Set(desired)
  const undeclared = [
    ...desired.filter((key) => !recorded.has(key)).map((key) => `${key} (declared, not in the state)`),
    ...[...recorded.keys()].filter((key) => !declared.has(key)).map((key) => `${key} (in the state, not declared)`)
  ]
  const staleRecords: Array<string> = []
  for (const [key, resource] of recorded) {
    const held = (byKey.get(key) ?? []).find((item) => item.id === resource.id)
    if (held === undefined) continue
    for (const [field, value] of Object.entries(resource.inputs)) {
      if (field in held.inputs && !sameValue(held.inputs[field], value)) {
        staleRecords.push(`${key}.${field}: the cloud holds ${show(held.inputs[field])}, the state ${show(value)}`)
      }
    }
  }
  const lostUpdates: Array<string> = []
  for (const { field, key, value } of expected) {
    const held = byKey.get(key) ?? []
    const wrong = held.filter((item) => !sameValue(item.inputs[field], value))
    if (held.length === 0) lostUpdates.push(`${key}: not in the cloud, the file sets ${field} = ${show(value)}`)
    for (const item of wrong) {
      lostUpdates.push(`${key}.${field}: the cloud holds ${show(item.inputs[field])}, the file sets ${show(value)}`)
    }
  }
  return {
    orphans,
    duplicates,
    missing,
    undeclared,
    lostUpdates,
    staleRecords,
    pending: state.pending.map((operation) => `${operation.operation} ${operation.key}`)
  }
}

/** Everything `compare` found, one line each. */
export const describeFindings = (findings: Findings): ReadonlyArray<string> => [
  ...findings.orphans.map((item) => `orphan: ${item}`),
  ...findings.duplicates.map((item) => `duplicate: ${item}`),
  ...findings.missing.map((item) => `missing from the cloud: ${item}`),
  ...findings.undeclared.map((item) => `state ≠ file: ${item}`),
  ...findings.lostUpdates.map((item) => `lost update: ${item}`),
  ...findings.staleRecords.map((item) => `stale state record: ${item}`),
  ...findings.pending.map((item) => `intent left pending: ${item}`)
]
