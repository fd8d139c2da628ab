/**
 * usacloud argument vectors, one builder per operation (see `Args/` for each resource type).
 * Every value is checked before a process runs: IDs are numeric (usacloud otherwise matches
 * names and tags by substring), zones are single zones (`--zone=all` would create in every zone).
 */
import * as Effect from "effect/Effect"
import { calls, type Globals } from "./Args/Call.js"
import * as Disks from "./Args/Disks.js"
import { filterFlags, flag } from "./Args/Flags.js"
import * as Notes from "./Args/Notes.js"
import * as Servers from "./Args/Servers.js"
import * as SshKeys from "./Args/SshKeys.js"

export type { Call, Globals } from "./Args/Call.js"
export { id, isId, zone } from "./Args/Checks.js"
export type { DiskEdit, ExistingDisk, NoteRef } from "./Args/DiskContent.js"
export type { DiskCreateSpec, DiskUpdate } from "./Args/Disks.js"
export { csv, type ListFilter } from "./Args/Flags.js"
export type { NoteCreateSpec, NoteUpdate } from "./Args/Notes.js"
export type { ServerCreateSpec, ServerDeleteOptions, ServerUpdate } from "./Args/Servers.js"
export type { SshKeyCreateSpec, SshKeyUpdate } from "./Args/SshKeys.js"

export interface ArchiveFilter {
  readonly osType?: string | undefined
  readonly names?: ReadonlyArray<string> | undefined
  readonly tags?: ReadonlyArray<string> | undefined
}

/** Every operation's argument vector for one set of global flags (the profile). */
export const make = (globals: Globals) => {
  const forGlobals = calls(globals)
  return {
    ...Servers.make(forGlobals),
    ...Disks.make(forGlobals),
    ...SshKeys.make(forGlobals),
    archiveList: (zoneName: string, filter?: ArchiveFilter) =>
      forGlobals.zoned("archive", "list", zoneName, {
        json: true,
        flags: [...flag("--os-type", filter?.osType), ...filterFlags(filter)]
      }),
    ...Notes.make(forGlobals),
    authStatus: () => Effect.succeed(forGlobals.plain("auth-status", "", { json: true }))
  }
}
