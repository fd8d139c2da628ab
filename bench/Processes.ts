/**
 * What the end-to-end benchmarks share: the built CLI and simulators run as processes (spawned
 * without blocking, so a simulator served by this process keeps answering), a `usacloud` that
 * runs the usacloud simulator, and the Cloudflare API simulator served on 127.0.0.1.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as NodePath from "node:path"
import * as CloudflareSimulator from "../src/Cloudflare/Simulator.js"

/** The folder of this package, from `bench/` as from the bundle in `dist/bench/`; else the working directory. */
const findRepository = (from: string): string => {
  let folder = from
  while (!Fs.existsSync(NodePath.join(folder, "package.json"))) {
    const parent = NodePath.dirname(folder)
    if (parent === folder) return process.cwd()
    folder = parent
  }
  return folder
}

export const repository = findRepository(import.meta.dirname)
/**
 * Where the measured `bin/` and `dist/` are: this package, or `FLEETFLOW_BENCH_ROOT`, a copy of
 * them (another build, or one that a concurrent `npm run build` cannot remove mid-run).
 */
export const root = process.env.FLEETFLOW_BENCH_ROOT ?? repository
export const dist = NodePath.join(root, "dist")
export const bin = NodePath.join(root, "bin", "fleetflow.mjs")
export const cli = NodePath.join(dist, "fleetflow.mjs")
export const usacloudSimulator = NodePath.join(dist, "usacloud-simulator.mjs")
export const wrangler = NodePath.join(repository, "node_modules", ".bin", "wrangler")

export interface Finished {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  readonly millis: number
}

/** Runs `command` to its end; the time is from spawn to exit. */
export const run = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env: Readonly<Record<string, string | undefined>> }
): Promise<Finished> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr, millis: performance.now() - started }))
  })

/** Throws with the output unless the process exited with `expected`. */
export const expectExit = (finished: Finished, what: string, expected = 0): Finished => {
  if (finished.code !== expected) {
    const output = `${finished.stdout}\n${finished.stderr}`.trim()
    const tail = output.length > 4000 ? `…${output.slice(-4000)}` : output
    throw new Error(`${what} exited with ${finished.code}, expected ${expected}:\n${tail}`)
  }
  return finished
}

/** The environment of the CLI: the parent's, without anything that would pick a sandbox, stage or account. */
export const cliEnvironment = (extra: Readonly<Record<string, string>>): Record<string, string | undefined> => ({
  ...process.env,
  NO_COLOR: "1",
  FLEETFLOW_SANDBOX: "",
  FLEETFLOW_STAGE: "",
  FLEET_STAGE: "",
  CLOUDFLARE_API_TOKEN: "",
  CLOUDFLARE_ACCOUNT_ID: "",
  CF_ACCOUNT_ID: "",
  ...extra
})

/** `fleetflow ARGS` from `cwd`. */
export const fleetflow = (args: ReadonlyArray<string>, cwd: string, env: Readonly<Record<string, string>>) =>
  run(process.execPath, [cli, ...args], { cwd, env: cliEnvironment(env) })

/** An executable `usacloud` in `directory` that runs the usacloud simulator, as a user's PATH would find it. */
export const writeUsacloud = (directory: string): string => {
  const path = NodePath.join(directory, "usacloud")
  Fs.writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${usacloudSimulator}" "$@"\n`, { mode: 0o755 })
  return path
}

/** A `wrangler` in `directory` that notes each run in `log` before handing over to the real one. */
export const writeCountingWrangler = (directory: string, log: string): string => {
  const path = NodePath.join(directory, "wrangler")
  Fs.writeFileSync(path, `#!/bin/sh\necho "$1 $2 $3" >> "${log}"\nexec "${wrangler}" "$@"\n`, { mode: 0o755 })
  return path
}

export const checkBuilt = (): void => {
  for (const file of [cli, usacloudSimulator]) {
    if (!Fs.existsSync(file)) throw new Error(`${file} does not exist: run \`npm run build\` first`)
  }
}

export const token = "bench-token-5d1c"

/**
 * Serves the Cloudflare API simulator (in memory, one account, `zones`, answering every request
 * after `latencyMillis`) on 127.0.0.1 while `body` runs, and hands it the API root and the store.
 */
export const withCloudflareSimulator = <A>(
  zones: ReadonlyArray<string>,
  body: (baseUrl: string, store: CloudflareSimulator.CloudflareStore) => Promise<A>,
  latencyMillis = 0
): Promise<A> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const store = yield* CloudflareSimulator.memoryStore()
        const options = { token, zones, ...(latencyMillis === 0 ? {} : { latency: latencyMillis }) }
        yield* CloudflareSimulator.prepare(store, options)
        const baseUrl = yield* CloudflareSimulator.serve(store, options)
        return yield* Effect.promise(() => body(baseUrl, store))
      })
    )
  )

export const account = CloudflareSimulator.defaultAccountId
