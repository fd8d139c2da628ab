/**
 * Ownership tags: every resource the Sakura provider creates carries `fleetflow` and the
 * project, stage and name it belongs to, so it can be found again without the state (after
 * a crash, or by another checkout). The tags fit usacloud's rules: at most 10 per resource,
 * 32 characters each, unique, no white space.
 */
import { createHash } from "node:crypto"

export interface Owner {
  readonly project: string
  readonly stage: string
  readonly name: string
}

export const managedTag = "fleetflow"
export const maxTags = 10
export const maxTagLength = 32
/** Tags Sakura Cloud adds itself after a plan change. */
export const previousIdPrefix = "@previous-id="

const prefixes = { project: "ff-p=", stage: "ff-s=", name: "ff-n=" } as const

const length = (text: string) => [...text].length

/**
 * `value` as it fits in `room` characters: unchanged when it fits and holds no white space,
 * else its start, `~` and 6 hex digits of its hash, so different long values stay different.
 */
export const fitTag = (value: string, room: number): string => {
  const clean = value.replace(/[\s\p{Cc}]+/gu, "_")
  if (clean === value && length(value) <= room) return value
  const hash = createHash("sha256").update(value).digest("hex").slice(0, 6)
  return `${[...clean].slice(0, room - 7).join("")}~${hash}`
}

const tag = (prefix: string, value: string) => `${prefix}${fitTag(value, maxTagLength - prefix.length)}`

/** The ownership tags every resource of one project and stage carries, whatever its name. */
export const scopeTags = (scope: { readonly project: string; readonly stage: string }): ReadonlyArray<string> => [
  managedTag,
  tag(prefixes.project, scope.project),
  tag(prefixes.stage, scope.stage)
]

/** The tags that mark a resource as FleetFlow's, for one project, stage and name. */
export const ownershipTags = (owner: Owner): ReadonlyArray<string> => [
  ...scopeTags(owner),
  tag(prefixes.name, owner.name)
]

/** Whether tags (or the words of an SSH key's description) mark a resource as `owner`'s. */
export const isOwnedBy = (tags: ReadonlyArray<string>, owner: Owner): boolean =>
  ownershipTags(owner).every((wanted) => tags.includes(wanted))

/** Whether tags mark a resource as FleetFlow's at all. */
export const isManaged = (tags: ReadonlyArray<string>): boolean => tags.includes(managedTag)

const isOwnership = (tag: string) =>
  tag === managedTag || Object.values(prefixes).some((prefix) => tag.startsWith(prefix))

/** The tags a user asked for: without ownership tags and Sakura's `@previous-id=`. */
export const userTags = (tags: ReadonlyArray<string>): ReadonlyArray<string> =>
  tags.filter((tag) => !isOwnership(tag) && !tag.startsWith(previousIdPrefix))

/** SSH keys have no tags: their description carries the same words. */
export const ownershipDescription = (owner: Owner): string => ownershipTags(owner).join(" ")

export const descriptionWords = (description: string): ReadonlyArray<string> =>
  description.split(/\s+/).filter((word) => word.length > 0)

/**
 * What is wrong with a user's tags next to the ownership tags, or undefined. `reserve` keeps
 * room for tags Sakura adds (a server gets `@previous-id=` when its plan changes).
 */
export const checkUserTags = (tags: ReadonlyArray<string>, reserve = 0): string | undefined => {
  const room = maxTags - ownershipTags({ project: "", stage: "", name: "" }).length - reserve
  if (tags.length > room) return `at most ${room} tags fit beside FleetFlow's own, got ${tags.length}`
  const long = tags.find((item) => length(item) > maxTagLength)
  if (long !== undefined) return `tag "${long}" is longer than ${maxTagLength} characters`
  const blank = tags.find((item) => item.length === 0 || /[\s\p{Cc}]/u.test(item))
  if (blank !== undefined) return `tag ${JSON.stringify(blank)} is empty or holds white space`
  const reserved = tags.find((item) => isOwnership(item) || item.startsWith(previousIdPrefix))
  if (reserved !== undefined) return `tag "${reserved}" is reserved for FleetFlow and Sakura Cloud`
  if (new Set(tags).size !== tags.length) return "tags must be unique"
  return undefined
}

/**
 * The owner that ownership tags (or an SSH key's description words) name, or undefined when
 * they are not FleetFlow's. A value shortened to fit a tag comes back as one of `candidates`
 * when one of them fits to it (a resource's own name, say), else as it is in the tag.
 */
export const ownerFromTags = (
  tags: ReadonlyArray<string>,
  candidates: ReadonlyArray<string> = []
): Partial<Owner> | undefined => {
  if (!isManaged(tags)) return undefined
  const owner: { -readonly [K in keyof Owner]?: string } = {}
  for (const [field, prefix] of Object.entries(prefixes) as ReadonlyArray<[keyof Owner, string]>) {
    const value = tags.find((tag) => tag.startsWith(prefix))?.slice(prefix.length)
    if (value === undefined) continue
    const room = maxTagLength - prefix.length
    owner[field] = candidates.find((candidate) => fitTag(candidate, room) === value) ?? value
  }
  return owner
}
