/**
 * The `fleetflow` executable. `fleetflow --version` is answered here, without loading the command
 * tree and its dependencies; everything else runs in `main.ts`, bundled as `cli.cjs` beside this
 * file and run from V8's code cache (see `CompileCache.ts`).
 */
import { fileURLToPath } from "node:url"
import { setFlagsFromString } from "node:v8"
import * as CompileCache from "./CompileCache.js"
import { version } from "./Version.js"

if (process.argv.length === 3 && process.argv[2] === "--version") {
  // What the command tree prints for `--version`, byte for byte and through console.log as it does (which, for one,
  // ignores a reader that has gone away): the version on one line.
  console.log(version)
} else {
  // A command is one short run. V8 optimizes a function once it has run for a while, on threads of its own,
  // and a plan of 10,000 resources spent as much CPU there as in FleetFlow. Waiting four times Node 20's
  // default (67584) cut the CPU a resource costs a plan by a quarter, and no run measured slower (BENCHMARKS.md).
  setFlagsFromString("--interrupt-budget=270336")
  CompileCache.run(fileURLToPath(new URL("./cli.cjs", import.meta.url)))
}
