/**
 * The machinery both simulated clouds share: the call path (record, fault, latency,
 * change under the store lock), ID generation, ownership tags, and reading inputs the
 * way a cloud API would check them. Each cloud supplies only its own rules.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import {
  type ApplyRequest,
  type CloudProviderService,
  type ErrorReason,
  ProviderError,
  type Scope
} from "../Provider.js"
import type { Inputs, Json, Observed, ProviderName, ResourceKey, ResourceType, StoredResource } from "../Resource.js"
import { type FaultRule, format, limitOf, matches, type Operation } from "./Faults.js"
import type { CloudDocument, CloudResource, CloudStore, SandboxStoreError, Section } from "./Store.js"

/** Input fields whose change a cloud cannot apply in place, by resource type. */
export const replaceFieldsByType: Record<ResourceType, ReadonlyArray<string>> = {
  server: ["zone", "disk"],
  disk: ["zone", "size", "plan", "os", "archive", "connection"],
  "ssh-key": ["publicKey"],
  "startup-script": [],
  r2: ["name", "location", "jurisdiction", "storageClass"],
  "r2-domain": ["bucket", "domain", "zone"],
  worker: ["name"],
  pages: ["name"],
  dns: ["zone", "name", "type"]
}

export interface Call {
  readonly operation: Operation
  readonly key: ResourceKey
}

/** What a simulated cloud runs on. */
export interface Runtime {
  readonly store: CloudStore
  readonly latency: Duration.Duration
  readonly bootTime: Duration.Duration
  /** The fault rules in force now. */
  readonly faults: Effect.Effect<ReadonlyArray<FaultRule>>
  readonly record: (call: Call) => Effect.Effect<void>
}

export const ownerTags = (scope: Scope, name: string): ReadonlyArray<string> => [
  `fleetflow-project=${scope.project}`,
  `fleetflow-stage=${scope.stage}`,
  `fleetflow-name=${name}`
]

/** The project, stage and name a resource was created for, from its ownership tags. */
export const ownerOf = (resource: CloudResource): { project?: string; stage?: string; name?: string } => {
  const owner: Record<string, string> = {}
  for (const tag of resource.tags) {
    const match = /^fleetflow-(project|stage|name)=(.*)$/.exec(tag)
    if (match !== null) owner[match[1]!] = match[2]!
  }
  return owner
}

export const describeOwner = (resource: CloudResource): string => {
  const owner = ownerOf(resource)
  return owner.project === undefined ? "" : ` (project ${owner.project}, stage ${owner.stage})`
}

const idFor = (cloud: ProviderName, counter: number): string =>
  cloud === "sakura-cloud" ? String(counter) : createHash("md5").update(`cloudflare:${counter}`).digest("hex")

/** The next unused ID and the counter after it; resources given to a fake may already hold any ID. */
const freshId = (cloud: ProviderName, section: Section): readonly [string, number] => {
  const used = new Set(section.resources.map((resource) => resource.id))
  let counter = section.nextId
  while (used.has(idFor(cloud, counter))) counter++
  return [idFor(cloud, counter), counter + 1]
}

const pause = (duration: Duration.Duration) =>
  Duration.greaterThan(duration, Duration.zero) ? Effect.sleep(duration) : Effect.void

/** Builds ProviderErrors for one call. */
export type Refuse = (
  reason: ErrorReason,
  message: string,
  details?: { readonly code?: number | string; readonly hint?: string }
) => ProviderError

export const refuser =
  (provider: string, operation: string, key: ResourceKey | undefined): Refuse =>
  (reason, message, details) =>
    new ProviderError({
      provider,
      operation,
      key,
      reason,
      message,
      ...(details?.code === undefined ? {} : { code: details.code }),
      ...(details?.hint === undefined ? {} : { hint: details.hint })
    })

/** Checked reads of inputs: a field of the wrong type is refused as invalid. */
export const fields = (inputs: Inputs, refuse: Refuse) => {
  const wrong = (field: string, expected: string) =>
    refuse("invalid", `${field} must be ${expected}, got ${JSON.stringify(inputs[field])}`)
  return {
    string: (field: string): Effect.Effect<string | undefined, ProviderError> => {
      const value = inputs[field]
      if (value === undefined || value === null) return Effect.succeed(undefined)
      return typeof value === "string" ? Effect.succeed(value) : Effect.fail(wrong(field, "a string"))
    },
    number: (field: string): Effect.Effect<number | undefined, ProviderError> => {
      const value = inputs[field]
      if (value === undefined || value === null) return Effect.succeed(undefined)
      return typeof value === "number" && Number.isFinite(value) && value > 0
        ? Effect.succeed(value)
        : Effect.fail(wrong(field, "a positive number"))
    },
    strings: (field: string): Effect.Effect<ReadonlyArray<string>, ProviderError> => {
      const value: Json | undefined = inputs[field]
      if (value === undefined || value === null) return Effect.succeed([])
      if (typeof value === "string") return Effect.succeed([value])
      return Array.isArray(value) && value.every((item) => typeof item === "string")
        ? Effect.succeed(value as ReadonlyArray<string>)
        : Effect.fail(wrong(field, "a list of strings"))
    }
  }
}

/** How a create or update leaves the resource, before the cloud stamps it with an ID and times. */
export interface Draft {
  readonly name: string
  readonly inputs: Inputs
  readonly attributes: Inputs
  /** User tags; the ownership tags are added. */
  readonly tags?: ReadonlyArray<string>
  /** The change gives the resource a new ID (a Sakura plan change). */
  readonly renew?: boolean
}

export interface ApplyContext {
  readonly request: ApplyRequest
  readonly section: Section
  /** The resource an update changes. */
  readonly existing: CloudResource | undefined
  readonly refuse: Refuse
}

export interface DestroyContext {
  readonly resource: CloudResource
  readonly section: Section
  readonly refuse: Refuse
}

/** What one cloud checks and stores; the call path around it is shared. */
export interface Rules {
  readonly cloud: ProviderName
  readonly name: string
  readonly handles: ReadonlyArray<ResourceType>
  readonly apply: (context: ApplyContext) => Effect.Effect<Draft, ProviderError>
  /** Refuses a delete the cloud would refuse; the resource is then removed. */
  readonly destroy: (context: DestroyContext) => Effect.Effect<void, ProviderError>
  /** Extra time the call takes once the change is made (a server boots). */
  readonly settle?: (request: ApplyRequest, runtime: Runtime) => Duration.Duration
}

/** A store that cannot be used fails the call for good, naming the file. */
export const storeFailure = (refuse: Refuse) => (error: SandboxStoreError) =>
  error.reason === "corrupt"
    ? refuse("failed", error.message)
    : refuse("failed", error.message, { hint: `check that ${error.path} and its folder can be read and written` })

/** Counts a call against the first matching rule that has calls left; the count is kept in the store. */
export const takeFault = (
  runtime: Pick<Runtime, "faults" | "store">,
  operation: Operation,
  keys: ReadonlyArray<ResourceKey>
): Effect.Effect<FaultRule | undefined, SandboxStoreError> =>
  Effect.gen(function* () {
    const rules = yield* runtime.faults
    const candidates = rules.filter((rule) => keys.some((key) => matches(rule, operation, key)))
    if (candidates.length === 0) return undefined
    return yield* runtime.store.modify((document) =>
      Effect.sync((): readonly [FaultRule | undefined, CloudDocument] => {
        const rule = candidates.find((rule) => (document.faults[format(rule)] ?? 0) < limitOf(rule))
        if (rule === undefined) return [undefined, document]
        if (limitOf(rule) === Number.POSITIVE_INFINITY) return [rule, document]
        const id = format(rule)
        return [rule, { ...document, faults: { ...document.faults, [id]: (document.faults[id] ?? 0) + 1 } }]
      })
    )
  })

/** What a call hit by `fault` does: never answers, or fails as transient or permanent. */
export const raiseFault = (fault: FaultRule, refuse: Refuse): Effect.Effect<never, ProviderError> => {
  if (fault.kind === "hang") return Effect.never
  return Effect.fail(
    fault.kind === "transient"
      ? refuse("transient", `injected transient fault (${format(fault)})`, { code: 503 })
      : refuse("failed", `injected permanent fault (${format(fault)})`)
  )
}

/**
 * `service` with the sandbox's fault rules in front: a matching call is counted in the sandbox
 * store and fails (transient or permanent) or hangs before it reaches the provider.
 */
export const withFaults = (
  service: CloudProviderService,
  runtime: Pick<Runtime, "faults" | "store" | "record">
): CloudProviderService => {
  const before = (operation: Call["operation"], keys: ReadonlyArray<ResourceKey>) => {
    const refuse = refuser(service.name, operation, keys.length === 1 ? keys[0] : undefined)
    return Effect.gen(function* () {
      yield* Effect.forEach(keys, (key) => runtime.record({ operation, key }), { discard: true })
      const fault = yield* takeFault(runtime, operation, keys).pipe(Effect.mapError(storeFailure(refuse)))
      if (fault !== undefined) return yield* raiseFault(fault, refuse)
    })
  }
  return {
    ...service,
    getState: (scope, resources, declared) =>
      resources.size === 0
        ? service.getState(scope, resources, declared)
        : Effect.zipRight(before("read", [...resources.keys()]), service.getState(scope, resources, declared)),
    find: (scope, wanted) =>
      wanted.length === 0
        ? service.find(scope, wanted)
        : Effect.zipRight(
            before(
              "read",
              wanted.map((item) => item.key)
            ),
            service.find(scope, wanted)
          ),
    apply: (request) => Effect.zipRight(before(request.operation, [request.key]), service.apply(request)),
    destroy: (scope: Scope, key, resource) =>
      Effect.zipRight(before("delete", [key]), service.destroy(scope, key, resource))
  }
}

const now = Clock.currentTimeMillis.pipe(Effect.map((millis) => new Date(millis).toISOString()))

/** References such as `disk.<name>.id` resolve from attributes, so the ID is one of them. */
export const observe = (resource: CloudResource): Observed => ({
  id: resource.id,
  attributes: { ...resource.attributes, id: resource.id },
  inputs: resource.inputs
})

export const make = (rules: Rules, runtime: Runtime): CloudProviderService => {
  const { cloud } = rules

  const call = <A>(
    operation: Operation,
    keys: ReadonlyArray<ResourceKey>,
    body: (refuse: Refuse) => Effect.Effect<A, ProviderError>
  ): Effect.Effect<A, ProviderError> => {
    const refuse = refuser(rules.name, operation, keys.length === 1 ? keys[0] : undefined)
    return Effect.gen(function* () {
      yield* Effect.forEach(keys, (key) => runtime.record({ operation, key }), { discard: true })
      const fault = yield* takeFault(runtime, operation, keys).pipe(Effect.mapError(storeFailure(refuse)))
      // The store lock is released by now: a hanging call must not block the others.
      yield* pause(runtime.latency)
      if (fault !== undefined) return yield* raiseFault(fault, refuse)
      return yield* body(refuse)
    })
  }

  const getState = (_scope: Scope, resources: ReadonlyMap<ResourceKey, StoredResource>) =>
    resources.size === 0 ? Effect.succeed(new Map<ResourceKey, Observed>()) : readAll(resources)

  const readAll = (resources: ReadonlyMap<ResourceKey, StoredResource>) =>
    call("read", [...resources.keys()], (refuse) =>
      Effect.gen(function* () {
        const document = yield* runtime.store.load.pipe(Effect.mapError(storeFailure(refuse)))
        const byId = new Map(document[cloud].resources.map((resource) => [resource.id, resource]))
        const observed = new Map<ResourceKey, Observed>()
        for (const [key, stored] of resources) {
          const resource = byId.get(stored.id)
          if (resource !== undefined && resource.type === stored.type) observed.set(key, observe(resource))
        }
        return observed as ReadonlyMap<ResourceKey, Observed>
      })
    )

  /** By the owner tags every resource is stored with: the scope's project and stage, and the resource's name. */
  const find: CloudProviderService["find"] = (scope, wanted) =>
    wanted.length === 0
      ? Effect.succeed(new Map<ResourceKey, Observed>())
      : call(
          "read",
          wanted.map((item) => item.key),
          (refuse) =>
            Effect.gen(function* () {
              const document = yield* runtime.store.load.pipe(Effect.mapError(storeFailure(refuse)))
              const owned = new Map<string, CloudResource>()
              for (const resource of document[cloud].resources) {
                const owner = ownerOf(resource)
                if (owner.project !== scope.project || owner.stage !== scope.stage) continue
                // The newest wins should an interrupted run have left two.
                owned.set(`${resource.type}/${owner.name}`, resource)
              }
              const observed = new Map<ResourceKey, Observed>()
              for (const item of wanted) {
                const resource = owned.get(`${item.type}/${item.name}`)
                if (resource !== undefined) observed.set(item.key, observe(resource))
              }
              return observed as ReadonlyMap<ResourceKey, Observed>
            })
        )

  const apply = (request: ApplyRequest) =>
    call(request.operation, [request.key], (refuse) =>
      Effect.gen(function* () {
        const stamp = yield* now
        const resource = yield* runtime.store
          .modify((document) =>
            Effect.gen(function* () {
              const section = document[cloud]
              const existing =
                request.operation === "update" ? yield* findExisting(request, section, refuse) : undefined
              const draft = yield* rules.apply({ request, section, existing, refuse })
              const [id, nextId] =
                existing === undefined || draft.renew === true ? freshId(cloud, section) : [existing.id, section.nextId]
              const resource: CloudResource = {
                id,
                type: request.type,
                name: draft.name,
                inputs: draft.inputs,
                attributes: draft.attributes,
                tags: [...(draft.tags ?? []), ...ownerTags(request, request.name)],
                createdAt: existing?.createdAt ?? stamp,
                updatedAt: stamp
              }
              const resources =
                existing === undefined
                  ? [...section.resources, resource]
                  : section.resources.map((item) => (item.id === existing.id ? resource : item))
              const next: Section = { nextId, resources }
              return [resource, { ...document, [cloud]: next }] as const
            })
          )
          .pipe(Effect.catchTag("SandboxStoreError", (error) => Effect.fail(storeFailure(refuse)(error))))
        yield* pause(rules.settle?.(request, runtime) ?? Duration.zero)
        return observe(resource)
      })
    )

  const destroy = (_scope: Scope, key: ResourceKey, stored: StoredResource) =>
    call("delete", [key], (refuse) =>
      runtime.store
        .modify((document) =>
          Effect.gen(function* () {
            const section = document[cloud]
            const resource = section.resources.find((item) => item.id === stored.id && item.type === stored.type)
            if (resource === undefined) return [undefined, document] as const
            yield* rules.destroy({ resource, section, refuse })
            const next: Section = { ...section, resources: section.resources.filter((item) => item !== resource) }
            return [undefined, { ...document, [cloud]: next }] as const
          })
        )
        .pipe(Effect.catchTag("SandboxStoreError", (error) => Effect.fail(storeFailure(refuse)(error))))
    )

  return {
    name: rules.name,
    handles: rules.handles,
    replaceFields: (type) => replaceFieldsByType[type],
    getState,
    find,
    check: () => Effect.void,
    apply,
    destroy
  }
}

const findExisting = (request: ApplyRequest, section: Section, refuse: Refuse) => {
  const id = request.current?.id
  if (id === undefined) return Effect.fail(refuse("invalid", "an update needs the resource's current state"))
  const existing = section.resources.find((item) => item.id === id && item.type === request.type)
  return existing === undefined
    ? Effect.fail(
        refuse("not-found", `${request.type} ${id} no longer exists`, {
          hint: "it was deleted outside FleetFlow; run `fleetflow plan` to refresh and create it again"
        })
      )
    : Effect.succeed(existing)
}
