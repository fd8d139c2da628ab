/**
 * The resource nodes the configuration knows: the node kinds of each cloud (`server`, `r2-bucket`, `worker`, `pages`,
 * `dns`), found by their KDL node or by their specs' type. Everything that needs no file system is checked in the
 * decoders, so `load` reports it.
 */
import * as Either from "effect/Either"
import * as CloudflareNodes from "../Cloudflare/Nodes.js"
import {
  combineErrors,
  type ConfigError,
  type DecodeContext,
  type Entry,
  fieldName,
  type KdlNode,
  type Location,
  type NodeKind,
  problemCount,
  rejectTokens,
  type StageCheck,
  type StageView
} from "../Declaration.js"
import * as SakuraNodes from "../Sakura/Nodes.js"

const cloudKinds = [...SakuraNodes.kinds, ...CloudflareNodes.kinds] as const

type SpecOf<Kind> = Kind extends NodeKind<infer S, infer _Declared> ? S : never

/** A decoded resource node of any kind. */
export type ResourceSpec = SpecOf<(typeof cloudKinds)[number]>

/**
 * A kind as the configuration handles them side by side: its methods take any spec (methods are bivariant in
 * their parameters), and each spec goes to the kind of its `type` only.
 */
export type Kind = NodeKind<ResourceSpec, never>

/** In the order a stage's kinds start their expansion. */
export const kinds: ReadonlyArray<Kind> = cloudKinds

/** What the clouds check across a stage's resources once they are expanded. */
export const stageChecks: ReadonlyArray<StageCheck> = CloudflareNodes.stageChecks

const byNode: ReadonlyMap<string, Kind> = new Map(kinds.map((kind) => [kind.node, kind]))
const byType: ReadonlyMap<string, Kind> = new Map(kinds.map((kind) => [kind.type, kind]))

export const isResourceNode = (name: string): boolean => byNode.has(fieldName(name))

/** The `type` of the specs a resource node decodes to. */
export const typeOfNode = (name: string): string => byNode.get(fieldName(name))!.type

/** The kind that decoded a spec. */
export const kindOf = (spec: ResourceSpec): Kind => byType.get(spec.type)!

/** The canonical field name of a child of a resource node, for template overrides. */
export const canonicalField = (node: string, name: string): string => {
  const normalized = fieldName(name)
  return byNode.get(fieldName(node))?.aliases[normalized] ?? normalized
}

const decodeOnce = (context: DecodeContext, node: KdlNode): Either.Either<ResourceSpec, ConfigError> =>
  Either.flatMap(rejectTokens(node), () => byNode.get(fieldName(node.name))!.decode(context, node))

/** How many times a failing node is read again to find its other problems. */
const rereads = 10

const atOrBefore = (a: Location, b: Location) => a.line < b.line || (a.line === b.line && a.column <= b.column)

/**
 * The field of `node` a problem is in: of the fields written in the same file at or before it, the
 * last. Undefined when the problem is the node's own (where the node starts: a field it lacks).
 */
const fieldWith = (node: KdlNode, problem: Location): KdlNode | undefined => {
  if (problem.line === node.at.line && problem.column === node.at.column) return undefined
  let found: KdlNode | undefined
  for (const child of node.children) {
    if (child.at.file !== problem.file || !atOrBefore(child.at, problem)) continue
    if (found === undefined || atOrBefore(found.at, child.at)) found = child
  }
  return found
}

/**
 * A node's decoder stops at its first problem. To list the node's other problems in the same run,
 * the field that problem is in is set aside and the node read again, until it reads, or what stops
 * it is the node's own (a field it now lacks) or nothing new.
 */
export const decodeResource = (context: DecodeContext, node: KdlNode): Either.Either<ResourceSpec, ConfigError> =>
  Either.orElse(decodeOnce(context, node), (first) => {
    const errors = [first]
    let remaining = node
    // A decoder that listed several problems (a DNS zone's records) has listed what it could.
    for (let round = 0; round < rereads && problemCount(errors[errors.length - 1]!) === 1; round++) {
      const field = fieldWith(remaining, errors[errors.length - 1]!)
      if (field === undefined) break
      remaining = { ...remaining, children: remaining.children.filter((child) => child !== field) }
      const next = decodeOnce(context, remaining)
      if (Either.isRight(next) || fieldWith(remaining, next.left) === undefined) break
      const last = errors[errors.length - 1]!
      // The same problem again: it was not in the field set aside (a template's field came before it).
      if (next.left.line === last.line && next.left.column === last.column && next.left.message === last.message) {
        break
      }
      errors.push(next.left)
    }
    return Either.left(combineErrors(errors))
  })

/** The stage as each kind sees the others: the entries of each spec type, in declared order. */
export const stageView = (entries: ReadonlyArray<readonly [type: string, entry: Entry]>): StageView => {
  const byEntryType = new Map<string, Array<Entry>>()
  for (const [type, entry] of entries) {
    const list = byEntryType.get(type) ?? []
    list.push(entry)
    byEntryType.set(type, list)
  }
  return (type) => byEntryType.get(type) ?? []
}
