/**
 * What goes into a disk usacloud creates or connects: its source (an OS type or an archive)
 * and what usacloud writes into it (host name, SSH keys, notes), as flags with a prefix
 * (`--disk-edit-` on server create, `--edit-disk-` on disk create) or as `--disks` JSON.
 */
import * as Effect from "effect/Effect"
import { type Check, id, ids, refuse } from "./Checks.js"
import { flag, listFlag, switchFlag } from "./Flags.js"

export interface NoteRef {
  readonly id: string
  /** Values for the note's `@sacloud-*` variables. */
  readonly variables?: Readonly<Record<string, string | number | boolean>> | undefined
}

/** What usacloud writes into a new disk (`--disk-edit-*` on server create, `--edit-disk-*` on disk create). */
export interface DiskEdit {
  readonly hostName?: string | undefined
  readonly sshKeyIds?: ReadonlyArray<string> | undefined
  /** Public keys, or paths of public key files that usacloud reads (absolute paths are safest). */
  readonly sshKeys?: ReadonlyArray<string> | undefined
  readonly notes?: ReadonlyArray<NoteRef> | undefined
  readonly disablePasswordAuth?: boolean | undefined
}

/** A disk usacloud creates: `disk create`, or `server create`'s new disk (`--disk-*`). */
export interface NewDisk {
  readonly name?: string | undefined
  readonly description?: string | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  /** Default ssd. */
  readonly plan?: "ssd" | "hdd" | undefined
  /** GB. */
  readonly size: number
  /** Default virtio. */
  readonly connection?: "virtio" | "ide" | undefined
  /** Exactly one of `osType` (e.g. "ubuntu2404") and `sourceArchiveId`. */
  readonly osType?: string | undefined
  readonly sourceArchiveId?: string | undefined
}

export interface ExistingDisk {
  readonly id: string
  readonly edit?: DiskEdit | undefined
}

/** Notes as usacloud's JSON reads them: IDs as JSON numbers (they are below 2^53). */
const notesValue = (notes: ReadonlyArray<NoteRef>) =>
  notes.map((note) => ({
    ID: Number(note.id),
    ...(note.variables === undefined ? {} : { Variables: note.variables })
  }))

/** The SSH key and note IDs of a disk edit, checked. */
const editIds = (command: string, edit: DiskEdit) =>
  Effect.gen(function* () {
    const keyIds = yield* ids(command, edit.sshKeyIds ?? [], "SSH key ID")
    const notes = edit.notes ?? []
    yield* ids(
      command,
      notes.map((note) => note.id),
      "note ID"
    )
    return { keyIds, notes }
  })

/** The disk edit flags with a prefix: `--disk-edit-` on server create, `--edit-disk-` on disk create. */
export const editFlags = (command: string, prefix: string, edit: DiskEdit): Check<ReadonlyArray<string>> =>
  Effect.gen(function* () {
    const { keyIds, notes } = yield* editIds(command, edit)
    // The JSON form keeps the order of notes with and without variables.
    const withVariables = notes.some((note) => note.variables !== undefined)
    return [
      ...flag(`${prefix}host-name`, edit.hostName),
      ...listFlag(`${prefix}ssh-key-ids`, keyIds),
      ...listFlag(`${prefix}ssh-keys`, edit.sshKeys),
      ...switchFlag(`${prefix}disable-pw-auth`, edit.disablePasswordAuth),
      ...(withVariables
        ? [`${prefix}notes`, JSON.stringify(notesValue(notes))]
        : listFlag(
            `${prefix}note-ids`,
            notes.map((note) => note.id)
          ))
    ]
  })

/** `--<prefix>os-type` or `--<prefix>source-archive-id`: exactly one of them. */
export const sourceFlags = (
  command: string,
  prefix: string,
  spec: { readonly osType?: string | undefined; readonly sourceArchiveId?: string | undefined }
): Check<ReadonlyArray<string>> =>
  Effect.gen(function* () {
    if (spec.osType !== undefined && spec.sourceArchiveId !== undefined) {
      return yield* refuse(command, "a disk takes either an OS type or a source archive, not both")
    }
    if (spec.sourceArchiveId !== undefined) {
      return [`--${prefix}source-archive-id`, yield* id(command, spec.sourceArchiveId, "source archive ID")]
    }
    if (spec.osType === undefined || spec.osType.trim() === "") {
      return yield* refuse(command, "a disk needs an OS type or a source archive")
    }
    return [`--${prefix}os-type`, spec.osType]
  })

export const hasEdit = (edit: DiskEdit) =>
  edit.hostName !== undefined ||
  (edit.sshKeyIds ?? []).length > 0 ||
  (edit.sshKeys ?? []).length > 0 ||
  (edit.notes ?? []).length > 0 ||
  edit.disablePasswordAuth === true

/**
 * One disk of `--disks` as usacloud's JSON reads it: `ID`, and `EditDisk` with the fields of
 * the `--disk-edit-*` flags (IDs as JSON numbers; they are below 2^53).
 */
export const existingDiskJson = (command: string, disk: ExistingDisk) =>
  Effect.gen(function* () {
    const diskId = yield* id(command, disk.id, "disk ID")
    const edit = disk.edit
    if (edit === undefined || !hasEdit(edit)) return { ID: Number(diskId) }
    const { keyIds, notes } = yield* editIds(command, edit)
    const editDisk = {
      ...(edit.hostName === undefined ? {} : { HostName: edit.hostName }),
      ...(edit.disablePasswordAuth === true ? { DisablePWAuth: true } : {}),
      ...((edit.sshKeys ?? []).length === 0 ? {} : { SSHKeys: [...edit.sshKeys!] }),
      ...(keyIds.length === 0 ? {} : { SSHKeyIDs: keyIds.map(Number) }),
      ...(notes.length === 0 ? {} : { Notes: notesValue(notes) })
    }
    return { ID: Number(diskId), EditDisk: editDisk }
  })
