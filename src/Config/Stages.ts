/**
 * Stages: top-level resources are templates; a stage includes one by name (no body),
 * defines one inline, or overrides a template field by field. A file with no `stage`
 * deploys its top-level resources as the stage `default`.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import {
  combineErrors,
  type ConfigError,
  configError,
  type DecodeContext,
  decoding,
  didYouMean,
  type Entry,
  everyError,
  fieldName,
  isEnvironmental,
  type KdlNode,
  listOf,
  type Location,
  refuse,
  rejectTokens,
  resourceName
} from "../Declaration.js"
import {
  canonicalField,
  decodeResource,
  isResourceNode,
  kindOf,
  type ResourceSpec,
  stageView,
  typeOfNode
} from "./Resources.js"

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

/**
 * Each spec checked against the other declarations of its stage, by its kind. A declaration that did not decode
 * still stands for its name, so what refers to it is not called dangling.
 */
const settle = (resources: ReadonlyArray<ResourceSpec>, undecoded: ReadonlyArray<readonly [string, Entry]>) => {
  const stage = stageView([
    ...resources.map(
      (spec) => [spec.type, { name: spec.name, names: kindOf(spec).names?.(spec) ?? [spec.name] }] as const
    ),
    ...undecoded
  ])
  return everyError(resources, (resource) => kindOf(resource).settle?.(resource, stage) ?? Either.right(resource))
}

/** A node that did not decode, as the others of its stage see it: its kind's type and its name, when it has one. */
const undecodedEntry = (context: DecodeContext, node: KdlNode) =>
  Option.match(Either.getRight(resourceName(context.env, node)), {
    onNone: () => [],
    onSome: (value) => [[typeOfNode(node.name), { name: value, names: [value] }] as const]
  })

/** The stage's resources, or every error of its nodes: those that decode are settled whatever the others do. */
const decodeStage = (
  context: DecodeContext,
  nodes: ReadonlyArray<KdlNode>
): Either.Either<ReadonlyArray<ResourceSpec>, ReadonlyArray<ConfigError>> => {
  const decoded = nodes.map((node) => decodeResource(context, node))
  const errors = decoded.filter(Either.isLeft).map((result) => result.left)
  const undecoded = nodes
    .filter((_node, index) => Either.isLeft(decoded[index]!))
    .flatMap((node) => undecodedEntry(context, node))
  const resources = decoded.filter(Either.isRight).map((result) => result.right)
  const settled = settle(resources, undecoded)
  if (Either.isLeft(settled)) return Either.left([...errors, settled.left])
  return errors.length === 0 ? Either.right(settled.right) : Either.left(errors)
}

/** A resource node of a stage, its template applied. */
const stageNode = (context: DecodeContext, node: KdlNode, templates: ReadonlyMap<string, KdlNode>) =>
  decoding((take) => {
    const name = take(resourceName(context.env, node))
    const template = templates.get(templateKey(node.name, name))
    if (node.children.length > 0) return template === undefined ? node : override(template, node)
    if (template === undefined) {
      const type = fieldName(node.name)
      const known = [...templates.values()].filter((candidate) => fieldName(candidate.name) === type)
      const names = take(Either.all(known.map((candidate) => resourceName(context.env, candidate))))
      return refuse(
        take,
        configError(
          node.at,
          `no top-level \`${node.name} ${JSON.stringify(name)}\` to include`,
          didYouMean(name, names) ??
            (names.length === 0
              ? `define it at top level, or give it a body here: ${node.name} ${JSON.stringify(name)} { ... }`
              : `top-level ${node.name} nodes: ${listOf(names)}`)
        )
      )
    }
    const included: KdlNode = { ...template, at: node.at }
    return included
  })

/** The templates by type and name; a template written twice is an error, the first one is kept. */
const templatesOf = (context: DecodeContext, nodes: ReadonlyArray<KdlNode>) => {
  const templates = new Map<string, KdlNode>()
  const errors: Array<ConfigError> = []
  for (const node of nodes) {
    if (!isResourceNode(node.name)) continue
    // A token is reported here and again, the same, where the template is decoded; the name still counts.
    const tokens = rejectTokens(node)
    if (Either.isLeft(tokens)) errors.push(tokens.left)
    const name = resourceName(context.env, node)
    if (Either.isLeft(name)) {
      errors.push(name.left)
      continue
    }
    const key = templateKey(node.name, name.right)
    const previous = templates.get(key)
    if (previous !== undefined) {
      errors.push(
        configError(
          node.at,
          `\`${node.name} ${JSON.stringify(name.right)}\` is defined twice`,
          `the first one is at line ${previous.at.line}`
        )
      )
    } else templates.set(key, node)
  }
  return { templates, errors }
}

/**
 * A stage's resource nodes with each type and name once: the first is kept, a repeat is an error at the repeat.
 * Found here, a template included twice is named where it is included, not by the first of its resources found
 * twice (its disk, at the template's own line).
 */
const withoutRepeats = (context: DecodeContext, stage: string, nodes: ReadonlyArray<KdlNode>) => {
  const first = new Map<string, KdlNode>()
  const kept: Array<KdlNode> = []
  const errors: Array<ConfigError> = []
  for (const node of nodes) {
    const name = resourceName(context.env, node)
    // A name that does not read is the node's decoder's to report.
    if (Either.isLeft(name)) {
      kept.push(node)
      continue
    }
    const key = templateKey(node.name, name.right)
    const previous = first.get(key)
    if (previous === undefined) {
      first.set(key, node)
      kept.push(node)
      continue
    }
    errors.push(
      configError(
        node.at,
        `\`${node.name} ${JSON.stringify(name.right)}\` is declared twice in stage ${JSON.stringify(stage)}`,
        `the first one is at line ${previous.at.line}; remove one of them`
      )
    )
  }
  return { kept, errors }
}

interface DeclaredStage {
  readonly name: string
  readonly nodes: ReadonlyArray<KdlNode>
  readonly at: Location
}

/** The stages written, each with its resource nodes, and the errors of their declarations. */
const declaredStages = (
  context: DecodeContext,
  nodes: ReadonlyArray<KdlNode>,
  templates: ReadonlyMap<string, KdlNode>,
  file: string
) => {
  const stageNodesList = nodes.filter((node) => fieldName(node.name) === "stage")
  const declared: Array<DeclaredStage> = []
  const errors: Array<ConfigError> = []
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
      errors.push(configError(stage.at, "`stage` needs a name", `write stage "dev" { ... }`))
      continue
    }
    const previous = seen.get(first.value)
    if (previous !== undefined) {
      errors.push(
        configError(
          stage.at,
          `stage ${JSON.stringify(first.value)} is declared twice`,
          `the first one is at line ${previous.at.line}`
        )
      )
      continue
    }
    seen.set(first.value, stage)
    // A node that includes nothing is an error; the stage's other nodes are still decoded for theirs.
    const included = stage.children
      .filter((node) => isResourceNode(node.name))
      .map((node) => stageNode(context, node, templates))
    errors.push(...included.filter(Either.isLeft).map((result) => result.left))
    const once = withoutRepeats(
      context,
      first.value,
      included.filter(Either.isRight).map((result) => result.right)
    )
    errors.push(...once.errors)
    declared.push({ name: first.value, nodes: once.kept, at: stage.at })
  }
  return { declared, errors }
}

/**
 * Every stage with its resources; syntax and type errors fail here, for every stage, all of them at once. An error
 * that depends on the environment only stops its own stage.
 */
export const decodeStages = (
  context: DecodeContext,
  nodes: ReadonlyArray<KdlNode>,
  file: string
): Either.Either<ReadonlyArray<StageDefinition>, ConfigError> => {
  const { templates, errors } = templatesOf(context, nodes)
  const stages = declaredStages(context, nodes, templates, file)
  errors.push(...stages.errors)
  const result: Array<StageDefinition> = []
  for (const stage of stages.declared) {
    const decoded = decodeStage(context, stage.nodes)
    const stops = Either.isLeft(decoded) ? decoded.left.filter((error) => !isEnvironmental(error)) : []
    errors.push(...stops)
    const resources = Either.mapLeft(decoded, (found) => combineErrors(found))
    result.push({ name: stage.name, resources, at: stage.at })
  }
  return errors.length > 0 ? Either.left(combineErrors(errors)) : Either.right(result)
}
