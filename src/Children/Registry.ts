/**
 * The children FleetFlow runs now: their process groups, signalled together on a second
 * interrupt, told to the watchdog, and recorded in `.fleetflow/children/` so that the next
 * command ends those a killed FleetFlow (and its watchdog) left behind.
 */
import * as Context from "effect/Context"
import * as fs from "node:fs"
import * as NodePath from "node:path"
import * as Proc from "./Proc.js"
import * as Watchdog from "./Watchdog.js"

/** Set in every child's environment, and so in whatever it starts: `<pid>:<start>` of the FleetFlow that started it. */
export const markerVariable = "FLEETFLOW_CHILD_OF"

/** How long a child has between SIGTERM and SIGKILL. */
export const graceMillis = 2000

/** One child in `.fleetflow/children/`: who started it, which process it is, and what it runs. */
export interface ChildRecord {
  readonly owner: Proc.Identity
  readonly child: Proc.Identity
  readonly program: string
}

export interface Registry {
  readonly markerValue: string
  /** Notes a child just started, as the leader of its own process group. */
  readonly add: (pid: number, program: string) => void
  readonly remove: (pid: number) => void
  /** Sends `signal` to the process group of every child still running. */
  readonly signalAll: (signal: NodeJS.Signals) => void
  /** Where children are recorded from now on: the `children` folder of the workspace a command opened. */
  readonly recordIn: (directory: string) => void
}

/** The registry of the running CLI; a library user's program has none, and its children are only ended by scope. */
export class Children extends Context.Tag("fleetflow/Children")<Children, Registry>() {}

export const recordFile = (directory: string, owner: number, child: number) =>
  NodePath.join(directory, `${owner}-${child}.json`)

const writeRecord = (directory: string, record: ChildRecord): string | undefined => {
  const file = recordFile(directory, record.owner.pid, record.child.pid)
  try {
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 })
    fs.writeFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 })
    return file
  } catch {
    return undefined
  }
}

const forget = (file: string | undefined) => {
  if (file !== undefined) fs.rmSync(file, { force: true })
}

/** The registry of this process; the watchdog starts with the first child. */
export const make = (): Registry => {
  const owner = Proc.identityOf(process.pid) ?? { pid: process.pid, start: "" }
  const markerValue = `${owner.pid}:${owner.start}`
  /** Each running child's pid (its group's id) and its record file, if it has one. */
  const live = new Map<number, string | undefined>()
  let directory: string | undefined
  let watchdog: Watchdog.Watchdog | undefined
  let watchdogStarted = false

  const add = (pid: number, program: string) => {
    if (!watchdogStarted) {
      watchdogStarted = true
      watchdog = Watchdog.start(`${markerVariable}=${markerValue}`, graceMillis)
    }
    watchdog?.watch(pid)
    const child = Proc.identityOf(pid)
    live.set(
      pid,
      directory === undefined || child === undefined ? undefined : writeRecord(directory, { owner, child, program })
    )
  }

  const remove = (pid: number) => {
    forget(live.get(pid))
    live.delete(pid)
    watchdog?.unwatch(pid)
  }

  const signalAll = (signal: NodeJS.Signals) => {
    for (const pid of live.keys()) Proc.signalGroup(pid, signal)
  }

  const recordIn = (folder: string) => {
    directory = folder
  }

  return { markerValue, add, remove, signalAll, recordIn }
}
