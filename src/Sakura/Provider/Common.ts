/**
 * What the Sakura provider's operations share: the clients they call, the inputs the engine
 * hands them decoded with their model's Schema, and the mapping of usacloud failures to provider errors.
 */
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { named } from "../../Grouping.js"
import { ProviderError } from "../../Provider.js"
import {
  type Inputs,
  isUnset,
  type Json,
  type ResourceKey,
  type ResourceType,
  type StoredResource
} from "../../Resource.js"
import { type ListFilter, toProviderError, type UsacloudError, type UsacloudService } from "../Usacloud.js"
import { credentialsHint } from "../Usacloud/Errors.js"
import { osTypes } from "../Model.js"
import { checkUserTags, isOwnedBy, type Owner, ownerFromTags, ownershipTags, previousIdPrefix } from "./Ownership.js"

export const providerName = "sakura-cloud"

export const handles: ReadonlyArray<ResourceType> = ["server", "disk", "ssh-key", "startup-script"]

export interface Clients {
  /** For `getState`: retried here, since nothing above retries a read. */
  readonly read: UsacloudService
  /** For `apply` and `destroy`: not retried here, the engine retries the whole action. */
  readonly write: UsacloudService
}

/** A usacloud failure as the provider reports it; an auth failure says to run `usacloud config`. */
export const fromUsacloud = (error: UsacloudError, key?: ResourceKey): ProviderError => {
  const mapped = toProviderError(error, key)
  if (mapped.reason !== "auth") return mapped
  return new ProviderError({
    provider: mapped.provider,
    operation: mapped.operation,
    key: mapped.key,
    reason: mapped.reason,
    message: mapped.message,
    code: mapped.code,
    hint: credentialsHint
  })
}

export const orFail =
  (key?: ResourceKey) =>
  <A, R>(effect: Effect.Effect<A, UsacloudError, R>): Effect.Effect<A, ProviderError, R> =>
    Effect.mapError(effect, (error) => fromUsacloud(error, key))

export const invalid = (operation: string, key: ResourceKey | undefined, message: string, hint?: string) =>
  new ProviderError({
    provider: providerName,
    operation,
    ...(key === undefined ? {} : { key }),
    reason: "invalid",
    message,
    ...(hint === undefined ? {} : { hint })
  })

/** Runs `effect`; a resource that is already gone counts as done. */
export const ignoreNotFound = <R>(effect: Effect.Effect<void, UsacloudError, R>) =>
  Effect.catchIf(
    effect,
    (error) => error.reason === "not-found",
    () => Effect.void
  )

/** What a read finds, or undefined when the resource is gone. */
export const readOrNone = <A, R>(
  effect: Effect.Effect<A, UsacloudError, R>
): Effect.Effect<A | undefined, UsacloudError, R> =>
  Effect.catchIf(
    effect,
    (error) => error.reason === "not-found",
    () => Effect.succeed(undefined)
  )

/** Refuses user tags that do not fit beside the ownership tags. */
export const checkTags = (
  operation: string,
  key: ResourceKey,
  tags: ReadonlyArray<string>,
  reserve = 0
): Effect.Effect<void, ProviderError> => {
  const problem = checkUserTags(tags, reserve)
  return problem === undefined
    ? Effect.void
    : Effect.fail(invalid(operation, key, problem, "Sakura Cloud allows 10 tags of at most 32 characters"))
}

/** The zone the state records for a server or disk: in its inputs, else in its attributes. */
export const zoneOf = (resource: StoredResource): string | undefined => {
  const zone = resource.inputs.zone ?? resource.attributes.zone
  return typeof zone === "string" ? zone : undefined
}

/** The zone of a server or disk to delete; a state that records none cannot say where it is. */
export const zoneToDelete = (key: ResourceKey, resource: StoredResource): Effect.Effect<string, ProviderError> => {
  const zone = zoneOf(resource)
  return zone === undefined
    ? Effect.fail(invalid("delete", key, `the state holds no zone for this ${resource.type}`))
    : Effect.succeed(zone)
}

/** Items grouped by zone, for one list per zone; an item of no zone is left out. */
export const byZone = <A>(items: ReadonlyArray<A>, zoneOf: (item: A) => string | undefined) => {
  const zones = new Map<string, Array<A>>()
  for (const item of items) {
    const zone = zoneOf(item)
    if (zone === undefined) continue
    const group = zones.get(zone)
    if (group === undefined) zones.set(zone, [item])
    else group.push(item)
  }
  return zones
}

/**
 * Says whose `what` is when the `owner` its ownership tags name is of another project or stage
 * than `scope`; undefined when it is `scope`'s or not FleetFlow's. A part the tags leave out is
 * taken as `scope`'s.
 */
export const ownedElsewhere = (
  what: string,
  owner: Partial<Owner> | undefined,
  scope: { readonly project: string; readonly stage: string }
): string | undefined => {
  if (owner === undefined) return undefined
  const project = owner.project ?? scope.project
  const stage = owner.stage ?? scope.stage
  return project === scope.project && stage === scope.stage
    ? undefined
    : `${what} belongs to project "${project}", stage "${stage}" (its ownership tags), not to project "${scope.project}", stage "${scope.stage}"`
}

/**
 * Fails when ownership tags (an SSH key's description words) name another project or stage than
 * `scope`: FleetFlow never deletes what another project or stage owns, whatever its state says.
 * A resource without FleetFlow's tags (one imported) is the state's to delete.
 */
export const checkOwnedForDelete = (
  key: ResourceKey,
  scope: { readonly project: string; readonly stage: string },
  what: string,
  tags: ReadonlyArray<string>
): Effect.Effect<void, ProviderError> => {
  const elsewhere = ownedElsewhere(what, ownerFromTags(tags, [scope.project, scope.stage]), scope)
  if (elsewhere === undefined) return Effect.void
  return Effect.fail(
    new ProviderError({
      provider: providerName,
      operation: "delete",
      key,
      reason: "conflict",
      message: `${elsewhere}: FleetFlow does not delete it`,
      hint: "The state names a resource of another project or stage: check that this folder's .fleetflow/ is its own, and `fleetflow state show KEY`."
    })
  )
}

export const ownerOf = (scope: { readonly project: string; readonly stage: string }, name: string): Owner => ({
  project: scope.project,
  stage: scope.stage,
  name
})

interface Tagged {
  readonly id: string
  readonly name: string
  readonly tags: ReadonlyArray<string>
}

/**
 * The resources `owners` made, one answer per owner, from a single list call filtered by the
 * ownership tags they all share (every tag for one owner; the project's and stage's for
 * several), then matched by name and ownership tags, since Sakura Cloud filters loosely. Of
 * servers a plan change left behind (a new ID names the old in `@previous-id=`), the newest wins.
 */
export const lookupOwned = <A extends Tagged>(
  list: (filter: ListFilter) => Effect.Effect<ReadonlyArray<A>, UsacloudError>,
  owners: ReadonlyArray<Owner>
): Effect.Effect<ReadonlyArray<A | undefined>, UsacloudError> => {
  const [first] = owners
  if (first === undefined) return Effect.succeed([])
  const tags = ownershipTags(first).filter((tag) => owners.every((owner) => ownershipTags(owner).includes(tag)))
  return Effect.map(list({ tags }), (listed) => owners.map((owner) => ownedIn(listed, owner)))
}

/** What `owner` made, in a list: matched by name and ownership tags, the newest after a plan change. */
export const ownedIn = <A extends Tagged>(listed: ReadonlyArray<A>, owner: Owner): A | undefined => {
  const candidates = named(listed, owner.name).filter((item) => isOwnedBy(item.tags, owner))
  const replaced = (item: A) => candidates.some((other) => other.tags.includes(`${previousIdPrefix}${item.id}`))
  return candidates.find((item) => !replaced(item)) ?? candidates[0]
}

export const decodeInputs =
  <A, I>(schema: Schema.Schema<A, I>, what: string) =>
  (operation: string, key: ResourceKey, inputs: Inputs): Effect.Effect<A, ProviderError> =>
    Schema.decodeUnknown(schema)(inputs, { errors: "all", onExcessProperty: "ignore" }).pipe(
      Effect.mapError((error) => {
        const issues = ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) =>
          issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`
        )
        return invalid(operation, key, `the inputs of ${what} ${key} are not valid: ${issues.join("; ")}`)
      })
    )

/** usacloud's `--os-type` for an OS name as written (`ubuntu-24.04`) or already an OS type. */
export const osTypeOf = (operation: string, key: ResourceKey, os: string): Effect.Effect<string, ProviderError> => {
  const type = osTypes[os.toLowerCase()]
  return type === undefined
    ? Effect.fail(invalid(operation, key, `unknown OS "${os}"`, `use one of ${Object.keys(osTypes).join(", ")}`))
    : Effect.succeed(type)
}

export const isId = (value: string): boolean => /^[1-9][0-9]{0,15}$/.test(value) && Number.isSafeInteger(Number(value))

/** A read-back list for drift: `null` (not set) when empty, as the configuration leaves it out then. */
export const orNull = (items: ReadonlyArray<string>): ReadonlyArray<string> | null =>
  items.length === 0 ? null : [...items]

/**
 * What an observation is read against: the resource's name and the inputs the state records
 * (or, for what `apply` and `find` report, the inputs declared), and the attributes the state
 * records, when there is a state.
 */
export interface Recorded {
  readonly name: string
  readonly inputs: Inputs
  readonly attributes?: StoredResource["attributes"] | undefined
}

export const recordedOf = (resource: StoredResource): Recorded => ({
  name: resource.name,
  inputs: resource.inputs,
  attributes: resource.attributes
})

/**
 * A value FleetFlow gives when the file leaves the field out (a name, a host name) reads as
 * unset (`null`) then, so the plan compares it with the field left out.
 */
export const unlessDefault = (recorded: Recorded, field: string, actual: string, fallback: string): Json =>
  isUnset(recorded.inputs[field]) && actual === fallback ? null : actual

/**
 * A field the file derives from another (a fingerprint, a hash), reported only when the state
 * records it: inputs written without it do not drift.
 */
export const whenRecorded = (recorded: Recorded, field: string, value: string): Inputs =>
  recorded.inputs[field] === undefined ? {} : { [field]: value }
