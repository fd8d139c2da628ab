/**
 * A fast subset of `npm run bench` (BENCHMARKS.md) at small sizes, as a smoke check: it fails
 * only on a gross regression, a ratio three times worse than its target, since the machines
 * that run it are shared and noisy. Everything runs in this process but the path users run, the
 * built CLI on the sandbox (`npm test` builds it first).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import * as Cli from "../bench/Cli.js"
import * as Bench from "../bench/Fleet.js"
import * as Fake from "../src/Fake.js"
import * as Fleet from "../src/Fleet.js"
import * as State from "../src/State.js"
import * as PlanScaling from "../bench/PlanScaling.js"
import { atMost, type Bound, loosen, median, meets, show } from "../bench/Report.js"
import * as Up from "../bench/Up.js"

/** How much worse than its target a ratio may be here. */
const slack = 3

const checkRatio = (name: string, numerator: number, denominator: number, target: Bound) => {
  const ratio = numerator / denominator
  const gross = loosen(target, slack)
  assert.isTrue(
    meets(ratio, gross),
    `${name}: ${numerator.toFixed(1)} / ${denominator.toFixed(1)} = ${ratio.toFixed(2)}, ` +
      `beyond ${show(gross)} (${slack} × the target ${show(target)})`
  )
}

const withFolder = async <A>(body: (folder: string) => Promise<A>): Promise<A> => {
  const root = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "fleetflow-bench-smoke-"))
  try {
    return await body(NodePath.join(root, ".fleetflow"))
  } finally {
    Fs.rmSync(root, { recursive: true, force: true })
  }
}

const planMedian = (size: number) =>
  withFolder(async (folder) => {
    await PlanScaling.writeState(folder, Bench.converged(Bench.desired(size)).state)
    const { times } = await PlanScaling.timePlans(size, PlanScaling.localStore(folder), {
      warmup: 1,
      runs: 5,
      minMillis: 0
    })
    return median(times)
  })

const sortedKeys = (value: object) => Object.keys(value).sort()

describe("benchmarks, smoke check", () => {
  it("the converged fleet the plan benchmark builds is what two ups leave, but for IDs, addresses and times", async () => {
    const fleet = Bench.desired(30)
    const built = Bench.converged(fleet)
    const [cloud, state] = await Effect.runPromise(
      Effect.gen(function* () {
        yield* Fleet.up(Bench.target(fleet), Bench.runOptions(1))
        // The second up changes nothing but records what the refresh saw (a disk's server).
        const applied = yield* Fleet.up(Bench.target(fleet), Bench.runOptions(1))
        return [yield* (yield* Fake.FakeCloud).resources, applied.state] as const
      }).pipe(Effect.provide(Layer.mergeAll(Fake.layer(), State.layerMemory())))
    )
    const builtCloud = await Effect.runPromise(
      Effect.flatMap(Fake.FakeCloud, (fake) => fake.resources).pipe(
        Effect.provide(Fake.layer({ initial: built.cloud }))
      )
    )
    const made = new Map(cloud.map((resource) => [`${resource.type}/${resource.name}`, resource]))
    assert.strictEqual(builtCloud.length, made.size)
    for (const resource of builtCloud) {
      const other = made.get(`${resource.type}/${resource.name}`)
      assert.isDefined(other, `${resource.type}/${resource.name}`)
      assert.deepStrictEqual(sortedKeys(resource.attributes), sortedKeys(other!.attributes), resource.name)
      assert.deepStrictEqual(sortedKeys(resource.inputs), sortedKeys(other!.inputs), resource.name)
      assert.deepStrictEqual(resource.tags, other!.tags, resource.name)
    }
    assert.deepStrictEqual(sortedKeys(built.state.resources), sortedKeys(state.resources))
    for (const [key, resource] of Object.entries(built.state.resources)) {
      const other = state.resources[key]!
      assert.deepStrictEqual(sortedKeys(resource), sortedKeys(other), key)
      assert.deepStrictEqual(sortedKeys(resource.attributes), sortedKeys(other.attributes), key)
      assert.deepStrictEqual(resource.declared, other.declared, key)
      assert.deepStrictEqual(resource.dependsOn, other.dependsOn, key)
    }
  })

  it("a converged plan of 1,000 takes at most 36 × one of 100 (target: 12 × for 10 × the size)", async () => {
    // Warms the JIT, so that the smaller size does not pay for it.
    await planMedian(100)
    const small = await planMedian(100)
    const large = await planMedian(1000)
    checkRatio("plan 1000 / 100", large, small, atMost(12))
  })

  it("an apply at 50 ms per call and parallelism 10 stays near its ideal and its critical path", async () => {
    const latencyMillis = 50
    const fleets = [
      { name: "independent", fleet: Bench.independent(100), ideal: 10 * latencyMillis },
      { name: "chains", fleet: Bench.chains(10, 5), ideal: 5 * latencyMillis }
    ]
    const results = await Up.alternate(() => fleets, { store: "local", parallelism: 10, latencyMillis }, 3)
    for (const { name, ideal } of fleets) {
      const apply = median(results.get(name)!.map((times) => times.apply))
      checkRatio(`apply of ${name} against ${ideal} ms`, apply, ideal, atMost(1.15))
    }
  })

  it("through the CLI on the sandbox: a converged plan of 1,000 finds nothing to do; up of 200 takes at most 6.6 × up of 100 (target: 2.2 ×)", async () => {
    const converged = await Cli.convergedSandbox(1000)
    try {
      const plan = await Cli.planConverged(converged, Cli.sandboxArgs)
      assert.isBelow(plan.peakRssMb, 3 * 250, "peak RSS of the plan, far from the 10,000 target")
    } finally {
      Fs.rmSync(converged, { recursive: true, force: true })
    }
    const small: Array<number> = []
    const large: Array<number> = []
    for (let round = 0; round < 2; round++) {
      small.push((await Cli.upSandbox(100)).millis)
      large.push((await Cli.upSandbox(200)).millis)
    }
    checkRatio("CLI up 200 / 100", median(large), median(small), atMost(2.2))
  }, 120_000)

  it("up of 400 on the local state takes at most 6.9 × up of 200 (target: 2.3 × for 2 × the size)", async () => {
    const fleets = [
      { name: "200", fleet: Bench.desired(200) },
      { name: "400", fleet: Bench.desired(400) }
    ]
    const results = await Up.alternate(() => fleets, { store: "local", parallelism: 10, latencyMillis: 0 }, 2)
    const [small, large] = fleets.map(({ name }) => median(results.get(name)!.map((times) => times.up)))
    checkRatio("up 400 / 200", large!, small!, atMost(2.3))
  })
})
