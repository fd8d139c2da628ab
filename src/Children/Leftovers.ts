/**
 * The children a FleetFlow run left when it was killed before it could end them: read from
 * `.fleetflow/children/`, and ended (their whole process group) before the next command goes on.
 * A record whose FleetFlow still runs belongs to a command running now, and is left alone.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as NodePath from "node:path"
import * as Proc from "./Proc.js"
import { type ChildRecord, Children, graceMillis, markerVariable } from "./Registry.js"

const Identity = Schema.Struct({ pid: Schema.Int, start: Schema.String })
const Record = Schema.parseJson(Schema.Struct({ owner: Identity, child: Identity, program: Schema.String }))

const readRecord = (file: string): ChildRecord | undefined => {
  try {
    return Option.getOrUndefined(Schema.decodeUnknownOption(Record)(fs.readFileSync(file, "utf8")))
  } catch {
    return undefined
  }
}

/** The records in `directory`; one being written as it is read is skipped, not removed. */
const readRecords = (directory: string): ReadonlyArray<{ readonly file: string; readonly record: ChildRecord }> => {
  let names: ReadonlyArray<string>
  try {
    names = fs.readdirSync(directory).filter((name) => name.endsWith(".json"))
  } catch {
    return []
  }
  return names.flatMap((name) => {
    const file = NodePath.join(directory, name)
    const record = readRecord(file)
    return record === undefined ? [] : [{ file, record }]
  })
}

const forgetFile = (file: string) => fs.rmSync(file, { force: true })

/** What still runs of what the `records`' owners started: the children, and whatever carries an owner's marker. */
const stillRunning = (records: ReadonlyArray<ChildRecord>): ReadonlyArray<number> => {
  const leaders = records.filter((record) => Proc.isAlive(record.child)).map((record) => record.child.pid)
  const markers = new Set(records.map((record) => `${markerVariable}=${record.owner.pid}:${record.owner.start}`))
  return [...new Set([...leaders, ...[...markers].flatMap((marker) => Proc.carrying(marker))])]
}

/** SIGTERM to each process and its group, SIGKILL to what still runs after the grace. */
const endAll = (running: () => ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const signal = (signal: NodeJS.Signals) => {
      for (const pid of running()) {
        Proc.signalGroup(pid, signal)
        Proc.signal(pid, signal)
      }
    }
    signal("SIGTERM")
    const deadline = Date.now() + graceMillis
    while (running().length > 0 && Date.now() < deadline) yield* Effect.sleep("100 millis")
    signal("SIGKILL")
  })

/** What a sweep found: the records of killed runs, and how many of their processes it ended. */
export interface Swept {
  readonly records: ReadonlyArray<ChildRecord>
  readonly ended: number
}

/** Ends what the killed runs recorded in `directory` left running, and forgets their records. */
export const sweep = (directory: string): Effect.Effect<Swept> =>
  Effect.gen(function* () {
    const orphans = readRecords(directory).filter((entry) => !Proc.isAlive(entry.record.owner))
    const records = orphans.map((entry) => entry.record)
    const running = () => stillRunning(records)
    const ended = running().length
    if (ended > 0) yield* endAll(running)
    for (const entry of orphans) forgetFile(entry.file)
    return { records, ended }
  })

/**
 * For the CLI's registry: ends what earlier killed runs left in `<.fleetflow>/children`, then
 * records this run's children there. Nothing for a program without the registry.
 */
export const adopt = (fleetflowDirectory: string): Effect.Effect<void> =>
  Effect.gen(function* () {
    const registry = yield* Effect.serviceOption(Children)
    if (Option.isNone(registry)) return
    const directory = NodePath.join(fleetflowDirectory, "children")
    const swept = yield* sweep(directory)
    if (swept.ended > 0) {
      const list = swept.records.map((record) => `${record.program} (pid ${record.child.pid})`).join(", ")
      yield* Effect.logWarning(
        `A FleetFlow run that was killed left ${swept.ended} process(es) running; they were ended first. ` +
          `It had started: ${list}.`
      )
    }
    registry.value.recordIn(directory)
  })
