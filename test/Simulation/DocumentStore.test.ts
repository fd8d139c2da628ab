import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as DocumentStore from "../../src/Simulation/DocumentStore.js"
import { writeFileAtomic } from "../../src/State/AtomicFile.js"

const Counter = Schema.Struct({ n: Schema.Number })

const options = {
  schema: Counter,
  empty: { n: 0 },
  names: { what: "a counter", fresh: "zero" },
  error: (problem: DocumentStore.Problem) => new Error(problem.message),
  locked: (problem: DocumentStore.Problem<"locked">) => new Error(problem.message)
}

const add = (store: DocumentStore.DocumentStore<typeof Counter.Type, Error>, amount: number) =>
  store.modify((document) => Effect.succeed([undefined, { n: document.n + amount }] as const))

describe("a document store in a file", () => {
  it.scoped("sees what another writer of the file changed, though it keeps what it wrote last", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = `${yield* fs.makeTempDirectoryScoped()}/cloud.json`
      const mine = yield* DocumentStore.file(path, options)
      const theirs = yield* DocumentStore.file(path, options)
      yield* add(mine, 1)
      yield* add(theirs, 10)
      assert.deepStrictEqual(yield* mine.load, { n: 11 })
      yield* add(mine, 100)
      assert.deepStrictEqual(yield* theirs.load, { n: 111 })
      // Replaced by hand (another process's simulator, an operator): read again, even at the same size.
      yield* writeFileAtomic(path, '{"n":222}\n')
      assert.deepStrictEqual(yield* mine.load, { n: 222 })
      yield* fs.remove(path)
      assert.deepStrictEqual(yield* mine.load, { n: 0 }, "a removed file holds the empty document")
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped(
    "decodes a file it has read only once until the file changes, and writes nothing for a change that changes nothing",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const path = `${yield* fs.makeTempDirectoryScoped()}/cloud.json`
        yield* writeFileAtomic(path, '{"n":5}\n')
        const store = yield* DocumentStore.file(path, options)
        const first = yield* store.load
        // A sandbox's plan: every request loads the cloud, and a read returns it as it was.
        assert.strictEqual(yield* store.modify((document) => Effect.succeed([undefined, document] as const)), undefined)
        assert.strictEqual(yield* store.load, first, "the same file is not decoded again")
        assert.strictEqual(yield* fs.readFileString(path), '{"n":5}\n')
        yield* writeFileAtomic(path, '{"n":6}\n')
        assert.deepStrictEqual(yield* store.load, { n: 6 })
      }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("changes made at once all land, each caller gets its own result, and a failing one changes nothing", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = `${yield* fs.makeTempDirectoryScoped()}/cloud.json`
      const store = yield* DocumentStore.file(path, options)
      const results = yield* Effect.forEach(
        Array.from({ length: 40 }, (_, index) => index + 1),
        (amount) =>
          store
            .modify((document) =>
              amount === 13
                ? Effect.fail(new Error("refused"))
                : Effect.succeed([document.n + amount, { n: document.n + amount }] as const)
            )
            .pipe(Effect.either),
        { concurrency: "unbounded" }
      )
      const refused = results.filter((result) => result._tag === "Left")
      assert.strictEqual(refused.length, 1)
      const seen = results.flatMap((result) => (result._tag === "Right" ? [result.right] : []))
      assert.strictEqual(new Set(seen).size, 39, "each change saw the document the ones before it left")
      const total = (40 * 41) / 2 - 13
      assert.strictEqual(Math.max(...seen), total)
      assert.deepStrictEqual(JSON.parse(yield* fs.readFileString(path)), { n: total })
    }).pipe(Effect.provide(NodeContext.layer))
  )
})
