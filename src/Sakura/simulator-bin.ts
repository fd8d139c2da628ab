/**
 * The simulated usacloud as an executable: `usacloud-simulator <usacloud arguments>`, with
 * its cloud in the file `FLEETFLOW_USACLOUD_SIMULATOR_STORE` (see `Simulator.ts`).
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Simulator from "./Simulator.js"

const env: Record<string, string> = Object.fromEntries(
  Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined)
)

const refuse = (message: string) => {
  process.stderr.write(`usacloud simulator: ${message}\n`)
  process.exitCode = 2
}

const path = env[Simulator.environment.store]
const options = Simulator.optionsFromEnv(env)

if (path === undefined || path === "") {
  refuse(`${Simulator.environment.store} is not set: it names the JSON file that holds the simulated cloud`)
} else if (Either.isLeft(options)) {
  refuse(options.left)
} else {
  const program = Effect.flatMap(Simulator.fileStore(path), (store) =>
    Simulator.run(process.argv.slice(2), env, store, options.right)
  ).pipe(
    Effect.tap((output) =>
      Effect.sync(() => {
        process.stdout.write(output.stdout)
        process.stderr.write(output.stderr)
        process.exitCode = output.exitCode
      })
    ),
    Effect.catchAll((error) => Effect.sync(() => refuse(error.message))),
    Effect.provide(NodeFileSystem.layer)
  )
  NodeRuntime.runMain(program, {
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? ((process.exitCode as number | undefined) ?? 0) : 130)
  })
}
