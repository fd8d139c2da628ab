/**
 * `checkImport`: a server or disk whose ownership tags name another project, stage or resource
 * is one FleetFlow made for that one. Imported under another key, the plans of the two keys
 * would each undo the other, up to replacing it (a delete). Resources without FleetFlow's tags
 * (made by hand, what `import` is for) may be imported; so may SSH keys and notes, which are
 * shared and adopted as they are.
 */
import * as Effect from "effect/Effect"
import { ProviderError, type Scope } from "../../Provider.js"
import type { Observed, ResourceKey, StoredResource } from "../../Resource.js"
import type { UsacloudService } from "../Usacloud.js"
import { orFail, ownedElsewhere, providerName } from "./Common.js"
import { ownerFromTags } from "./Ownership.js"

const refuse = (key: ResourceKey, message: string, hint: string) =>
  new ProviderError({ provider: providerName, operation: "import", key, reason: "conflict", message, hint })

export const checkImport = (
  read: UsacloudService,
  scope: Scope,
  key: ResourceKey,
  resource: StoredResource,
  observed: Observed
): Effect.Effect<void, ProviderError> =>
  Effect.gen(function* () {
    const zone = observed.attributes.zone
    if ((resource.type !== "server" && resource.type !== "disk") || typeof zone !== "string") return
    const { tags } = yield* orFail(key)<{ readonly tags: ReadonlyArray<string> }, never>(
      resource.type === "server" ? read.servers.read(zone, observed.id) : read.disks.read(zone, observed.id)
    )
    const owner = ownerFromTags(tags, [scope.project, scope.stage, resource.name])
    if (owner === undefined) return
    const what = `${resource.type} ${observed.id}`
    const elsewhere = ownedElsewhere(what, owner, scope)
    if (elsewhere !== undefined) {
      return yield* refuse(
        key,
        `${elsewhere}: FleetFlow does not import it`,
        "Import a resource made outside FleetFlow, or the one made for this key; `fleetflow state recover` finds those by their tags."
      )
    }
    const name = owner.name ?? resource.name
    if (name === resource.name) return
    const theirs = `${providerName}:${resource.type}:${name}`
    return yield* refuse(
      key,
      `${what} was made by FleetFlow for ${theirs} (its ownership tags), not for ${key}: imported here, the plans of both would fight over it`,
      `\`fleetflow import ${theirs} ${observed.id}\` imports it under its own key; \`fleetflow state recover\` finds every declared resource by its tags.`
    )
  })
