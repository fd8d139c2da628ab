/**
 * The CloudProvider contract. Every provider is a Layer providing `CloudProvider`;
 * `combine` merges several into one that dispatches on the resource type, so the
 * engine sees a single provider and owns the ordering across clouds.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as EffectScope from "effect/Scope"
import type { Claim, DesiredResource, Inputs, Observed, ResourceKey, ResourceType, StoredResource } from "./Resource.js"

export const ErrorReason = Schema.Literal("transient", "not-found", "conflict", "auth", "invalid", "failed")
export type ErrorReason = typeof ErrorReason.Type

const problemFields = {
  provider: Schema.String,
  operation: Schema.String,
  key: Schema.optional(Schema.String),
  reason: ErrorReason,
  message: Schema.String,
  code: Schema.optional(Schema.Union(Schema.Number, Schema.String)),
  /** What the operator can do about it. */
  hint: Schema.optional(Schema.String)
}

/** What one provider reports of a failure. */
export const ProviderProblem = Schema.Struct(problemFields)
export type ProviderProblem = typeof ProviderProblem.Type

/** A failure reported by a provider. Only `transient` ones are retried. */
export class ProviderError extends Schema.TaggedError<ProviderError>()("ProviderError", {
  ...problemFields,
  /** Other providers' failures of the same step, reported with this one: each cloud's credentials check. */
  also: Schema.optional(Schema.Array(ProviderProblem))
}) {}

export const isTransient = (error: ProviderError): boolean => error.reason === "transient"

/** The error's own problem, then those reported with it. */
export const problemsOf = (error: ProviderError): ReadonlyArray<ProviderProblem> => {
  const { provider, operation, key, reason, message, code, hint } = error
  const own: ProviderProblem = {
    provider,
    operation,
    reason,
    message,
    ...(key === undefined ? {} : { key }),
    ...(code === undefined ? {} : { code }),
    ...(hint === undefined ? {} : { hint })
  }
  return [own, ...(error.also ?? [])]
}

/** Which project and stage a call works for; providers use it for ownership tags. */
export interface Scope {
  readonly project: string
  readonly stage: string
  /** The configuration's folder: relative paths in inputs (a worker's `source`) resolve against it. */
  readonly directory?: string | undefined
}

export interface ApplyRequest extends Scope {
  readonly operation: "create" | "update"
  readonly key: ResourceKey
  readonly type: ResourceType
  readonly name: string
  /** The desired inputs with every reference resolved. */
  readonly inputs: Inputs
  /** What the state holds for an update. */
  readonly current?: StoredResource | undefined
  /**
   * New resources this create makes in the same call (see `createsTogether`). The request's
   * references to them are left unresolved (`{ $ref }`): their IDs exist only once the call ends.
   */
  readonly along?: ReadonlyArray<AlongRequest> | undefined
  /** A create the plan showed as taking over what exists (`Plan.Existing`): no need to say so again. */
  readonly adopting?: boolean | undefined
}

/** A create made within another one's call: a Sakura server's new disk. */
export interface AlongRequest {
  readonly key: ResourceKey
  readonly type: ResourceType
  readonly name: string
  /** The desired inputs with every reference resolved. */
  readonly inputs: Inputs
}

/** What `apply` reports: the resource, and each resource made along with it (`ApplyRequest.along`). */
export interface Applied extends Observed {
  readonly along?: ReadonlyMap<ResourceKey, Observed> | undefined
}

/** A resource to look for in the clouds without the state: declared in the file, or being made by an interrupted run. */
export interface Wanted {
  readonly key: ResourceKey
  readonly type: ResourceType
  readonly name: string
  /** As declared: references may be unresolved (`{ $ref }`), so a lookup must not depend on them. */
  readonly inputs: Inputs
}

export interface CloudProviderService {
  readonly name: string
  readonly handles: ReadonlyArray<ResourceType>
  /** Input fields whose change cannot be applied in place. */
  readonly replaceFields: (type: ResourceType) => ReadonlyArray<string>
  /** Input fields whose change in place gives the resource a new ID (a Sakura server's plan); none for most types. */
  readonly newIdFields: (type: ResourceType) => ReadonlyArray<string>
  /** The names a resource takes that its cloud gives to one resource at a time (see `Claim`); none where names repeat. */
  readonly claims: (type: ResourceType, inputs: Inputs) => ReadonlyArray<Claim>
  /**
   * A batched read of what exists now. A key missing from the result no longer exists.
   * `declared` holds the inputs the file declares now for these keys (references unresolved):
   * a part of a resource that neither they nor the state's inputs hold is not FleetFlow's to
   * manage, and a provider may leave it unread (an R2 bucket's CORS rules, a read per bucket).
   */
  readonly getState: (
    scope: Scope,
    resources: ReadonlyMap<ResourceKey, StoredResource>,
    declared?: ReadonlyMap<ResourceKey, Inputs>
  ) => Effect.Effect<ReadonlyMap<ResourceKey, Observed>, ProviderError>
  /**
   * Fails when the provider cannot serve `desired` at all — credentials, an account, a tool it
   * runs — so that a plan stops before showing changes that could never be applied. The diff
   * itself is the engine's (`Plan.make`, with `replaceFields`).
   */
  readonly check: (desired: ReadonlyArray<DesiredResource>) => Effect.Effect<void, ProviderError>
  /** Creates or updates one resource (and those `along` with it) and reports how it looks afterwards. */
  readonly apply: (request: ApplyRequest) => Effect.Effect<Applied, ProviderError>
  /**
   * Whether one create of `dependent` can make a new resource of type `dependency` that only it
   * uses (a Sakura server and its disk: one `server create`): the engine then asks for both in one
   * call. Absent: every create is a call of its own.
   */
  readonly createsTogether?: ((dependency: ResourceType, dependent: ResourceType) => boolean) | undefined
  /**
   * Whether `destroy` leaves the resource in its cloud: one FleetFlow uses but did not make (someone's
   * SSH key). A plan counts it as forgotten, not destroyed.
   */
  readonly keeps: (resource: StoredResource) => boolean
  /**
   * Whether the provider gathers concurrent `apply` and `destroy` calls for resources of this type
   * into shared requests, and bounds those requests itself: the engine then lets such calls wait
   * for their batch without holding a parallelism slot. Absent: no type is batched.
   */
  readonly batches?: ((type: ResourceType) => boolean) | undefined
  /**
   * The resources an `up` is about to create, told once they are known to be missing from the
   * state: a provider may start the reads their creates will need (Sakura's lookups of what an
   * interrupted run left), so that these overlap the rest of the plan. The reads run in `lifetime`
   * (the apply's): closing it ends them. Nothing is awaited and nothing fails here; a create that
   * needs a read that failed or was ended asks again. Absent: nothing to start.
   */
  readonly prepare?:
    | ((scope: Scope, creating: ReadonlyArray<Wanted>, lifetime: EffectScope.Scope) => Effect.Effect<void>)
    | undefined
  /** Removes one resource; a resource that is already gone counts as removed. */
  readonly destroy: (scope: Scope, key: ResourceKey, resource: StoredResource) => Effect.Effect<void, ProviderError>
  /**
   * Refuses to import `observed` as `key` when its cloud marks it as made for another resource,
   * stage or project (Sakura's ownership tags). None where a cloud has no such marks.
   */
  readonly checkImport?:
    | ((
        scope: Scope,
        key: ResourceKey,
        resource: StoredResource,
        observed: Observed
      ) => Effect.Effect<void, ProviderError>)
    | undefined
  /**
   * What the creates `creating` would meet in the cloud, outside the state, found as `apply`'s creates
   * will find it (from the reads `prepare` started, where it started them): Sakura's resources an
   * earlier run made under the project's, stage's and resource's tags, and keys and notes `up` uses
   * as they are. Absent: `find` of the creates that `claims` a name.
   */
  readonly meets?:
    | ((
        scope: Scope,
        creating: ReadonlyArray<Wanted>
      ) => Effect.Effect<ReadonlyMap<ResourceKey, Observed>, ProviderError>)
    | undefined
  /**
   * What the clouds hold for `wanted`, found without the state: by each resource's
   * deterministic name and the scope's ownership tags (where the cloud has tags), in batched
   * reads. A key missing from the result was not found. Used to reconcile what an interrupted
   * run was doing, and to rebuild a lost state.
   */
  readonly find: (
    scope: Scope,
    wanted: ReadonlyArray<Wanted>
  ) => Effect.Effect<ReadonlyMap<ResourceKey, Observed>, ProviderError>
}

export class CloudProvider extends Context.Tag("fleetflow/CloudProvider")<CloudProvider, CloudProviderService>() {}

const unsupported = (type: ResourceType, operation: string, key?: ResourceKey) =>
  new ProviderError({
    provider: "fleetflow",
    operation,
    key,
    reason: "invalid",
    message: `no provider is configured for ${type} resources`,
    hint: "add the provider to the `providers` block, or run with --sandbox"
  })

/** What `creating` would meet in `service`'s cloud (see `meets`). */
export const meetsIn = (
  service: CloudProviderService,
  scope: Scope,
  creating: ReadonlyArray<Wanted>
): Effect.Effect<ReadonlyMap<ResourceKey, Observed>, ProviderError> => {
  if (service.meets !== undefined) return service.meets(scope, creating)
  const named = creating.filter((item) => service.claims(item.type, item.inputs).length > 0)
  return named.length === 0 ? Effect.succeed(new Map()) : service.find(scope, named)
}

/** One provider made of several, each serving the resource types it handles. */
export const combineServices = (services: ReadonlyArray<CloudProviderService>): CloudProviderService => {
  const byType = new Map<ResourceType, CloudProviderService>()
  for (const service of services) for (const type of service.handles) byType.set(type, service)
  const forType = (type: ResourceType) => byType.get(type)
  const grouped = <A extends { readonly type: ResourceType }>(items: Iterable<readonly [ResourceKey, A]>) => {
    const groups = new Map<CloudProviderService, Map<ResourceKey, A>>()
    for (const [key, item] of items) {
      const service = forType(item.type)
      if (service === undefined) continue
      const group = groups.get(service) ?? new Map<ResourceKey, A>()
      group.set(key, item)
      groups.set(service, group)
    }
    return groups
  }
  /** What each service answers for its part of `wanted`, merged. */
  const eachService = (
    wanted: ReadonlyArray<Wanted>,
    ask: (
      service: CloudProviderService,
      group: ReadonlyArray<Wanted>
    ) => Effect.Effect<ReadonlyMap<ResourceKey, Observed>, ProviderError>
  ) =>
    Effect.map(
      Effect.forEach(
        grouped(wanted.map((item) => [item.key, item] as const)),
        ([service, group]) => ask(service, [...group.values()]),
        { concurrency: "unbounded" }
      ),
      (results) => new Map(results.flatMap((result) => [...result]))
    )
  return {
    name: services.map((service) => service.name).join("+"),
    handles: [...byType.keys()],
    replaceFields: (type) => forType(type)?.replaceFields(type) ?? [],
    newIdFields: (type) => forType(type)?.newIdFields(type) ?? [],
    claims: (type, inputs) => forType(type)?.claims(type, inputs) ?? [],
    keeps: (resource) => forType(resource.type)?.keeps(resource) ?? false,
    batches: (type) => forType(type)?.batches?.(type) ?? false,
    createsTogether: (dependency, dependent) => {
      const service = forType(dependent)
      return (
        service !== undefined &&
        forType(dependency) === service &&
        service.createsTogether?.(dependency, dependent) === true
      )
    },
    getState: (scope, resources, declared) =>
      Effect.gen(function* () {
        const results = yield* Effect.forEach(
          grouped(resources),
          ([service, group]) => service.getState(scope, group, declared),
          { concurrency: "unbounded" }
        )
        const observed = new Map<ResourceKey, Observed>()
        for (const result of results) for (const [key, seen] of result) observed.set(key, seen)
        return observed
      }),
    prepare: (scope, creating, lifetime) =>
      Effect.forEach(
        grouped(creating.map((item) => [item.key, item] as const)),
        ([service, group]) => service.prepare?.(scope, [...group.values()], lifetime) ?? Effect.void,
        { discard: true }
      ),
    checkImport: (scope, key, resource, observed) =>
      forType(resource.type)?.checkImport?.(scope, key, resource, observed) ?? Effect.void,
    find: (scope, wanted) => eachService(wanted, (service, group) => service.find(scope, group)),
    meets: (scope, creating) => eachService(creating, (service, group) => meetsIn(service, scope, group)),
    check: (desired) =>
      Effect.gen(function* () {
        const missing = desired.find((resource) => forType(resource.type) === undefined)
        if (missing !== undefined) return yield* unsupported(missing.type, "plan", missing.key)
        // Every cloud's check runs to its end, so that an operator setting up both learns all that is missing at once.
        const results = yield* Effect.forEach(
          grouped(desired.map((resource) => [resource.key, resource] as const)),
          ([service, group]) => Effect.either(service.check([...group.values()])),
          { concurrency: "unbounded" }
        )
        const failed = results.flatMap((result) => (Either.isLeft(result) ? [result.left] : []))
        if (failed.length === 0) return
        if (failed.length === 1) return yield* failed[0]!
        const [own, ...also] = failed.flatMap(problemsOf)
        return yield* new ProviderError({ ...own!, also })
      }),
    apply: (request) => {
      const service = forType(request.type)
      return service === undefined
        ? Effect.fail(unsupported(request.type, request.operation, request.key))
        : service.apply(request)
    },
    destroy: (scope, key, resource) => {
      const service = forType(resource.type)
      return service === undefined
        ? Effect.fail(unsupported(resource.type, "delete", key))
        : service.destroy(scope, key, resource)
    }
  }
}

/** Builds each provider layer and provides one `CloudProvider` serving all of them. */
export const combine = <E, R>(
  ...layers: ReadonlyArray<Layer.Layer<CloudProvider, E, R>>
): Layer.Layer<CloudProvider, E, R> =>
  Layer.scoped(
    CloudProvider,
    Effect.gen(function* () {
      const services = yield* Effect.forEach(layers, (layer) =>
        Layer.build(layer).pipe(Effect.map((context) => Context.get(context, CloudProvider)))
      )
      return combineServices(services)
    })
  )
