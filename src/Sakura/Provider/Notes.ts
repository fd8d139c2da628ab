/**
 * Startup scripts as Sakura Cloud notes (class `shell`). A script's content, name and tags
 * change in place (`note update`). A built-in script is registered on first use and adopted
 * when a note of its name with the same content exists; an adopted note is left alone on destroy.
 */
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import type { ApplyRequest, ProviderError } from "../../Provider.js"
import type { Inputs, Observed, ResourceKey, StoredResource } from "../../Resource.js"
import { StartupScriptInputs } from "../Model.js"
import type { Note } from "../Usacloud.js"
import {
  checkTags,
  type Clients,
  decodeInputs,
  ignoreNotFound,
  invalid,
  orFail,
  orNull,
  ownerOf,
  type Recorded,
  unlessDefault,
  whenRecorded
} from "./Common.js"
import { isOwnedBy, type Owner, ownershipTags, userTags } from "./Ownership.js"
import type { Registered } from "./Registered.js"

const decode = decodeInputs(StartupScriptInputs, "startup script")

/** An adopted note is shared: its name and tags are not this resource's, so not drift. */
export const observe = (note: Note, adopted: boolean, recorded: Recorded): Observed => ({
  id: note.id,
  attributes: { name: note.name, class: note.class, ...(adopted ? { adopted: true } : {}) },
  inputs: {
    content: note.content,
    ...whenRecorded(recorded, "contentHash", sha256(note.content)),
    ...(adopted
      ? {}
      : { name: unlessDefault(recorded, "name", note.name, recorded.name), tags: orNull(userTags(note.tags)) })
  }
})

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex")

/**
 * The note this resource is: the one of its name carrying its ownership tags, else, for a
 * built-in script, a note of its name with the same content (adopted, used as it is).
 */
export const choose = (
  notes: ReadonlyArray<Note>,
  owner: Owner,
  inputs: { readonly content?: string | undefined; readonly builtin?: string | undefined }
): { readonly note: Note; readonly adopted: boolean } | undefined => {
  const named = notes.filter((note) => note.name === owner.name)
  const ours = named.find((note) => isOwnedBy(note.tags, owner))
  if (ours !== undefined) return { note: ours, adopted: false }
  if (inputs.builtin === undefined || inputs.content === undefined) return undefined
  const same = named.find((note) => note.content === inputs.content)
  return same === undefined ? undefined : { note: same, adopted: true }
}

/** What `create` would take for the resource, from the notes there are; `inputs` as declared. */
export const findIn = (notes: ReadonlyArray<Note>, owner: Owner, inputs: Inputs): Observed | undefined => {
  const chosen = choose(notes, owner, {
    content: typeof inputs.content === "string" ? inputs.content : undefined,
    builtin: typeof inputs.builtin === "string" ? inputs.builtin : undefined
  })
  return chosen === undefined ? undefined : observe(chosen.note, chosen.adopted, { name: owner.name, inputs })
}

export const create = (clients: Clients, known: Registered, request: ApplyRequest) =>
  Effect.gen(function* () {
    const inputs = yield* decode("create", request.key, request.inputs)
    yield* checkTags("create", request.key, inputs.tags)
    const owner = ownerOf(request, request.name)
    const tags = [...ownershipTags(owner), ...inputs.tags]
    const recorded = { name: request.name, inputs: request.inputs }
    const notes = yield* orFail(request.key)(known.notes.list)
    const existing = choose(notes, owner, inputs)
    if (existing?.adopted === false) {
      // Left by an earlier, interrupted run: bring it up to date.
      const ours = existing.note
      const current = ours.content === inputs.content && equalTags(ours.tags, tags)
      const note = current
        ? ours
        : yield* orFail(request.key)(
            known.notes.put(clients.write.notes.update(ours.id, { content: inputs.content, tags }))
          )
      return observe(note, false, recorded)
    }
    if (existing !== undefined) return observe(existing.note, true, recorded)
    const note = yield* orFail(request.key)(
      known.notes.put(clients.write.notes.create({ name: request.name, class: "shell", content: inputs.content, tags }))
    )
    return observe(note, false, recorded)
  })

const equalTags = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) =>
  a.length === b.length && a.every((tag) => b.includes(tag))

export const update = (clients: Clients, known: Registered, request: ApplyRequest) =>
  Effect.gen(function* () {
    const inputs = yield* decode("update", request.key, request.inputs)
    yield* checkTags("update", request.key, inputs.tags)
    const current = request.current
    if (current === undefined) return yield* invalid("update", request.key, "the state holds no ID for this note")
    const adopted = current.attributes.adopted === true
    // An adopted note keeps its tags: it is not this resource's alone.
    const tags = adopted ? undefined : [...ownershipTags(ownerOf(request, request.name)), ...inputs.tags]
    const name = adopted ? undefined : (inputs.name ?? request.name)
    const note = yield* orFail(request.key)(
      known.notes.put(clients.write.notes.update(current.id, { content: inputs.content, tags, name }))
    )
    return observe(note, adopted, { name: request.name, inputs: request.inputs })
  })

export const destroy = (
  clients: Clients,
  known: Registered,
  key: ResourceKey,
  resource: StoredResource
): Effect.Effect<void, ProviderError> =>
  resource.attributes.adopted === true
    ? Effect.void
    : orFail(key)(known.notes.remove(resource.id, ignoreNotFound(clients.write.notes.delete(resource.id))))
