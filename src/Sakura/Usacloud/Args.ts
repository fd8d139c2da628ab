/**
 * usacloud argument vectors, one builder per operation. Every value is checked before a
 * process runs: IDs are numeric (usacloud otherwise matches names and tags by substring),
 * zones are single zones (`--zone=all` would create in every zone).
 */
import * as Effect from "effect/Effect"
import * as Errors from "./Errors.js"

/** One usacloud invocation as the client runs it. */
export interface Call {
  /** The command for errors and logs, e.g. "server create". */
  readonly command: string
  readonly args: ReadonlyArray<string>
  /** `long` for commands that wait on Sakura Cloud (create, boot, shutdown, wait, delete). */
  readonly duration: "short" | "long"
  /**
   * `any` retries every transient failure. `refused` retries only failures where the API
   * refused the request (423, 429, 503, 409 busy): after a timeout or a dropped connection a
   * create may have happened, and running it again would make a second resource.
   */
  readonly retry: "any" | "refused"
}

export interface Globals {
  readonly profile?: string | undefined
}

export interface ListFilter {
  /** Names to look for; Sakura Cloud matches them loosely, so compare names again. */
  readonly names?: ReadonlyArray<string> | undefined
  readonly tags?: ReadonlyArray<string> | undefined
}

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
  readonly disk?: {
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
  /** Default true. */
  readonly bootAfterCreate?: boolean | undefined
}

export interface ExistingDisk {
  readonly id: string
  readonly edit?: DiskEdit | undefined
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
  /** Shut a running server down by force when the plan changes. */
  readonly forceShutdown?: boolean | undefined
}

export interface ServerDeleteOptions {
  /** Delete a running server (it is stopped first). */
  readonly force?: boolean | undefined
  readonly withDisks?: boolean | undefined
}

export interface DiskCreateSpec {
  readonly name: string
  readonly description?: string | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  readonly plan?: "ssd" | "hdd" | undefined
  /** GB. */
  readonly size: number
  readonly connection?: "virtio" | "ide" | undefined
  readonly osType?: string | undefined
  readonly sourceArchiveId?: string | undefined
  /** Connect the new disk to this server. */
  readonly serverId?: string | undefined
  readonly edit?: DiskEdit | undefined
}

export interface DiskUpdate {
  readonly name?: string | undefined
  readonly description?: string | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  /** Writes host name, SSH keys and notes into the disk; its server must be down. */
  readonly edit?: DiskEdit | undefined
}

export interface SshKeyCreateSpec {
  readonly name: string
  /** The key itself, or the path of a public key file that usacloud reads. */
  readonly publicKey: string
  readonly description?: string | undefined
}

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

export interface ArchiveFilter {
  readonly osType?: string | undefined
  readonly names?: ReadonlyArray<string> | undefined
  readonly tags?: ReadonlyArray<string> | undefined
}

type Check<A> = Effect.Effect<A, Errors.UsacloudError>

const refuse = (command: string, detail: string) => Effect.fail(Errors.make(command, "invalid", detail))

export const isId = (value: string): boolean => /^[1-9][0-9]{0,15}$/.test(value) && Number.isSafeInteger(Number(value))

/** A numeric ID, refused otherwise: usacloud would match a name or tag containing it. */
export const id = (command: string, value: string, what = "ID"): Check<string> =>
  isId(value)
    ? Effect.succeed(value)
    : refuse(command, `${what} must be a numeric Sakura Cloud ID, got ${JSON.stringify(value)}`)

const ids = (command: string, values: ReadonlyArray<string>, what: string) =>
  Effect.forEach(values, (value) => id(command, value, what))

export const zone = (command: string, value: string): Check<string> =>
  value !== "all" && /^[a-z][a-z0-9]*$/.test(value)
    ? Effect.succeed(value)
    : refuse(command, `zone must be one zone such as is1a or tk1b, got ${JSON.stringify(value)}`)

const count = (command: string, what: string, value: number): Check<string> =>
  Number.isSafeInteger(value) && value > 0
    ? Effect.succeed(String(value))
    : refuse(command, `${what} must be a whole number above 0, got ${value}`)

const name = (command: string, value: string, what = "name"): Check<string> =>
  value.trim().length > 0 ? Effect.succeed(value) : refuse(command, `${what} must not be empty`)

/** A list flag value as pflag reads it (CSV): quoted only where a value needs it. */
export const csv = (values: ReadonlyArray<string>): string =>
  values.map((value) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value)).join(",")

const flag = (name: string, value: string | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : [name, value]

const listFlag = (name: string, values: ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  values === undefined || values.length === 0 ? [] : [name, csv(values)]

/** For updates: `[]` is a change too (it clears the tags). */
const replaceFlag = (name: string, values: ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  values === undefined ? [] : [name, csv(values)]

const switchFlag = (name: string, on: boolean | undefined): ReadonlyArray<string> => (on === true ? [name] : [])

const globalArgs = (globals: Globals): ReadonlyArray<string> => [
  "--argument-match-mode",
  "exact",
  ...flag("--profile", globals.profile)
]

interface Shape {
  readonly resource: string
  /** Empty for a command of one word (`auth-status`). */
  readonly verb: string
  readonly id?: string | undefined
  readonly zone?: string | undefined
  /** `-y`: usacloud asks for confirmation otherwise, and fails without a terminal. */
  readonly confirm?: boolean | undefined
  /** `-o json`. */
  readonly json?: boolean | undefined
  readonly flags?: ReadonlyArray<string> | undefined
  readonly duration?: Call["duration"] | undefined
  readonly retry?: Call["retry"] | undefined
}

const call = (globals: Globals, shape: Shape): Call => ({
  command: shape.verb === "" ? shape.resource : `${shape.resource} ${shape.verb}`,
  args: [
    shape.resource,
    ...(shape.verb === "" ? [] : [shape.verb]),
    ...(shape.id === undefined ? [] : [shape.id]),
    ...switchFlag("-y", shape.confirm),
    ...flag("--zone", shape.zone),
    ...(shape.json === true ? ["-o", "json"] : []),
    ...(shape.flags ?? []),
    ...globalArgs(globals)
  ],
  duration: shape.duration ?? "short",
  retry: shape.retry ?? "any"
})

/** `--disk-edit-notes` / `--edit-disk-notes`: note IDs as JSON numbers (they are below 2^53). */
const notesJson = (notes: ReadonlyArray<NoteRef>) =>
  JSON.stringify(
    notes.map((note) => ({
      ID: Number(note.id),
      ...(note.variables === undefined ? {} : { Variables: note.variables })
    }))
  )

/** The disk edit flags with a prefix: `--disk-edit-` on server create, `--edit-disk-` on disk create. */
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

const editFlags = (command: string, prefix: string, edit: DiskEdit): Check<ReadonlyArray<string>> =>
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
        ? [`${prefix}notes`, notesJson(notes)]
        : listFlag(
            `${prefix}note-ids`,
            notes.map((note) => note.id)
          ))
    ]
  })

const source = (
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

const hasEdit = (edit: DiskEdit) =>
  edit.hostName !== undefined ||
  (edit.sshKeyIds ?? []).length > 0 ||
  (edit.sshKeys ?? []).length > 0 ||
  (edit.notes ?? []).length > 0 ||
  edit.disablePasswordAuth === true

/**
 * One disk of `--disks` as usacloud's JSON reads it: `ID`, and `EditDisk` with the fields of
 * the `--disk-edit-*` flags (IDs as JSON numbers; they are below 2^53).
 */
const existingDiskJson = (command: string, disk: ExistingDisk) =>
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
      ...(notes.length === 0
        ? {}
        : {
            Notes: notes.map((note) => ({
              ID: Number(note.id),
              ...(note.variables === undefined ? {} : { Variables: note.variables })
            }))
          })
    }
    return { ID: Number(diskId), EditDisk: editDisk }
  })

/**
 * `server create`'s disk: a new one (`--disk-*`, edited with `--disk-edit-*`), existing ones
 * (`--disk-ids`), or existing ones each with an edit (`--disks`).
 */
const serverDiskFlags = (command: string, spec: ServerCreateSpec): Check<ReadonlyArray<string>> =>
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
      ...(yield* source(command, "disk-", disk)),
      ...(yield* editFlags(command, "--disk-edit-", spec))
    ]
  })

const filterFlags = (filter: ListFilter | undefined) => [
  ...listFlag("--names", filter?.names),
  ...listFlag("--tags", filter?.tags)
]

const hasChange = (changes: object) => Object.values(changes).some((value) => value !== undefined)

export const make = (globals: Globals) => {
  const zoned = (resource: string, verb: string, zoneName: string, shape: Omit<Shape, "resource" | "verb" | "zone">) =>
    Effect.map(zone(`${resource} ${verb}`, zoneName), (checked) =>
      call(globals, { ...shape, resource, verb, zone: checked })
    )
  const zonedId = (
    resource: string,
    verb: string,
    zoneName: string,
    idValue: string,
    shape: Omit<Shape, "resource" | "verb" | "zone" | "id">
  ) =>
    Effect.flatMap(id(`${resource} ${verb}`, idValue), (checked) =>
      zoned(resource, verb, zoneName, { ...shape, id: checked })
    )
  const global = (resource: string, verb: string, idValue: string, shape: Omit<Shape, "resource" | "verb" | "id">) =>
    Effect.map(id(`${resource} ${verb}`, idValue), (checked) =>
      call(globals, { ...shape, resource, verb, id: checked })
    )

  return {
    serverList: (zoneName: string, filter?: ListFilter) =>
      zoned("server", "list", zoneName, { json: true, flags: filterFlags(filter) }),
    serverRead: (zoneName: string, idValue: string) => zonedId("server", "read", zoneName, idValue, { json: true }),
    serverCreate: (zoneName: string, spec: ServerCreateSpec): Check<Call> =>
      Effect.gen(function* () {
        const command = "server create"
        yield* name(command, spec.name)
        const cpu = yield* count(command, "cpu", spec.cpu)
        const memory = yield* count(command, "memory", spec.memory)
        const network = spec.network ?? "shared"
        const diskFlags = yield* serverDiskFlags(command, spec)
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
          ...diskFlags,
          ...switchFlag("--boot-after-create", spec.bootAfterCreate ?? true)
        ]
        return yield* zoned("server", "create", zoneName, {
          confirm: true,
          json: true,
          flags,
          duration: "long",
          retry: "refused"
        })
      }),
    serverUpdate: (zoneName: string, idValue: string, changes: ServerUpdate): Check<Call> =>
      Effect.gen(function* () {
        const command = "server update"
        const { forceShutdown, ...fields } = changes
        if (!hasChange(fields)) return yield* refuse(command, "nothing to change")
        if (changes.name !== undefined) yield* name(command, changes.name)
        const cpu = changes.cpu === undefined ? undefined : yield* count(command, "cpu", changes.cpu)
        const memory = changes.memory === undefined ? undefined : yield* count(command, "memory", changes.memory)
        return yield* zonedId("server", "update", zoneName, idValue, {
          confirm: true,
          json: true,
          flags: [
            ...flag("--name", changes.name),
            ...flag("--description", changes.description),
            ...replaceFlag("--tags", changes.tags),
            ...flag("--cpu", cpu),
            ...flag("--memory", memory),
            ...flag("--commitment", changes.commitment),
            ...switchFlag("--force-shutdown", forceShutdown)
          ],
          duration: "long"
        })
      }),
    serverBoot: (zoneName: string, idValue: string) =>
      zonedId("server", "boot", zoneName, idValue, { confirm: true, duration: "long" }),
    serverShutdown: (zoneName: string, idValue: string, options: { readonly force?: boolean | undefined } = {}) =>
      zonedId("server", "shutdown", zoneName, idValue, {
        confirm: true,
        flags: switchFlag("--force", options.force),
        duration: "long"
      }),
    serverWaitUntilReady: (zoneName: string, idValue: string) =>
      zonedId("server", "wait-until-ready", zoneName, idValue, { duration: "long" }),
    serverWaitUntilShutdown: (zoneName: string, idValue: string) =>
      zonedId("server", "wait-until-shutdown", zoneName, idValue, { duration: "long" }),
    serverDelete: (zoneName: string, idValue: string, options: ServerDeleteOptions = {}) =>
      zonedId("server", "delete", zoneName, idValue, {
        confirm: true,
        flags: [...switchFlag("--force", options.force), ...switchFlag("--with-disks", options.withDisks)],
        duration: "long"
      }),

    diskList: (zoneName: string, filter?: ListFilter) =>
      zoned("disk", "list", zoneName, { json: true, flags: filterFlags(filter) }),
    diskRead: (zoneName: string, idValue: string) => zonedId("disk", "read", zoneName, idValue, { json: true }),
    diskCreate: (zoneName: string, spec: DiskCreateSpec): Check<Call> =>
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
          ...(yield* source(command, "", spec)),
          ...flag("--server-id", serverId),
          ...(spec.edit === undefined ? [] : yield* editFlags(command, "--edit-disk-", spec.edit))
        ]
        return yield* zoned("disk", "create", zoneName, {
          confirm: true,
          json: true,
          flags,
          duration: "long",
          retry: "refused"
        })
      }),
    diskUpdate: (zoneName: string, idValue: string, changes: DiskUpdate): Check<Call> =>
      Effect.gen(function* () {
        const command = "disk update"
        if (!hasChange(changes)) return yield* refuse(command, "nothing to change")
        if (changes.name !== undefined) yield* name(command, changes.name)
        return yield* zonedId("disk", "update", zoneName, idValue, {
          confirm: true,
          json: true,
          flags: [
            ...flag("--name", changes.name),
            ...flag("--description", changes.description),
            ...replaceFlag("--tags", changes.tags),
            ...(changes.edit === undefined ? [] : yield* editFlags(command, "--edit-disk-", changes.edit))
          ],
          ...(changes.edit === undefined ? {} : { duration: "long" as const })
        })
      }),
    diskDelete: (zoneName: string, idValue: string) =>
      zonedId("disk", "delete", zoneName, idValue, { confirm: true, duration: "long" }),

    sshKeyList: (filter?: { readonly names?: ReadonlyArray<string> | undefined }) =>
      Effect.succeed(
        call(globals, { resource: "ssh-key", verb: "list", json: true, flags: listFlag("--names", filter?.names) })
      ),
    sshKeyRead: (idValue: string) => global("ssh-key", "read", idValue, { json: true }),
    sshKeyCreate: (spec: SshKeyCreateSpec): Check<Call> =>
      Effect.gen(function* () {
        const command = "ssh-key create"
        yield* name(command, spec.name)
        yield* name(command, spec.publicKey, "public key")
        return call(globals, {
          resource: "ssh-key",
          verb: "create",
          confirm: true,
          json: true,
          flags: ["--name", spec.name, ...flag("--description", spec.description), "--public-key", spec.publicKey],
          retry: "refused"
        })
      }),
    sshKeyDelete: (idValue: string) => global("ssh-key", "delete", idValue, { confirm: true }),

    archiveList: (zoneName: string, filter?: ArchiveFilter) =>
      zoned("archive", "list", zoneName, {
        json: true,
        flags: [...flag("--os-type", filter?.osType), ...filterFlags(filter)]
      }),

    noteList: (filter?: ListFilter) =>
      Effect.succeed(call(globals, { resource: "note", verb: "list", json: true, flags: filterFlags(filter) })),
    noteRead: (idValue: string) => global("note", "read", idValue, { json: true }),
    noteCreate: (spec: NoteCreateSpec): Check<Call> =>
      Effect.gen(function* () {
        const command = "note create"
        yield* name(command, spec.name)
        yield* name(command, spec.content, "content")
        return call(globals, {
          resource: "note",
          verb: "create",
          confirm: true,
          json: true,
          flags: [
            "--name",
            spec.name,
            ...listFlag("--tags", spec.tags),
            "--class",
            spec.class ?? "shell",
            "--content",
            spec.content
          ],
          retry: "refused"
        })
      }),
    noteUpdate: (idValue: string, changes: NoteUpdate): Check<Call> =>
      Effect.gen(function* () {
        const command = "note update"
        if (!hasChange(changes)) return yield* refuse(command, "nothing to change")
        if (changes.name !== undefined) yield* name(command, changes.name)
        return yield* global("note", "update", idValue, {
          confirm: true,
          json: true,
          flags: [
            ...flag("--name", changes.name),
            ...replaceFlag("--tags", changes.tags),
            ...flag("--content", changes.content)
          ]
        })
      }),
    noteDelete: (idValue: string) => global("note", "delete", idValue, { confirm: true }),

    authStatus: () => Effect.succeed(call(globals, { resource: "auth-status", verb: "", json: true }))
  }
}
