/**
 * Stages: top-level resources are templates; a stage includes one by name (no body),
 * defines one inline, or overrides a template field by field. A file with no `stage`
 * deploys its top-level resources as the stage `default`.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import {
  type ConfigError,
  configError,
  type DecodeContext,
  didYouMean,
  fieldName,
  isEnvironmental,
  type KdlNode,
  listOf,
  type Location,
  rejectTokens,
  resourceName
} from "../Declaration.js"
import { canonicalField, decodeResource, isResourceNode, kindOf, type ResourceSpec, stageView } from "./Resources.js"

export interface StageDefinition {
  readonly name: string
  /** Where the stage is declared (the file's start for the implicit stage `default`). */
  readonly at: Location
  /** The decoded resources, or the error that stops this stage (an error that depends on the environment only stops its own stage). */
  readonly resources: Either.Either<ReadonlyArray<ResourceSpec>, ConfigError>
}

export const defaultStage = "default"

const templateKey = (type: string, name: string) => `${fieldName(type)}\u0000${name}`

/** A template with the stage's fields in place of its own fields of the same name. */
const override = (template: KdlNode, stageNode: KdlNode): KdlNode => {
  const type = template.name
  const replaced = new Set(stageNode.children.map((child) => canonicalField(type, child.name)))
  return {
    ...stageNode,
    props: [...template.props, ...stageNode.props],
    children: [
      ...template.children.filter((child) => !replaced.has(canonicalField(type, child.name))),
      ...stageNode.children
    ]
  }
}

/** Each spec checked against the other declarations of its stage, by its kind. */
const settle = (resources: ReadonlyArray<ResourceSpec>) => {
  const stage = stageView(
    resources.map((spec) => [spec.type, { name: spec.name, names: kindOf(spec).names?.(spec) ?? [spec.name] }] as const)
  )
  return Effect.forEach(resources, (resource) => {
    const settled = kindOf(resource).settle?.(resource, stage)
    return settled ?? Effect.succeed(resource)
  })
}

const decodeStage = (context: DecodeContext, nodes: ReadonlyArray<KdlNode>) =>
  Effect.gen(function* () {
    const resources = yield* Effect.forEach(nodes, (node) => decodeResource(context, node))
    return yield* settle(resources)
  })

/** The resource nodes of one stage, templates applied. */
const stageNodes = (context: DecodeContext, stage: KdlNode, templates: ReadonlyMap<string, KdlNode>) =>
  Effect.gen(function* () {
    const result: Array<KdlNode> = []
    for (const node of stage.children) {
      if (!isResourceNode(node.name)) continue
      const name = yield* resourceName(context.env, node)
      const template = templates.get(templateKey(node.name, name))
      if (node.children.length > 0) {
        result.push(template === undefined ? node : override(template, node))
        continue
      }
      if (template === undefined) {
        const type = fieldName(node.name)
        const known = [...templates.values()].filter((candidate) => fieldName(candidate.name) === type)
        const names = yield* Effect.forEach(known, (candidate) => resourceName(context.env, candidate))
        return yield* configError(
          node.at,
          `no top-level \`${node.name} ${JSON.stringify(name)}\` to include`,
          didYouMean(name, names) ??
            (names.length === 0
              ? `define it at top level, or give it a body here: ${node.name} ${JSON.stringify(name)} { ... }`
              : `top-level ${node.name} nodes: ${listOf(names)}`)
        )
      }
      result.push({ ...template, at: node.at })
    }
    return result
  })

/** Every stage with its resources; syntax and type errors fail here, for every stage. */
export const decodeStages = (
  context: DecodeContext,
  nodes: ReadonlyArray<KdlNode>,
  file: string
): Effect.Effect<ReadonlyArray<StageDefinition>, ConfigError> =>
  Effect.gen(function* () {
    const templates = new Map<string, KdlNode>()
    for (const node of nodes) {
      if (!isResourceNode(node.name)) continue
      yield* rejectTokens(node)
      const name = yield* resourceName(context.env, node)
      const key = templateKey(node.name, name)
      const previous = templates.get(key)
      if (previous !== undefined) {
        return yield* configError(
          node.at,
          `\`${node.name} ${JSON.stringify(name)}\` is defined twice`,
          `the first one is at line ${previous.at.line}`
        )
      }
      templates.set(key, node)
    }
    const stageNodesList = nodes.filter((node) => fieldName(node.name) === "stage")
    const declared: Array<{ readonly name: string; readonly nodes: ReadonlyArray<KdlNode>; readonly at: Location }> = []
    if (stageNodesList.length === 0) {
      declared.push({
        name: defaultStage,
        nodes: [...templates.values()],
        at: { ...(nodes[0]?.at ?? { file, line: 1, column: 1 }), path: "" }
      })
    }
    const seen = new Map<string, KdlNode>()
    for (const stage of stageNodesList) {
      const first = stage.args[0]
      if (first === undefined || typeof first.value !== "string" || first.value === "") {
        return yield* configError(stage.at, "`stage` needs a name", `write stage "dev" { ... }`)
      }
      const previous = seen.get(first.value)
      if (previous !== undefined) {
        return yield* configError(
          stage.at,
          `stage ${JSON.stringify(first.value)} is declared twice`,
          `the first one is at line ${previous.at.line}`
        )
      }
      seen.set(first.value, stage)
      declared.push({ name: first.value, nodes: yield* stageNodes(context, stage, templates), at: stage.at })
    }
    const result: Array<StageDefinition> = []
    for (const stage of declared) {
      const resources = yield* Effect.either(decodeStage(context, stage.nodes))
      if (Either.isLeft(resources) && !isEnvironmental(resources.left)) return yield* resources.left
      result.push({ name: stage.name, resources, at: stage.at })
    }
    return result
  })
