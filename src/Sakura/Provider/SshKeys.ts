/**
 * SSH keys: registered once per public key. A key Sakura Cloud already holds (the same
 * fingerprint) is adopted instead of registered again, and left alone on destroy. A key's name
 * changes in place; its public key never does.
 */
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import type { ApplyRequest, ProviderError } from "../../Provider.js"
import type { Inputs, Observed, ResourceKey, StoredResource } from "../../Resource.js"
import { SshKeyInputs } from "../Model.js"
import type { SshKey } from "../Usacloud.js"
import {
  type Clients,
  decodeInputs,
  ignoreNotFound,
  invalid,
  orFail,
  ownerOf,
  type Recorded,
  unlessDefault,
  whenRecorded
} from "./Common.js"
import { descriptionWords, isOwnedBy, type Owner, ownershipDescription } from "./Ownership.js"
import type { Registered } from "./Registered.js"

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

/** The `SHA256:` fingerprint, as the configuration writes it. */
const sha256Of = (publicKey: string): string => fingerprintsOf(publicKey)[0] ?? ""

/** An adopted key is someone else's: its name is theirs, not drift. */
export const observe = (key: SshKey, adopted: boolean, recorded: Recorded): Observed => ({
  id: key.id,
  attributes: { name: key.name, fingerprint: key.fingerprint, ...(adopted ? { adopted: true } : {}) },
  inputs: {
    publicKey: key.publicKey,
    ...whenRecorded(recorded, "fingerprint", sha256Of(key.publicKey)),
    name: adopted ? (recorded.inputs.name ?? null) : unlessDefault(recorded, "name", key.name, recorded.name)
  }
})

const isOwned = (key: SshKey, owner: Owner) => isOwnedBy(descriptionWords(key.description), owner)

/**
 * The registered key this resource is: of the keys holding `publicKey`, ours from an earlier
 * (perhaps interrupted) run first, else someone's key, used as it is (adopted).
 */
export const choose = (
  registered: ReadonlyArray<SshKey>,
  owner: Owner,
  publicKey: string
): { readonly key: SshKey; readonly adopted: boolean } | undefined => {
  const same = registered.filter((key) => sameKey(key, publicKey))
  const existing = same.find((key) => isOwned(key, owner)) ?? same[0]
  return existing === undefined ? undefined : { key: existing, adopted: !isOwned(existing, owner) }
}

/**
 * What `create` would take for the resource, from the keys registered: by its public key when
 * `inputs` hold one, else (or when the file's key changed since) the key FleetFlow registered for it.
 */
export const findIn = (registered: ReadonlyArray<SshKey>, owner: Owner, inputs: Inputs): Observed | undefined => {
  const recorded = { name: owner.name, inputs }
  const taken = takenOver(registered, owner, recorded)
  if (taken !== undefined) return taken
  const ours = registered.find((key) => isOwned(key, owner))
  return ours === undefined ? undefined : observe(ours, false, recorded)
}

/** The registered key `create` would take for the resource (`inputs` holding its public key), as it will record it. */
export const takenOver = (
  registered: ReadonlyArray<SshKey>,
  owner: Owner,
  recorded: Recorded
): Observed | undefined => {
  const publicKey = recorded.inputs.publicKey
  const chosen = typeof publicKey === "string" ? choose(registered, owner, publicKey) : undefined
  return chosen === undefined ? undefined : observe(chosen.key, chosen.adopted, recorded)
}

export const create = (clients: Clients, known: Registered, request: ApplyRequest) =>
  Effect.gen(function* () {
    const inputs = yield* decode("create", request.key, request.inputs)
    const owner = ownerOf(request, request.name)
    const registered = yield* orFail(request.key)(known.sshKeys.list)
    const existing = choose(registered, owner, inputs.publicKey)
    const recorded = { name: request.name, inputs: request.inputs }
    if (existing !== undefined) return observe(existing.key, existing.adopted, recorded)
    const key = yield* orFail(request.key)(
      known.sshKeys.put(
        clients.write.sshKeys.create({
          name: request.name,
          publicKey: inputs.publicKey,
          description: ownershipDescription(owner)
        })
      )
    )
    return observe(key, false, recorded)
  })

/** Only the name of a key changes in place (a new public key replaces it); an adopted key is left as it is. */
export const update = (clients: Clients, known: Registered, request: ApplyRequest) =>
  Effect.gen(function* () {
    const id = request.current?.id
    if (id === undefined) return yield* invalid("update", request.key, "the state holds no ID for this SSH key")
    const inputs = yield* decode("update", request.key, request.inputs)
    const adopted = request.current?.attributes.adopted === true
    const name = inputs.name ?? request.name
    const read = yield* orFail(request.key)(clients.write.sshKeys.read(id))
    const key =
      adopted || read.name === name
        ? read
        : yield* orFail(request.key)(known.sshKeys.put(clients.write.sshKeys.update(id, { name })))
    return observe(key, adopted, { name: request.name, inputs: request.inputs })
  })

export const destroy = (
  clients: Clients,
  known: Registered,
  key: ResourceKey,
  resource: StoredResource
): Effect.Effect<void, ProviderError> =>
  resource.attributes.adopted === true
    ? Effect.void
    : orFail(key)(known.sshKeys.remove(resource.id, ignoreNotFound(clients.write.sshKeys.delete(resource.id))))
