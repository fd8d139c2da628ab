/**
 * A stage's dependency graph, as `fleetflow graph` prints it: a node per declared resource, grouped
 * by cloud, and an edge from each resource to one it needs first (the order `up` creates them in),
 * labelled with the attributes it reads of it — Graphviz DOT or Mermaid text.
 */
import {
  type DesiredResource,
  isReference,
  type Json,
  type ProviderName,
  type Reference,
  type ResourceKey,
  type ResourceType
} from "./Resource.js"

export interface Node {
  readonly key: ResourceKey
  readonly provider: ProviderName
  readonly type: ResourceType
  readonly name: string
}

/** `from` needs `to` first; `attributes` are those of `to` that `from` reads (none for containment). */
export interface Edge {
  readonly from: ResourceKey
  readonly to: ResourceKey
  readonly attributes: ReadonlyArray<string>
}

export interface Graph {
  readonly nodes: ReadonlyArray<Node>
  readonly edges: ReadonlyArray<Edge>
}

const referencesIn = (value: Json): ReadonlyArray<Reference> => {
  if (isReference(value)) return [value]
  if (Array.isArray(value)) return value.flatMap((item: Json) => referencesIn(item))
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap((item) => referencesIn(item))
  return []
}

export const graphOf = (desired: ReadonlyArray<DesiredResource>): Graph => {
  const declared = new Set(desired.map((resource) => resource.key))
  return {
    nodes: desired.map(({ key, provider, type, name }) => ({ key, provider, type, name })),
    edges: desired.flatMap((resource) => {
      const references = referencesIn(resource.inputs)
      return resource.dependsOn
        .filter((to) => declared.has(to) && to !== resource.key)
        .map((to) => ({
          from: resource.key,
          to,
          attributes: [...new Set(references.filter((ref) => ref.$ref === to).map((ref) => ref.attribute))]
        }))
    })
  }
}

/** An edge's label in a picture: the attributes read, but not the ID, which is how most references read. */
const labelOf = (edge: Edge): string => edge.attributes.filter((attribute) => attribute !== "id").join(", ")

const cloudNames: Record<ProviderName, string> = { "sakura-cloud": "Sakura Cloud", cloudflare: "Cloudflare" }

const byCloud = (graph: Graph) =>
  (Object.keys(cloudNames) as ReadonlyArray<ProviderName>)
    .map((provider) => ({ provider, nodes: graph.nodes.filter((node) => node.provider === provider) }))
    .filter((cloud) => cloud.nodes.length > 0)

/** A DOT string literal: quotes and backslashes escaped, line breaks spelled out. */
const dotString = (text: string) => `"${text.replace(/[\\"]/g, (char) => `\\${char}`).replace(/\r?\n|\r/g, "\\n")}"`

export const dot = (graph: Graph, title: string): string => {
  const lines = [
    `digraph ${dotString(title)} {`,
    "  rankdir=LR",
    '  graph [fontname="Helvetica"]',
    '  node [shape=box, style=rounded, fontname="Helvetica"]',
    '  edge [fontname="Helvetica", fontsize=10]'
  ]
  for (const { provider, nodes } of byCloud(graph)) {
    lines.push(`  subgraph ${dotString(`cluster_${provider}`)} {`, `    label=${dotString(cloudNames[provider])}`)
    for (const node of nodes) {
      lines.push(`    ${dotString(node.key)} [label=${dotString(`${node.type}\n${node.name}`)}]`)
    }
    lines.push("  }")
  }
  for (const edge of graph.edges) {
    const text = labelOf(edge)
    const label = text === "" ? "" : ` [label=${dotString(text)}]`
    lines.push(`  ${dotString(edge.from)} -> ${dotString(edge.to)}${label}`)
  }
  lines.push("}")
  return lines.join("\n")
}

/** Mermaid text inside quotes: its entity codes for what would end or break the label. */
const mermaidText = (text: string) =>
  text.replace(/[#"<>]/g, (char) => `#${char.codePointAt(0)};`).replace(/\r?\n|\r/g, " ")

export const mermaid = (graph: Graph): string => {
  // Mermaid's node ids are plain words: a number per key, the key itself only in the label.
  const ids = new Map(graph.nodes.map((node, index) => [node.key, `n${index}`]))
  const lines = ["flowchart LR"]
  for (const { provider, nodes } of byCloud(graph)) {
    lines.push(`  subgraph ${provider.replace("-", "_")}["${cloudNames[provider]}"]`)
    for (const node of nodes) {
      lines.push(`    ${ids.get(node.key)}["${mermaidText(node.type)}<br/>${mermaidText(node.name)}"]`)
    }
    lines.push("  end")
  }
  for (const edge of graph.edges) {
    const text = labelOf(edge)
    const label = text === "" ? "" : `|"${mermaidText(text)}"|`
    lines.push(`  ${ids.get(edge.from)} -->${label} ${ids.get(edge.to)}`)
  }
  return lines.join("\n")
}
