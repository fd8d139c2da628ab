/**
 * The Sakura provider over the usacloud simulator, as the provider tests run it, and the usacloud
 * command lines the simulator received.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { CloudProvider } from "../../src/Provider.js"
import * as SakuraProvider from "../../src/Sakura/Provider.js"
import * as Simulator from "../../src/Sakura/Simulator.js"

/** The provider alone over `store`, as a new run builds it. */
export const providerOver = (
  store: Simulator.SimulatorStore,
  options: Simulator.SimulatorOptions = {},
  settings: SakuraProvider.Settings = {}
) =>
  Effect.provide(
    CloudProvider,
    SakuraProvider.layer(settings).pipe(Layer.provide(Simulator.layerTransport(store, options)))
  )

/** The provider alone, over a fresh simulator. */
export const provider = (options: Simulator.SimulatorOptions = {}, settings: SakuraProvider.Settings = {}) =>
  Effect.gen(function* () {
    const store = yield* Simulator.memoryStore()
    const service = yield* providerOver(store, options, settings)
    return { store, service }
  })

/** Every usacloud command line the simulator received, in order. */
export const invocations = (store: Simulator.SimulatorStore) => Simulator.invocations(store).pipe(Effect.orDie)

/** `resource verb` of each usacloud run. */
export const commandsOf = (calls: ReadonlyArray<ReadonlyArray<string>>) => calls.map((args) => `${args[0]} ${args[1]}`)

/** How many usacloud runs were `command` (`resource verb`). */
export const count = (calls: ReadonlyArray<ReadonlyArray<string>>, command: string) =>
  commandsOf(calls).filter((name) => name === command).length
