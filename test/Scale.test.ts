import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { pipe } from "effect/Function"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as NodePath from "node:path"
import * as Config from "../src/Config.js"
import * as Scale from "../src/Scale.js"
import * as State from "../src/State.js"
import { folder, withEnv } from "./fixtures/config/support.js"

const file = [
  `providers { sakura zone="tk1a" }`,
  `server "web" { plan "1core-1gb"; disk-size 20; os "ubuntu"; scale min=2 max=4 }`,
  `server "db" { plan "1core-1gb"; disk-size 20; os "ubuntu" }`,
  `stage "dev" { server "web"; server "db"; server "batch" { plan "1core-1gb"; disk-size 20; os "ubuntu"; scale min=1 max=3 } }`,
  `stage "single" { server "db" }`
].join("\n")

const load = (text = file) => Config.load(NodePath.join(folder({ "fleet.kdl": text }), "fleet.kdl")).pipe(withEnv({}))

const serverNames = (config: Config.FleetConfig, counts: Readonly<Record<string, number>>) =>
  Effect.map(Config.desiredResources(config, "dev", { scale: counts }), (desired) =>
    desired.filter((resource) => resource.type === "server").map((resource) => resource.name)
  )

describe("the recorded scale in the state", () => {
  it("scaleOf is empty until withScale records a count, per stage and server", () => {
    const empty = State.emptyState("creo")
    assert.deepStrictEqual(State.scaleOf(empty, "dev"), {})
    assert.isUndefined(empty.scale, "a state that never scaled has no field at all")

    const once = State.withScale(empty, "dev", "web", 3)
    const twice = pipe(once, State.withScale("dev", "batch", 2), State.withScale("live", "web", 4))
    assert.deepStrictEqual(State.scaleOf(twice, "dev"), { web: 3, batch: 2 })
    assert.deepStrictEqual(State.scaleOf(twice, "live"), { web: 4 })
    assert.deepStrictEqual(State.scaleOf(State.withScale(twice, "dev", "web", 2), "dev"), { web: 2, batch: 2 })
    assert.deepStrictEqual(State.scaleOf(once, "dev"), { web: 3 }, "the helpers do not mutate")
    assert.strictEqual(twice.serial, empty.serial)
    assert.strictEqual(twice.version, 1)
  })

  it("a state file written before the field decodes; the field round-trips; a count below 1 is refused", () => {
    const decode = Schema.decodeUnknownEither(State.StateFile)
    const old = { version: 1, lineage: "l", serial: 3, project: "creo", resources: {}, pending: [] }
    assert.isTrue(Either.isRight(decode(old)))
    const scaled = decode({ ...old, scale: { dev: { web: 3 } } })
    assert.deepStrictEqual(
      Either.map(scaled, (state) => State.scaleOf(state, "dev")),
      Either.right({ web: 3 })
    )
    assert.isTrue(Either.isLeft(decode({ ...old, scale: { dev: { web: 0 } } })))
    assert.isTrue(Either.isLeft(decode({ ...old, scale: { dev: { web: 2.5 } } })))
  })

  it.effect("the store keeps the count across writes of other fields", () =>
    Effect.gen(function* () {
      const store = yield* State.makeMemory()
      const first = yield* store.write(State.withScale(State.emptyState("creo"), "dev", "web", 4))
      yield* store.write(State.removePending(first, "nothing"))
      const stored = yield* store.read
      assert.deepStrictEqual(
        Option.map(stored, (state) => State.scaleOf(state, "dev")),
        Option.some({ web: 4 })
      )
    })
  )
})

layer(NodeFileSystem.layer)("Scale", (it) => {
  it.effect("rangesOf lists the stage's scaled servers, templates and inline ones", () =>
    Effect.gen(function* () {
      const config = yield* load()
      const ranges = yield* Scale.rangesOf(config, "dev")
      assert.deepStrictEqual(
        ranges.map(({ server, min, max }) => ({ server, min, max })),
        [
          { server: "web", min: 2, max: 4 },
          { server: "batch", min: 1, max: 3 }
        ]
      )
      assert.strictEqual(ranges[0]!.at.line, 2, "the `scale` node of the template")
      assert.deepStrictEqual(yield* Scale.rangesOf(config, "single"), [])
    })
  )

  it.effect("checkCount accepts a count within the range and names the range or the scaled servers otherwise", () =>
    Effect.gen(function* () {
      const config = yield* load()
      const ranges = yield* Scale.rangesOf(config, "dev")
      const check = (server: string, count: number) => Scale.checkCount(config, "dev", ranges, server, count)
      assert.deepStrictEqual(
        Either.map(check("web", 4), (range) => range.server),
        Either.right("web")
      )
      assert.isTrue(Either.isRight(check("web", 2)))
      for (const count of [1, 5, 0, -1, 2.5]) {
        const error = Either.flip(check("web", count)).pipe(Either.getOrThrow)
        assert.strictEqual(error._tag, "CountOutOfRange")
        assert.include(error.message, "`web` runs from 2 to 4 servers")
        assert.include(error.message, `${count} is outside that range`)
      }
      const typo = Either.flip(check("wbe", 3)).pipe(Either.getOrThrow)
      assert.strictEqual(typo._tag, "NotScaled")
      assert.include(typo.message, 'stage "dev" has no scaled server `wbe`')
      assert.include(typo.message, "did you mean `web`? scaled servers: `web`, `batch`")
      const unscaled = Either.flip(check("db", 2)).pipe(Either.getOrThrow)
      assert.include(unscaled.message, 'server `db` of stage "dev" has no `scale` range')
      assert.include(unscaled.message, "add `scale min=1 max=N`")
      const none = Either.flip(Scale.checkCount(config, "single", [], "web", 2)).pipe(Either.getOrThrow)
      assert.include(none.message, 'no server of stage "single" has a `scale` range')
    })
  )

  it.effect("checkRecorded passes counts within the range on, ignores servers no longer scaled, refuses the rest", () =>
    Effect.gen(function* () {
      const config = yield* load()
      const ranges = yield* Scale.rangesOf(config, "dev")
      const ok = yield* Scale.checkRecorded(config, "dev", ranges, { web: 4, batch: 1, gone: 7 })
      assert.deepStrictEqual(ok, { counts: { web: 4, batch: 1 }, ignored: ["gone"] })
      assert.deepStrictEqual(yield* serverNames(config, ok.counts), [
        "web-01",
        "web-02",
        "web-03",
        "web-04",
        "db",
        "batch-01"
      ])
      assert.deepStrictEqual(yield* Scale.checkRecorded(config, "dev", ranges, {}), { counts: {}, ignored: [] })

      // The file's range shrank to 2..3 after `fleetflow scale web 4`: an error, not a clamp.
      const narrowed = yield* load(file.replace("scale min=2 max=4", "scale min=2 max=3"))
      const narrowedRanges = yield* Scale.rangesOf(narrowed, "dev")
      const error = yield* Effect.flip(Scale.checkRecorded(narrowed, "dev", narrowedRanges, { web: 4 }, ["--sandbox"]))
      assert.instanceOf(error, Config.ConfigError)
      assert.include(error.message, 'the state records 4 servers of `web` for stage "dev"')
      assert.include(error.message, "range 2 to 3")
      assert.strictEqual(error.line, 2, "at the `scale` node")
      assert.include(error.suggestion ?? "", "run `fleetflow scale web 3 -s dev --sandbox` (a count from 2 to 3)")
      const raised = yield* load(file.replace("scale min=2 max=4", "scale min=3 max=4"))
      const below = yield* Effect.flip(
        Scale.checkRecorded(raised, "dev", yield* Scale.rangesOf(raised, "dev"), { web: 2 })
      )
      assert.include(below.suggestion ?? "", "run `fleetflow scale web 3 -s dev` (a count from 3 to 4)")
    })
  )
})
