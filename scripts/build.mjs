// Builds the library (ES modules + type declarations) and the CLI bundle.
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { build } from "esbuild"

// Everything is built in dist.next/, which then takes dist/'s place in two renames: a CLI or test that
// runs dist/ while a build goes on finds the old files or the new ones, never a half-emptied folder.
const out = "dist.next"
rmSync(out, { recursive: true, force: true })
// The library's source maps carry their sources: the package ships dist/, not src/.
execFileSync(
  process.execPath,
  [
    "node_modules/typescript/bin/tsc",
    "-p",
    "tsconfig.build.json",
    "--inlineSources",
    "--outDir",
    `${out}/lib`,
    "--declarationDir",
    `${out}/types`
  ],
  { stdio: "inherit" }
)
// The library ships what its entry points reach: the modules only the CLI uses (the command tree, with
// @effect/cli, which the CLI bundles and the package does not install) are left out of dist/lib and dist/types.
const reachable = (entries, fileOf) => {
  const seen = new Set()
  const visit = (file) => {
    if (seen.has(file) || !existsSync(file)) return
    seen.add(file)
    for (const [, target] of readFileSync(file, "utf8").matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g))
      visit(fileOf(resolve(dirname(file), target)))
  }
  for (const entry of entries) visit(resolve(entry))
  return seen
}
const { exports } = JSON.parse(readFileSync("package.json", "utf8"))
const entryPoints = Object.values(exports).filter((entry) => typeof entry === "object")
for (const [folder, kind, suffixes, fileOf] of [
  [`${out}/lib`, "import", [".js", ".js.map"], (path) => path],
  [`${out}/types`, "types", [".d.ts"], (path) => path.replace(/\.js$/, ".d.ts")]
]) {
  const kept = reachable(
    entryPoints.map((entry) => entry[kind].replace(/^\.\/dist\//, `./${out}/`)),
    fileOf
  )
  for (const file of readdirSync(folder, { recursive: true }).map((name) => resolve(folder, name))) {
    const suffix = suffixes.find((ending) => file.endsWith(ending))
    if (suffix !== undefined && !kept.has(file.slice(0, -suffix.length) + suffixes[0])) rmSync(file)
  }
  for (const empty of readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => resolve(entry.parentPath ?? entry.path, entry.name))
    .reverse())
    if (readdirSync(empty).length === 0) rmSync(empty, { recursive: true })
}
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
  target: "node20",
  // ES module builds first: jsonc-parser's CommonJS entry is a UMD wrapper whose require() esbuild cannot follow.
  mainFields: ["module", "main"],
  minifyWhitespace: true,
  // The bundles' maps stay beside them for development and are not packed (package.json's files): at
  // tens of megabytes they would be most of the package, so the bundles do not point at them.
  sourcemap: "external",
  legalComments: "none",
  logLevel: "warning"
}
const esm = {
  ...options,
  format: "esm",
  // Some dependencies call require() while loading; an ES module bundle has none of its own.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'
  }
}
// The CLI: dist/fleetflow.mjs answers --version and runs dist/cli.cjs, the command tree, from V8's code cache
// (src/CompileCache.ts), which Node 20 offers for scripts but not for ES modules. In one CommonJS file, what
// the command tree imports with import() (the providers, each KDL grammar) is still evaluated only when a
// command imports it.
await build({ ...esm, entryPoints: ["src/bin.ts"], outfile: `${out}/fleetflow.mjs` })
const cli = await build({
  ...options,
  format: "cjs",
  entryPoints: ["src/main.ts"],
  outfile: `${out}/cli.cjs`,
  define: { "import.meta.url": "__importMetaUrl" },
  // "use strict" first: the modules are ES modules, strict, and a banner would push esbuild's own out of place.
  banner: { js: '"use strict"; const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [skipGrammarChecks],
  write: false
})
for (const file of cli.outputFiles) {
  // The code cache runs the bundle as a script, which has no import(): every import() must have been bundled.
  if (file.path.endsWith(".cjs") && /\bimport\(/.test(file.text)) throw new Error(`${file.path}: an import() was left`)
  // One character past ASCII makes V8 keep the whole source as two bytes a character; CompileCache.ts reads it
  // as Latin-1, which is the same text only for ASCII.
  if (file.path.endsWith(".cjs") && file.contents.some((byte) => byte > 0x7f))
    throw new Error(`${file.path}: not ASCII`)
  writeFileSync(file.path, file.contents)
}
const bundle = (entry, outfile) => build({ ...esm, entryPoints: [entry], outfile })
// A fake usacloud that integration tests and the sandbox run through the real process path.
await bundle("src/Sakura/simulator-bin.ts", `${out}/usacloud-simulator.mjs`)
// The Cloudflare API simulator as a server of its own, for trying FleetFlow and wrangler by hand.
await bundle("src/Cloudflare/simulator-bin.ts", `${out}/cloudflare-simulator.mjs`)
rmSync("dist.old", { recursive: true, force: true })
if (existsSync("dist")) renameSync("dist", "dist.old")
renameSync(out, "dist")
rmSync("dist.old", { recursive: true, force: true })
