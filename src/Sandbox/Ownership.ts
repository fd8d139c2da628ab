/**
 * The ownership tags the sandbox shows on what its clouds hold: the project, stage and name
 * a resource was created for (`fleetflow-project=`, `fleetflow-stage=`, `fleetflow-name=`).
 */
import type { Scope } from "../Provider.js"
import type { CloudResource } from "./Store.js"

/** The tags naming `name`'s owner in `scope`; empty parts are left out. */
export const ownerTags = (scope: Scope, name: string): ReadonlyArray<string> =>
  [`fleetflow-project=${scope.project}`, `fleetflow-stage=${scope.stage}`, `fleetflow-name=${name}`].filter(
    (tag) => !tag.endsWith("=")
  )

/** The project, stage and name a resource was created for, from its ownership tags. */
export const ownerOf = (resource: CloudResource): { project?: string; stage?: string; name?: string } => {
  const owner: Record<string, string> = {}
  for (const tag of resource.tags) {
    const match = /^fleetflow-(project|stage|name)=(.*)$/.exec(tag)
    if (match !== null) owner[match[1]!] = match[2]!
  }
  return owner
}
