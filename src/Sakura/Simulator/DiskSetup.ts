/**
 * What `server create` and `disk create` share in making a disk: where its content comes
 * from (an OS type, an archive or another disk), its size, and the checks usacloud makes
 * on the disk edit flags (`--disk-edit-*`, `--edit-disk-*`, the `EditDisk` of `--disks`).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { intFlag, listFlag, stringFlag } from "./Args.js"
import { archivesIn, diskSizesGB, fingerprintOf, osTypes, publicArchivesIn } from "./Cloud.js"
import { type Context, readPathOrContent } from "./Context.js"
import * as DisksFlag from "./DisksFlag.js"
import type { SimulatorDocument } from "./Document.js"
import { apiError, type Failure, fail, goJsonError, notFound } from "./Failure.js"

export interface DiskSource {
  readonly sourceArchiveId: number
  readonly sourceDiskId: number
}

export const resolveSource = (
  context: Context,
  document: SimulatorDocument,
  zone: string,
  flags: { readonly osType: string; readonly archive: string; readonly disk: string }
): Effect.Effect<DiskSource, Failure> =>
  Effect.gen(function* () {
    const osType = stringFlag(context.invocation, flags.osType)
    const archiveId = stringFlag(context.invocation, flags.archive)
    const diskId = stringFlag(context.invocation, flags.disk)
    if (osType !== undefined && osType !== "") {
      const wanted = osTypes[osType]!
      const archive = publicArchivesIn(zone).find((candidate) => wanted.every((tag) => candidate.tags.includes(tag)))
      if (archive === undefined) return yield* fail(`archive not found with os-type: ${osType}`)
      return { sourceArchiveId: archive.id, sourceDiskId: 0 }
    }
    if (archiveId !== undefined && archiveId !== "0") {
      const archive = archivesIn(document, zone).find((candidate) => String(candidate.id) === archiveId)
      if (archive === undefined) return yield* notFound(context)
      return { sourceArchiveId: archive.id, sourceDiskId: 0 }
    }
    if (diskId !== undefined && diskId !== "0") {
      const disk = document.disks.find((candidate) => candidate.zone === zone && String(candidate.id) === diskId)
      if (disk === undefined) return yield* notFound(context)
      return { sourceArchiveId: 0, sourceDiskId: disk.id }
    }
    return { sourceArchiveId: 0, sourceDiskId: 0 }
  })

/** The `--*-edit-*` / `--edit-disk-*` references that must exist: SSH keys, notes; the notes JSON must parse. */
export const checkEdit = (context: Context, document: SimulatorDocument, prefix: string) =>
  Effect.gen(function* () {
    const notes = stringFlag(context.invocation, `${prefix}notes`)
    if (notes !== undefined && notes !== "") {
      const text = readPathOrContent(notes)
      try {
        JSON.parse(text)
      } catch {
        return yield* fail(goJsonError(text))
      }
    }
    for (const id of listFlag(context.invocation, `${prefix}ssh-key-ids`) ?? []) {
      if (!document.sshKeys.some((key) => String(key.id) === id)) return yield* notFound(context)
    }
    for (const id of listFlag(context.invocation, `${prefix}note-ids`) ?? []) {
      if (!document.notes.some((note) => String(note.id) === id)) return yield* notFound(context)
    }
    for (const key of listFlag(context.invocation, `${prefix}ssh-keys`) ?? []) {
      if (fingerprintOf(readPathOrContent(key)) === undefined) {
        return yield* apiError(context, 400, "不適切な要求です。公開鍵の形式が正しくありません。")
      }
    }
  })

/** `--disks` as usacloud reads it; entries without an ID would make new disks, which is not simulated. */
export const disksEntries = (context: Context) =>
  Effect.gen(function* () {
    const text = readPathOrContent(stringFlag(context.invocation, "disks") ?? "")
    const parsed = DisksFlag.parse(text, goJsonError)
    if (Either.isLeft(parsed)) return yield* fail(parsed.left)
    if (parsed.right.some((entry) => entry.id === 0)) {
      return yield* fail("usacloud simulator: --disks entries without an ID (new disks) are not simulated")
    }
    return parsed.right
  })

/** What `checkEdit` checks, for the `EditDisk` of a `--disks` entry. */
export const checkEditEntry = (context: Context, document: SimulatorDocument, edit: DisksFlag.EditEntry) =>
  Effect.gen(function* () {
    for (const id of edit.sshKeyIds) {
      if (!document.sshKeys.some((key) => key.id === id)) return yield* notFound(context)
    }
    for (const id of [...edit.noteIds, ...edit.notes.map((note) => note.id)]) {
      if (!document.notes.some((note) => note.id === id)) return yield* notFound(context)
    }
    for (const key of edit.sshKeys) {
      if (fingerprintOf(readPathOrContent(key)) === undefined) {
        return yield* apiError(context, 400, "不適切な要求です。公開鍵の形式が正しくありません。")
      }
    }
  })

export const diskSizeMB = (context: Context, flag: string) =>
  Effect.gen(function* () {
    const size = intFlag(context.invocation, flag) ?? 20
    if (!diskSizesGB.includes(size)) {
      return yield* apiError(context, 400, `不適切な要求です。ディスクサイズ(${size}GB)が不正です。`)
    }
    return size * 1024
  })
