/**
 * A Sakura Cloud fleet written in KDL (one stage, `dev`, in zone is1a, with fast retries) and
 * the target the CLI would load from it, for tests that run the engine over the simulator.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as NodePath from "node:path"
import * as Config from "../../src/Config.js"
import type * as Fleet from "../../src/Fleet.js"
import { folder } from "../fixtures/config/support.js"

/** The fleet file around `stage`, the lines of stage `dev`. */
export const fleetText = (stage: ReadonlyArray<string>): string =>
  [
    `project "shop"`,
    `providers { sakura-cloud { zone "is1a" } }`,
    `retry max-attempts=3 initial-delay="1ms" max-delay="5ms" multiplier=2.0`,
    `stage "dev" {`,
    ...stage.map((line) => `  ${line}`),
    `}`
  ].join("\n")

/** Stage `dev` of `fleet.kdl` among `files`, loaded as the CLI loads it. */
export const targetOf = (files: Readonly<Record<string, string>>) =>
  Effect.gen(function* () {
    const config = yield* Config.load(NodePath.join(folder(files), "fleet.kdl"))
    const desired = yield* Config.desiredResources(config, "dev")
    return { config, stage: "dev", desired } satisfies Fleet.Target
  }).pipe(Effect.provide(NodeFileSystem.layer))
