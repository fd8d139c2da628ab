/**
 * `server create --disks`: a JSON array of usacloud's disk parameters (or the path of a file
 * holding one), read the way Go's encoding/json reads it into usacloud's `diskApplyParameter`:
 * keys match field names whatever their case, unknown keys are ignored, IDs are numbers or
 * numeric strings. An entry with an `ID` connects that disk, and its `EditDisk` (the fields of
 * the `--disk-edit-*` flags) is written into the disk before the server boots.
 */
import * as Either from "effect/Either"

export interface EditEntry {
  readonly hostName: string | undefined
  readonly sshKeys: ReadonlyArray<string>
  readonly sshKeyIds: ReadonlyArray<number>
  readonly noteIds: ReadonlyArray<number>
  readonly notes: ReadonlyArray<{ readonly id: number; readonly variables?: unknown }>
  readonly disablePasswordAuth: boolean
}

export interface DiskEntry {
  /** 0 for a disk usacloud would create. */
  readonly id: number
  readonly edit: EditEntry | undefined
}

type Fields = ReadonlyMap<string, unknown>

const typeName = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "array"
      : typeof value === "object"
        ? "object"
        : typeof value === "boolean"
          ? "bool"
          : typeof value

const mismatch = (value: unknown, field: string, type: string) =>
  `json: cannot unmarshal ${typeName(value)} into Go struct field ${field} of type ${type}`

/** An object's keys folded to lower case, as encoding/json matches them; the last one wins. */
const fieldsOf = (value: unknown, field: string, type: string): Either.Either<Fields, string> =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? Either.right(new Map(Object.entries(value).map(([key, item]) => [key.toLowerCase(), item])))
    : Either.left(mismatch(value, field, type))

/** `types.ID`: a JSON number or a string of digits; null and absence are 0. */
const idOf = (value: unknown, field: string): Either.Either<number, string> => {
  if (value === undefined || value === null) return Either.right(0)
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return Either.right(value)
  if (typeof value === "string" && /^\d*$/.test(value)) return Either.right(value === "" ? 0 : Number(value))
  return Either.left(mismatch(value, field, "types.ID"))
}

const arrayOf = <A>(
  value: unknown,
  field: string,
  type: string,
  item: (element: unknown) => Either.Either<A, string>
): Either.Either<ReadonlyArray<A>, string> => {
  if (value === undefined || value === null) return Either.right([])
  if (!Array.isArray(value)) return Either.left(mismatch(value, field, type))
  return Either.all(value.map(item))
}

const stringOf = (value: unknown, field: string): Either.Either<string | undefined, string> =>
  value === undefined || value === null || typeof value === "string"
    ? Either.right(value ?? undefined)
    : Either.left(mismatch(value, field, "string"))

const boolOf = (value: unknown, field: string): Either.Either<boolean, string> =>
  value === undefined || value === null || typeof value === "boolean"
    ? Either.right(value === true)
    : Either.left(mismatch(value, field, "bool"))

const editOf = (value: unknown): Either.Either<EditEntry | undefined, string> =>
  Either.gen(function* () {
    if (value === undefined || value === null) return undefined
    const fields = yield* fieldsOf(value, "diskApplyParameter.EditDisk", "common.EditRequest")
    const at = (name: string) => `diskApplyParameter.EditDisk.${name}`
    const notes = yield* arrayOf(fields.get("notes"), at("Notes"), "[]*iaas.DiskEditNote", (note) =>
      Either.gen(function* () {
        const noteFields = yield* fieldsOf(note, at("Notes"), "iaas.DiskEditNote")
        const id = yield* idOf(noteFields.get("id"), at("Notes.ID"))
        const variables = noteFields.get("variables")
        return variables === undefined || variables === null ? { id } : { id, variables }
      })
    )
    return {
      hostName: yield* stringOf(fields.get("hostname"), at("HostName")),
      sshKeys: yield* arrayOf(fields.get("sshkeys"), at("SSHKeys"), "[]string", (key) =>
        Either.map(stringOf(key, at("SSHKeys")), (text) => text ?? "")
      ),
      sshKeyIds: yield* arrayOf(fields.get("sshkeyids"), at("SSHKeyIDs"), "[]types.ID", (id) =>
        idOf(id, at("SSHKeyIDs"))
      ),
      noteIds: yield* arrayOf(fields.get("noteids"), at("NoteIDs"), "[]types.ID", (id) => idOf(id, at("NoteIDs"))),
      notes,
      disablePasswordAuth: yield* boolOf(fields.get("disablepwauth"), at("DisablePWAuth"))
    }
  })

/** The entries of `--disks`, or encoding/json's message for what it cannot read (`syntaxError` for bad JSON). */
export const parse = (
  text: string,
  syntaxError: (text: string) => string
): Either.Either<ReadonlyArray<DiskEntry>, string> =>
  Either.gen(function* () {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      return yield* Either.left(syntaxError(text))
    }
    return yield* arrayOf(value, "disks", "[]*server.diskApplyParameter", (entry) =>
      Either.gen(function* () {
        const fields = yield* fieldsOf(entry, "disks", "server.diskApplyParameter")
        return {
          id: yield* idOf(fields.get("id"), "diskApplyParameter.ID"),
          edit: yield* editOf(fields.get("editdisk"))
        }
      })
    )
  })
