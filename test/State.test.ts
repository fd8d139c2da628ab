import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { pipe } from "effect/Function"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as ChildProcess from "node:child_process"
import * as Os from "node:os"
import * as NodePath from "node:path"
import type { StoredResource } from "../src/Resource.js"
import * as State from "../src/State.js"
import * as AtomicFile from "../src/State/AtomicFile.js"

const withFs = <A, E, R>(effect: Effect.Effect<A, E, R>) => effect.pipe(Effect.provide(NodeFileSystem.layer))

/** A `.fleetflow` path inside a fresh temp directory; the folder itself does not exist yet. */
const freshFolder = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const root = yield* fs.makeTempDirectoryScoped({ prefix: "fleetflow-state-" })
  return NodePath.join(root, ".fleetflow")
})

/** A store in `folder` written twice, so it holds a state and a backup of the first version. */
const withBackup = (folder: string) =>
  Effect.gen(function* () {
    const store = yield* State.makeLocal(folder, { journalLines: 0 })
    const first = yield* store.write(State.emptyState("demo"))
    yield* store.write(first)
    return { store, first }
  })

const server = (name: string, stage = "dev"): StoredResource => ({
  provider: "sakura-cloud",
  type: "server",
  name,
  stage,
  id: `id-${name}`,
  attributes: { ip: "192.0.2.10", status: "up" },
  inputs: { core: 2, memory: 4 },
  dependsOn: [],
  created_at: "2025-01-01T00:00:00.000Z",
  updated_at: "2025-01-01T00:00:00.000Z"
})

const decodeFile = (text: string) => Schema.decodeUnknownEither(Schema.parseJson(State.StateFile))(text)

/** The pid of a process that has exited and been reaped. */
const deadPid = Effect.async<number>((resume) => {
  const child = ChildProcess.spawn(process.execPath, ["-e", ""], { stdio: "ignore" })
  child.on("exit", () => resume(Effect.succeed(child.pid!)))
})

const lockJson = (fields: Partial<State.LockInfo>) =>
  JSON.stringify({
    id: "11111111-2222-3333-4444-555555555555",
    pid: process.pid,
    host: Os.hostname(),
    user: "someone",
    operation: "up",
    created: "2025-01-01T00:00:00.000Z",
    ...fields
  })

describe("state helpers", () => {
  it("put, remove, pending and stage views return new states", () => {
    const empty = State.emptyState("demo")
    assert.strictEqual(empty.serial, 0)
    assert.strictEqual(empty.version, 1)
    assert.match(empty.lineage, /^[0-9a-f-]{36}$/)
    const withTwo = pipe(
      empty,
      State.putResource("sakura-cloud:server:a", server("a")),
      State.putResource("sakura-cloud:server:b", server("b", "prod"))
    )
    assert.deepStrictEqual(Object.keys(empty.resources), [])
    assert.deepStrictEqual([...State.resourcesOfStage(withTwo, "dev").keys()], ["sakura-cloud:server:a"])
    assert.deepStrictEqual([...State.resourcesOfStage(withTwo, "prod").keys()], ["sakura-cloud:server:b"])
    const removed = State.removeResource(withTwo, "sakura-cloud:server:a")
    assert.deepStrictEqual(Object.keys(removed.resources), ["sakura-cloud:server:b"])
    const pending = State.addPending(removed, {
      id: "op-1",
      operation: "create",
      key: "sakura-cloud:server:c",
      stage: "dev",
      started_at: "2025-01-01T00:00:00.000Z"
    })
    assert.strictEqual(pending.pending.length, 1)
    assert.strictEqual(removed.pending.length, 0)
    assert.strictEqual(State.removePending(pending, "op-1").pending.length, 0)
  })
})

describe("local state store", () => {
  it.scoped("round trip: none, then each write bumps the serial", () =>
    withFs(
      Effect.gen(function* () {
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder)
        assert.strictEqual(store.location, NodePath.join(folder, "state.json"))
        assert.isTrue(Option.isNone(yield* store.read))
        const first = yield* store.write(
          State.putResource(State.emptyState("demo"), "sakura-cloud:server:a", server("a"))
        )
        assert.strictEqual(first.serial, 1)
        assert.deepStrictEqual(yield* store.read, Option.some(first))
        const second = yield* store.write(State.removeResource(first, "sakura-cloud:server:a"))
        assert.strictEqual(second.serial, 2)
        assert.strictEqual(second.lineage, first.lineage)
        // A second store instance, as another process would, decodes from disk.
        const other = yield* State.makeLocal(folder)
        assert.deepStrictEqual(yield* other.read, Option.some(second))
      })
    )
  )

  it.scoped("a state read once is not read again while its files stay the same; another writer's change is read", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const reads: Array<string> = []
      const counting = FileSystem.FileSystem.of({
        ...fs,
        readFileString: (path, encoding) => {
          reads.push(NodePath.basename(path))
          return fs.readFileString(path, encoding)
        }
      })
      const folder = yield* freshFolder
      const writer = yield* State.makeLocal(folder)
      const first = yield* writer.write(
        State.putResource(State.emptyState("demo"), "sakura-cloud:server:a", server("a"))
      )
      // A plan reads the state for the recorded scale, then again for the plan.
      const reader = yield* Effect.provideService(State.makeLocal(folder), FileSystem.FileSystem, counting)
      assert.deepStrictEqual(yield* reader.read, Option.some(first))
      const once = reads.filter((name) => name === "state.json").length
      assert.strictEqual(once, 1)
      assert.deepStrictEqual(yield* reader.read, Option.some(first))
      assert.strictEqual(reads.filter((name) => name === "state.json").length, once)
      // What the reader was given is its own: changing it changes nothing the store holds.
      const given = Option.getOrThrow(yield* reader.read)
      ;(given.resources as Record<string, StoredResource>)["sakura-cloud:server:b"] = server("b")
      assert.deepStrictEqual(yield* reader.read, Option.some(first))
      const second = yield* writer.write(State.removeResource(first, "sakura-cloud:server:a"))
      assert.deepStrictEqual(yield* reader.read, Option.some(second))
      assert.isAbove(reads.filter((name) => name === "state.json" || name === "state.journal").length, once)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("creates the folder 0700 with a .gitignore, and writes files 0600", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        yield* withBackup(folder)
        assert.strictEqual((yield* fs.stat(folder)).mode & 0o777, 0o700)
        assert.strictEqual(yield* fs.readFileString(NodePath.join(folder, ".gitignore")), "*\n")
        assert.strictEqual((yield* fs.stat(NodePath.join(folder, "state.json"))).mode & 0o777, 0o600)
        assert.strictEqual((yield* fs.stat(NodePath.join(folder, "state.json.backup"))).mode & 0o777, 0o600)
      })
    )
  )

  it.scoped("a folder made by hand, open to others and without its .gitignore, is closed and ignored again", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        yield* fs.makeDirectory(folder, { mode: 0o755 })
        yield* fs.chmod(folder, 0o755)
        const store = yield* State.makeLocal(folder)
        yield* Effect.scoped(store.lock("up"))
        assert.strictEqual((yield* fs.stat(folder)).mode & 0o777, 0o700)
        assert.strictEqual(yield* fs.readFileString(NodePath.join(folder, ".gitignore")), "*\n")
      })
    )
  )

  it.scoped("the backup holds the previous version", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder, { journalLines: 0 })
        const first = yield* store.write(State.emptyState("demo"))
        assert.isFalse(yield* fs.exists(NodePath.join(folder, "state.json.backup")))
        const second = yield* store.write(State.putResource(first, "sakura-cloud:server:a", server("a")))
        const backup = decodeFile(yield* fs.readFileString(NodePath.join(folder, "state.json.backup")))
        assert.deepStrictEqual(backup, Either.right(first))
        yield* store.write(second)
        const next = decodeFile(yield* fs.readFileString(NodePath.join(folder, "state.json.backup")))
        assert.deepStrictEqual(next, Either.right(second))
      })
    )
  )

  it.scoped("refuses a stale serial, another lineage, and a state that vanished", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder)
        const empty = State.emptyState("demo")
        const first = yield* store.write(empty)
        const before = yield* fs.readFileString(store.location)

        const stale = yield* Effect.flip(store.write(empty))
        assert.instanceOf(stale, State.StateConflict)
        assert.deepStrictEqual(stale.expected, { lineage: empty.lineage, serial: 0 })
        assert.deepStrictEqual(stale.found, { lineage: first.lineage, serial: 1 })
        assert.include(stale.message, "another process changed it")

        const fresh = yield* Effect.flip(store.write(State.emptyState("demo")))
        assert.instanceOf(fresh, State.StateConflict)
        assert.include(fresh.message, "another lineage")

        const foreign = yield* Effect.flip(store.write({ ...first, lineage: "00000000-0000-0000-0000-000000000000" }))
        assert.instanceOf(foreign, State.StateConflict)
        assert.strictEqual(yield* fs.readFileString(store.location), before)

        yield* fs.remove(store.location)
        const vanished = yield* Effect.flip(store.write(first))
        assert.instanceOf(vanished, State.StateConflict)
        assert.isUndefined(vanished.found)
        assert.include(vanished.message, "no longer exists")
      })
    )
  )

  const corruptContents: ReadonlyArray<readonly [string, string, string]> = [
    ["empty", "", "the file is empty"],
    ["truncated", JSON.stringify(State.emptyState("demo"), null, 2).slice(0, 40), "not valid JSON"],
    ["garbage", "\u0000\u0001garbage", "not valid JSON"],
    ["schema-invalid", JSON.stringify({ ...State.emptyState("demo"), serial: -1 }), "state schema"]
  ]
  for (const [name, contents, detail] of corruptContents) {
    it.scoped(`a state file that is ${name} is refused, names the backup, and is left untouched`, () =>
      withFs(
        Effect.gen(function* () {
          const fs = yield* FileSystem.FileSystem
          const folder = yield* freshFolder
          const { store, first } = yield* withBackup(folder)
          yield* fs.writeFileString(store.location, contents)

          const error = yield* Effect.flip(store.read)
          assert.instanceOf(error, State.StateCorrupt)
          assert.include(error.detail, detail)
          assert.strictEqual(error.backup, `${store.location}.backup`)
          assert.strictEqual(error.backupSerial, 1)
          assert.include(error.message, `cp ${store.location}.backup ${store.location}`)

          const onWrite = yield* Effect.flip(store.write(first))
          assert.instanceOf(onWrite, State.StateCorrupt)
          assert.strictEqual(yield* fs.readFileString(store.location), contents)
        })
      )
    )
  }

  it.scoped("a state a newer FleetFlow wrote is refused as such, without advice to restore an older backup", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const { store, first } = yield* withBackup(folder)
        const newer = JSON.stringify({ ...first, version: 2, somethingNew: [] })
        yield* fs.writeFileString(store.location, newer)

        const error = yield* Effect.flip(store.read)
        assert.instanceOf(error, State.StateCorrupt)
        assert.include(error.message, "written by a newer FleetFlow (state format 2; this one reads format 1)")
        assert.include(error.message, "upgrade FleetFlow")
        assert.notInclude(error.message, "cp ")
        assert.strictEqual(yield* fs.readFileString(store.location), newer)
      })
    )
  )

  it.scoped("a corrupt state with a corrupt or missing backup says so", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder)
        yield* store.write(State.emptyState("demo"))
        yield* fs.writeFileString(store.location, "{")

        const noBackup = yield* Effect.flip(store.read)
        assert.instanceOf(noBackup, State.StateCorrupt)
        assert.isUndefined(noBackup.backup)
        assert.include(noBackup.message, "There is no backup")

        yield* fs.writeFileString(`${store.location}.backup`, "")
        const badBackup = yield* Effect.flip(store.read)
        assert.instanceOf(badBackup, State.StateCorrupt)
        assert.strictEqual(badBackup.backup, `${store.location}.backup`)
        assert.isUndefined(badBackup.backupSerial)
        assert.include(badBackup.message, "cannot be read either")
      })
    )
  )

  it.scoped("leaves no temp files behind", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder, { journalLines: 0 })
        let state = State.emptyState("demo")
        for (let i = 0; i < 20; i++) {
          state = yield* store.write(State.putResource(state, `sakura-cloud:server:s${i}`, server(`s${i}`)))
        }
        yield* Effect.scoped(store.lock("up"))
        const names = (yield* fs.readDirectory(folder)).sort()
        assert.deepStrictEqual(names, [".gitignore", "state.json", "state.json.backup"])
      })
    )
  )

  it.scoped("writes after the first are journal lines; state.json is rewritten once they pile up", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder, { journalLines: 4 })
        const journal = NodePath.join(folder, "state.journal")
        let state = yield* store.write(State.emptyState("demo"))
        const base = yield* fs.readFileString(store.location)
        for (let i = 0; i < 4; i++) {
          state = yield* store.write(State.putResource(state, `sakura-cloud:server:s${i}`, server(`s${i}`)))
        }
        // Four writes, four lines; state.json untouched; another reader sees all of them.
        assert.strictEqual(yield* fs.readFileString(store.location), base)
        assert.strictEqual((yield* fs.readFileString(journal)).split("\n").filter((line) => line !== "").length, 4)
        const other = yield* State.makeLocal(folder)
        assert.deepStrictEqual(Option.getOrThrow(yield* other.read), state)

        // The fifth write rewrites state.json in full, keeps the file it replaces as the backup, empties the journal.
        state = yield* store.write(State.removeResource(state, "sakura-cloud:server:s0"))
        assert.deepStrictEqual(decodeFile(yield* fs.readFileString(store.location)), Either.right(state))
        assert.strictEqual(yield* fs.readFileString(`${store.location}.backup`), base)
        assert.isFalse(yield* fs.exists(journal))
        assert.deepStrictEqual(Option.getOrThrow(yield* (yield* State.makeLocal(folder)).read), state)
      })
    )
  )

  it.scoped("releasing the lock folds the journal into state.json, the file it replaces becoming the backup", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder)
        const first = yield* store.write(State.emptyState("demo"))
        const before = yield* fs.readFileString(store.location)
        const last = yield* Effect.scoped(
          Effect.gen(function* () {
            yield* store.lock("up")
            const second = yield* store.write(State.putResource(first, "sakura-cloud:server:a", server("a")))
            return yield* store.write(State.putResource(second, "sakura-cloud:server:b", server("b")))
          })
        )
        assert.deepStrictEqual(decodeFile(yield* fs.readFileString(store.location)), Either.right(last))
        assert.strictEqual(yield* fs.readFileString(`${store.location}.backup`), before)
        assert.isFalse(yield* fs.exists(NodePath.join(folder, "state.journal")))
      })
    )
  )

  it.scoped(
    "a journal a kill left behind a rewrite (its lines name the older state.json) is removed by the next lock",
    () =>
      withFs(
        Effect.gen(function* () {
          const fs = yield* FileSystem.FileSystem
          const folder = yield* freshFolder
          const store = yield* State.makeLocal(folder)
          const journal = NodePath.join(folder, "state.journal")
          const first = yield* store.write(State.emptyState("demo"))
          yield* store.write(State.putResource(first, "sakura-cloud:server:a", server("a")))
          const stale = yield* fs.readFileString(journal)
          // Folded into state.json at release; a kill between the rename and the removal leaves the journal.
          yield* Effect.scoped(store.lock("up"))
          yield* fs.writeFileString(journal, stale)
          const next = State.makeLocal(folder)
          const folded = Option.getOrThrow(yield* (yield* next).read)
          assert.deepStrictEqual(Object.keys(folded.resources), ["sakura-cloud:server:a"])
          yield* Effect.scoped((yield* next).lock("plan"))
          assert.isFalse(yield* fs.exists(journal), "the stale journal is gone")
          assert.deepStrictEqual(Option.getOrThrow(yield* (yield* next).read), folded)
        })
      )
  )

  it.scoped("a journal line a crash cut short is dropped, and cut off before the next write", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder)
        const journal = NodePath.join(folder, "state.journal")
        const first = yield* store.write(State.emptyState("demo"))
        const second = yield* store.write(State.putResource(first, "sakura-cloud:server:a", server("a")))
        yield* fs.writeFileString(journal, `${yield* fs.readFileString(journal)}{"base":1,"serial":3,"lin`)
        const reader = yield* State.makeLocal(folder)
        assert.deepStrictEqual(Option.getOrThrow(yield* reader.read), second)
        const third = yield* reader.write(State.putResource(second, "sakura-cloud:server:b", server("b")))
        assert.deepStrictEqual(Option.getOrThrow(yield* (yield* State.makeLocal(folder)).read), third)
        assert.isTrue((yield* fs.readFileString(journal)).endsWith("\n"))
      })
    )
  )

  it.scoped(
    "journal lines for another state.json (restored from the backup) are passed over; a broken line is refused",
    () =>
      withFs(
        Effect.gen(function* () {
          const fs = yield* FileSystem.FileSystem
          const folder = yield* freshFolder
          const store = yield* State.makeLocal(folder, { journalLines: 1 })
          const journal = NodePath.join(folder, "state.journal")
          const first = yield* store.write(State.emptyState("demo"))
          const second = yield* store.write(State.putResource(first, "sakura-cloud:server:a", server("a")))
          const third = yield* store.write(State.putResource(second, "sakura-cloud:server:b", server("b")))
          yield* store.write(State.putResource(third, "sakura-cloud:server:c", server("c")))
          assert.isTrue(yield* fs.exists(journal))
          // The operator restores the backup (the state.json the third write replaced: the first
          // state); the journal's lines name the newer state.json and are passed over.
          yield* fs.copyFile(`${store.location}.backup`, store.location)
          assert.deepStrictEqual(Option.getOrThrow(yield* (yield* State.makeLocal(folder)).read), first)

          yield* fs.writeFileString(journal, "not json\n{}\n")
          const broken = yield* Effect.flip((yield* State.makeLocal(folder)).read)
          assert.instanceOf(broken, State.StateCorrupt)
          assert.strictEqual(broken.path, journal)
          assert.include(broken.message, "line 1 is not valid JSON")
          assert.include(broken.message, "move the journal away")
        })
      )
  )

  it.scoped("writes from parallel fibers are serialized: one wins per serial", () =>
    withFs(
      Effect.gen(function* () {
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder)
        const base = yield* store.write(State.emptyState("demo"))
        const results = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          (i) => Effect.either(store.write(State.putResource(base, `sakura-cloud:server:s${i}`, server(`s${i}`)))),
          { concurrency: "unbounded" }
        )
        const won = results.filter(Either.isRight)
        assert.strictEqual(won.length, 1)
        for (const result of results) {
          if (Either.isLeft(result)) assert.strictEqual(result.left._tag, "StateConflict")
        }
        const stored = Option.getOrThrow(yield* store.read)
        assert.strictEqual(stored.serial, 2)
        assert.deepStrictEqual(stored, won[0]!.right)
      })
    )
  )

  it.scoped("writes chained through a shared current state from parallel fibers all land", () =>
    withFs(
      Effect.gen(function* () {
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder)
        const semaphore = yield* Effect.makeSemaphore(1)
        let current = yield* store.write(State.emptyState("demo"))
        yield* Effect.forEach(
          Array.from({ length: 25 }, (_, i) => i),
          (i) =>
            semaphore.withPermits(1)(
              Effect.map(
                Effect.suspend(() =>
                  store.write(State.putResource(current, `sakura-cloud:server:s${i}`, server(`s${i}`)))
                ),
                (written) => {
                  current = written
                }
              )
            ),
          { concurrency: 10 }
        )
        const stored = Option.getOrThrow(yield* store.read)
        assert.strictEqual(stored.serial, 26)
        assert.strictEqual(Object.keys(stored.resources).length, 25)
      })
    )
  )
})

describe("local lock", () => {
  it.scoped("a held lock makes a second one fail with the holder", () =>
    withFs(
      Effect.gen(function* () {
        const folder = yield* freshFolder
        const first = yield* State.makeLocal(folder, { version: "0.1.0" })
        const second = yield* State.makeLocal(folder)
        const held = yield* first.lock("up")
        assert.strictEqual(held.pid, process.pid)
        assert.strictEqual(held.operation, "up")
        assert.strictEqual(held.version, "0.1.0")

        const error = yield* Effect.flip(second.lock("down"))
        assert.instanceOf(error, State.StateLocked)
        assert.isFalse(error.stale)
        assert.strictEqual(error.lock.id, held.id)
        assert.include(error.message, `state is locked by ${held.user}@${held.host} (pid ${process.pid}, \`up\``)
        assert.include(error.message, `lock ID ${held.id}`)

        const current = Option.getOrThrow(yield* second.currentLock)
        assert.strictEqual(current.id, held.id)
        assert.isFalse(current.stale)
      })
    )
  )

  it.scoped("the lock is released when its scope closes", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder)
        const held = yield* Effect.scoped(store.lock("up"))
        assert.isFalse(yield* fs.exists(NodePath.join(folder, "lock.json")))
        assert.isTrue(Option.isNone(yield* store.currentLock))
        const again = yield* Effect.scoped(store.lock("up"))
        assert.notStrictEqual(again.id, held.id)
      })
    )
  )

  it.scoped("the lock is released when its fiber is interrupted", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder)
        const locked = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(
          Effect.scoped(
            Effect.zipRight(store.lock("up"), Effect.zipRight(Deferred.succeed(locked, undefined), Effect.never))
          )
        )
        yield* Deferred.await(locked)
        assert.isTrue(yield* fs.exists(NodePath.join(folder, "lock.json")))
        yield* Fiber.interrupt(fiber)
        assert.isFalse(yield* fs.exists(NodePath.join(folder, "lock.json")))
      })
    )
  )

  it.scoped("release leaves alone a lock that is no longer ours", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder)
        yield* Effect.scoped(
          Effect.gen(function* () {
            const held = yield* store.lock("up")
            yield* store.forceUnlock(held.id)
            yield* fs.writeFileString(NodePath.join(folder, "lock.json"), lockJson({ id: "someone-else" }))
          })
        )
        assert.strictEqual(Option.getOrThrow(yield* store.currentLock).id, "someone-else")
      })
    )
  )

  it.live("with a timeout, waits for the holder to release", () =>
    withFs(
      Effect.scoped(
        Effect.gen(function* () {
          const folder = yield* freshFolder
          const holder = yield* State.makeLocal(folder)
          const waiter = yield* State.makeLocal(folder)
          const locked = yield* Deferred.make<void>()
          yield* Effect.fork(
            Effect.scoped(
              Effect.zipRight(
                holder.lock("up"),
                Effect.zipRight(Deferred.succeed(locked, undefined), Effect.sleep("600 millis"))
              )
            )
          )
          yield* Deferred.await(locked)
          const started = Date.now()
          const held = yield* waiter.lock("down", { timeout: "5 seconds", pollInterval: "100 millis" })
          const waited = Date.now() - started
          assert.strictEqual(held.operation, "down")
          assert.isAtLeast(waited, 400)
          assert.isBelow(waited, 4000)
        })
      )
    )
  )

  it.live("with a timeout, fails with StateLocked when the holder keeps it", () =>
    withFs(
      Effect.scoped(
        Effect.gen(function* () {
          const folder = yield* freshFolder
          const holder = yield* State.makeLocal(folder)
          const waiter = yield* State.makeLocal(folder)
          yield* holder.lock("up")
          const started = Date.now()
          const error = yield* Effect.flip(waiter.lock("down", { timeout: "700 millis", pollInterval: "100 millis" }))
          const waited = Date.now() - started
          assert.instanceOf(error, State.StateLocked)
          assert.isAtLeast(waited, 600)
          assert.isBelow(waited, 3000)
        })
      )
    )
  )

  it.live("a lock left by a dead process on this host is stale, and not broken automatically", () =>
    withFs(
      Effect.scoped(
        Effect.gen(function* () {
          const fs = yield* FileSystem.FileSystem
          const folder = yield* freshFolder
          const store = yield* State.makeLocal(folder)
          yield* fs.makeDirectory(folder)
          const pid = yield* deadPid
          const lockPath = NodePath.join(folder, "lock.json")
          yield* fs.writeFileString(lockPath, lockJson({ pid }))

          const current = Option.getOrThrow(yield* store.currentLock)
          assert.isTrue(current.stale)
          assert.strictEqual(current.pid, pid)

          const started = Date.now()
          const error = yield* Effect.flip(store.lock("up", { timeout: "10 seconds" }))
          assert.isBelow(Date.now() - started, 2000, "a stale lock fails at once rather than after the timeout")
          assert.instanceOf(error, State.StateLocked)
          assert.isTrue(error.stale)
          assert.include(error.message, "The lock is stale")
          assert.include(error.message, `fleetflow force-unlock ${current.id}`)
          assert.isTrue(yield* fs.exists(lockPath))
        })
      )
    )
  )

  it.live("a lock held on another host is never reported stale", () =>
    withFs(
      Effect.scoped(
        Effect.gen(function* () {
          const fs = yield* FileSystem.FileSystem
          const folder = yield* freshFolder
          const store = yield* State.makeLocal(folder)
          yield* fs.makeDirectory(folder)
          const pid = yield* deadPid
          yield* fs.writeFileString(NodePath.join(folder, "lock.json"), lockJson({ pid, host: "elsewhere.example" }))
          assert.isFalse(Option.getOrThrow(yield* store.currentLock).stale)
        })
      )
    )
  )

  it.scoped("forceUnlock removes only the lock with the given ID", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder)
        const none = yield* Effect.flip(store.forceUnlock("nope"))
        assert.instanceOf(none, State.LockNotFound)
        assert.isUndefined(none.current)
        assert.include(none.message, "not locked")

        yield* fs.makeDirectory(folder)
        yield* fs.writeFileString(NodePath.join(folder, "lock.json"), lockJson({}))
        const wrong = yield* Effect.flip(store.forceUnlock("nope"))
        assert.instanceOf(wrong, State.LockNotFound)
        assert.strictEqual(wrong.current?.id, "11111111-2222-3333-4444-555555555555")
        assert.include(wrong.message, "the current lock is 11111111-2222-3333-4444-555555555555")
        assert.isTrue(yield* fs.exists(NodePath.join(folder, "lock.json")))

        const removed = yield* store.forceUnlock("11111111-2222-3333-4444-555555555555")
        assert.strictEqual(removed.user, "someone")
        assert.isFalse(yield* fs.exists(NodePath.join(folder, "lock.json")))
        yield* Effect.scoped(store.lock("up"))
      })
    )
  )

  it.scoped("an unreadable lock file counts as held and can be forced by the ID it is shown with", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const folder = yield* freshFolder
        const store = yield* State.makeLocal(folder)
        yield* fs.makeDirectory(folder)
        yield* fs.writeFileString(NodePath.join(folder, "lock.json"), '{"user":"kim","host":"ci-7"')
        const error = yield* Effect.flip(store.lock("up"))
        assert.instanceOf(error, State.StateLocked)
        assert.isDefined(error.unreadable)
        assert.isFalse(error.stale)
        assert.match(error.lock.id, /^unreadable-[0-9a-f]{12}$/)
        assert.include(error.message, `fleetflow force-unlock ${error.lock.id}`)

        // A lock that decodes partly keeps what it can tell.
        yield* fs.writeFileString(
          NodePath.join(folder, "lock.json"),
          JSON.stringify({ id: "abc", user: "kim", pid: "x" })
        )
        const partial = Option.getOrThrow(yield* store.currentLock)
        assert.strictEqual(partial.id, "abc")
        assert.strictEqual(partial.user, "kim")
        assert.isDefined(partial.unreadable)

        yield* store.forceUnlock("abc")
        yield* Effect.scoped(store.lock("up"))
      })
    )
  )
})

describe("atomic file helpers", () => {
  it.scoped("a failed replacement leaves the target and no temp file", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const root = yield* fs.makeTempDirectoryScoped()
        const target = NodePath.join(root, "state.json")
        yield* AtomicFile.writeFileAtomic(target, "old")
        // Renaming a file over a directory fails after the temp file is written.
        const blocked = NodePath.join(root, "blocked")
        yield* fs.makeDirectory(NodePath.join(blocked, "inner"), { recursive: true })
        const result = yield* Effect.either(AtomicFile.writeFileAtomic(blocked, "new"))
        assert.isTrue(Either.isLeft(result))
        assert.deepStrictEqual((yield* fs.readDirectory(root)).sort(), ["blocked", "state.json"])
        assert.strictEqual(yield* fs.readFileString(target), "old")
      })
    )
  )

  it.scoped("createFileExclusive creates once and never touches an existing file", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const root = yield* fs.makeTempDirectoryScoped()
        const path = NodePath.join(root, "lock.json")
        assert.isTrue(yield* AtomicFile.createFileExclusive(path, "first", { mode: 0o600 }))
        assert.isFalse(yield* AtomicFile.createFileExclusive(path, "second"))
        assert.strictEqual(yield* fs.readFileString(path), "first")
        assert.strictEqual((yield* fs.stat(path)).mode & 0o777, 0o600)
        assert.deepStrictEqual(yield* fs.readDirectory(root), ["lock.json"])
      })
    )
  )

  it.scoped("removeLeftovers removes only temp files of processes that are gone", () =>
    withFs(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const root = yield* fs.makeTempDirectoryScoped()
        const names = [".state.json.111.0123456789ab.tmp", ".state.json.222.0123456789ab.tmp", "state.json", "x.tmp"]
        for (const name of names) yield* fs.writeFileString(NodePath.join(root, name), "")
        const removed = yield* AtomicFile.removeLeftovers(root, (pid) => pid === 222)
        assert.deepStrictEqual(removed, [".state.json.111.0123456789ab.tmp"])
        assert.deepStrictEqual((yield* fs.readDirectory(root)).sort(), [
          ".state.json.222.0123456789ab.tmp",
          "state.json",
          "x.tmp"
        ])
      })
    )
  )
})

describe("memory state store", () => {
  it.scoped("has the same write checks and lock as the local store", () =>
    Effect.gen(function* () {
      const store = yield* State.makeMemory()
      assert.isTrue(Option.isNone(yield* store.read))
      const empty = State.emptyState("demo")
      const first = yield* store.write(empty)
      assert.strictEqual(first.serial, 1)
      assert.deepStrictEqual(yield* store.read, Option.some(first))
      assert.instanceOf(yield* Effect.flip(store.write(empty)), State.StateConflict)
      assert.instanceOf(yield* Effect.flip(store.write({ ...first, lineage: "other" })), State.StateConflict)
      assert.strictEqual((yield* store.write(first)).serial, 2)

      const results = yield* Effect.forEach([1, 2, 3, 4, 5], () => Effect.either(store.write(first)), {
        concurrency: "unbounded"
      })
      assert.isTrue(results.every(Either.isLeft))

      const held = yield* Effect.scoped(
        Effect.gen(function* () {
          const held = yield* store.lock("up")
          const error = yield* Effect.flip(store.lock("down"))
          assert.instanceOf(error, State.StateLocked)
          assert.strictEqual(error.lock.id, held.id)
          assert.instanceOf(yield* Effect.flip(store.forceUnlock("nope")), State.LockNotFound)
          return held
        })
      )
      assert.isTrue(Option.isNone(yield* store.currentLock))
      yield* store.lock("up")
      const current = Option.getOrThrow(yield* store.currentLock)
      assert.notStrictEqual(current.id, held.id)
      yield* store.forceUnlock(current.id)
      assert.isTrue(Option.isNone(yield* store.currentLock))
    })
  )

  const initial: State.StateFile = { ...State.emptyState("demo"), serial: 7 }
  it.effect("the layer starts from the given state", () =>
    Effect.gen(function* () {
      const store = yield* State.StateStore
      assert.deepStrictEqual(yield* store.read, Option.some(initial))
      assert.strictEqual((yield* store.write(initial)).serial, 8)
    }).pipe(Effect.provide(State.layerMemory(initial)))
  )

  it.live("lock timeout waits for the holder", () =>
    Effect.gen(function* () {
      const store = yield* State.makeMemory()
      const fiber = yield* Effect.fork(Effect.scoped(Effect.zipRight(store.lock("up"), Effect.sleep("300 millis"))))
      yield* Effect.sleep("50 millis")
      const exit = yield* Effect.exit(
        Effect.scoped(store.lock("down", { timeout: "3 seconds", pollInterval: "50 millis" }))
      )
      assert.isTrue(Exit.isSuccess(exit))
      yield* Fiber.join(fiber)
    })
  )
})

describe("replace (state migrate)", () => {
  const check = (store: State.StateStoreService) =>
    Effect.gen(function* () {
      const copied: State.StateFile = State.putResource(
        { ...State.emptyState("demo"), serial: 7 },
        "sakura-cloud:server:web",
        server("web")
      )
      // Kept as it is, serial included; the next write goes on from it.
      assert.deepStrictEqual(yield* store.replace(copied), copied)
      assert.deepStrictEqual(yield* store.read, Option.some(copied))
      assert.strictEqual((yield* store.write(copied)).serial, 8)
      // A later version of the same lineage replaces it; an earlier one or another lineage does not.
      const later = { ...copied, serial: 12 }
      yield* store.replace(later)
      const older = yield* Effect.flip(store.replace(copied))
      assert.instanceOf(older, State.StateConflict)
      const other = yield* Effect.flip(store.replace({ ...later, lineage: "another", serial: 20 }))
      assert.instanceOf(other, State.StateConflict)
      assert.include(other.message, "another lineage")
      assert.deepStrictEqual(yield* store.read, Option.some(later))
    })

  it.scoped("the local store keeps the lineage and serial it is given", () =>
    withFs(
      Effect.gen(function* () {
        const folder = yield* freshFolder
        yield* check(yield* State.makeLocal(folder))
        // What a new process reads.
        assert.strictEqual(Option.getOrThrow(yield* (yield* State.makeLocal(folder)).read).serial, 12)
      })
    )
  )

  it.effect("the memory store too", () => Effect.flatMap(State.makeMemory(), check))
})
