/**
 * The provider's writes, dispatched by resource type: buckets, their custom domains and DNS
 * records over the REST client; Workers and Pages projects through wrangler, when the provider
 * was built with it.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type { ApplyRequest, ProviderError } from "../../Provider.js"
import type { Observed, ResourceKey, StoredResource } from "../../Resource.js"
import type * as Wrangler from "../Wrangler.js"
import * as Buckets from "./Buckets.js"
import { type Clients, invalid, providerName } from "./Common.js"
import * as Pages from "./Pages.js"
import * as Records from "./Records.js"
import * as Workers from "./Workers.js"

/** What Workers and Pages deploys need beside the REST client. */
export interface Deployer {
  readonly wrangler: Wrangler.WranglerService
  readonly fs: FileSystem.FileSystem
}

const deps = (
  clients: Clients,
  deployer: Deployer | undefined,
  operation: string,
  key: ResourceKey
): Effect.Effect<Workers.Deps, ProviderError> =>
  deployer === undefined
    ? Effect.fail(
        invalid(operation, key, "Workers and Pages are deployed with wrangler, and this provider was built without it")
      )
    : Effect.succeed({ api: clients.write, ...deployer })

export const apply = (
  clients: Clients,
  deployer: Deployer | undefined,
  request: ApplyRequest
): Effect.Effect<Observed, ProviderError> => {
  const create = request.operation === "create"
  switch (request.type) {
    case "r2":
      return create ? Buckets.create(clients, request) : Buckets.update(clients, request)
    case "r2-domain":
      return create ? Buckets.createDomain(clients, request) : Buckets.updateDomain(clients, request)
    case "dns":
      return create ? Records.create(clients, request) : Records.update(clients, request)
    case "worker":
      return Effect.flatMap(deps(clients, deployer, request.operation, request.key), (deps) =>
        Workers.deploy(deps, request)
      )
    case "pages":
      return Effect.flatMap(deps(clients, deployer, request.operation, request.key), (deps) =>
        Pages.deploy(deps, request)
      )
    default:
      return Effect.fail(invalid(request.operation, request.key, `${providerName} does not serve ${request.type}`))
  }
}

export const destroy = (
  clients: Clients,
  deployer: Deployer | undefined,
  key: ResourceKey,
  resource: StoredResource
): Effect.Effect<void, ProviderError> => {
  switch (resource.type) {
    case "r2":
      return Buckets.destroy(clients, key, resource)
    case "r2-domain":
      return Buckets.destroyDomain(clients, key, resource)
    case "dns":
      return Records.destroy(clients, key, resource)
    case "worker":
      return Effect.flatMap(deps(clients, deployer, "delete", key), (deps) => Workers.destroy(deps, key, resource))
    case "pages":
      return Effect.flatMap(deps(clients, deployer, "delete", key), (deps) => Pages.destroy(deps, key, resource))
    default:
      return Effect.fail(invalid("delete", key, `${providerName} does not serve ${resource.type}`))
  }
}
