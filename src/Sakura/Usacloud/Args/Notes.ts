/** `note` commands (startup scripts); notes are global, so no `--zone`. */
import * as Effect from "effect/Effect"
import { type Call, type Calls, creating, updating } from "./Call.js"
import { type Check, checkUpdate, name } from "./Checks.js"
import { filterFlags, flag, type ListFilter, listFlag, replaceFlag } from "./Flags.js"

export interface NoteCreateSpec {
  readonly name: string
  /** The script; usacloud reads a file when given a path, so pass the content. */
  readonly content: string
  /** Default shell. */
  readonly class?: "shell" | "yaml_cloud_config" | undefined
  readonly tags?: ReadonlyArray<string> | undefined
}

export interface NoteUpdate {
  readonly name?: string | undefined
  readonly content?: string | undefined
  readonly tags?: ReadonlyArray<string> | undefined
}

const create = (calls: Calls, spec: NoteCreateSpec): Check<Call> =>
  Effect.gen(function* () {
    const command = "note create"
    yield* name(command, spec.name)
    yield* name(command, spec.content, "content")
    const flags = [
      "--name",
      spec.name,
      ...listFlag("--tags", spec.tags),
      "--class",
      spec.class ?? "shell",
      "--content",
      spec.content
    ]
    return calls.plain("note", "create", creating(flags))
  })

const update = (calls: Calls, idValue: string, changes: NoteUpdate): Check<Call> =>
  Effect.gen(function* () {
    yield* checkUpdate("note update", changes)
    const flags = [
      ...flag("--name", changes.name),
      ...replaceFlag("--tags", changes.tags),
      ...flag("--content", changes.content)
    ]
    return yield* calls.global("note", "update", idValue, updating(flags))
  })

export const make = (calls: Calls) => ({
  noteList: (filter?: ListFilter) =>
    Effect.succeed(calls.plain("note", "list", { json: true, flags: filterFlags(filter) })),
  noteRead: (idValue: string) => calls.global("note", "read", idValue, { json: true }),
  noteCreate: (spec: NoteCreateSpec) => create(calls, spec),
  noteUpdate: (idValue: string, changes: NoteUpdate) => update(calls, idValue, changes),
  noteDelete: (idValue: string) => calls.global("note", "delete", idValue, { confirm: true })
})
