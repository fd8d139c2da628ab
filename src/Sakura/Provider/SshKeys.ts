/**
 * SSH keys: registered once per public key. A key Sakura Cloud already holds (the same
 * fingerprint) is adopted instead of registered again, and left alone on destroy.
 */
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import type { ApplyRequest, ProviderError } from "../../Provider.js"
import type { Observed, ResourceKey, StoredResource } from "../../Resource.js"
import type { SshKey } from "../Usacloud.js"
import { type Clients, decodeInputs, ignoreNotFound, invalid, orFail, ownerOf, SshKeyInputs } from "./Common.js"
import { descriptionWords, isOwnedBy, ownershipDescription } from "./Ownership.js"

export const replaceFields: ReadonlyArray<string> = ["publicKey"]

const decode = decodeInputs(SshKeyInputs, "SSH key")

/** `type base64` of an OpenSSH public key, whatever its comment. */
const identityOf = (publicKey: string): string | undefined => {
  const [type, blob] = publicKey.trim().split(/\s+/)
  return type === undefined || blob === undefined ? undefined : `${type} ${blob}`
}

/** Both fingerprints of a key: `SHA256:...` (OpenSSH today) and MD5 `aa:bb:...` (what Sakura Cloud prints). */
export const fingerprintsOf = (publicKey: string): ReadonlyArray<string> => {
  const blob = publicKey.trim().split(/\s+/)[1]
  if (blob === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return []
  const bytes = Buffer.from(blob, "base64")
  const sha256 = `SHA256:${createHash("sha256").update(bytes).digest("base64").replace(/=+$/, "")}`
  const md5 = createHash("md5").update(bytes).digest("hex").match(/../g)!.join(":")
  return [sha256, md5]
}

/** Whether a registered key is the same key as `publicKey`. */
export const sameKey = (registered: SshKey, publicKey: string): boolean => {
  const wanted = fingerprintsOf(publicKey)
  if (wanted.includes(registered.fingerprint)) return true
  const identity = identityOf(publicKey)
  return identity !== undefined && identityOf(registered.publicKey) === identity
}

export const observe = (key: SshKey, adopted: boolean): Observed => ({
  id: key.id,
  attributes: { name: key.name, fingerprint: key.fingerprint, ...(adopted ? { adopted: true } : {}) },
  inputs: { publicKey: key.publicKey }
})

export const create = (clients: Clients, request: ApplyRequest) =>
  Effect.gen(function* () {
    const inputs = yield* decode("create", request.key, request.inputs)
    const owner = ownerOf(request, request.name)
    const registered = yield* orFail(request.key)(clients.write.sshKeys.list())
    const same = registered.filter((key) => sameKey(key, inputs.publicKey))
    // Ours from an earlier, interrupted run first; else someone's key, used as it is.
    const existing = same.find((key) => isOwnedBy(descriptionWords(key.description), owner)) ?? same[0]
    if (existing !== undefined) {
      return observe(existing, !isOwnedBy(descriptionWords(existing.description), owner))
    }
    const key = yield* orFail(request.key)(
      clients.write.sshKeys.create({
        name: request.name,
        publicKey: inputs.publicKey,
        description: ownershipDescription(owner)
      })
    )
    return observe(key, false)
  })

/** Nothing of a key changes in place (a new public key replaces it): read it back. */
export const update = (clients: Clients, request: ApplyRequest) =>
  Effect.gen(function* () {
    const id = request.current?.id
    if (id === undefined) return yield* invalid("update", request.key, "the state holds no ID for this SSH key")
    const key = yield* orFail(request.key)(clients.write.sshKeys.read(id))
    return observe(key, request.current?.attributes.adopted === true)
  })

export const destroy = (
  clients: Clients,
  key: ResourceKey,
  resource: StoredResource
): Effect.Effect<void, ProviderError> =>
  resource.attributes.adopted === true
    ? Effect.void
    : orFail(key)(ignoreNotFound(clients.write.sshKeys.delete(resource.id)))
