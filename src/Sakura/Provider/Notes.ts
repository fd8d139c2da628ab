/**
 * Startup scripts as Sakura Cloud notes (class `shell`). A script's content changes in place
 * (`note update`). A built-in script is registered on first use and adopted when a note of
 * its name with the same content exists; an adopted note is left alone on destroy.
 */
import * as Effect from "effect/Effect"
import type { ApplyRequest, ProviderError } from "../../Provider.js"
import type { Observed, ResourceKey, StoredResource } from "../../Resource.js"
import type { Note } from "../Usacloud.js"
import {
  checkTags,
  type Clients,
  decodeInputs,
  ignoreNotFound,
  invalid,
  NoteInputs,
  orFail,
  orNull,
  ownerOf
} from "./Common.js"
import { isOwnedBy, ownershipTags, userTags } from "./Ownership.js"

export const replaceFields: ReadonlyArray<string> = []

const decode = decodeInputs(NoteInputs, "startup script")

export const observe = (note: Note, adopted: boolean): Observed => ({
  id: note.id,
  attributes: { name: note.name, class: note.class, ...(adopted ? { adopted: true } : {}) },
  inputs: { content: note.content, tags: orNull(userTags(note.tags)) }
})

export const create = (clients: Clients, request: ApplyRequest) =>
  Effect.gen(function* () {
    const inputs = yield* decode("create", request.key, request.inputs)
    yield* checkTags("create", request.key, inputs.tags)
    const owner = ownerOf(request, request.name)
    const tags = [...ownershipTags(owner), ...inputs.tags]
    const notes = yield* orFail(request.key)(clients.write.notes.list())
    const named = notes.filter((note) => note.name === request.name)
    const ours = named.find((note) => isOwnedBy(note.tags, owner))
    if (ours !== undefined) {
      // Left by an earlier, interrupted run: bring it up to date.
      const current = ours.content === inputs.content && equalTags(ours.tags, tags)
      const note = current
        ? ours
        : yield* orFail(request.key)(clients.write.notes.update(ours.id, { content: inputs.content, tags }))
      return observe(note, false)
    }
    const same = named.find((note) => note.content === inputs.content)
    if (same !== undefined && inputs.builtin !== undefined) return observe(same, true)
    const note = yield* orFail(request.key)(
      clients.write.notes.create({ name: request.name, class: "shell", content: inputs.content, tags })
    )
    return observe(note, false)
  })

const equalTags = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) =>
  a.length === b.length && a.every((tag) => b.includes(tag))

export const update = (clients: Clients, request: ApplyRequest) =>
  Effect.gen(function* () {
    const inputs = yield* decode("update", request.key, request.inputs)
    yield* checkTags("update", request.key, inputs.tags)
    const current = request.current
    if (current === undefined) return yield* invalid("update", request.key, "the state holds no ID for this note")
    const adopted = current.attributes.adopted === true
    // An adopted note keeps its tags: it is not this resource's alone.
    const tags = adopted ? undefined : [...ownershipTags(ownerOf(request, request.name)), ...inputs.tags]
    const note = yield* orFail(request.key)(clients.write.notes.update(current.id, { content: inputs.content, tags }))
    return observe(note, adopted)
  })

export const destroy = (
  clients: Clients,
  key: ResourceKey,
  resource: StoredResource
): Effect.Effect<void, ProviderError> =>
  resource.attributes.adopted === true
    ? Effect.void
    : orFail(key)(ignoreNotFound(clients.write.notes.delete(resource.id)))
