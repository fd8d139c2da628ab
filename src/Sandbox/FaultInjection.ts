/**
 * Fault rules in force: each call the sandbox or the fakes pass to a provider is recorded,
 * counted against the first matching rule that has calls left (the counts are kept in the
 * sandbox store), and failed (transient or permanent) or hung before it reaches the provider.
 */
import * as Effect from "effect/Effect"
import { type CloudProviderService, type ErrorReason, ProviderError, type Scope } from "../Provider.js"
import type { ResourceKey } from "../Resource.js"
import { type FaultRule, format, limitOf, matches, type Operation } from "./Faults.js"
import type { CloudDocument, CloudStore, SandboxStoreError } from "./Store.js"

export interface Call {
  readonly operation: Operation
  readonly key: ResourceKey
}

/** Where the rules, their counts and the log of calls live. */
export interface Runtime {
  /** Keeps how often each rule fired. */
  readonly store: CloudStore
  /** The fault rules in force now. */
  readonly faults: Effect.Effect<ReadonlyArray<FaultRule>>
  readonly record: (call: Call) => Effect.Effect<void>
}

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
 * `service` with the fault rules in front: a matching call is counted in the store and fails
 * (transient or permanent) or hangs before it reaches the provider.
 */
export const withFaults = (service: CloudProviderService, runtime: Runtime): CloudProviderService => {
  const before = (operation: Operation, keys: ReadonlyArray<ResourceKey>) => {
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
