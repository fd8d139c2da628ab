// Builds the library (ES modules + type declarations) and the CLI bundle.
import { execFileSync } from "node:child_process"
import { readFileSync, rmSync } from "node:fs"
import { build } from "esbuild"

rmSync("dist", { recursive: true, force: true })
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" })
// kdljs builds its chevrotain grammars with the default settings, which check the grammar while building it:
// much of the build time. Chevrotain advises skipping these checks in production; the tests, which run kdljs
// unbundled, still make them. The build fails if a chevrotain upgrade moves the setting.
const skipGrammarChecks = {
  name: "chevrotain-skip-validations",
  setup(build) {
    build.onLoad(
      { filter: /[\\/]chevrotain[\\/]lib[\\/]src[\\/](parse[\\/]parser[\\/]parser|scan[\\/]lexer_public)\.js$/ },
      (args) => {
        const text = readFileSync(args.path, "utf8")
        const defaults = text.match(/\bskipValidations: false\b/g) ?? []
        if (defaults.length !== 1) throw new Error(`${args.path}: expected one default "skipValidations: false"`)
        return { contents: text.replace(/\bskipValidations: false\b/, "skipValidations: true"), loader: "js" }
      }
    )
  }
}
const options = {
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
}
// The CLI: dist/fleetflow.mjs, and what it imports only when a command needs it (the command tree,
// the providers, each KDL grammar) as chunks in dist/chunks/, so that a command loads no more than it uses.
await build({
  ...options,
  entryPoints: { fleetflow: "src/bin.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  plugins: [skipGrammarChecks]
})
const bundle = (entry, outfile) => build({ ...options, entryPoints: [entry], outfile })
// A fake usacloud that integration tests and the sandbox run through the real process path.
await bundle("src/Sakura/simulator-bin.ts", "dist/usacloud-simulator.mjs")
// The Cloudflare API simulator as a server of its own, for trying FleetFlow and wrangler by hand.
await bundle("src/Cloudflare/simulator-bin.ts", "dist/cloudflare-simulator.mjs")
