/**
 * The usacloud commands the simulator knows, with their aliases, whether they take `--zone`,
 * how many targets their arguments select, and every flag cobra accepts for them (as
 * usacloud v1 declares them), plus the global flags.
 */

export type FlagKind = "string" | "int" | "bool" | "strings" | "id" | "ids"

export interface FlagSpec {
  readonly kind: FlagKind
  readonly short?: string
  readonly aliases?: ReadonlyArray<string>
}

export type Selector = "none" | "single" | "multi"

export interface CommandSpec {
  readonly resource: string
  readonly verb: string
  readonly verbAliases: ReadonlyArray<string>
  readonly zoned: boolean
  readonly selector: Selector
  readonly flags: Readonly<Record<string, FlagSpec>>
}

const s = (extra: Partial<FlagSpec> = {}): FlagSpec => ({ kind: "string", ...extra })
const i: FlagSpec = { kind: "int" }
const b = (extra: Partial<FlagSpec> = {}): FlagSpec => ({ kind: "bool", ...extra })
const list: FlagSpec = { kind: "strings" }
const id: FlagSpec = { kind: "id" }
const ids: FlagSpec = { kind: "ids" }

export const globalFlags: Readonly<Record<string, FlagSpec>> = {
  profile: s(),
  token: s(),
  secret: s(),
  zones: list,
  "no-color": b(),
  trace: b(),
  fake: b(),
  "fake-store": s(),
  "process-timeout-sec": i,
  "argument-match-mode": s(),
  help: b({ short: "h" }),
  version: b({ short: "v" })
}

const zone = { zone: s() }
const common = { parameters: s(), "generate-skeleton": b({ aliases: ["skeleton"] }), example: b() }
const confirm = { assumeyes: b({ short: "y" }) }
const output = {
  "output-type": s({ short: "o", aliases: ["out"] }),
  quiet: b({ short: "q" }),
  format: s({ aliases: ["fmt"] }),
  query: s(),
  "query-driver": s()
}
const paging = { count: i, from: i }
const labels = { name: s(), description: s({ aliases: ["desc"] }), tags: list, "icon-id": id }

const editFlags = (prefix: string) => ({
  [`${prefix}host-name`]: s(),
  [`${prefix}password`]: s(),
  [`${prefix}ip-address`]: s(),
  [`${prefix}netmask`]: i,
  [`${prefix}gateway`]: s(),
  [`${prefix}disable-pw-auth`]: b(),
  [`${prefix}enable-dhcp`]: b(),
  [`${prefix}change-partition-uuid`]: b(),
  [`${prefix}ssh-key-ids`]: ids,
  [`${prefix}ssh-keys`]: list,
  [`${prefix}make-ssh-keys-ephemeral`]: b(),
  [`${prefix}note-ids`]: ids,
  [`${prefix}notes`]: s(),
  [`${prefix}make-notes-ephemeral`]: b()
})

const plan = {
  cpu: { kind: "int", aliases: ["core"] } satisfies FlagSpec,
  memory: i,
  gpu: i,
  "gpu-model": s(),
  "cpu-model": s(),
  commitment: s(),
  generation: s(),
  "interface-driver": s()
}

const command = (
  resource: string,
  verb: string,
  options: {
    readonly aliases?: ReadonlyArray<string>
    readonly zoned: boolean
    readonly selector: Selector
    readonly flags: Readonly<Record<string, FlagSpec>>
  }
): CommandSpec => ({
  resource,
  verb,
  verbAliases: options.aliases ?? [],
  zoned: options.zoned,
  selector: options.selector,
  flags: { ...(options.zoned ? zone : {}), ...common, ...options.flags }
})

const listAliases = ["ls", "find", "select"]

export const commands: ReadonlyArray<CommandSpec> = [
  command("server", "list", {
    aliases: listAliases,
    zoned: true,
    selector: "none",
    flags: { ...paging, ...output, names: list, tags: list }
  }),
  command("server", "read", { aliases: ["show"], zoned: true, selector: "single", flags: output }),
  command("server", "create", {
    aliases: ["build"],
    zoned: true,
    selector: "none",
    flags: {
      ...confirm,
      ...output,
      ...labels,
      ...plan,
      "boot-after-create": b(),
      "cdrom-id": { kind: "id", aliases: ["iso-image-id"] },
      "private-host-id": id,
      "network-interface-upstream": s(),
      "network-interface-packet-filter-id": id,
      "network-interface-user-ip-address": s(),
      "network-interfaces": s(),
      "disk-id": id,
      "disk-name": s(),
      "disk-description": s(),
      "disk-tags": list,
      "disk-icon-id": id,
      "disk-disk-plan": s(),
      "disk-connection": s(),
      "disk-encryption-algorithm": s(),
      "disk-kms-key-id": id,
      "disk-source-disk-id": id,
      "disk-source-archive-id": id,
      "disk-size": { kind: "int", aliases: ["disk-size-gb"] },
      "disk-distant-from": ids,
      "disk-os-type": s(),
      ...editFlags("disk-edit-"),
      "disk-no-wait": b(),
      "disk-ids": ids,
      disks: s(),
      "no-wait": b()
    }
  }),
  command("server", "update", {
    zoned: true,
    selector: "multi",
    flags: {
      ...confirm,
      ...output,
      ...labels,
      ...plan,
      "cdrom-id": { kind: "id", aliases: ["iso-image-id"] },
      "private-host-id": id,
      "network-interfaces": s(),
      disks: s(),
      "no-wait": b(),
      "force-shutdown": b()
    }
  }),
  command("server", "delete", {
    aliases: ["rm"],
    zoned: true,
    selector: "multi",
    flags: { ...confirm, "fail-if-not-found": b(), force: b({ short: "f" }), "with-disks": b() }
  }),
  command("server", "boot", {
    aliases: ["power-on"],
    zoned: true,
    selector: "multi",
    flags: { ...confirm, "user-data": s(), "no-wait": b() }
  }),
  command("server", "shutdown", {
    aliases: ["power-off"],
    zoned: true,
    selector: "multi",
    flags: { ...confirm, "no-wait": b(), "force-shutdown": b({ short: "f", aliases: ["force"] }) }
  }),
  command("server", "wait-until-ready", { aliases: ["wait-for-boot"], zoned: true, selector: "multi", flags: {} }),
  command("server", "wait-until-shutdown", {
    aliases: ["wait-for-down"],
    zoned: true,
    selector: "multi",
    flags: {}
  }),
  command("disk", "list", {
    aliases: listAliases,
    zoned: true,
    selector: "none",
    flags: { ...paging, ...output, names: list, tags: list }
  }),
  command("disk", "read", { aliases: ["show"], zoned: true, selector: "single", flags: output }),
  command("disk", "create", {
    zoned: true,
    selector: "none",
    flags: {
      ...confirm,
      ...output,
      ...labels,
      "disk-plan": s(),
      size: { kind: "int", aliases: ["size-gb"] },
      connector: { kind: "string", aliases: ["connection"] },
      "encryption-algorithm": s(),
      "kms-key-id": id,
      "os-type": s(),
      "source-disk-id": id,
      "source-archive-id": id,
      "server-id": id,
      "distant-from": ids,
      ...editFlags("edit-disk-"),
      "no-wait": b()
    }
  }),
  command("disk", "update", {
    zoned: true,
    selector: "multi",
    flags: {
      ...confirm,
      ...output,
      ...labels,
      connector: { kind: "string", aliases: ["connection"] },
      ...editFlags("edit-disk-"),
      "no-wait": b()
    }
  }),
  command("disk", "delete", {
    aliases: ["rm"],
    zoned: true,
    selector: "multi",
    flags: {
      ...confirm,
      ...output,
      "fail-if-not-found": b(),
      "wait-for-release": b(),
      "wait-for-release-timeout": i,
      "wait-for-release-tick": i
    }
  }),
  command("disk", "connect-to-server", {
    aliases: ["server-connect"],
    zoned: true,
    selector: "single",
    flags: { ...confirm, "server-id": id }
  }),
  command("disk", "disconnect-from-server", {
    aliases: ["server-disconnect"],
    zoned: true,
    selector: "single",
    flags: confirm
  }),
  command("ssh-key", "list", {
    aliases: listAliases,
    zoned: false,
    selector: "none",
    flags: { ...paging, ...output, names: list }
  }),
  command("ssh-key", "read", { aliases: ["show"], zoned: false, selector: "single", flags: output }),
  command("ssh-key", "create", {
    zoned: false,
    selector: "none",
    flags: { ...confirm, ...output, name: s(), description: s({ aliases: ["desc"] }), "public-key": s() }
  }),
  command("ssh-key", "update", {
    zoned: false,
    selector: "multi",
    flags: { ...confirm, ...output, name: s(), description: s({ aliases: ["desc"] }) }
  }),
  command("ssh-key", "delete", {
    aliases: ["rm"],
    zoned: false,
    selector: "multi",
    flags: { ...confirm, ...output, "fail-if-not-found": b() }
  }),
  command("note", "list", {
    aliases: listAliases,
    zoned: false,
    selector: "none",
    flags: { ...paging, ...output, names: list, tags: list, scope: s() }
  }),
  command("note", "read", { aliases: ["show"], zoned: false, selector: "single", flags: output }),
  command("note", "create", {
    zoned: false,
    selector: "none",
    flags: { ...confirm, ...output, name: s(), tags: list, "icon-id": id, class: s(), content: s() }
  }),
  command("note", "update", {
    zoned: false,
    selector: "multi",
    flags: { ...confirm, ...output, name: s(), tags: list, "icon-id": id, class: s(), content: s() }
  }),
  command("note", "delete", {
    aliases: ["rm"],
    zoned: false,
    selector: "multi",
    flags: { ...confirm, ...output, "fail-if-not-found": b() }
  }),
  command("archive", "list", {
    aliases: listAliases,
    zoned: true,
    selector: "none",
    flags: { ...paging, ...output, names: list, tags: list, scope: s(), "os-type": s() }
  }),
  command("archive", "read", { aliases: ["show"], zoned: true, selector: "single", flags: output }),
  command("auth-status", "read", { aliases: ["show"], zoned: false, selector: "none", flags: output })
]

export const resourceAliases: Readonly<Record<string, string>> = { sshkey: "ssh-key", "startup-script": "note" }
/** Resources a bare `usacloud <resource>` runs a default command of. */
export const defaultVerbs: Readonly<Record<string, string>> = { "auth-status": "read" }

export const resources: ReadonlyArray<string> = [...new Set(commands.map((spec) => spec.resource))]

/** `server create`, `server *`, `server` or `*`: whether a fault target names commands. */
export const isKnownTarget = (target: string): boolean => {
  if (target === "*") return true
  const [resource, verb, ...rest] = target.split(" ")
  if (rest.length > 0 || resource === undefined || !resources.includes(resource)) return false
  return verb === undefined || verb === "*" || commands.some((spec) => spec.resource === resource && spec.verb === verb)
}
