import * as fs from "node:fs"

/** Whether a process of this pid runs now (signal 0 checks without sending anything). */
export const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const readProc = (pid: number, file: string): string => {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, "utf8")
  } catch {
    return ""
  }
}

/** The environment of a process, one `NAME=value` each; empty when it is gone or not ours to read. */
export const environ = (pid: number): ReadonlyArray<string> => readProc(pid, "environ").split("\0")

/** The command line of a process, its arguments joined by spaces. */
export const cmdline = (pid: number): string => readProc(pid, "cmdline").split("\0").join(" ").trim()

/** Whether a process has ended (or is a zombie, whose parent has still to read its status). */
export const hasEnded = (pid: number): boolean => {
  const stat = readProc(pid, "stat")
  return stat === "" || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")
}

/**
 * The processes the FleetFlow of pid `cli` started that still run: those carrying the marker it
 * gives its children (whatever their ancestry, so also what a child left behind), and its watchdog.
 */
export const startedBy = (cli: number): ReadonlyArray<number> =>
  fs
    .readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter(
      (pid) =>
        pid !== cli &&
        environ(pid).some(
          (entry) =>
            entry.startsWith(`FLEETFLOW_CHILD_OF=${cli}:`) ||
            entry.startsWith(`FLEETFLOW_WATCHDOG_MARKER=FLEETFLOW_CHILD_OF=${cli}:`)
        ) &&
        !hasEnded(pid)
    )
