/** `disk` commands: list, read, create (from an OS type or archive, edited), update and delete. */
import * as Effect from "effect/Effect"
import { type Call, type Calls, creating, updating } from "./Call.js"
import { type Check, checkUpdate, count, id, name } from "./Checks.js"
import { type DiskEdit, editFlags, type NewDisk, sourceFlags } from "./DiskContent.js"
import { filterFlags, flag, type ListFilter, listFlag, replaceFlag } from "./Flags.js"

export interface DiskCreateSpec extends NewDisk {
  readonly name: string
  /** Connect the new disk to this server. */
  readonly serverId?: string | undefined
  readonly edit?: DiskEdit | undefined
}

export interface DiskUpdate {
  readonly name?: string | undefined
  readonly description?: string | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  /** Its server must be down. */
  readonly connection?: "virtio" | "ide" | undefined
  /** Writes host name, SSH keys and notes into the disk; its server must be down. */
  readonly edit?: DiskEdit | undefined
}

const create = (calls: Calls, zoneName: string, spec: DiskCreateSpec): Check<Call> =>
  Effect.gen(function* () {
    const command = "disk create"
    yield* name(command, spec.name)
    const size = yield* count(command, "disk size", spec.size)
    const serverId = spec.serverId === undefined ? undefined : yield* id(command, spec.serverId, "server ID")
    const flags = [
      "--name",
      spec.name,
      ...flag("--description", spec.description),
      ...listFlag("--tags", spec.tags),
      "--disk-plan",
      spec.plan ?? "ssd",
      "--size",
      size,
      "--connector",
      spec.connection ?? "virtio",
      ...(yield* sourceFlags(command, "", spec)),
      ...flag("--server-id", serverId),
      ...(spec.edit === undefined ? [] : yield* editFlags(command, "--edit-disk-", spec.edit))
    ]
    return yield* calls.zoned("disk", "create", zoneName, creating(flags, "long"))
  })

const update = (calls: Calls, zoneName: string, idValue: string, changes: DiskUpdate): Check<Call> =>
  Effect.gen(function* () {
    const command = "disk update"
    yield* checkUpdate(command, changes)
    const flags = [
      ...flag("--name", changes.name),
      ...flag("--description", changes.description),
      ...replaceFlag("--tags", changes.tags),
      ...flag("--connector", changes.connection),
      ...(changes.edit === undefined ? [] : yield* editFlags(command, "--edit-disk-", changes.edit))
    ]
    // Writing into a disk waits on Sakura Cloud; a new name or tags do not.
    return yield* calls.zonedId(
      "disk",
      "update",
      zoneName,
      idValue,
      updating(flags, changes.edit === undefined ? "short" : "long")
    )
  })

export const make = (calls: Calls) => ({
  diskList: (zoneName: string, filter?: ListFilter) =>
    calls.zoned("disk", "list", zoneName, { json: true, flags: filterFlags(filter) }),
  diskRead: (zoneName: string, idValue: string) => calls.zonedId("disk", "read", zoneName, idValue, { json: true }),
  diskCreate: (zoneName: string, spec: DiskCreateSpec) => create(calls, zoneName, spec),
  diskUpdate: (zoneName: string, idValue: string, changes: DiskUpdate) => update(calls, zoneName, idValue, changes),
  diskDelete: (zoneName: string, idValue: string) =>
    calls.zonedId("disk", "delete", zoneName, idValue, { confirm: true, duration: "long" })
})
