/** `server` commands: list, read, create (with its disk), update, power, wait and delete. */
import * as Effect from "effect/Effect"
import { type Call, type Calls, creating, updating } from "./Call.js"
import { type Check, checkUpdate, count, ids, name, refuse } from "./Checks.js"
import {
  type DiskEdit,
  type ExistingDisk,
  editFlags,
  existingDiskJson,
  hasEdit,
  type NewDisk,
  sourceFlags
} from "./DiskContent.js"
import { csv, filterFlags, flag, type ListFilter, listFlag, replaceFlag, switchFlag } from "./Flags.js"

export interface ServerCreateSpec extends DiskEdit {
  readonly name: string
  readonly description?: string | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  readonly cpu: number
  /** GB. */
  readonly memory: number
  readonly commitment?: "standard" | "dedicatedcpu" | undefined
  /** `shared` (default) connects a NIC to the shared segment with a public IP; `none` adds no NIC. */
  readonly network?: "shared" | "disconnected" | "none" | undefined
  /**
   * Existing disks to connect (`--disk-ids`), instead of a new `disk`; `--disk-edit-*` applies
   * only to a disk usacloud creates.
   */
  readonly diskIds?: ReadonlyArray<string> | undefined
  /**
   * Existing disks to connect, each with what to write into it (`--disks` JSON): usacloud
   * connects each, edits it, then boots the server when asked, all in one run.
   */
  readonly disks?: ReadonlyArray<ExistingDisk> | undefined
  readonly disk?: NewDisk | undefined
  /** Default true. */
  readonly bootAfterCreate?: boolean | undefined
}

export interface ServerUpdate {
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** Replaces every tag; `[]` removes them all. */
  readonly tags?: ReadonlyArray<string> | undefined
  /** A new plan gives the server a new ID (the old one is kept in a `@previous-id=` tag). */
  readonly cpu?: number | undefined
  /** GB. */
  readonly memory?: number | undefined
  readonly commitment?: "standard" | "dedicatedcpu" | undefined
  /** Connects its one NIC to the shared segment, or disconnects it (`--network-interfaces`); a missing NIC is added. */
  readonly network?: "shared" | "disconnected" | undefined
  /** Shut a running server down by force when the plan changes. */
  readonly forceShutdown?: boolean | undefined
}

export interface ServerDeleteOptions {
  /** Delete a running server (it is stopped first). */
  readonly force?: boolean | undefined
  readonly withDisks?: boolean | undefined
}

/**
 * `server create`'s disk: a new one (`--disk-*`, edited with `--disk-edit-*`), existing ones
 * (`--disk-ids`), or existing ones each with an edit (`--disks`).
 */
const diskFlags = (command: string, spec: ServerCreateSpec): Check<ReadonlyArray<string>> =>
  Effect.gen(function* () {
    const diskIds = spec.diskIds ?? []
    const existing = spec.disks ?? []
    const given = [spec.disk !== undefined, diskIds.length > 0, existing.length > 0].filter(Boolean).length
    if (given > 1) return yield* refuse(command, "a server takes one of a new disk, disk IDs or disks, not several")
    if (diskIds.length > 0 || existing.length > 0) {
      if (hasEdit(spec)) {
        return yield* refuse(command, "the --disk-edit-* flags edit only a disk usacloud creates; give disks an edit")
      }
      if (existing.length > 0) {
        const disks = yield* Effect.forEach(existing, (disk) => existingDiskJson(command, disk))
        return ["--disks", JSON.stringify(disks)]
      }
      return ["--disk-ids", csv(yield* ids(command, diskIds, "disk ID"))]
    }
    const disk = spec.disk
    if (disk === undefined) return yield* refuse(command, "a server needs a new disk or the IDs of existing ones")
    return [
      ...flag("--disk-name", disk.name),
      ...flag("--disk-description", disk.description),
      ...listFlag("--disk-tags", disk.tags),
      "--disk-disk-plan",
      disk.plan ?? "ssd",
      "--disk-size",
      yield* count(command, "disk size", disk.size),
      "--disk-connection",
      disk.connection ?? "virtio",
      ...(yield* sourceFlags(command, "disk-", disk)),
      ...(yield* editFlags(command, "--disk-edit-", spec))
    ]
  })

const create = (calls: Calls, zoneName: string, spec: ServerCreateSpec): Check<Call> =>
  Effect.gen(function* () {
    const command = "server create"
    yield* name(command, spec.name)
    const cpu = yield* count(command, "cpu", spec.cpu)
    const memory = yield* count(command, "memory", spec.memory)
    const network = spec.network ?? "shared"
    const disk = yield* diskFlags(command, spec)
    const flags = [
      "--name",
      spec.name,
      ...flag("--description", spec.description),
      ...listFlag("--tags", spec.tags),
      "--cpu",
      cpu,
      "--memory",
      memory,
      ...flag("--commitment", spec.commitment),
      ...(network === "none" ? [] : ["--network-interface-upstream", network]),
      ...disk,
      ...switchFlag("--boot-after-create", spec.bootAfterCreate ?? true)
    ]
    return yield* calls.zoned("server", "create", zoneName, creating(flags, "long"))
  })

const update = (calls: Calls, zoneName: string, idValue: string, changes: ServerUpdate): Check<Call> =>
  Effect.gen(function* () {
    const command = "server update"
    const { forceShutdown, ...fields } = changes
    yield* checkUpdate(command, fields)
    const cpu = changes.cpu === undefined ? undefined : yield* count(command, "cpu", changes.cpu)
    const memory = changes.memory === undefined ? undefined : yield* count(command, "memory", changes.memory)
    const flags = [
      ...flag("--name", changes.name),
      ...flag("--description", changes.description),
      ...replaceFlag("--tags", changes.tags),
      ...flag("--cpu", cpu),
      ...flag("--memory", memory),
      ...flag("--commitment", changes.commitment),
      ...(changes.network === undefined
        ? []
        : ["--network-interfaces", JSON.stringify([{ Upstream: changes.network }])]),
      ...switchFlag("--force-shutdown", forceShutdown)
    ]
    return yield* calls.zonedId("server", "update", zoneName, idValue, updating(flags, "long"))
  })

export const make = (calls: Calls) => ({
  serverList: (zoneName: string, filter?: ListFilter) =>
    calls.zoned("server", "list", zoneName, { json: true, flags: filterFlags(filter) }),
  serverRead: (zoneName: string, idValue: string) => calls.zonedId("server", "read", zoneName, idValue, { json: true }),
  serverCreate: (zoneName: string, spec: ServerCreateSpec) => create(calls, zoneName, spec),
  serverUpdate: (zoneName: string, idValue: string, changes: ServerUpdate) => update(calls, zoneName, idValue, changes),
  serverBoot: (zoneName: string, idValue: string) =>
    calls.zonedId("server", "boot", zoneName, idValue, { confirm: true, duration: "long" }),
  serverShutdown: (zoneName: string, idValue: string, options: { readonly force?: boolean | undefined } = {}) =>
    calls.zonedId("server", "shutdown", zoneName, idValue, {
      confirm: true,
      flags: switchFlag("--force", options.force),
      duration: "long"
    }),
  serverWaitUntilReady: (zoneName: string, idValue: string) =>
    calls.zonedId("server", "wait-until-ready", zoneName, idValue, { duration: "long" }),
  serverWaitUntilShutdown: (zoneName: string, idValue: string) =>
    calls.zonedId("server", "wait-until-shutdown", zoneName, idValue, { duration: "long" }),
  serverDelete: (zoneName: string, idValue: string, options: ServerDeleteOptions = {}) =>
    calls.zonedId("server", "delete", zoneName, idValue, {
      confirm: true,
      flags: [...switchFlag("--force", options.force), ...switchFlag("--with-disks", options.withDisks)],
      duration: "long"
    })
})
