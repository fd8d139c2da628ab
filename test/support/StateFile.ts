/**
 * The files of a state folder as the tests read them: decoded with the state's own Schemas, so a
 * file that no longer matches them fails the test with the decode error rather than a cast that
 * hides it.
 */
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as path from "node:path"
import { LockInfo, StateFile } from "../../src/State.js"

const decodeState = Schema.decodeUnknownSync(Schema.parseJson(StateFile))
const decodeLock = Schema.decodeUnknownSync(Schema.parseJson(LockInfo))

/** The state folder of the sandbox cloud in a workspace. */
export const sandboxFolder = (dir: string) => path.join(dir, ".fleetflow", "sandbox")

export const statePath = (folder: string) => path.join(folder, "state.json")
export const lockPath = (folder: string) => path.join(folder, "lock.json")

/** `state.json` at `file`, decoded. */
export const readState = (file: string): StateFile => decodeState(fs.readFileSync(file, "utf8"))

/** `lock.json` at `file`, decoded. */
export const readLock = (file: string): LockInfo => decodeLock(fs.readFileSync(file, "utf8"))

/** The sandbox state of a workspace, decoded. */
export const sandboxState = (dir: string): StateFile => readState(statePath(sandboxFolder(dir)))
