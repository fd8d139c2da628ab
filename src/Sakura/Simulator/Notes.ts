/**
 * The note (startup script) commands, global: list (by scope), read, create, update and
 * delete. The simulated cloud holds the user's notes; a note's content may be read from a file.
 */
import * as Effect from "effect/Effect"
import { listFlag, stringFlag } from "./Args.js"
import { readPathOrContent } from "./Context.js"
import { allocateId } from "./Document.js"
import { type Handler, unchanged } from "./Handler.js"
import { noteJson } from "./Shapes.js"
import { confirm, filterList, select } from "./Targets.js"
import { checkTagCharacters, oneOf, required, tagRules, validationError } from "./Validation.js"

const noteClasses = ["shell", "yaml_cloud_config"]

export const noteList: Handler = (context, document) =>
  Effect.gen(function* () {
    const invocation = context.invocation
    const scope = stringFlag(invocation, "scope")
    yield* validationError(oneOf("scope", scope, ["user", "shared"]))
    const notes = document.notes.filter((note) => scope === undefined || scope === "" || note.scope === scope)
    return unchanged(
      document,
      filterList(context, notes).map((note) => noteJson(note))
    )
  })

export const noteRead: Handler = (context, document) =>
  Effect.gen(function* () {
    const [note] = yield* select(context, document.notes)
    return unchanged(document, [noteJson(note!)])
  })

export const noteCreate: Handler = (context, document) =>
  Effect.gen(function* () {
    const tags = listFlag(context.invocation, "tags")
    yield* validationError([
      ...required(context, "name"),
      ...tagRules("tags", tags),
      ...oneOf("class", stringFlag(context.invocation, "class"), noteClasses),
      ...required(context, "content")
    ])
    yield* confirm(context)
    yield* checkTagCharacters(context, tags ?? [])
    const [id, withId] = allocateId(document)
    const note = {
      id,
      name: stringFlag(context.invocation, "name")!,
      description: "",
      tags: tags ?? [],
      class: stringFlag(context.invocation, "class") ?? "shell",
      content: readPathOrContent(stringFlag(context.invocation, "content")!),
      scope: "user" as const,
      createdAt: context.now,
      modifiedAt: context.now
    }
    return { values: [noteJson(note)], document: { ...withId, notes: [...withId.notes, note] } }
  })

export const noteUpdate: Handler = (context, document) =>
  Effect.gen(function* () {
    const { invocation, now } = context
    const targets = yield* select(context, document.notes)
    const tags = listFlag(invocation, "tags")
    yield* validationError([...tagRules("tags", tags), ...oneOf("class", stringFlag(invocation, "class"), noteClasses)])
    yield* confirm(context)
    yield* checkTagCharacters(context, tags ?? [])
    const ids = new Set(targets.map((note) => note.id))
    const content = stringFlag(invocation, "content")
    const notes = document.notes.map((note) =>
      ids.has(note.id)
        ? {
            ...note,
            name: stringFlag(invocation, "name") ?? note.name,
            tags: tags ?? note.tags,
            class: stringFlag(invocation, "class") ?? note.class,
            content: content === undefined ? note.content : readPathOrContent(content),
            modifiedAt: now
          }
        : note
    )
    return {
      values: notes.filter((note) => ids.has(note.id)).map((note) => noteJson(note)),
      document: { ...document, notes }
    }
  })

export const noteDelete: Handler = (context, document) =>
  Effect.gen(function* () {
    const targets = yield* select(context, document.notes)
    yield* confirm(context)
    const ids = new Set(targets.map((note) => note.id))
    return { values: [], document: { ...document, notes: document.notes.filter((note) => !ids.has(note.id)) } }
  })
