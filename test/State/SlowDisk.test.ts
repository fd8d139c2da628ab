/**
 * The local state on a disk that takes its time to flush, as a spinning disk or a network volume
 * does: `fsync` takes the time the test gives it, the rest of the file system is the real one.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { vi } from "vitest"
import * as State from "../../src/State.js"
import { storedResource } from "../support/Builders.js"

const disk = vi.hoisted(() => ({ flushMillis: 0, inPlace: 0, onThreadPool: 0 }))

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof NodeFs>()
  const pause = new Int32Array(new SharedArrayBuffer(4))
  // The disk's flush is played, not made: how long it takes is then the test's to say.
  const fsyncSync: typeof real.fsyncSync = () => {
    disk.inPlace++
    if (disk.flushMillis > 0) Atomics.wait(pause, 0, 0, disk.flushMillis)
  }
  const fsync = ((_descriptor: number, callback: NodeFs.NoParamCallback) => {
    disk.onThreadPool++
    if (disk.flushMillis > 0) setTimeout(() => callback(null), disk.flushMillis)
    else setImmediate(() => callback(null))
  }) as typeof real.fsync
  return { ...real, default: { ...real, fsyncSync, fsync }, fsyncSync, fsync }
})

describe("the local state on a slow disk", () => {
  it.live(
    "flushes on the thread pool, so that the run goes on while the disk works, and in place once it is fast",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const root = yield* fs.makeTempDirectoryScoped({ prefix: "fleetflow-slow-disk-" })
        const store = yield* State.makeLocal(NodePath.join(root, ".fleetflow"))
        disk.flushMillis = 100
        // The first write flushes in place, as on any disk, and finds this one slow.
        let version: State.StateVersion = yield* store.write(State.emptyState("demo"))

        let ticks = 0
        const timer = setInterval(() => ticks++, 2)
        const before = disk.onThreadPool
        version = yield* store.writeChanges(version, {
          set: { a: storedResource("server", "a") },
          remove: [],
          pending: []
        })
        clearInterval(timer)
        assert.isAbove(disk.onThreadPool, before, "the journal line was flushed on the thread pool")
        // With the flush in place, the timer could not run at all during the write.
        assert.isAtLeast(ticks, 5, "the process went on during the flush")

        disk.flushMillis = 0
        for (let index = 0; index < 20; index++) {
          version = yield* store.writeChanges(version, {
            set: { [`b${index}`]: storedResource("server", `b${index}`) },
            remove: [],
            pending: []
          })
        }
        const inPlace = disk.inPlace
        const onThreadPool = disk.onThreadPool
        version = yield* store.writeChanges(version, {
          set: { c: storedResource("server", "c") },
          remove: [],
          pending: []
        })
        assert.strictEqual(disk.onThreadPool, onThreadPool, "a fast disk costs no round trip through the thread pool")
        assert.isAbove(disk.inPlace, inPlace)

        // A store opened afresh reads every write, whichever way it was flushed.
        const reopened = yield* State.makeLocal(NodePath.join(root, ".fleetflow"))
        const read = Option.getOrThrow(yield* reopened.read)
        assert.strictEqual(read.serial, version.serial)
        assert.strictEqual(Object.keys(read.resources).length, 22)
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer))
  )
})
