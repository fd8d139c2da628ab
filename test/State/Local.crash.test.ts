/**
 * Kills a real writer with SIGKILL at arbitrary moments: the state must always read, the
 * lock it held must show as stale, and the next run must clean up after it.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as esbuild from "esbuild"
import * as ChildProcess from "node:child_process"
import * as NodePath from "node:path"
import * as Url from "node:url"
import * as Crash from "../../src/Crash.js"
import * as State from "../../src/State.js"
import { isRunning } from "../support/Processes.js"

const repository = NodePath.resolve(NodePath.dirname(Url.fileURLToPath(import.meta.url)), "../..")

// The child runs the real store, bundled from source, and writes state as fast as it can.
const writer = `
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as State from "./src/State.js"

const padding = "x".repeat(400)
const resource = (i) => ({
  provider: "sakura-cloud", type: "server", name: "s" + i, stage: "dev", id: "id-" + i,
  attributes: { ip: "192.0.2." + (i % 250), padding }, inputs: { core: i }, dependsOn: [],
  created_at: "2025-01-01T00:00:00.000Z", updated_at: new Date().toISOString()
})

const program = Effect.gen(function* () {
  const store = yield* State.StateStore
  yield* store.lock("up")
  let state = Option.getOrElse(yield* store.read, () => State.emptyState("crash"))
  process.stdout.write("locked\\n")
  for (let i = 0; ; i++) {
    state = yield* store.write(State.putResource(state, "sakura-cloud:server:s" + (i % 200), resource(i)))
  }
})

Effect.runPromise(
  program.pipe(Effect.scoped, Effect.provide(State.layerLocal(process.argv[2])), Effect.provide(NodeFileSystem.layer))
)
`

const bundle = (outfile: string) =>
  Effect.promise(() =>
    esbuild.build({
      stdin: { contents: writer, resolveDir: repository, loader: "ts", sourcefile: "writer.ts" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile,
      logLevel: "silent",
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" }
    })
  )

/** Starts the writer, waits until it holds the lock, lets it write for `millis`, then SIGKILLs it. */
const killWhileWriting = (script: string, folder: string, millis: number) =>
  Effect.async<number, Error>((resume) => {
    const child = ChildProcess.spawn(process.execPath, [script, folder], { stdio: ["ignore", "pipe", "pipe"] })
    let stderr = ""
    let timer: NodeJS.Timeout | undefined
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk)
    })
    child.stdout.on("data", (chunk) => {
      if (timer === undefined && String(chunk).includes("locked")) {
        timer = setTimeout(() => child.kill("SIGKILL"), millis)
      }
    })
    child.on("exit", (_code, signal) => {
      if (signal === "SIGKILL") resume(Effect.succeed(child.pid!))
      else resume(Effect.fail(new Error(`the writer stopped by itself: ${stderr}`)))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

describe("crash safety", () => {
  it.live(
    "a writer killed at any moment leaves a readable state (state.json and its journal), and a stale lock",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const root = yield* fs.makeTempDirectoryScoped({ prefix: "fleetflow-crash-" })
        const folder = NodePath.join(root, ".fleetflow")
        const script = NodePath.join(root, "writer.mjs")
        yield* bundle(script)
        const store = yield* State.makeLocal(folder)
        let lastSerial = 0
        let reads = 0

        for (const millis of [150, 230, 310, 390, 470, 550]) {
          // Every read during the writes must see a whole state.
          const reader = yield* Effect.fork(
            Effect.forever(
              Effect.zipRight(
                Effect.tap(store.read, () => {
                  reads++
                }),
                Effect.sleep("2 millis")
              )
            )
          )
          const pid = yield* killWhileWriting(script, folder, millis)
          const readerExit = yield* Fiber.interrupt(reader)
          assert.isTrue(Exit.isFailure(readerExit) && Cause.isInterruptedOnly(readerExit.cause), String(readerExit))

          const state = Option.getOrThrow(yield* store.read)
          assert.isAbove(state.serial, lastSerial)
          lastSerial = state.serial
          // The backup, once a full rewrite made one, is a whole earlier state.
          if (yield* fs.exists(`${store.location}.backup`)) {
            const backup = Schema.decodeUnknownEither(Schema.parseJson(State.StateFile))(
              yield* fs.readFileString(`${store.location}.backup`)
            )
            assert.isTrue(Either.isRight(backup))
            if (Either.isRight(backup)) assert.isBelow(backup.right.serial, state.serial)
          }

          const lock = Option.getOrThrow(yield* store.currentLock)
          assert.strictEqual(lock.pid, pid)
          assert.isTrue(lock.stale)
          const error = yield* Effect.flip(Effect.scoped(store.lock("up")))
          assert.isTrue(error._tag === "StateLocked" && error.stale)
          yield* store.forceUnlock(lock.id)
        }

        assert.isAbove(reads, 10)
        // The next lock holder clears the temp files the killed writers left.
        yield* Effect.scoped(store.lock("up"))
        const names = (yield* fs.readDirectory(folder)).sort()
        // A temp file stays only while a process of its pid runs: a killed writer's pid may have been
        // given to another process since (pids wrap around on a busy machine).
        const temps = names.filter((name) => /\.tmp$/.test(name))
        assert.deepStrictEqual(
          temps.filter((name) => !isRunning(Number(/\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name)?.[1]))),
          [],
          "temp files of writers that are gone"
        )
        assert.strictEqual(
          names
            .filter((name) => !temps.includes(name) && !["state.journal", "state.json.backup"].includes(name))
            .join(" "),
          ".gitignore state.json"
        )
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    60_000
  )
})

describe("kill points", () => {
  const arrivals = (point: Crash.Point, times: number) =>
    Effect.all(Array.from({ length: times }, () => Crash.due(point)))

  it.effect("are never due unless turned on", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* arrivals("journal-torn", 3), [false, false, false])
    })
  )

  it.effect("turned on, are due at the named arrival at the named point only", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* arrivals("journal-appended", 2), [false, false])
      assert.deepStrictEqual(yield* arrivals("journal-torn", 3), [false, true, false])
    }).pipe(Effect.provideService(Crash.CrashPoints, Crash.make("journal-torn#2")))
  )

  it.effect("are turned on from FLEETFLOW_CRASH_AT by the layer the executable provides", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* arrivals("retry-wait", 2), [true, false])
    }).pipe(
      Effect.provide(Crash.layerFromEnv),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([[Crash.variable, "retry-wait"]])))
    )
  )
})
