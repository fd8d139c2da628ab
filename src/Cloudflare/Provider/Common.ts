/**
 * What the Cloudflare provider's operations share: the clients they call, the inputs the
 * engine hands them decoded with Schema, and the mapping of API failures to provider errors.
 */
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { ProviderError } from "../../Provider.js"
import type { Inputs, ResourceKey, StoredResource } from "../../Resource.js"
import { type CloudflareApiService, type CloudflareError, toProviderError } from "../Api.js"

export const providerName = "cloudflare"

export interface Clients {
  /** For `getState`: retried here, since nothing above retries a read. */
  readonly read: CloudflareApiService
  /** For `apply` and `destroy`: not retried here, the engine retries the whole action. */
  readonly write: CloudflareApiService
}

export const orFail =
  (key?: ResourceKey) =>
  <A, R>(effect: Effect.Effect<A, CloudflareError, R>): Effect.Effect<A, ProviderError, R> =>
    Effect.mapError(effect, (error) => toProviderError(error, key))

/** Runs `effect`; a resource that is already gone counts as done. */
export const ignoreNotFound = <R>(effect: Effect.Effect<void, CloudflareError, R>) =>
  Effect.catchIf(
    effect,
    (error) => error.reason === "not-found",
    () => Effect.void
  )

export const invalid = (operation: string, key: ResourceKey | undefined, message: string) =>
  new ProviderError({
    provider: providerName,
    operation,
    ...(key === undefined ? {} : { key }),
    reason: "invalid",
    message
  })

/** The inputs of a resource decoded with `schema`; a mismatch is an `invalid` error naming the fields. */
export const decodeInputs =
  <A, I>(schema: Schema.Schema<A, I>, what: string) =>
  (operation: string, key: ResourceKey, inputs: Inputs): Effect.Effect<A, ProviderError> =>
    Schema.decodeUnknown(schema)(inputs, { errors: "all", onExcessProperty: "ignore" }).pipe(
      Effect.mapError((error) =>
        invalid(
          operation,
          key,
          `the inputs of ${what} are not usable: ${ParseResult.ArrayFormatter.formatErrorSync(error)
            .map((issue) => `${issue.path.join(".")} ${issue.message}`.trim())
            .join("; ")}`
        )
      )
    )

/** The name a stored bucket, worker or Pages project has in the account. */
export const nameOf = (resource: StoredResource): string =>
  typeof resource.inputs.name === "string" ? resource.inputs.name : resource.id
