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
import { type ChildRecord, Children, graceMillis } from "./Registry.js"

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

/** SIGTERM to each group, SIGKILL to those whose leader still runs after the grace. */
const endGroups = (children: ReadonlyArray<Proc.Identity>) =>
  Effect.gen(function* () {
    for (const child of children) Proc.signalGroup(child.pid, "SIGTERM")
    const deadline = Date.now() + graceMillis
    while (children.some((child) => Proc.isAlive(child)) && Date.now() < deadline) yield* Effect.sleep("100 millis")
    for (const child of children) Proc.signalGroup(child.pid, "SIGKILL")
  })

/** Ends what the killed runs recorded in `directory` left running, and forgets their records. */
export const sweep = (directory: string): Effect.Effect<ReadonlyArray<ChildRecord>> =>
  Effect.gen(function* () {
    const orphans = readRecords(directory).filter((entry) => !Proc.isAlive(entry.record.owner))
    const running = orphans.filter((entry) => Proc.isAlive(entry.record.child)).map((entry) => entry.record)
    yield* endGroups(running.map((record) => record.child))
    for (const entry of orphans) forgetFile(entry.file)
    return running
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
    const ended = yield* sweep(directory)
    if (ended.length > 0) {
      const list = ended.map((record) => `${record.program} (pid ${record.child.pid})`).join(", ")
      yield* Effect.logWarning(
        `A FleetFlow run that was killed left processes running; they were ended first: ${list}.`
      )
    }
    registry.value.recordIn(directory)
  })
