/**
 * What each simulated usacloud command does to the simulated cloud and prints, in the order
 * usacloud v1 works: load the config (failures exit 0), validate the flags, resolve the
 * targets from ID, name or tag arguments, ask for confirmation, call the API, print.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as NodeFs from "node:fs"
import { boolFlag, hasFlag, type Invocation, intFlag, listFlag, stringFlag } from "./Args.js"
import {
  archiveJson,
  type ArchiveView,
  archivesIn,
  authStatusJson,
  diskJson,
  diskPlans,
  diskSizesGB,
  fingerprintOf,
  generationIn,
  macAddressOf,
  noteJson,
  osTypes,
  planExists,
  publicArchivesIn,
  readyAt,
  renderJson,
  serialOf,
  serverJson,
  serverState,
  sharedAddress,
  sshKeyJson,
  zones
} from "./Cloud.js"
import * as DisksFlag from "./DisksFlag.js"
import { allocateId, type DiskRecord, type ServerRecord, type SimulatorDocument } from "./Document.js"
import { type Status, statuses } from "./Faults.js"

export interface Output {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/** What a run does once its change to the store is made. */
export type Outcome =
  | { readonly _tag: "Done"; readonly output: Output }
  /** Prints `output` once the clock reaches `until` (usacloud polling the API until a state is reached). */
  | { readonly _tag: "Wait"; readonly until: number; readonly output: Output }
  | { readonly _tag: "Hang" }

export interface Context {
  readonly invocation: Invocation
  readonly env: Readonly<Record<string, string>>
  readonly now: number
  readonly bootTimeMillis: number
}

/** A failure the way usacloud prints it. */
export class Failure extends Data.TaggedError("Failure")<{
  readonly text: string
  /** Config loading errors print the bare message and exit 0; everything after prints `\n<message>\n`, exit 1. */
  readonly stage: "config" | "command"
  readonly stdout?: string
}> {}

export const outputOf = (failure: Failure, warnings: string): Output =>
  failure.stage === "config"
    ? { exitCode: 0, stdout: failure.stdout ?? "", stderr: `${failure.text}\n` }
    : { exitCode: 1, stdout: failure.stdout ?? "", stderr: `${warnings}\n${failure.text}\n` }

const fail = (text: string) => Effect.fail(new Failure({ text, stage: "command" }))

const goQuote = (text: string) => JSON.stringify(text)

export const apiErrorText = (status: Status, serialSeed: string, message?: string, code?: string): string => {
  const facts = statuses[status]
  return (
    `Error in response: &iaas.APIErrorResponse{IsFatal:true, Serial:${goQuote(serialOf(serialSeed))}, ` +
    `Status:${goQuote(facts.text)}, ErrorCode:${goQuote(code ?? facts.code)}, ` +
    `ErrorMessage:${goQuote(message ?? facts.message)}}`
  )
}

const apiError = (context: Context, status: Status, message?: string, code?: string) =>
  fail(apiErrorText(status, `${context.now}:${context.invocation.args.join(",")}:${status}`, message, code))

const notFound = (context: Context) => apiError(context, 404)

// Environment and validation ----------------------------------------------------------------

const envValue = (env: Readonly<Record<string, string>>, name: string): string | undefined => {
  const value = env[`SAKURA_${name}`] ?? env[`SAKURACLOUD_${name}`]
  return value === undefined || value === "" ? undefined : value
}

const matchMode = (context: Context): string =>
  stringFlag(context.invocation, "argument-match-mode") ?? envValue(context.env, "ARGUMENT_MATCH_MODE") ?? "partial"

const permittedZones = (context: Context): ReadonlyArray<string> => {
  const configured = listFlag(context.invocation, "zones") ?? envValue(context.env, "ZONES")?.split(",")
  return configured !== undefined && configured.length > 0 ? configured : zones
}

const zoneOf = (context: Context): string | undefined =>
  stringFlag(context.invocation, "zone") ?? envValue(context.env, "ZONE")

/** The zones a zoned command works in: one, or every zone for `all`. */
const zonesOf = (context: Context): ReadonlyArray<string> => {
  const zone = zoneOf(context)!
  return zone === "all" ? permittedZones(context).filter((name) => name !== "all") : [zone]
}

const validationError = (errors: ReadonlyArray<string>) =>
  errors.length === 0 ? Effect.void : fail(`validation error:\n${errors.map((error) => `\t${error}`).join("\n")}`)

const oneOf = (flag: string, value: string | undefined, options: ReadonlyArray<string>): ReadonlyArray<string> =>
  value === undefined || value === "" || options.includes(value) ? [] : [`--${flag}: oneof=${options.join(" ")}`]

const required = (context: Context, flag: string): ReadonlyArray<string> => {
  const value = context.invocation.flags.get(flag)
  return value === undefined || value === "" || value === "0" ? [`--${flag}: required`] : []
}

/** usacloud's `tags` rule (unique, at most 10, each at most 32 characters). */
const tagRules = (flag: string, tags: ReadonlyArray<string> | undefined): ReadonlyArray<string> => {
  if (tags === undefined) return []
  const errors: Array<string> = []
  if (new Set(tags).size !== tags.length) errors.push(`--${flag}: unique`)
  if (tags.length > 10) errors.push(`--${flag}: max=10`)
  tags.forEach((tag, index) => {
    if ([...tag].length > 32) errors.push(`--${flag}[${index}]: max=32`)
  })
  return errors
}

/** What the API itself refuses in a tag: empty ones, white space and control characters. */
const checkTagCharacters = (context: Context, tags: ReadonlyArray<string>) => {
  const bad = tags.find((tag) => tag.length === 0 || /[\s\p{Cc}]/u.test(tag))
  return bad === undefined
    ? Effect.void
    : apiError(context, 400, `不適切な要求です。タグに使用できない文字が含まれています: ${goQuote(bad)}`)
}

const descriptionRule = (context: Context): ReadonlyArray<string> =>
  [...(stringFlag(context.invocation, "description") ?? "")].length > 512 ? ["--description: max=512"] : []

const readPathOrContent = (value: string): string => {
  try {
    if (NodeFs.existsSync(value) && NodeFs.statSync(value).isFile()) return NodeFs.readFileSync(value, "utf8")
  } catch {
    // Not a readable file: the value is the content.
  }
  return value
}

/** Go's encoding/json message for text that does not parse, near enough. */
const goJsonError = (text: string): string => {
  try {
    JSON.parse(text)
    return "json: cannot unmarshal"
  } catch (error) {
    const position = /position (\d+)/.exec(String(error))?.[1]
    const character = position === undefined ? text.trim()[0] : text[Number(position)]
    return character === undefined
      ? "unexpected end of JSON input"
      : `invalid character '${character}' looking for beginning of value`
  }
}

// Targets --------------------------------------------------------------------------------

interface Labeled {
  readonly id: number
  readonly name: string
  readonly tags: ReadonlyArray<string>
}

/** usacloud's selector: an argument matches a resource's ID, its name (substring, or whole in exact mode) or a tag. */
const select = <A extends Labeled>(
  context: Context,
  candidates: ReadonlyArray<A>
): Effect.Effect<Array<A>, Failure> => {
  const { args, spec } = context.invocation
  if (args.length === 0) return fail("ID or Name or Tags arguments are required")
  const exact = matchMode(context) === "exact"
  const matched = candidates.filter((candidate) =>
    args.some(
      (arg) =>
        String(candidate.id) === arg ||
        (exact ? candidate.name === arg : candidate.name.includes(arg)) ||
        candidate.tags.includes(arg)
    )
  )
  const query = `[${args.map(goQuote).join(" ")}]`
  if (spec.selector === "single" && matched.length > 1) {
    return fail(`in this operation, only a single target is allowed: query=${query}`)
  }
  if (matched.length === 0) return fail(`target resource not found: query=${query}`)
  return Effect.succeed(matched)
}

const confirm = (context: Context) =>
  boolFlag(context.invocation, "assumeyes")
    ? Effect.void
    : fail("the confirm dialog cannot be used without the terminal. Please use --assumeyes(-y) option")

const byId = <A extends { readonly id: number }>(items: ReadonlyArray<A>) => [...items].sort((a, b) => a.id - b.id)

const filterList = <A extends Labeled>(context: Context, items: ReadonlyArray<A>): ReadonlyArray<A> => {
  const names = listFlag(context.invocation, "names") ?? []
  const tags = listFlag(context.invocation, "tags") ?? []
  const from = intFlag(context.invocation, "from") ?? 0
  const count = intFlag(context.invocation, "count") ?? 0
  const matching = byId(items).filter(
    (item) => names.every((name) => item.name.includes(name)) && tags.every((tag) => item.tags.includes(tag))
  )
  return matching.slice(from, count > 0 ? from + count : undefined)
}

// Printing -------------------------------------------------------------------------------

const printable = (context: Context) => context.invocation.spec.flags["output-type"] !== undefined

const print = (context: Context, values: ReadonlyArray<Record<string, unknown>>, warnings: string): Output => {
  if (!printable(context)) return { exitCode: 0, stdout: "", stderr: warnings }
  const type = stringFlag(context.invocation, "output-type") ?? envValue(context.env, "DEFAULT_OUTPUT_TYPE") ?? "table"
  if (boolFlag(context.invocation, "quiet")) {
    return { exitCode: 0, stdout: values.map((value) => `${String(value.ID ?? "")}\n`).join(""), stderr: warnings }
  }
  if (type === "json") return { exitCode: 0, stdout: renderJson(values), stderr: warnings }
  if (values.length === 0) return { exitCode: 0, stdout: "", stderr: warnings }
  const rows = values.map((value) => [
    String(value.ID ?? value.AccountID ?? ""),
    String(value.Name ?? value.AccountName ?? ""),
    typeof value.Zone === "string" ? value.Zone : ((value.Zone as { Name?: string } | undefined)?.Name ?? "")
  ])
  const header = ["ID", "Name", "Zone"]
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
  const line = (cells: ReadonlyArray<string>) => `| ${cells.map((cell, at) => cell.padEnd(widths[at]!)).join(" | ")} |`
  const rule = `+${widths.map((width) => "-".repeat(width + 2)).join("+")}+`
  return {
    exitCode: 0,
    stdout: [rule, line(header), rule, ...rows.map(line), rule].join("\n") + "\n",
    stderr: warnings
  }
}

// Servers --------------------------------------------------------------------------------

const serverLabels = (server: ServerRecord): Labeled => server

const isUp = (server: ServerRecord, now: number) => {
  const state = serverState(server, now)
  return state.instanceStatus === "up" || (state.availability === "available" && server.power === "up")
}

/** The disk that `server create` makes, or undefined when no `--disk-*` flag asks for one. */
const diskFlagsGiven = (invocation: Invocation): boolean =>
  [...invocation.flags.keys()].some(
    (name) => name.startsWith("disk-") && name !== "disk-ids" && name !== "disk-no-wait" && name !== "disk-id"
  )

interface DiskSource {
  readonly sourceArchiveId: number
  readonly sourceDiskId: number
}

const resolveSource = (
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
const checkEdit = (context: Context, document: SimulatorDocument, prefix: string) =>
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
const disksEntries = (context: Context) =>
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
const checkEditEntry = (context: Context, document: SimulatorDocument, edit: DisksFlag.EditEntry) =>
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

const diskSizeMB = (context: Context, flag: string) =>
  Effect.gen(function* () {
    const size = intFlag(context.invocation, flag) ?? 20
    if (!diskSizesGB.includes(size)) {
      return yield* apiError(context, 400, `不適切な要求です。ディスクサイズ(${size}GB)が不正です。`)
    }
    return size * 1024
  })

const serverCreate = (context: Context, document: SimulatorDocument) =>
  Effect.gen(function* () {
    const invocation = context.invocation
    const tags = listFlag(invocation, "tags")
    const diskTags = listFlag(invocation, "disk-tags")
    const sources = ["disk-os-type", "disk-source-archive-id", "disk-source-disk-id"].filter((flag) =>
      hasFlag(invocation, flag)
    )
    yield* validationError([
      ...required(context, "name"),
      ...descriptionRule(context),
      ...tagRules("tags", tags),
      // --cpu and --memory default to 1; only an explicit 0 is missing.
      ...(intFlag(invocation, "cpu") === 0 ? ["--cpu: required"] : []),
      ...(intFlag(invocation, "memory") === 0 ? ["--memory: required"] : []),
      ...oneOf("commitment", stringFlag(invocation, "commitment"), ["standard", "dedicatedcpu"]),
      ...oneOf("generation", stringFlag(invocation, "generation"), ["default", "100", "200"]),
      ...oneOf("interface-driver", stringFlag(invocation, "interface-driver"), ["virtio", "e1000"]),
      ...tagRules("disk-tags", diskTags),
      ...oneOf("disk-disk-plan", stringFlag(invocation, "disk-disk-plan"), Object.keys(diskPlans)),
      ...oneOf("disk-connection", stringFlag(invocation, "disk-connection"), ["virtio", "ide"]),
      ...oneOf("disk-os-type", stringFlag(invocation, "disk-os-type"), Object.keys(osTypes)),
      ...(sources.length > 1
        ? [
            `${["--disk-os-type", "--disk-source-archive-id", "--disk-source-disk-id"].join(", ")}: only one of them can be specified`
          ]
        : []),
      ...(hasFlag(invocation, "network-interfaces") && hasFlag(invocation, "network-interface-upstream")
        ? ["--network-interface, --network-interfaces: only one of them can be specified"]
        : [])
    ])
    const diskIds = listFlag(invocation, "disk-ids") ?? []
    const disksGiven = hasFlag(invocation, "disks")
    if ([diskFlagsGiven(invocation), disksGiven, diskIds.length > 0].filter(Boolean).length > 1) {
      yield* validationError(["--disk & --disks & --disk-ids: only one of them can be specified"])
    }
    if (hasFlag(invocation, "network-interfaces")) {
      return yield* fail("usacloud simulator: --network-interfaces is not simulated")
    }
    const entries = disksGiven ? yield* disksEntries(context) : []
    const edits = new Map(entries.map((entry) => [String(entry.id), entry.edit]))
    // usacloud reads every disk of --disk-ids and --disks before it creates anything.
    const attach: Array<DiskRecord> = []
    for (const zone of zonesOf(context)) {
      for (const id of [...diskIds, ...edits.keys()]) {
        const disk = document.disks.find((candidate) => candidate.zone === zone && String(candidate.id) === id)
        if (disk === undefined) return yield* notFound(context)
        if (disk.serverId !== 0) {
          return yield* apiError(
            context,
            409,
            `要求された操作を行えません。ディスク[${disk.id}]は既に他のサーバに接続されています。`,
            "conflict"
          )
        }
        attach.push(disk)
      }
    }
    yield* checkEdit(context, document, "disk-edit-")
    for (const edit of edits.values()) if (edit !== undefined) yield* checkEditEntry(context, document, edit)
    yield* confirm(context)
    if (boolFlag(invocation, "no-wait") && boolFlag(invocation, "boot-after-create")) {
      return yield* fail("NoWait=true is not supported with BootAfterCreate=true")
    }
    const cpu = intFlag(invocation, "cpu") ?? 1
    const memoryGB = intFlag(invocation, "memory") ?? 1
    if (!planExists(cpu, memoryGB)) return yield* fail("server plan not found")
    yield* checkTagCharacters(context, [...(tags ?? []), ...(diskTags ?? [])])
    const upstream = stringFlag(invocation, "network-interface-upstream")
    if (upstream !== undefined && upstream !== "shared" && upstream !== "disconnected") {
      if (!/^\d+$/.test(upstream)) {
        return yield* fail("validation error:\n\t--network-interface-upstream: oneof=shared disconnected (switch-id)")
      }
      return yield* notFound(context)
    }
    const name = stringFlag(invocation, "name")!
    let current = document
    const created: Array<ServerRecord> = []
    for (const zone of zonesOf(context)) {
      const [serverId, withServer] = allocateId(current)
      current = withServer
      const interfaces: Array<ServerRecord["interfaces"][number]> = []
      if (upstream !== undefined) {
        const [nicId, withNic] = allocateId(current)
        current = withNic
        const address = upstream === "shared" ? sharedAddress(zone, current.nextAddress).ip : ""
        if (upstream === "shared") current = { ...current, nextAddress: current.nextAddress + 1 }
        interfaces.push({ id: nicId, macAddress: macAddressOf(nicId), ipAddress: address, upstream })
      }
      const copying = diskFlagsGiven(invocation)
      const availableAt = context.now + context.bootTimeMillis
      const boot = boolFlag(invocation, "boot-after-create")
      const server: ServerRecord = {
        id: serverId,
        zone,
        name,
        description: stringFlag(invocation, "description") ?? "",
        tags: tags ?? [],
        // Each edit of a connected disk names the server after its host name; the last one wins.
        hostName:
          [...edits.values()].reduce(
            (name: string | undefined, edit) => edit?.hostName ?? name,
            stringFlag(invocation, "disk-edit-host-name")
          ) ?? "",
        cpu,
        memoryMB: memoryGB * 1024,
        commitment: stringFlag(invocation, "commitment") ?? "standard",
        generation: generationIn(zone, stringFlag(invocation, "generation")),
        interfaceDriver: stringFlag(invocation, "interface-driver") ?? "virtio",
        createdAt: context.now,
        modifiedAt: context.now,
        availableAt,
        power: boot ? "up" : "down",
        powerAt: availableAt,
        powerBefore: "down",
        interfaces
      }
      current = { ...current, servers: [...current.servers, server] }
      if (copying) {
        const source = yield* resolveSource(context, current, zone, {
          osType: "disk-os-type",
          archive: "disk-source-archive-id",
          disk: "disk-source-disk-id"
        })
        const sizeMB = yield* diskSizeMB(context, "disk-size")
        const [diskId, withDisk] = allocateId(current)
        const disk: DiskRecord = {
          id: diskId,
          zone,
          name: stringFlag(invocation, "disk-name") ?? name,
          description: stringFlag(invocation, "disk-description") ?? "",
          tags: diskTags ?? [],
          planId: diskPlans[stringFlag(invocation, "disk-disk-plan") ?? "ssd"]!.id,
          connection: stringFlag(invocation, "disk-connection") ?? "virtio",
          sizeMB,
          ...source,
          serverId,
          connectionOrder: 1,
          createdAt: context.now,
          modifiedAt: context.now,
          availableAt
        }
        current = { ...withDisk, disks: [...withDisk.disks, disk] }
      }
      const connected = attach.filter((disk) => disk.zone === zone)
      if (connected.length > 0) {
        current = {
          ...current,
          disks: current.disks.map((disk) => {
            const order = connected.findIndex((candidate) => candidate.id === disk.id)
            return order < 0 ? disk : { ...disk, serverId, connectionOrder: order + 1, modifiedAt: context.now }
          })
        }
      }
      created.push(server)
    }
    // With --boot-after-create usacloud boots the server, waits until it is up, and prints it as it is then.
    const until = boolFlag(invocation, "boot-after-create")
      ? Math.max(context.now, ...created.map((server) => readyAt(server) ?? context.now))
      : context.now
    return [created.map((server) => serverJson(current, server, until)), current, until] as const
  })

const previousIdTag = "@previous-id"

const serverUpdate = (context: Context, document: SimulatorDocument, targets: ReadonlyArray<ServerRecord>) =>
  Effect.gen(function* () {
    const invocation = context.invocation
    const tags = listFlag(invocation, "tags")
    yield* validationError([
      ...descriptionRule(context),
      ...tagRules("tags", tags),
      ...oneOf("commitment", stringFlag(invocation, "commitment"), ["standard", "dedicatedcpu"]),
      ...oneOf("interface-driver", stringFlag(invocation, "interface-driver"), ["virtio", "e1000"])
    ])
    for (const flag of ["network-interfaces", "disks"]) {
      if (hasFlag(invocation, flag)) return yield* fail(`usacloud simulator: --${flag} is not simulated`)
    }
    yield* confirm(context)
    yield* checkTagCharacters(context, tags ?? [])
    let current = document
    let until = context.now
    const updated: Array<ServerRecord> = []
    for (const target of targets) {
      const cpu = intFlag(invocation, "cpu") ?? target.cpu
      const memoryMB = (intFlag(invocation, "memory") ?? target.memoryMB / 1024) * 1024
      const commitment = stringFlag(invocation, "commitment") ?? target.commitment
      const planChanged = cpu !== target.cpu || memoryMB !== target.memoryMB || commitment !== target.commitment
      if (planChanged && !planExists(cpu, memoryMB / 1024)) return yield* fail("server plan not found")
      const running = isUp(target, context.now)
      if (planChanged && running && boolFlag(invocation, "no-wait")) {
        return yield* fail("NoWait option is not available due to the need to shut down")
      }
      if (serverState(target, context.now).availability === "migrating") {
        return yield* apiError(context, 409)
      }
      let desiredTags = tags ?? target.tags
      let server: ServerRecord = {
        ...target,
        name: stringFlag(invocation, "name") ?? target.name,
        description: stringFlag(invocation, "description") ?? target.description,
        modifiedAt: context.now
      }
      if (planChanged) {
        // Sakura gives a server a new ID when its plan changes; usacloud keeps the old one in a tag.
        if (desiredTags.length <= 10) {
          desiredTags = [
            ...desiredTags.filter((tag) => !tag.startsWith(previousIdTag)),
            `${previousIdTag}=${target.id}`
          ]
          desiredTags = [...desiredTags].sort()
        }
        const [newId, withId] = allocateId(current)
        current = {
          ...withId,
          disks: withId.disks.map((disk) => (disk.serverId === target.id ? { ...disk, serverId: newId } : disk))
        }
        server = {
          ...server,
          id: newId,
          cpu,
          memoryMB,
          commitment,
          power: "down",
          powerAt: context.now,
          powerBefore: "down"
        }
        if (running) {
          server = { ...server, power: "up", powerBefore: "down", powerAt: context.now + context.bootTimeMillis }
          until = Math.max(until, server.powerAt)
        }
      }
      server = { ...server, tags: desiredTags }
      current = {
        ...current,
        servers: current.servers.map((candidate) => (candidate.id === target.id ? server : candidate))
      }
      updated.push(server)
    }
    return [updated.map((server) => serverJson(current, server, context.now)), current, until] as const
  })

const serverDelete = (context: Context, document: SimulatorDocument, targets: ReadonlyArray<ServerRecord>) =>
  Effect.gen(function* () {
    yield* confirm(context)
    const force = boolFlag(context.invocation, "force")
    const withDisks = boolFlag(context.invocation, "with-disks")
    let current = document
    const errors: Array<string> = []
    for (const target of targets) {
      if (!force && isUp(target, context.now)) {
        errors.push(`target ${target.zone}:${goQuote(String(target.id))} has not yet shut down`)
        continue
      }
      current = {
        ...current,
        servers: current.servers.filter((server) => server.id !== target.id),
        disks: withDisks
          ? current.disks.filter((disk) => disk.serverId !== target.id)
          : current.disks.map((disk) => (disk.serverId === target.id ? { ...disk, serverId: 0 } : disk))
      }
    }
    return [errors, current] as const
  })

const replaceServer = (document: SimulatorDocument, server: ServerRecord): SimulatorDocument => ({
  ...document,
  servers: document.servers.map((candidate) => (candidate.id === server.id ? server : candidate))
})

const serverPower = (
  context: Context,
  document: SimulatorDocument,
  targets: ReadonlyArray<ServerRecord>,
  power: "up" | "down"
) =>
  Effect.gen(function* () {
    yield* confirm(context)
    let current = document
    let until = context.now
    for (const target of targets) {
      const state = serverState(target, context.now)
      if (state.availability === "migrating") return yield* apiError(context, 409)
      if (target.power === power) {
        if (power === "up") until = Math.max(until, target.powerAt)
        continue
      }
      const powerAt = power === "up" ? context.now + context.bootTimeMillis : context.now
      const powerBefore = state.instanceStatus === "up" ? "up" : "down"
      current = replaceServer(current, { ...target, power, powerAt, powerBefore })
      until = Math.max(until, powerAt)
    }
    return [current, boolFlag(context.invocation, "no-wait") ? context.now : until] as const
  })

const timeoutSeconds = (context: Context) => {
  const seconds = intFlag(context.invocation, "process-timeout-sec") ?? 0
  return seconds > 0 ? seconds : 2 * 60 * 60
}

const timedOut = (context: Context) =>
  `command[${context.invocation.spec.resource}/${context.invocation.spec.verb}] timed out: context deadline exceeded`

// Disks, keys, notes ------------------------------------------------------------------------

const diskCreate = (context: Context, document: SimulatorDocument) =>
  Effect.gen(function* () {
    const invocation = context.invocation
    const tags = listFlag(invocation, "tags")
    const sources = ["os-type", "source-archive-id", "source-disk-id"].filter((flag) => hasFlag(invocation, flag))
    yield* validationError([
      ...required(context, "name"),
      ...descriptionRule(context),
      ...tagRules("tags", tags),
      ...oneOf("disk-plan", stringFlag(invocation, "disk-plan"), Object.keys(diskPlans)),
      ...oneOf("connector", stringFlag(invocation, "connector"), ["virtio", "ide"]),
      ...oneOf("os-type", stringFlag(invocation, "os-type"), Object.keys(osTypes)),
      ...(sources.length > 1
        ? ["--os-type, --source-archive-id, --source-disk-id: only one of them can be specified"]
        : [])
    ])
    yield* checkEdit(context, document, "edit-disk-")
    yield* confirm(context)
    yield* checkTagCharacters(context, tags ?? [])
    let current = document
    const created: Array<DiskRecord> = []
    for (const zone of zonesOf(context)) {
      const source = yield* resolveSource(context, current, zone, {
        osType: "os-type",
        archive: "source-archive-id",
        disk: "source-disk-id"
      })
      const serverId = stringFlag(invocation, "server-id")
      const server =
        serverId === undefined ? undefined : current.servers.find((s) => s.zone === zone && String(s.id) === serverId)
      if (serverId !== undefined && server === undefined) return yield* notFound(context)
      const sizeMB = yield* diskSizeMB(context, "size")
      const [id, withId] = allocateId(current)
      const copying = source.sourceArchiveId !== 0 || source.sourceDiskId !== 0
      const disk: DiskRecord = {
        id,
        zone,
        name: stringFlag(invocation, "name")!,
        description: stringFlag(invocation, "description") ?? "",
        tags: tags ?? [],
        planId: diskPlans[stringFlag(invocation, "disk-plan") ?? "ssd"]!.id,
        connection: stringFlag(invocation, "connector") ?? "virtio",
        sizeMB,
        ...source,
        serverId: server?.id ?? 0,
        connectionOrder: server === undefined ? 0 : current.disks.filter((d) => d.serverId === server.id).length + 1,
        createdAt: context.now,
        modifiedAt: context.now,
        availableAt: copying ? context.now + context.bootTimeMillis : context.now
      }
      current = { ...withId, disks: [...withId.disks, disk] }
      created.push(disk)
    }
    return [created.map((disk) => diskJson(current, disk, context.now)), current] as const
  })

const sshKeyCreate = (context: Context, document: SimulatorDocument) =>
  Effect.gen(function* () {
    yield* validationError([
      ...required(context, "name"),
      ...descriptionRule(context),
      ...required(context, "public-key")
    ])
    yield* confirm(context)
    const publicKey = readPathOrContent(stringFlag(context.invocation, "public-key")!).trim()
    const fingerprint = fingerprintOf(publicKey)
    if (fingerprint === undefined) {
      return yield* apiError(context, 400, "不適切な要求です。公開鍵の形式が正しくありません。")
    }
    const [id, withId] = allocateId(document)
    const key = {
      id,
      name: stringFlag(context.invocation, "name")!,
      description: stringFlag(context.invocation, "description") ?? "",
      publicKey,
      fingerprint,
      createdAt: context.now
    }
    return [[sshKeyJson(key)], { ...withId, sshKeys: [...withId.sshKeys, key] }] as const
  })

const noteClasses = ["shell", "yaml_cloud_config"]

const noteCreate = (context: Context, document: SimulatorDocument) =>
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
    return [[noteJson(note)], { ...withId, notes: [...withId.notes, note] }] as const
  })

// Dispatch -------------------------------------------------------------------------------

type Json = Record<string, unknown>

interface Result {
  readonly values: ReadonlyArray<Json>
  readonly document: SimulatorDocument
  /** When usacloud would stop waiting; `now` when it does not wait. */
  readonly until?: number
  /** Printed after the wait, instead of the values, when the wait ends in usacloud's timeout. */
  readonly failAfterWait?: string
  /** A failure that leaves the changes made before it (usacloud runs each target on its own). */
  readonly error?: string
}

const archiveLabels = (archive: ArchiveView): Labeled => archive

const inZones = <A extends { readonly zone: string }>(context: Context, items: ReadonlyArray<A>) => {
  const wanted = zonesOf(context)
  return items.filter((item) => wanted.includes(item.zone))
}

const execute = (context: Context, document: SimulatorDocument): Effect.Effect<Result, Failure> =>
  Effect.gen(function* () {
    const { invocation, now } = context
    const same = (values: ReadonlyArray<Json>): Result => ({ values, document })
    switch (invocation.name) {
      case "server list":
        return same(filterList(context, inZones(context, document.servers)).map((s) => serverJson(document, s, now)))
      case "server read": {
        const [server] = yield* select(context, inZones(context, document.servers).map(serverLabels))
        return same([serverJson(document, server as ServerRecord, now)])
      }
      case "server create": {
        const [values, next, until] = yield* serverCreate(context, document)
        return { values, document: next, until }
      }
      case "server update": {
        const targets = yield* select(context, inZones(context, document.servers))
        const [values, next, until] = yield* serverUpdate(context, document, targets)
        return { values, document: next, until }
      }
      case "server delete": {
        const targets = yield* select(context, inZones(context, document.servers))
        const [errors, next] = yield* serverDelete(context, document, targets)
        // The servers that could be deleted are gone all the same.
        return { values: [], document: next, ...(errors.length > 0 ? { error: errors.join("\n") } : {}) }
      }
      case "server boot":
      case "server shutdown": {
        const targets = yield* select(context, inZones(context, document.servers))
        const [next, until] = yield* serverPower(
          context,
          document,
          targets,
          invocation.spec.verb === "boot" ? "up" : "down"
        )
        return { values: [], document: next, until }
      }
      case "server wait-until-ready":
      case "server wait-until-shutdown": {
        const targets = yield* select(context, inZones(context, document.servers))
        const ready = invocation.spec.verb === "wait-until-ready"
        const times = targets.map((server) =>
          ready ? readyAt(server) : server.power === "down" ? Math.max(server.powerAt, server.availableAt) : undefined
        )
        const deadline = now + timeoutSeconds(context) * 1000
        if (times.some((time) => time === undefined || time > deadline)) {
          return { values: [], document, until: deadline, failAfterWait: timedOut(context) }
        }
        return { values: [], document, until: Math.max(now, ...(times as Array<number>)) }
      }
      case "disk list":
        return same(filterList(context, inZones(context, document.disks)).map((d) => diskJson(document, d, now)))
      case "disk read": {
        const [disk] = yield* select(context, inZones(context, document.disks))
        return same([diskJson(document, disk!, now)])
      }
      case "disk create": {
        const [values, next] = yield* diskCreate(context, document)
        return { values, document: next }
      }
      case "disk update": {
        const targets = yield* select(context, inZones(context, document.disks))
        const tags = listFlag(invocation, "tags")
        yield* validationError([
          ...descriptionRule(context),
          ...tagRules("tags", tags),
          ...oneOf("connector", stringFlag(invocation, "connector"), ["virtio", "ide"])
        ])
        yield* checkEdit(context, document, "edit-disk-")
        yield* confirm(context)
        yield* checkTagCharacters(context, tags ?? [])
        const ids = new Set(targets.map((disk) => disk.id))
        // An edit writes into the disk: Sakura refuses it while its server runs, and takes the host name over.
        const edited = [...invocation.flags.keys()].some((flag) => flag.startsWith("edit-disk-"))
        const hostName = stringFlag(invocation, "edit-disk-host-name")
        const holders = edited
          ? document.servers.filter((server) => targets.some((disk) => disk.serverId === server.id))
          : []
        const running = holders.find((server) => isUp(server, now))
        if (running !== undefined) {
          return yield* apiError(
            context,
            409,
            `要求された操作を行えません。サーバ[${running.id}]が起動しているためディスクを修正できません。`,
            "conflict"
          )
        }
        const renamed = new Set(hostName === undefined ? [] : holders.map((server) => server.id))
        const next: SimulatorDocument = {
          ...document,
          servers: document.servers.map((server) =>
            renamed.has(server.id) ? { ...server, hostName: hostName!, modifiedAt: now } : server
          ),
          disks: document.disks.map((disk) =>
            ids.has(disk.id)
              ? {
                  ...disk,
                  name: stringFlag(invocation, "name") ?? disk.name,
                  description: stringFlag(invocation, "description") ?? disk.description,
                  tags: tags ?? disk.tags,
                  connection: stringFlag(invocation, "connector") ?? disk.connection,
                  modifiedAt: now
                }
              : disk
          )
        }
        return {
          values: next.disks.filter((disk) => ids.has(disk.id)).map((d) => diskJson(next, d, now)),
          document: next
        }
      }
      case "disk delete": {
        const targets = yield* select(context, inZones(context, document.disks))
        yield* confirm(context)
        const attached = targets.find((disk) => document.servers.some((server) => server.id === disk.serverId))
        if (attached !== undefined) {
          return yield* apiError(
            context,
            409,
            `要求された操作を行えません。ディスク[${attached.id}]はサーバに接続されています。`,
            "conflict"
          )
        }
        const ids = new Set(targets.map((disk) => disk.id))
        return { values: [], document: { ...document, disks: document.disks.filter((disk) => !ids.has(disk.id)) } }
      }
      case "ssh-key list":
        return same(
          filterList(
            context,
            document.sshKeys.map((key) => ({ ...key, tags: [] }))
          ).map(sshKeyJson)
        )
      case "ssh-key read": {
        const [key] = yield* select(
          context,
          document.sshKeys.map((key) => ({ ...key, tags: [] }))
        )
        return same([sshKeyJson(key!)])
      }
      case "ssh-key create": {
        const [values, next] = yield* sshKeyCreate(context, document)
        return { values, document: next }
      }
      case "ssh-key update": {
        const targets = yield* select(
          context,
          document.sshKeys.map((key) => ({ ...key, tags: [] }))
        )
        yield* validationError(descriptionRule(context))
        yield* confirm(context)
        const ids = new Set(targets.map((key) => key.id))
        const keys = document.sshKeys.map((key) =>
          ids.has(key.id)
            ? {
                ...key,
                name: stringFlag(invocation, "name") ?? key.name,
                description: stringFlag(invocation, "description") ?? key.description
              }
            : key
        )
        return {
          values: keys.filter((key) => ids.has(key.id)).map(sshKeyJson),
          document: { ...document, sshKeys: keys }
        }
      }
      case "ssh-key delete": {
        const targets = yield* select(
          context,
          document.sshKeys.map((key) => ({ ...key, tags: [] }))
        )
        yield* confirm(context)
        const ids = new Set(targets.map((key) => key.id))
        return { values: [], document: { ...document, sshKeys: document.sshKeys.filter((key) => !ids.has(key.id)) } }
      }
      case "note list": {
        const scope = stringFlag(invocation, "scope")
        yield* validationError(oneOf("scope", scope, ["user", "shared"]))
        const notes = document.notes.filter((note) => scope === undefined || scope === "" || note.scope === scope)
        return same(filterList(context, notes).map(noteJson))
      }
      case "note read": {
        const [note] = yield* select(context, document.notes)
        return same([noteJson(note!)])
      }
      case "note create": {
        const [values, next] = yield* noteCreate(context, document)
        return { values, document: next }
      }
      case "note update": {
        const targets = yield* select(context, document.notes)
        const tags = listFlag(invocation, "tags")
        yield* validationError([
          ...tagRules("tags", tags),
          ...oneOf("class", stringFlag(invocation, "class"), noteClasses)
        ])
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
        return { values: notes.filter((note) => ids.has(note.id)).map(noteJson), document: { ...document, notes } }
      }
      case "note delete": {
        const targets = yield* select(context, document.notes)
        yield* confirm(context)
        const ids = new Set(targets.map((note) => note.id))
        return { values: [], document: { ...document, notes: document.notes.filter((note) => !ids.has(note.id)) } }
      }
      case "archive list": {
        const osType = stringFlag(invocation, "os-type")
        const scope = stringFlag(invocation, "scope")
        yield* validationError([
          ...oneOf("os-type", osType, Object.keys(osTypes)),
          ...oneOf("scope", scope, ["user", "shared"])
        ])
        const wanted = osType === undefined || osType === "" ? [] : osTypes[osType]!
        const archives = zonesOf(context)
          .flatMap((zone) => archivesIn(document, zone))
          .filter(
            (archive) =>
              (scope === undefined || scope === "" || archive.scope === scope) &&
              (wanted.length === 0 || (archive.scope === "shared" && wanted.every((tag) => archive.tags.includes(tag))))
          )
        return same(filterList(context, archives).map(archiveJson))
      }
      case "archive read": {
        const archives = zonesOf(context).flatMap((zone) => archivesIn(document, zone))
        const [archive] = yield* select(context, archives.map(archiveLabels))
        return same([archiveJson(archive as ArchiveView)])
      }
      case "auth-status read":
        return same([authStatusJson])
    }
    return yield* fail(`usacloud simulator: ${invocation.name} is not simulated`)
  })

/** Go's `encoding/json` view of `--parameters`: an object whose keys name the command's flags (`Name`, `CPU`, `Tags`, ...). */
const applyParameters = (context: Context): Effect.Effect<Context, Failure> => {
  const raw = stringFlag(context.invocation, "parameters")
  if (raw === undefined || raw === "") return Effect.succeed(context)
  const text = readPathOrContent(raw)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return Effect.fail(new Failure({ text: goJsonError(text), stage: "config" }))
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return Effect.fail(
      new Failure({
        text: `json: cannot unmarshal ${Array.isArray(parsed) ? "array" : typeof parsed} into Go value`,
        stage: "config"
      })
    )
  }
  const flags = new Map(context.invocation.flags)
  const kebab = (key: string) =>
    key
      .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
      .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
      .toLowerCase()
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    const name = kebab(key) === "memory-gb" ? "memory" : kebab(key)
    // Flags on the command line win: usacloud parses them again after loading the file.
    if (context.invocation.spec.flags[name] === undefined || context.invocation.flags.has(name)) continue
    if (Array.isArray(value)) flags.set(name, value.map(String))
    else if (typeof value === "boolean") flags.set(name, value)
    else if (typeof value === "string" || typeof value === "number") flags.set(name, String(value))
  }
  return Effect.succeed({ ...context, invocation: { ...context.invocation, flags } })
}

const warningFor = (context: Context): string =>
  context.invocation.spec.resource === "auth-status"
    ? "[WARN] auth-status is deprecated. Please use 'usacloud rest https://secure.sakura.ad.jp/cloud/api/iam/1.0/auth/context' instead.\n"
    : ""

/** Runs one parsed invocation against `document`: what to print, and the document after it. */
export const run = (base: Context, document: SimulatorDocument): Effect.Effect<readonly [Outcome, SimulatorDocument]> =>
  Effect.gen(function* () {
    const warnings = warningFor(base)
    const mode = stringFlag(base.invocation, "argument-match-mode") ?? envValue(base.env, "ARGUMENT_MATCH_MODE")
    if (mode !== undefined && mode !== "partial" && mode !== "exact") {
      yield* Effect.fail(
        new Failure({
          text: "validation error:\n\t--argument-match-mode: must be one of [partial/exact]",
          stage: "config"
        })
      )
    }
    const context = yield* applyParameters(base)
    const { invocation } = context
    for (const flag of ["format", "query", "generate-skeleton", "example"]) {
      if (hasFlag(invocation, flag)) return yield* fail(`usacloud simulator: --${flag} is not simulated`)
    }
    const errors: Array<string> = []
    if (invocation.spec.zoned) {
      const zone = zoneOf(context)
      if (zone === undefined) errors.push("--zone: required")
      else errors.push(...oneOf("zone", zone, ["all", ...permittedZones(context)]))
    }
    errors.push(...oneOf("output-type", stringFlag(invocation, "output-type"), ["table", "json", "yaml"]))
    yield* validationError(errors)
    if (stringFlag(invocation, "output-type") === "yaml")
      return yield* fail("usacloud simulator: -o yaml is not simulated")
    const result = yield* execute(context, document)
    if (result.error !== undefined) {
      const failed = outputOf(new Failure({ text: result.error, stage: "command" }), warnings)
      return [{ _tag: "Done", output: failed } as const, result.document] as const
    }
    const output = print(context, result.values, warnings)
    if (result.failAfterWait !== undefined) {
      const failed = outputOf(new Failure({ text: result.failAfterWait, stage: "command" }), warnings)
      return [{ _tag: "Wait", until: result.until ?? context.now, output: failed } as const, result.document] as const
    }
    if (result.until !== undefined && result.until > context.now) {
      return [{ _tag: "Wait", until: result.until, output } as const, result.document] as const
    }
    return [{ _tag: "Done", output } as const, result.document] as const
  }).pipe(
    Effect.catchAll((failure) =>
      Effect.succeed([{ _tag: "Done", output: outputOf(failure, warningFor(base)) } as const, document] as const)
    )
  )
