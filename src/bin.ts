/**
 * The `fleetflow` executable. `fleetflow --version` is answered here, without loading the command
 * tree and its dependencies; everything else runs in `main.ts`.
 */
import { version } from "./Version.js"

if (process.argv.length === 3 && process.argv[2] === "--version") {
  // What @effect/cli prints for `--version`, byte for byte and through console.log as it does (which, for one,
  // ignores a reader that has gone away): the version as a paragraph.
  console.log(`${version}\n`)
} else {
  await import("./main.js")
}
