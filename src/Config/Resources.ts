/**
 * The resource nodes the configuration knows: the node kinds of each cloud (`server`, `r2-bucket`, `worker`, `pages`,
 * `dns`), found by their KDL node or by their specs' type. Everything that needs no file system is checked in the
 * decoders, so `load` reports it.
 */
import * as Effect from "effect/Effect"
import * as CloudflareNodes from "../Cloudflare/Nodes.js"
import {
  type ConfigError,
  type DecodeContext,
  type Entry,
  fieldName,
  type KdlNode,
  type NodeKind,
  rejectTokens,
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

export const decodeResource = (context: DecodeContext, node: KdlNode): Effect.Effect<ResourceSpec, ConfigError> =>
  Effect.gen(function* () {
    yield* rejectTokens(node)
    return yield* byNode.get(fieldName(node.name))!.decode(context, node)
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
