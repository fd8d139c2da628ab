/**
 * What Linux's /proc says about a process, and signals to a process group. A pid alone names
 * nothing for long: a pid and its start time together name one process, whatever reuses the pid.
 */
import * as fs from "node:fs"

/** One process: its pid and when it started, in clock ticks after boot (field 22 of /proc/<pid>/stat). */
export interface Identity {
  readonly pid: number
  readonly start: string
}

/** The fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
const statFields = (pid: number): ReadonlyArray<string> | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  } catch {
    return undefined
  }
}

/** When `pid` started, or undefined when it is gone, a zombie, or there is no /proc. */
export const startOf = (pid: number): string | undefined => {
  const fields = statFields(pid)
  // The list starts at field 3 (the state): the start time, field 22, is at index 19.
  return fields === undefined || fields[0] === "Z" ? undefined : fields[19]
}

export const identityOf = (pid: number): Identity | undefined => {
  const start = startOf(pid)
  return start === undefined ? undefined : { pid, start }
}

/** Whether the process `identity` names still runs (and its pid was not given to another one). */
export const isAlive = (identity: Identity): boolean => startOf(identity.pid) === identity.start

/** Sends `signal` to the process group `pgid`; false when no process of it is left. */
export const signalGroup = (pgid: number, signal: NodeJS.Signals | 0): boolean => {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}
