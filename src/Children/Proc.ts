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

/** Sends `signal` to `pid`; false when it is gone. */
export const signal = (pid: number, signal: NodeJS.Signals | 0): boolean => {
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}

/** Sends `signal` to the process group `pgid`; false when no process of it is left. */
export const signalGroup = (pgid: number, name: NodeJS.Signals | 0): boolean => signal(-pgid, name)

/**
 * Whether a process of the group `pgid` still runs. A group can outlive its signal for a moment
 * (SIGKILL is delivered, not instant), and its zombies, which may wait long for a reaper that
 * adopted them, run nothing: they do not count.
 */
export const groupRuns = (pgid: number): boolean => {
  if (!signalGroup(pgid, 0)) return false
  let names: ReadonlyArray<string>
  try {
    names = fs.readdirSync("/proc")
  } catch {
    return true
  }
  return names.some((name) => {
    const pid = Number(name)
    const fields = Number.isInteger(pid) ? statFields(pid) : undefined
    // After the state come the parent's pid and then the process group (fields 4 and 5).
    return fields !== undefined && fields[0] !== "Z" && fields[2] === String(pgid)
  })
}

/** The processes, zombies aside, whose environment holds `entry` (`NAME=value`); none without /proc. */
export const carrying = (entry: string): ReadonlyArray<number> => {
  let names: ReadonlyArray<string>
  try {
    names = fs.readdirSync("/proc")
  } catch {
    return []
  }
  return names.flatMap((name) => {
    const pid = Number(name)
    if (!Number.isInteger(pid) || pid === process.pid || startOf(pid) === undefined) return []
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(entry) ? [pid] : []
    } catch {
      return []
    }
  })
}
