/**
 * Fault rules in force: each call the sandbox or the fakes pass to a provider is recorded and
 * made as the `CurrentCall`; the transports under the provider weigh their first call against
 * the first matching rule that has calls left (the counts are kept in the sandbox store) and
 * act it out (see `TransportFaults.ts`).
 */
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Ref from "effect/Ref"
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

/** Counts calls made as one against the first rule that matches one of them and has calls left; the count is kept in the store. */
const takeFault = (
  rules: ReadonlyArray<FaultRule>,
  store: Runtime["store"],
  calls: ReadonlyArray<Call>
): Effect.Effect<FaultRule | undefined, SandboxStoreError> =>
  Effect.gen(function* () {
    const candidates = rules.filter((rule) => calls.some((call) => matches(rule, call.operation, call.key)))
    if (candidates.length === 0) return undefined
    return yield* store.modify((document) =>
      Effect.sync((): readonly [FaultRule | undefined, CloudDocument] => {
        const rule = candidates.find((rule) => (document.faults[format(rule)] ?? 0) < limitOf(rule))
        if (rule === undefined) return [undefined, document]
        if (limitOf(rule) === Number.POSITIVE_INFINITY) return [rule, document]
        const id = format(rule)
        return [rule, { ...document, faults: { ...document.faults, [id]: (document.faults[id] ?? 0) + 1 } }]
      })
    )
  })

/** The provider call a fiber is making, for the transports to know which rule applies. */
export interface CurrentCall {
  readonly operation: Operation
  readonly keys: ReadonlyArray<ResourceKey>
  /** Whether one of its transport calls has already been weighed against the rules. */
  readonly weighed: Ref.Ref<boolean>
}

export const CurrentCall = FiberRef.unsafeMake<CurrentCall | undefined>(undefined)

/**
 * The rule that fails the transport call being made, if any: of a create, update or delete only
 * the first call that changes the cloud is weighed, of a read the first call of any kind. `joined`
 * are the other provider calls the transport call is made for (the changes of a batch the first of
 * them sends): a rule for any of them fails it, as the cloud fails a batch for one of its changes.
 */
export const ruleForTransportCall = (
  runtime: Pick<Runtime, "faults" | "store">,
  changesCloud: boolean,
  joined: Effect.Effect<ReadonlyArray<Call>> = Effect.succeed([])
): Effect.Effect<FaultRule | undefined, SandboxStoreError> =>
  Effect.gen(function* () {
    const call = yield* FiberRef.get(CurrentCall)
    if (call === undefined || (call.operation !== "read" && !changesCloud)) return undefined
    if (yield* Ref.getAndSet(call.weighed, true)) return undefined
    const rules = yield* runtime.faults
    // The other calls are read only when a rule is in force.
    if (rules.length === 0) return undefined
    return yield* takeFault(rules, runtime.store, [
      ...call.keys.map((key) => ({ operation: call.operation, key })),
      ...(yield* joined)
    ])
  })

/**
 * `service` with each call recorded and made as the `CurrentCall`, so that the transports
 * under it act out the fault rules in force.
 */
export const withCalls = (service: CloudProviderService, runtime: Runtime): CloudProviderService => {
  const { checkImport } = service
  const during =
    (operation: Operation, keys: ReadonlyArray<ResourceKey>) =>
    <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.gen(function* () {
        yield* Effect.forEach(keys, (key) => runtime.record({ operation, key }), { discard: true })
        const weighed = yield* Ref.make(false)
        return yield* Effect.locally(effect, CurrentCall, { operation, keys, weighed })
      })
  return {
    ...service,
    getState: (scope, resources, declared) =>
      resources.size === 0
        ? service.getState(scope, resources, declared)
        : during("read", [...resources.keys()])(service.getState(scope, resources, declared)),
    find: (scope, wanted) =>
      wanted.length === 0
        ? service.find(scope, wanted)
        : during(
            "read",
            wanted.map((item) => item.key)
          )(service.find(scope, wanted)),
    apply: (request) =>
      during(request.operation, [...(request.along ?? []).map((made) => made.key), request.key])(
        service.apply(request)
      ),
    destroy: (scope: Scope, key, resource) => during("delete", [key])(service.destroy(scope, key, resource)),
    checkImport:
      checkImport === undefined
        ? undefined
        : (scope, key, resource, observed) => during("read", [key])(checkImport(scope, key, resource, observed))
  }
}
