/**
 * usacloud command lines as the tests expect them and as they make resources in the simulator,
 * in the order of the usacloud reference: resource, verb, ID, `-y`, `--zone`, `-o json`, the
 * command's flags, then the global flags. Written out here, not taken from the client, so that a
 * change of order or of a flag in the client still fails the tests.
 */

/** The global flags of every call: IDs and names match exactly. */
export const matchExact: ReadonlyArray<string> = ["--argument-match-mode", "exact"]

/** The global flags of a client with a profile. */
export const withProfile = (profile: string): ReadonlyArray<string> => [...matchExact, "--profile", profile]

type Line = Array<string>

/** Commands of a resource in a zone: servers, disks, archives. */
export const zoned = (resource: "server" | "disk" | "archive", zone: string) => ({
  list: (...flags: ReadonlyArray<string>): Line => [resource, "list", "--zone", zone, "-o", "json", ...flags],
  read: (id: string): Line => [resource, "read", id, "--zone", zone, "-o", "json"],
  create: (...flags: ReadonlyArray<string>): Line => [resource, "create", "-y", "--zone", zone, "-o", "json", ...flags],
  update: (id: string, ...flags: ReadonlyArray<string>): Line => [
    resource,
    "update",
    id,
    "-y",
    "--zone",
    zone,
    "-o",
    "json",
    ...flags
  ],
  /** A change that prints nothing: delete, boot, shutdown. */
  change: (verb: string, id: string, ...flags: ReadonlyArray<string>): Line => [
    resource,
    verb,
    id,
    "-y",
    "--zone",
    zone,
    ...flags
  ],
  /** `wait-until-ready`, `wait-until-shutdown`. */
  wait: (verb: string, id: string): Line => [resource, verb, id, "--zone", zone]
})

/** Commands of a resource of no zone: SSH keys, notes. */
export const global = (resource: "ssh-key" | "note") => ({
  list: (...flags: ReadonlyArray<string>): Line => [resource, "list", "-o", "json", ...flags],
  read: (id: string): Line => [resource, "read", id, "-o", "json"],
  create: (...flags: ReadonlyArray<string>): Line => [resource, "create", "-y", "-o", "json", ...flags],
  update: (id: string, ...flags: ReadonlyArray<string>): Line => [resource, "update", id, "-y", "-o", "json", ...flags],
  /** A change that prints nothing: delete. */
  change: (verb: string, id: string): Line => [resource, verb, id, "-y"]
})

/**
 * `server create` of a server booted on a new disk from the Ubuntu 24.04 image, the disk made by
 * the same command (as usacloud users do; FleetFlow makes the disk first).
 */
export const serverWithNewDisk = (
  zone: string,
  name: string,
  size: { readonly cpu: number; readonly memory: number; readonly disk: number },
  ...flags: ReadonlyArray<string>
): Line =>
  zoned("server", zone).create(
    "--name",
    name,
    "--cpu",
    String(size.cpu),
    "--memory",
    String(size.memory),
    "--network-interface-upstream",
    "shared",
    "--disk-disk-plan",
    "ssd",
    "--disk-size",
    String(size.disk),
    "--disk-connection",
    "virtio",
    "--disk-os-type",
    "ubuntu2404",
    "--boot-after-create",
    ...flags
  )

export const authStatus: ReadonlyArray<string> = ["auth-status", "-o", "json"]

/** The value after `flag` in a command line. */
export const flagValue = (args: ReadonlyArray<string>, flag: string): string | undefined => {
  const index = args.indexOf(flag)
  return index < 0 ? undefined : args[index + 1]
}
