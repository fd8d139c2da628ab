// Builds the library (ES modules + type declarations) and the CLI bundle.
import { execFileSync } from "node:child_process"
import { rmSync } from "node:fs"
import { build } from "esbuild"

rmSync("dist", { recursive: true, force: true })
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" })
const bundle = (entry, outfile) =>
  build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // ES module builds first: jsonc-parser's CommonJS entry is a UMD wrapper whose require() esbuild cannot follow.
    mainFields: ["module", "main"],
    minifyWhitespace: true,
    sourcemap: "linked",
    legalComments: "none",
    // Some dependencies call require() while loading; an ES module bundle has none of its own.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'
    },
    logLevel: "warning"
  })
await bundle("src/bin.ts", "dist/fleetflow.mjs")
// A fake usacloud that integration tests and the sandbox run through the real process path.
await bundle("src/Sakura/simulator-bin.ts", "dist/usacloud-simulator.mjs")
// The Cloudflare API simulator as a server of its own, for trying FleetFlow and wrangler by hand.
await bundle("src/Cloudflare/simulator-bin.ts", "dist/cloudflare-simulator.mjs")
