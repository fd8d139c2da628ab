// Builds the library (ES modules + type declarations) and the CLI bundle.
import { execFileSync } from "node:child_process"
import { rmSync } from "node:fs"
import { build } from "esbuild"

rmSync("dist", { recursive: true, force: true })
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" })
await build({
  entryPoints: ["src/bin.ts"],
  outfile: "dist/fleetflow.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minifyWhitespace: true,
  sourcemap: "linked",
  legalComments: "none",
  // Some dependencies call require() while loading; an ES module bundle has none of its own.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'
  },
  logLevel: "warning"
})
