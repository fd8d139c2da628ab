import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Config, Fake, Fleet, State } from "fleetflow-cloud"

/** Brings a stage of a fleet.kdl up without asking, and returns the address of its server `web`. */
export const bringUp = (file: string, stage: string) =>
  Effect.gen(function* () {
    const config = yield* Config.load(file)
    const name = yield* Config.selectStage(config, stage)
    const desired = yield* Config.desiredResources(config, name)
    const { state } = yield* Fleet.up(
      { config, stage: name, desired },
      {
        parallelism: 4,
        refresh: true,
        confirm: () => Effect.succeed(true),
        onFailure: () => Effect.succeed("abort" as const)
      }
    )
    return state.resources["sakura-cloud:server:web"]?.attributes.ip
  })

/** Fake clouds in memory and a state in memory: nothing leaves the process. */
export const fakeClouds = Layer.mergeAll(Fake.layer(), State.layerMemory(), NodeContext.layer)
