/**
 * The PostgreSQL state store against a real server: a throwaway cluster this file starts (see
 * `support/Postgres.ts`). Without a server the suite is skipped with a loud message, except
 * under CI, where it fails.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as esbuild from "esbuild"
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import * as Url from "node:url"
import type { StoredResource } from "../../src/Resource.js"
import * as State from "../../src/State.js"
import * as Migrate from "../../src/State/Migrate.js"
import * as Postgres from "../../src/State/Postgres.js"
import * as TestPostgres from "../support/Postgres.js"

const repository = NodePath.resolve(NodePath.dirname(Url.fileURLToPath(import.meta.url)), "../..")

const server = await TestPostgres.forTests("the PostgreSQL state tests")
afterAll(() => server?.stop())

const url = Redacted.make(server?.url ?? "postgres://unused@127.0.0.1:1/none")

const uniqueProject = () => `p-${Crypto.randomUUID().slice(0, 8)}`

const makeStore = (project: string, settings: Partial<Postgres.PostgresSettings> = {}) =>
  Postgres.makePostgres({ url, project, ...settings })

const resource = (index: number, stage = "dev"): StoredResource => ({
  provider: "sakura-cloud",
  type: "server",
  name: `s${index}`,
  stage,
  id: `id-${index}`,
  attributes: { ip: `192.0.2.${index % 250}`, status: "up" },
  inputs: { core: index, memory: 2 },
  dependsOn: [],
  created_at: "2025-01-01T00:00:00.000Z",
  updated_at: "2025-01-01T00:00:00.000Z"
})

const withResource = (state: State.StateFile, index: number) =>
  State.putResource(state, `sakura-cloud:server:s${index}`, resource(index))

// The child holds the lock of a store like a command would, and says what happened on stdout.
const locker = `
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Postgres from "./src/State/Postgres.js"

const [project, timeout, hold] = process.argv.slice(2)
const say = (event) => Effect.sync(() => process.stdout.write(JSON.stringify({ ...event, pid: process.pid }) + "\\n"))

const program = Effect.gen(function* () {
  const store = yield* Postgres.makePostgres({ url: Redacted.make(process.env.FLEETFLOW_TEST_PG_URL), project })
  yield* say({ event: "ready" })
  const startedAt = Date.now()
  const info = yield* store.lock("up", { timeout: Number(timeout), pollInterval: 50 })
  yield* say({ event: "locked", id: info.id, waited: Date.now() - startedAt })
  // "stdin": until the test writes a line; "forever": until killed.
  yield* hold === "forever"
    ? Effect.never
    : hold === "stdin"
      ? Effect.async((resume) => void process.stdin.once("data", () => resume(Effect.void)))
      : Effect.sleep(Number(hold))
}).pipe(
  Effect.scoped,
  Effect.catchTag("StateLocked", (error) =>
    say({ event: "busy", holder: error.lock.pid, holderId: error.lock.id, message: error.message })
  )
)

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(String(error) + "\\n")
    process.exit(1)
  }
)
`

const bundleLocker = (outfile: string) =>
  Effect.promise(() =>
    esbuild.build({
      stdin: { contents: locker, resolveDir: repository, loader: "ts", sourcefile: "locker.ts" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile,
      external: ["pg-native"],
      logLevel: "silent",
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" }
    })
  )

interface LockerEvent {
  readonly event: "ready" | "locked" | "busy"
  readonly pid: number
  readonly id?: string
  readonly waited?: number
  readonly holder?: number
  readonly holderId?: string
  readonly message?: string
}

interface Locker {
  readonly child: ChildProcess.ChildProcess
  /** Waits for the first event of this kind, or fails when the child exits first. */
  readonly next: (event: LockerEvent["event"]) => Effect.Effect<LockerEvent>
  readonly exited: Effect.Effect<number | null>
  /** Tells a locker holding until stdin speaks to let go. */
  readonly release: Effect.Effect<void>
  /** The events so far. */
  readonly events: ReadonlyArray<LockerEvent>
}

/** Starts the locker for `project`; it is killed when the scope closes. */
const spawnLocker = (script: string, project: string, timeout: number, hold: "stdin" | "forever" | number) =>
  Effect.acquireRelease(
    Effect.sync((): Locker => {
      const child = ChildProcess.spawn(process.execPath, [script, project, String(timeout), String(hold)], {
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, FLEETFLOW_TEST_PG_URL: Redacted.value(url) }
      })
      const events: Array<LockerEvent> = []
      const waiters = new Set<() => void>()
      let buffer = ""
      let stderr = ""
      child.stdout.on("data", (chunk) => {
        buffer += String(chunk)
        const lines = buffer.split("\n")
        buffer = lines.pop() ?? ""
        for (const line of lines) events.push(JSON.parse(line) as LockerEvent)
        for (const wake of waiters) wake()
      })
      child.stderr.on("data", (chunk) => {
        stderr += String(chunk)
      })
      const exit = new Promise<number | null>((resolve) =>
        child.once("exit", (code) => {
          for (const wake of waiters) wake()
          resolve(code)
        })
      )
      const next = (event: LockerEvent["event"]) =>
        Effect.async<LockerEvent>((resume) => {
          const check = () => {
            const found = events.find((candidate) => candidate.event === event)
            if (found !== undefined) {
              waiters.delete(check)
              resume(Effect.succeed(found))
            } else if (child.exitCode !== null || child.signalCode !== null) {
              waiters.delete(check)
              resume(Effect.die(new Error(`the locker exited (${child.exitCode}) before "${event}": ${stderr}`)))
            }
          }
          waiters.add(check)
          check()
          return Effect.sync(() => waiters.delete(check))
        })
      return {
        child,
        next,
        exited: Effect.promise(() => exit),
        release: Effect.sync(() => void child.stdin.write("\n")),
        events
      }
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
  )

const lockerFolders: Array<string> = []
afterAll(() => {
  for (const folder of lockerFolders) Fs.rmSync(folder, { recursive: true, force: true })
})

/** The locker, bundled once for the tests that spawn it. */
const bundled = Effect.runSync(
  Effect.cached(
    Effect.suspend(() => {
      const folder = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "fleetflow-pg-locker-"))
      lockerFolders.push(folder)
      const script = NodePath.join(folder, "locker.mjs")
      return Effect.as(bundleLocker(script), script)
    })
  )
)

describe("a PostgreSQL store that cannot be reached", () => {
  it.scopedLive("says so, hiding a password that is not valid percent-encoding", () =>
    Effect.gen(function* () {
      const closed = yield* Effect.flip(
        Postgres.makePostgres({
          url: Redacted.make("postgres://fleetflow:ab%zz-secret@127.0.0.1:1/postgres"),
          project: "x",
          connectTimeout: "2 seconds"
        })
      )
      assert.strictEqual(closed._tag, "StateIoError")
      assert.include(closed.message, "cannot connect to postgres://fleetflow:***@127.0.0.1:1/postgres")
      assert.notInclude(JSON.stringify(closed), "zz-secret")
    })
  )
})

describe.skipIf(server === undefined)("the PostgreSQL state store", () => {
  it.scopedLive("creates its schema and tables on first use, also when several stores start at once", () =>
    Effect.gen(function* () {
      const schema = `s_${Crypto.randomUUID().slice(0, 8)}`
      const project = uniqueProject()
      const stores = yield* Effect.all(
        Array.from({ length: 4 }, () => makeStore(project, { schema })),
        { concurrency: "unbounded" }
      )
      const first = stores[0]!
      assert.isTrue(Option.isNone(yield* first.read))
      yield* first.write(State.emptyState(project))
      assert.strictEqual(Option.getOrThrow(yield* stores[3]!.read).serial, 1)
      assert.include(first.location, `schema ${schema}`)
      // A store made once the tables exist finds them.
      const later = yield* makeStore(project, { schema })
      assert.strictEqual(Option.getOrThrow(yield* later.read).serial, 1)
    })
  )

  it.scopedLive("reads back what it wrote, bumping the serial, from another connection too", () =>
    Effect.gen(function* () {
      const project = uniqueProject()
      const store = yield* makeStore(project)
      assert.isTrue(Option.isNone(yield* store.read))
      const first = yield* store.write(withResource(State.emptyState(project), 1))
      assert.strictEqual(first.serial, 1)
      const second = yield* store.write(
        State.withScale(State.addPending(withResource(first, 2), pendingOperation()), "dev", "web", 3)
      )
      assert.strictEqual(second.serial, 2)
      assert.deepStrictEqual(Option.getOrThrow(yield* store.read), second)
      const other = yield* makeStore(project)
      assert.deepStrictEqual(Option.getOrThrow(yield* other.read), second)
      // Another project in the same tables is another state.
      assert.isTrue(Option.isNone(yield* (yield* makeStore(uniqueProject())).read))
    })
  )

  it.scopedLive("takes a write as its changes, stored as the next version, and refuses stale ones", () =>
    Effect.gen(function* () {
      const project = uniqueProject()
      const store = yield* makeStore(project, { fullEvery: 0 })
      const first = yield* store.write(withResource(withResource(State.emptyState(project), 1), 2))
      const changes = {
        set: { "sakura-cloud:server:s3": resource(3) },
        remove: ["sakura-cloud:server:s1"],
        pending: []
      }
      const version = yield* store.writeChanges({ lineage: first.lineage, serial: first.serial }, changes)
      assert.deepStrictEqual(version, { lineage: first.lineage, serial: 2 })
      const expected = withResource(State.removeResource(first, "sakura-cloud:server:s1"), 3)
      const other = yield* makeStore(project)
      assert.deepStrictEqual(Option.getOrThrow(yield* other.read), { ...expected, serial: 2 })
      assert.deepStrictEqual(Option.getOrThrow(yield* other.readVersion(1)), first)
      const stale = yield* Effect.flip(store.writeChanges({ lineage: first.lineage, serial: 1 }, changes))
      assert.strictEqual(stale._tag, "StateConflict")
      const none = yield* Effect.flip((yield* makeStore(uniqueProject())).writeChanges(version, changes))
      assert.strictEqual(none._tag, "StateConflict")
    })
  )

  it.scopedLive("refuses a write based on a stale serial, and one from another lineage", () =>
    Effect.gen(function* () {
      const project = uniqueProject()
      const a = yield* makeStore(project)
      const b = yield* makeStore(project)
      const base = yield* a.write(State.emptyState(project))
      const fromB = Option.getOrThrow(yield* b.read)
      yield* a.write(withResource(base, 1))
      const stale = yield* Effect.flip(b.write(withResource(fromB, 2)))
      assert.strictEqual(stale._tag, "StateConflict")
      if (stale._tag === "StateConflict") {
        assert.deepStrictEqual(stale.expected, { lineage: base.lineage, serial: 1 })
        assert.deepStrictEqual(stale.found, { lineage: base.lineage, serial: 2 })
        assert.include(stale.message, "based on serial 1, but the stored state is at serial 2")
      }
      const other = yield* Effect.flip(a.write({ ...State.emptyState(project), serial: 2 }))
      assert.strictEqual(other._tag, "StateConflict")
      assert.include(other.message, "another lineage")
      // A first write over an existing state is stale too.
      const fresh = yield* Effect.flip(b.write(State.emptyState(project)))
      assert.strictEqual(fresh._tag, "StateConflict")
      assert.strictEqual(Option.getOrThrow(yield* b.read).serial, 2)
    })
  )

  it.scopedLive("lets exactly one of two racing first writes through", () =>
    Effect.gen(function* () {
      const project = uniqueProject()
      const stores = yield* Effect.all([makeStore(project), makeStore(project)])
      const exits = yield* Effect.all(
        stores.map((store) => Effect.exit(store.write(State.emptyState(project)))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(exits.filter(Exit.isSuccess).length, 1)
      const failed = exits.find(Exit.isFailure)
      assert.isTrue(failed !== undefined && String(failed.cause).includes("StateConflict"))
    })
  )

  it.scopedLive("keeps every version, mostly as changes, and reads any of them back", () =>
    Effect.gen(function* () {
      const project = uniqueProject()
      const store = yield* makeStore(project, { fullEvery: 5 })
      const written: Array<State.StateFile> = []
      let state = State.emptyState(project)
      for (let index = 0; index < 30; index++) {
        const next = index % 7 === 6 ? State.removeResource(state, `sakura-cloud:server:s${index - 3}`) : state
        state = yield* store.write(withResource(next, index))
        written.push(state)
      }
      // A store with nothing cached replays the changes.
      const fresh = yield* makeStore(project, { fullEvery: 5 })
      assert.deepStrictEqual(Option.getOrThrow(yield* fresh.read), state)
      for (const version of written) {
        assert.deepStrictEqual(Option.getOrThrow(yield* fresh.readVersion(version.serial)), version)
      }
      assert.isTrue(Option.isNone(yield* fresh.readVersion(31)))
      const history = yield* fresh.history
      assert.deepStrictEqual(
        history.map((entry) => entry.serial),
        written.map((version) => version.serial).reverse()
      )
      assert.deepStrictEqual(
        history.map((entry) => entry.resources),
        written.map((version) => Object.keys(version.resources).length).reverse()
      )
      assert.isTrue(history.every((entry) => entry.lineage === state.lineage))
      assert.include(history[0]!.written_by, `(pid ${process.pid})`)
      // A rollback: an earlier version written as the next one.
      const old = Option.getOrThrow(yield* fresh.readVersion(3))
      const rolledBack = yield* fresh.write({ ...old, serial: state.serial })
      assert.strictEqual(rolledBack.serial, 31)
      assert.deepStrictEqual(Option.getOrThrow(yield* store.read).resources, old.resources)
    })
  )

  it.scopedLive("holds the lock for the scope; another store is told who holds it, or waits for it", () =>
    Effect.gen(function* () {
      const project = uniqueProject()
      const a = yield* makeStore(project, { version: "9.9.9" })
      const b = yield* makeStore(project)
      const scope = yield* Scope.make()
      const info = yield* a.lock("up").pipe(Scope.extend(scope))
      assert.strictEqual(info.operation, "up")

      const locked = yield* Effect.flip(Effect.scoped(b.lock("plan")))
      assert.strictEqual(locked._tag, "StateLocked")
      if (locked._tag === "StateLocked") {
        assert.strictEqual(locked.lock.id, info.id)
        assert.strictEqual(locked.lock.pid, process.pid)
        assert.strictEqual(locked.lock.version, "9.9.9")
        assert.isFalse(locked.stale)
        assert.include(locked.message, `state is locked by ${info.user}@${Os.hostname()} (pid ${process.pid}, \`up\``)
      }
      const current = Option.getOrThrow(yield* b.currentLock)
      assert.strictEqual(current.id, info.id)
      assert.isFalse(current.stale)
      // The same store cannot take it twice either: it is one lock per command.
      assert.strictEqual((yield* Effect.flip(Effect.scoped(a.lock("down"))))._tag, "StateLocked")

      // A write under the lock records its operation.
      yield* a.write(State.emptyState(project))
      assert.strictEqual((yield* a.history)[0]!.operation, "up")

      const waiting = yield* Effect.fork(
        Effect.scoped(Effect.timed(b.lock("plan", { timeout: "10 seconds", pollInterval: "50 millis" })))
      )
      yield* Effect.sleep("400 millis")
      yield* Scope.close(scope, Exit.void)
      const [waited, got] = yield* Fiber.join(waiting)
      assert.strictEqual(got.operation, "plan")
      assert.isAtLeast(Duration.toMillis(waited), 300)
      assert.isTrue(Option.isNone(yield* a.currentLock))

      // Without a timeout, a held lock fails at once.
      const holder = yield* Scope.make()
      yield* b.lock("up").pipe(Scope.extend(holder))
      const [elapsed] = yield* Effect.timed(Effect.flip(Effect.scoped(a.lock("up"))))
      assert.isBelow(Duration.toMillis(elapsed), 3000)
      // With one, it fails once the time is up.
      const timedOut = yield* Effect.flip(
        Effect.scoped(a.lock("up", { timeout: "300 millis", pollInterval: "50 millis" }))
      )
      assert.strictEqual(timedOut._tag, "StateLocked")
      yield* Scope.close(holder, Exit.void)
    })
  )

  it.scopedLive("force-unlock ends the session holding the lock, so the next command can take it", () =>
    Effect.gen(function* () {
      const project = uniqueProject()
      const holder = yield* makeStore(project)
      const other = yield* makeStore(project)
      const scope = yield* Scope.make()
      const info = yield* holder.lock("up").pipe(Scope.extend(scope))

      const wrong = yield* Effect.flip(other.forceUnlock("not-the-id"))
      assert.strictEqual(wrong._tag, "LockNotFound")
      if (wrong._tag === "LockNotFound") assert.strictEqual(wrong.current?.id, info.id)

      const removed = yield* other.forceUnlock(info.id)
      assert.strictEqual(removed.id, info.id)
      assert.isTrue(Option.isNone(yield* other.currentLock))
      yield* Effect.scoped(other.lock("up"))
      // The old holder's release finds its lock gone and only warns.
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual((yield* Effect.flip(other.forceUnlock(info.id)))._tag, "LockNotFound")
      // Its next write still works, through another connection of the pool.
      yield* holder.write(State.emptyState(project))
    })
  )

  it.scopedLive("two processes racing for the lock: one holds it, the other is told who, or waits", () =>
    Effect.gen(function* () {
      const script = yield* bundled
      const project = uniqueProject()
      const racers = yield* Effect.all([
        spawnLocker(script, project, 0, "stdin"),
        spawnLocker(script, project, 0, "stdin")
      ])
      const outcomes = yield* Effect.all(
        racers.map((racer) => Effect.raceFirst(racer.next("locked"), racer.next("busy"))),
        { concurrency: "unbounded" }
      )
      const winners = outcomes.filter((outcome) => outcome.event === "locked")
      const losers = outcomes.filter((outcome) => outcome.event === "busy")
      assert.strictEqual(winners.length, 1)
      assert.strictEqual(losers.length, 1)
      assert.strictEqual(losers[0]!.holder, winners[0]!.pid)
      assert.strictEqual(losers[0]!.holderId, winners[0]!.id)
      assert.include(losers[0]!.message, `(pid ${winners[0]!.pid}, \`up\``)

      assert.strictEqual(yield* racers.find((racer) => racer.child.pid === losers[0]!.pid)!.exited, 0)

      // A third one with --lock-timeout waits while the winner holds it, then takes it.
      const winner = racers.find((racer) => racer.child.pid === winners[0]!.pid)!
      const patient = yield* spawnLocker(script, project, 20_000, 0)
      yield* patient.next("ready")
      yield* Effect.sleep("500 millis")
      assert.isFalse(patient.events.some((event) => event.event === "locked"))
      yield* winner.release
      const locked = yield* patient.next("locked")
      assert.isAbove(locked.waited!, 400)
      assert.strictEqual(yield* winner.exited, 0)
      assert.strictEqual(yield* patient.exited, 0)
    })
  )

  it.scopedLive("a holder killed with SIGKILL releases the lock: the server ends its session", () =>
    Effect.gen(function* () {
      const script = yield* bundled
      const project = uniqueProject()
      const store = yield* makeStore(project)
      const holder = yield* spawnLocker(script, project, 0, "forever")
      const locked = yield* holder.next("locked")
      const before = Option.getOrThrow(yield* store.currentLock)
      assert.strictEqual(before.pid, locked.pid)
      assert.isFalse(before.stale)

      holder.child.kill("SIGKILL")
      yield* holder.exited
      // The row stays behind, but the session that held the advisory lock is gone: stale.
      const stale = yield* store.currentLock.pipe(
        Effect.flatMap((lock) =>
          Option.isSome(lock) && lock.value.stale ? Effect.succeed(lock.value) : Effect.fail("still held")
        ),
        Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.intersect(Schedule.recurs(100))))
      )
      assert.strictEqual(stale.id, locked.id)

      // The next command takes it without force-unlock, replacing the dead holder's row.
      const info = yield* store.lock("up", { timeout: "10 seconds", pollInterval: "50 millis" })
      const current = Option.getOrThrow(yield* store.currentLock)
      assert.strictEqual(current.id, info.id)
      assert.notStrictEqual(current.id, locked.id)
      assert.isFalse(current.stale)
    })
  )

  it.scopedLive("migrates local → PostgreSQL → local keeping lineage and serial, and never over another state", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const root = yield* fs.makeTempDirectoryScoped({ prefix: "fleetflow-migrate-" })
      const project = uniqueProject()
      const local = yield* State.makeLocal(NodePath.join(root, "a", ".fleetflow"))
      let state = State.emptyState(project)
      for (let index = 0; index < 3; index++) state = yield* local.write(withResource(state, index))
      const pg = yield* makeStore(project)

      const copied = yield* Migrate.migrate(local, pg)
      assert.strictEqual(copied.outcome, "copied")
      assert.deepStrictEqual(copied.version, { lineage: state.lineage, serial: 3 })
      assert.deepStrictEqual(Option.getOrThrow(yield* pg.read), state)
      assert.strictEqual((yield* Migrate.migrate(local, pg)).outcome, "unchanged")
      // The copy takes the next write as the local file would have.
      const next = yield* pg.write(withResource(state, 9))
      assert.strictEqual(next.serial, 4)

      // Back to an empty local folder, and over the older local copy of the same lineage.
      const back = yield* State.makeLocal(NodePath.join(root, "b", ".fleetflow"))
      assert.strictEqual((yield* Migrate.migrate(pg, back)).outcome, "copied")
      assert.deepStrictEqual(Option.getOrThrow(yield* back.read), next)
      assert.strictEqual((yield* Migrate.migrate(pg, local)).outcome, "copied")
      const reopened = yield* State.makeLocal(NodePath.join(root, "a", ".fleetflow"))
      assert.deepStrictEqual(Option.getOrThrow(yield* reopened.read), next)
      // Copied state carries on with its serials in the local store too.
      assert.strictEqual((yield* back.write(next)).serial, 5)

      // Refused: a later serial in the target, another lineage, the same serial with other content.
      const older = yield* State.makeLocal(NodePath.join(root, "c", ".fleetflow"))
      yield* older.replace(state)
      const newer = yield* Effect.flip(Migrate.migrate(older, pg))
      assert.isTrue(newer._tag === "MigrateRefused" && newer.reason === "target-newer", String(newer))
      const stranger = yield* State.makeLocal(NodePath.join(root, "d", ".fleetflow"))
      yield* stranger.write(State.emptyState(project))
      const other = yield* Effect.flip(Migrate.migrate(stranger, pg))
      assert.isTrue(other._tag === "MigrateRefused" && other.reason === "other-lineage", String(other))
      assert.include(other.message, "already holds another state")
      const diverged = yield* Effect.flip(Migrate.migrate(pg, yield* pgAt(project, next)))
      assert.isTrue(diverged._tag === "MigrateRefused" && diverged.reason === "diverged", String(diverged))
      // None of that touched the target, nor did the lock stay taken.
      assert.deepStrictEqual(Option.getOrThrow(yield* pg.read), next)
      assert.isTrue(Option.isNone(yield* pg.currentLock))
      // The store itself refuses a replace over another lineage.
      const replaced = yield* Effect.flip(pg.replace({ ...state, lineage: Crypto.randomUUID(), serial: 10 }))
      assert.strictEqual(replaced._tag, "StateConflict")
      // An empty source copies nothing.
      const empty = State.makeLocal(NodePath.join(root, "e", ".fleetflow"))
      assert.strictEqual((yield* Migrate.migrate(yield* empty, pg)).outcome, "empty")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scopedLive("never shows the connection string's password", () =>
    Effect.gen(function* () {
      const password = server!.password
      const store = yield* makeStore(uniqueProject())
      assert.notInclude(store.location, password)
      assert.include(store.location, "fleetflow:***@127.0.0.1")
      const wrongPassword = server!.url.replace(password, "not-the-password-123")
      const refused = yield* Effect.flip(Postgres.makePostgres({ url: Redacted.make(wrongPassword), project: "x" }))
      assert.strictEqual(refused._tag, "StateIoError")
      assert.include(refused.message, "password authentication failed")
      assert.notInclude(refused.message, "not-the-password-123")
      assert.notInclude(JSON.stringify(refused), "not-the-password-123")
      const closed = yield* Effect.flip(
        Postgres.makePostgres({
          url: Redacted.make(`postgres://fleetflow:${password}@127.0.0.1:1/postgres`),
          project: "x",
          connectTimeout: "2 seconds"
        })
      )
      assert.strictEqual(closed._tag, "StateIoError")
      assert.notInclude(closed.message, password)
      assert.include(closed.message, "cannot connect to postgres://fleetflow:***@127.0.0.1:1/postgres")
      assert.strictEqual(
        Postgres.maskUrl("postgresql://u:p%40ss@h/db?sslpassword=x&sslmode=require"),
        "postgresql://u:***@h/db?sslpassword=***&sslmode=require"
      )
    })
  )
})

/** A PostgreSQL store for another project holding `state`'s lineage and serial with other content. */
const pgAt = (project: string, state: State.StateFile) =>
  Effect.gen(function* () {
    const store = yield* makeStore(`${project}-twin`)
    yield* store.replace({ ...state, resources: {} })
    return store
  })

const pendingOperation = (): State.PendingOperation => ({
  id: Crypto.randomUUID(),
  operation: "create",
  key: "sakura-cloud:server:s3",
  stage: "dev",
  started_at: "2025-01-01T00:00:00.000Z"
})
