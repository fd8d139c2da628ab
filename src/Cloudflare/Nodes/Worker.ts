/**
 * The `worker` node: a Cloudflare Worker with its source, routes, compatibility settings and bindings.
 */
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import {
  all,
  allStrings,
  block,
  type Block,
  checkedHash,
  checkProps,
  checkProvider,
  type Collector,
  type ConfigError,
  configError,
  type DecodeContext,
  decoding,
  didYouMean,
  type Env,
  existingPath,
  type ExpandContext,
  fieldBoolean,
  fieldName,
  fieldValue,
  ifWritten,
  type KdlNode,
  listOf,
  type Located,
  type Location,
  one,
  optional,
  portablePath,
  prop,
  refuse,
  requiredLocated,
  resolvePath,
  resourceName,
  scalarText,
  type StageView,
  stringValue
} from "../../Declaration.js"
import { makeKey } from "../../Resource.js"
import type { Declared } from "../Model.js"

export type BindingSpec =
  | { readonly type: "r2"; readonly name: string; readonly bucket: string }
  | { readonly type: "kv"; readonly name: string; readonly namespace: string }
  | { readonly type: "var"; readonly name: string; readonly value: string }

export interface RouteSpec {
  readonly pattern: string
  readonly zone?: string | undefined
  readonly at: Location
}

export interface WorkerSpec {
  readonly type: "worker"
  readonly name: string
  readonly at: Location
  readonly source: Located<string>
  readonly routes: ReadonlyArray<RouteSpec>
  readonly compatibilityDate?: string | undefined
  readonly compatibilityFlags: ReadonlyArray<string>
  readonly bindings: ReadonlyArray<BindingSpec>
  /** `workers-dev`: whether the Worker is also published on its workers.dev address; unset, wrangler's default. */
  readonly workersDev?: boolean | undefined
}

/** Other spellings of the worker's fields: alias → canonical. */
export const workerAliases: Readonly<Record<string, string>> = { "compatibility-flag": "compatibility-flags" }

const decodeRoute = (env: Env, node: KdlNode) =>
  decoding((take) => {
    take(checkProps(node, ["zone", "pattern"]))
    const pattern = prop(node, "pattern")?.value ?? node.args[0]
    if (pattern === undefined) {
      return refuse(take, configError(node.at, "`route` needs a pattern", 'write route "api.example.com/*"'))
    }
    const zone = prop(node, "zone")
    const route: RouteSpec = {
      pattern: take(stringValue(env, pattern, "`route`")),
      at: pattern.at,
      ...optional("zone", zone === undefined ? undefined : take(stringValue(env, zone.value, "`zone`")))
    }
    return route
  })

/** `route` fields, then `routes` groups: their arguments, then their `route` children. */
const decodeRoutes = (env: Env, fields: Block) =>
  decoding((take) => {
    const routes: Array<RouteSpec> = []
    for (const field of all(fields, "route"))
      if (field.node !== undefined) routes.push(take(decodeRoute(env, field.node)))
    for (const field of all(fields, "routes")) {
      const group = field.node
      if (group === undefined) continue
      for (const value of group.args) {
        routes.push({ pattern: take(stringValue(env, value, "`routes`")), at: value.at })
      }
      const inner = take(block(group, ["route"]))
      for (const route of all(inner, "route"))
        if (route.node !== undefined) routes.push(take(decodeRoute(env, route.node)))
    }
    return routes
  })

const bindingTypes = ["r2", "kv", "var"] as const

const decodeBinding = (env: Env, node: KdlNode) =>
  decoding((take) => {
    const type = fieldName(node.name)
    if (!(bindingTypes as ReadonlyArray<string>).includes(type)) {
      return refuse(
        take,
        configError(
          node.at,
          `unknown binding type \`${node.name}\``,
          didYouMean(type, bindingTypes) ?? `valid binding types: ${listOf(bindingTypes)}`
        )
      )
    }
    const first = node.args[0]
    if (first === undefined) return refuse(take, configError(node.at, `\`${node.name}\` binding needs a name`))
    const name = take(stringValue(env, first, "the binding name"))
    if (type === "r2") {
      take(checkProps(node, ["bucket"]))
      const bucket = prop(node, "bucket")
      if (bucket === undefined) {
        return refuse(
          take,
          configError(node.at, "`r2` binding is missing `bucket`", `write r2 "${name}" bucket="my-bucket"`)
        )
      }
      return { type: "r2", name, bucket: take(stringValue(env, bucket.value, "`bucket`")) } as const
    }
    if (type === "kv") {
      take(checkProps(node, ["namespace"]))
      const namespace = prop(node, "namespace")
      if (namespace === undefined) {
        return refuse(
          take,
          configError(node.at, "`kv` binding is missing `namespace`", `write kv "${name}" namespace="my-namespace"`)
        )
      }
      return { type: "kv", name, namespace: take(stringValue(env, namespace.value, "`namespace`")) } as const
    }
    take(checkProps(node, ["value"]))
    const value = prop(node, "value")?.value ?? node.args[1]
    if (value === undefined) {
      return refuse(take, configError(node.at, "`var` binding is missing its value", `write var "${name}" "value"`))
    }
    return { type: "var", name, value: take(scalarText(env, value, "the value")) } as const
  })

const decodeCompatibilityDate = (env: Env, fields: Block) =>
  decoding((take) => {
    const dateField = one(fields, "compatibility-date")
    if (dateField === undefined) return undefined
    const value = take(fieldValue(env, dateField))
    const date = take(stringValue(env, value, "`compatibility-date`"))
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      return refuse(
        take,
        configError(value.at, `\`compatibility-date\` must be a date like "2026-11-01", got ${JSON.stringify(date)}`)
      )
    }
    return date
  })

export const decodeWorker = (context: DecodeContext, node: KdlNode): Either.Either<WorkerSpec, ConfigError> =>
  decoding((take) => {
    const env = context.env
    const name = take(resourceName(env, node))
    const fields = take(
      block(
        node,
        [
          "provider",
          "source",
          "route",
          "routes",
          "compatibility-date",
          "compatibility-flags",
          "bindings",
          "workers-dev"
        ],
        { aliases: workerAliases }
      )
    )
    take(checkProvider(env, fields, "cloudflare"))
    const source = take(requiredLocated(env, fields, "source", 'write source "./workers/' + name + '"'))
    const routes = take(decodeRoutes(env, fields))
    const compatibilityDate = take(decodeCompatibilityDate(env, fields))
    const flags = take(allStrings(env, fields, "compatibility-flags"))
    const workersDev = take(ifWritten(one(fields, "workers-dev"), (field) => fieldBoolean(env, field)))
    const bindings: Array<BindingSpec> = []
    for (const field of all(fields, "bindings")) {
      for (const child of field.node?.children ?? []) bindings.push(take(decodeBinding(env, child)))
    }
    const spec: WorkerSpec = {
      type: "worker",
      name,
      at: node.at,
      source,
      routes,
      compatibilityFlags: flags,
      bindings,
      ...optional("compatibilityDate", compatibilityDate),
      ...optional("workersDev", workersDev)
    }
    return spec
  })

/** A route's host in lower case, its path as written: how Cloudflare tells two routes apart. */
const routeKey = (pattern: string) => {
  const slash = pattern.indexOf("/")
  const host = slash < 0 ? pattern : pattern.slice(0, slash)
  return host.toLowerCase() + (slash < 0 ? "" : pattern.slice(slash))
}

/** Two workers of a stage may not take the same route: Cloudflare refuses the second one (error 10020) at apply. */
export const checkRoutes = (workers: ReadonlyArray<WorkerSpec>): Effect.Effect<void, ConfigError> =>
  Effect.gen(function* () {
    const taken = new Map<string, { readonly worker: string; readonly at: Location }>()
    for (const worker of workers) {
      for (const route of worker.routes) {
        const key = routeKey(route.pattern.trim())
        const owner = taken.get(key)
        if (owner !== undefined && owner.worker !== worker.name) {
          return yield* configError(
            route.at,
            `route \`${route.pattern}\` is also a route of worker \`${owner.worker}\` (line ${owner.at.line})`,
            "a route sends its requests to one worker: remove it from one of them"
          )
        }
        taken.set(key, { worker: worker.name, at: route.at })
      }
    }
  })

export const expandWorker = (
  context: ExpandContext,
  worker: WorkerSpec,
  collector: Collector<Declared>,
  stage: StageView
) =>
  Effect.gen(function* () {
    const buckets = new Set(stage("r2").map((bucket) => bucket.name))
    const source = yield* resolvePath(context.directory, worker.source.value)
    yield* existingPath(source, worker.source.at, "worker source", "file or folder")
    const sourceHash = yield* checkedHash(source, worker.source.at, "worker source")
    const dependsOn = worker.bindings.flatMap((binding) =>
      binding.type === "r2" && buckets.has(binding.bucket) ? [makeKey("r2", binding.bucket)] : []
    )
    yield* collector.add(
      "worker",
      worker.name,
      {
        name: worker.name,
        source: portablePath(context.directory, source),
        sourceHash,
        routes: worker.routes.map((route) => ({ pattern: route.pattern, ...optional("zone", route.zone) })),
        ...optional("compatibilityDate", worker.compatibilityDate),
        compatibilityFlags: [...worker.compatibilityFlags],
        bindings: worker.bindings.map((binding) => ({ ...binding })),
        // Unset, wrangler publishes on workers.dev only a Worker without routes (getSubdomainValues in
        // workers-sdk's triggers/deploy.ts): the plan says so rather than leave it to a side effect.
        workersDev: worker.workersDev ?? worker.routes.length === 0
      },
      dependsOn,
      worker.at
    )
  })
