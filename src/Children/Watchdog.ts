/**
 * A small process that outlives FleetFlow to end what FleetFlow started. It reads the process
 * groups to watch on its stdin; when that pipe closes, FleetFlow has ended (even by SIGKILL,
 * which no handler sees), and the watchdog sends SIGTERM to those groups and to every process
 * carrying FleetFlow's marker variable, then SIGKILL to what is left after a short grace.
 * It runs in its own session, so a terminal's Ctrl-C or hang-up does not reach it.
 */
import * as ChildProcess from "node:child_process"

export interface Watchdog {
  readonly watch: (pgid: number) => void
  readonly unwatch: (pgid: number) => void
}

/** Plain JavaScript, run with `node -e`: it needs no file of its own, bundled or not. */
const script = `"use strict"
process.title = "fleetflow-watchdog"
const fs = require("node:fs")
const marker = process.env.FLEETFLOW_WATCHDOG_MARKER
const grace = Number(process.env.FLEETFLOW_WATCHDOG_GRACE_MS)
const parent = process.ppid
const groups = new Set()
let pending = ""
let ending = false
const signal = (pid, name) => { try { process.kill(pid, name) } catch {} }
const leftovers = () => {
  let entries
  try { entries = fs.readdirSync("/proc") } catch {
    return [...groups].filter((group) => { try { process.kill(-group, 0); return true } catch { return false } })
      .map((group) => -group)
  }
  const found = []
  for (const entry of entries) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const stat = fs.readFileSync("/proc/" + entry + "/stat", "utf8")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      if (fields[0] === "Z") continue
      if (groups.has(Number(fields[2])) || fs.readFileSync("/proc/" + entry + "/environ", "utf8").split("\\0").includes(marker)) found.push(pid)
    } catch {}
  }
  return found
}
const end = () => {
  if (ending) return
  ending = true
  for (const group of groups) signal(-group, "SIGTERM")
  for (const pid of leftovers()) signal(pid, "SIGTERM")
  const deadline = Date.now() + grace
  const check = () => {
    const left = leftovers()
    if (left.length > 0 && Date.now() < deadline) return setTimeout(check, 100)
    for (const group of groups) signal(-group, "SIGKILL")
    for (const pid of left) signal(pid, "SIGKILL")
    process.exit(0)
  }
  check()
}
process.stdin.setEncoding("utf8")
process.stdin.on("data", (chunk) => {
  const lines = (pending + chunk).split("\\n")
  pending = lines.pop()
  for (const line of lines) {
    if (line[0] === "+") groups.add(Number(line.slice(1)))
    if (line[0] === "-") groups.delete(Number(line.slice(1)))
  }
})
process.stdin.on("end", end)
process.stdin.on("error", end)
process.on("SIGTERM", end)
process.on("SIGINT", () => {})
process.on("SIGHUP", () => {})
setInterval(() => { if (process.ppid !== parent) end() }, 1000)
`

/**
 * Starts the watchdog for the children carrying `marker` (`NAME=value`). It holds neither
 * FleetFlow's event loop nor its exit; undefined when it cannot start (FleetFlow then still
 * ends its children itself, and the next command ends those a SIGKILL left).
 */
export const start = (marker: string, graceMillis: number): Watchdog | undefined => {
  try {
    const child = ChildProcess.spawn(process.execPath, ["-e", script], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
      env: {
        PATH: process.env.PATH ?? "",
        FLEETFLOW_WATCHDOG_MARKER: marker,
        FLEETFLOW_WATCHDOG_GRACE_MS: String(graceMillis)
      }
    })
    child.on("error", () => {})
    const stdin = child.stdin
    if (stdin === null) return undefined
    stdin.on("error", () => {})
    child.unref()
    ;(stdin as unknown as { unref?: () => void }).unref?.()
    const send = (line: string) => {
      if (stdin.writable) stdin.write(`${line}\n`)
    }
    return { watch: (pgid) => send(`+${pgid}`), unwatch: (pgid) => send(`-${pgid}`) }
  } catch {
    return undefined
  }
}
