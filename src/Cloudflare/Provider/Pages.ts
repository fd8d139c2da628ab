/**
 * Pages projects (`pages`): created, deployed and deleted by wrangler, which runs the asset
 * upload protocol. A create that finds the project already there adopts it; every apply
 * deploys the folder, so a changed folder (its hash is an input) is a new deployment.
 */
import * as Effect from "effect/Effect"
import * as NodePath from "node:path"
import type { ApplyRequest, ProviderError } from "../../Provider.js"
import type { Inputs, Observed, ResourceKey, StoredResource } from "../../Resource.js"
import type { PagesProject } from "../Api.js"
import { PagesInputs } from "../Model.js"
import * as Wrangler from "../Wrangler.js"
import { decodeInputs, nameOf } from "./Common.js"
import type { Deps } from "./Workers.js"

const decodePages = decodeInputs(PagesInputs, "a Pages project")

/** The project as FleetFlow records it; with `inputs`, its production branch is reported for drift. */
export const observe = (
  project: PagesProject,
  attributes: StoredResource["attributes"] = {},
  inputs?: Inputs
): Observed => {
  const subdomain = project.subdomain ?? `${project.name}.pages.dev`
  return {
    id: project.name,
    attributes: { ...attributes, name: project.name, subdomain, url: `https://${subdomain}` },
    ...(inputs === undefined || project.productionBranch === undefined
      ? {}
      : { inputs: { productionBranch: project.productionBranch } })
  }
}

export const deploy = (deps: Deps, request: ApplyRequest): Effect.Effect<Observed, ProviderError> =>
  Effect.gen(function* () {
    const inputs = yield* decodePages(request.operation, request.key, request.inputs)
    const fail = (error: Wrangler.WranglerError) => Wrangler.toProviderError(error, request.key)
    if (request.operation === "create") {
      yield* deps.wrangler.createPagesProject({ name: inputs.name, productionBranch: inputs.productionBranch }).pipe(
        Effect.catchIf(
          (error) => error.reason === "exists",
          () => Effect.void
        ),
        Effect.mapError(fail)
      )
    }
    const deployment = yield* deps.wrangler
      .deployPages({
        directory: NodePath.resolve(request.directory ?? ".", inputs.directory),
        project: inputs.name,
        branch: inputs.branch ?? inputs.productionBranch
      })
      .pipe(Effect.mapError(fail))
    return observe(
      { name: inputs.name, subdomain: `${inputs.name}.pages.dev` },
      {
        deploymentId: deployment.deploymentId,
        deploymentUrl: deployment.url,
        environment: deployment.environment
      }
    )
  })

/** Deletes the project and its deployments; a project that is already gone counts as deleted. */
export const destroy = (deps: Deps, key: ResourceKey, resource: StoredResource): Effect.Effect<void, ProviderError> =>
  deps.wrangler.deletePagesProject(nameOf(resource)).pipe(
    Effect.catchIf(
      (error) => error.reason === "not-found",
      () => Effect.void
    ),
    Effect.mapError((error) => Wrangler.toProviderError(error, key))
  )
