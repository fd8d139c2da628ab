/**
 * CLI start-up: the bundled CLI printing its version against a bare `node -e 0`, each spawned
 * in turn so that both see the same machine load.
 */
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import { median } from "./Scaling.js"

export interface StartupResult {
  readonly runs: number
  /** Median milliseconds. */
  readonly node: number
  readonly cli: number
}

const spawnMillis = (args: ReadonlyArray<string>): number => {
  const started = performance.now()
  const child = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" })
  const millis = performance.now() - started
  if (child.status !== 0) {
    throw new Error(`node ${args.join(" ")} exited with ${child.status}: ${child.stderr.trim() || child.stdout.trim()}`)
  }
  return millis
}

export const measure = (cli: string, runs: number): StartupResult => {
  if (!Fs.existsSync(cli)) throw new Error(`${cli} does not exist: run \`npm run build\` first`)
  const node: Array<number> = []
  const bundled: Array<number> = []
  // One of each first, to warm the file cache.
  spawnMillis(["-e", "0"])
  spawnMillis([cli, "--version"])
  for (let run = 0; run < runs; run++) {
    node.push(spawnMillis(["-e", "0"]))
    bundled.push(spawnMillis([cli, "--version"]))
  }
  return { runs, node: median(node), cli: median(bundled) }
}
