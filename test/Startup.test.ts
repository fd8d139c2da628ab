/**
 * Start-up: `fleetflow --version` is answered before the command tree is loaded; the command tree
 * runs from V8's code cache; the providers and the KDL v1 grammar are evaluated only by the
 * commands that need them. These tests check that the shortcuts change nothing a user sees, and
 * that the built files keep that shape.
 */
import { assert, describe, it } from "@effect/vitest"
import { onTestFinished } from "vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { bundle, repository } from "./support/Cli.js"

const launcher = path.join(repository, "bin/fleetflow.mjs")
const commandTree = path.join(repository, "dist/cli.cjs")

const run = (command: string, args: ReadonlyArray<string>, cwd = repository, env: Record<string, string> = {}) => {
  const child = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FLEETFLOW_SANDBOX: "", FLEETFLOW_STAGE: "", FLEET_STAGE: "", ...env }
  })
  return { code: child.status, stdout: child.stdout, stderr: child.stderr }
}

const node = (...args: ReadonlyArray<string>) => run(process.execPath, args)

/** The source files bundled into `file`, from its source map. */
const sourcesOf = (file: string): ReadonlyArray<string> =>
  (JSON.parse(fs.readFileSync(`${file}.map`, "utf8")) as { sources: Array<string> }).sources

describe("fleetflow --version", () => {
  it("prints the same from the launcher, the bundle, npx and @effect/cli: package.json's version", () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(repository, "package.json"), "utf8")) as {
      version: string
    }
    const expected = { code: 0, stdout: `${version}\n`, stderr: "" }
    assert.deepStrictEqual(node(launcher, "--version"), expected, "node bin/fleetflow.mjs --version")
    assert.deepStrictEqual(node(bundle, "--version"), expected, "node dist/fleetflow.mjs --version")
    assert.deepStrictEqual(run("npx", ["--yes=false", "fleetflow", "--version"]), expected, "npx fleetflow --version")
    // With another option the shortcut steps aside and @effect/cli answers: the two must not differ.
    assert.deepStrictEqual(node(bundle, "--log-level", "info", "--version"), expected, "@effect/cli's --version")
  })

  it("loads nothing but the entry, the version and the code cache's loader", () => {
    const sources = sourcesOf(bundle).filter((source) => !source.includes("node_modules"))
    assert.deepStrictEqual(sources.map((source) => source.replace(/^(\.\.\/)+/, "")).sort(), [
      "src/CompileCache.ts",
      "src/Version.ts",
      "src/bin.ts"
    ])
  })
})

describe("fleetflow validate", () => {
  it("prints what it printed before the CLI was split into chunks", () => {
    assert.deepStrictEqual(node(launcher, "validate", "-f", "examples/fleet.kdl", "--stage", "dev"), {
      code: 0,
      stdout: `examples/fleet.kdl is valid (KDL v2).
project "creo"

stage "dev": 20 resources
  sakura-cloud:ssh-key:deploy
  sakura-cloud:startup-script:fleetflow-docker-setup
  sakura-cloud:disk:creo-vps
  sakura-cloud:server:creo-vps  (needs sakura-cloud:disk:creo-vps, sakura-cloud:ssh-key:deploy, sakura-cloud:startup-script:fleetflow-docker-setup)
  cloudflare:dns:app.creo-memories.com/A  (needs sakura-cloud:server:creo-vps)
  cloudflare:dns:www.creo-memories.com/CNAME  (needs cloudflare:dns:app.creo-memories.com/A)
  cloudflare:dns:api-internal.creo-memories.com/CNAME  (needs cloudflare:dns:app.creo-memories.com/A)
  sakura-cloud:ssh-key:ops-creo
  sakura-cloud:startup-script:bootstrap
  sakura-cloud:disk:creo-dev-01
  sakura-cloud:server:creo-dev-01  (needs sakura-cloud:disk:creo-dev-01, sakura-cloud:ssh-key:ops-creo, sakura-cloud:startup-script:bootstrap)
  sakura-cloud:disk:creo-batch
  sakura-cloud:server:creo-batch  (needs sakura-cloud:disk:creo-batch)
  cloudflare:r2:creo-attachments
  cloudflare:r2-domain:cdn.creo-memories.com  (needs cloudflare:r2:creo-attachments)
  cloudflare:worker:api-gateway  (needs cloudflare:r2:creo-attachments)
  cloudflare:pages:creo-site
  cloudflare:dns:api.creo-memories.com/A  (needs sakura-cloud:server:creo-dev-01)
  cloudflare:dns:files.creo-memories.com/CNAME
  cloudflare:dns:creo-memories.com/TXT
`,
      stderr: ""
    })
  })

  it("still reads a KDL v1 file, whose grammar is loaded only when v2 fails", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-startup-"))
    fs.writeFileSync(
      path.join(dir, "fleet.kdl"),
      'project "demo"\nr2 "assets" {\n    public true\n}\nstage "dev" {\n}\n'
    )
    assert.deepStrictEqual(run(process.execPath, [launcher, "validate"], dir), {
      code: 0,
      stdout: 'fleet.kdl is valid (KDL v1).\nproject "demo"\n\nstage "dev": 0 resources\n',
      stderr: ""
    })
  })

  it("does not evaluate the providers, nor a KDL grammar for a file the plain reader reads", () => {
    // The bundle's modules that only import() reaches are wrapped by esbuild's `__esm` helper and
    // evaluated when first imported: a copy whose helper reports each evaluation shows which ran.
    const text = fs.readFileSync(commandTree, "utf8")
    const helper = "var __esm=(fn,res)=>function __init(){"
    assert.include(text, helper)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-startup-"))
    const copy = path.join(dir, "cli.cjs")
    fs.writeFileSync(
      copy,
      text.replace(helper, `${helper}if(fn)process.stderr.write("evaluated "+__getOwnPropNames(fn)[0]+"\\n");`)
    )
    const evaluatedBy = (file: string) => {
      const validate = run(process.execPath, [copy, "validate", "-f", file])
      assert.strictEqual(validate.code, 0, validate.stderr)
      return validate.stderr
        .split("\n")
        .flatMap((line) => (line.startsWith("evaluated ") ? [line.slice("evaluated ".length)] : []))
    }
    const evaluated = evaluatedBy(path.join(repository, "examples/fleet.kdl"))
    // A slashdash comment is KDL the plain reader leaves to the grammar, which is then imported.
    fs.cpSync(path.join(repository, "examples"), path.join(dir, "examples"), { recursive: true })
    const commented = path.join(dir, "examples", "fleet.kdl")
    fs.appendFileSync(commented, '\n/-unused "x"\n')
    assert.include(evaluatedBy(commented), "src/Config/KdlV2.ts", "the KDL v2 grammar, imported with import()")
    const needless =
      /^src\/(Clouds|Sandbox)\.ts$|^src\/Sandbox\/|^src\/(Sakura|Cloudflare)\/Provider\.ts$|^src\/Config\/KdlV[12]\.ts$/
    for (const module of ["src/Clouds.ts", "src/Sandbox.ts", "src/Config/KdlV1.ts", "src/Config/KdlV2.ts"]) {
      assert.include(text, `"${module}"(){`, `${module} is evaluated only when imported`)
    }
    assert.deepStrictEqual(
      evaluated.filter((module) => needless.test(module)),
      [],
      "imported with import() when a command needs them"
    )
  })
})

describe("the code cache", () => {
  it("is written by the first run, used by the next, and made again when it does not fit", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-cache-"))
    fs.cpSync(path.join(repository, "dist", "fleetflow.mjs"), path.join(dir, "fleetflow.mjs"))
    fs.cpSync(commandTree, path.join(dir, "cli.cjs"))
    const entry = path.join(dir, "fleetflow.mjs")
    const cache = path.join(dir, "compile-cache")
    const expected = node(bundle, "validate", "-f", "examples/fleet.kdl", "--stage", "dev")
    assert.strictEqual(expected.code, 0, expected.stderr)
    const first = node(entry, "validate", "-f", "examples/fleet.kdl", "--stage", "dev")
    assert.deepStrictEqual(first, expected)
    const [written, ...others] = fs.readdirSync(cache)
    assert.deepStrictEqual(others, [])
    assert.match(
      written!,
      new RegExp(`^cli\\.cjs-[0-9a-f]+-${process.version}-${process.arch}-[0-9a-f]+-\\d+-\\d+\\.bin$`)
    )
    const made = fs.statSync(path.join(cache, written!)).mtimeMs
    assert.deepStrictEqual(node(entry, "validate", "-f", "examples/fleet.kdl", "--stage", "dev"), expected)
    assert.strictEqual(fs.statSync(path.join(cache, written!)).mtimeMs, made, "the cache was used, not written again")
    // A cache V8 rejects (here: not one at all) is replaced; the run is as without one.
    fs.writeFileSync(path.join(cache, written!), "not a code cache")
    assert.deepStrictEqual(node(entry, "validate", "-f", "examples/fleet.kdl", "--stage", "dev"), expected)
    assert.isAbove(fs.statSync(path.join(cache, written!)).size, 1000)
    // Where it cannot be written, the command runs all the same.
    fs.rmSync(cache, { recursive: true })
    fs.writeFileSync(cache, "a file where the folder would go")
    assert.deepStrictEqual(node(entry, "validate", "-f", "examples/fleet.kdl", "--stage", "dev"), expected)
  })

  it("of an install the user may not change (a global one made by root) is kept in the user's cache folder", () => {
    // An unprivileged user, as most people run a global install: root itself may write anywhere.
    const nobody = 65534
    const asUser =
      process.getuid?.() === 0 ? ["setpriv", `--reuid=${nobody}`, `--regid=${nobody}`, "--clear-groups"] : []
    const install = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-install-"))
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-home-"))
    fs.cpSync(path.join(repository, "dist", "fleetflow.mjs"), path.join(install, "fleetflow.mjs"))
    fs.cpSync(commandTree, path.join(install, "cli.cjs"))
    fs.cpSync(path.join(repository, "examples"), path.join(install, "examples"), { recursive: true })
    fs.chmodSync(install, 0o555)
    onTestFinished(() => {
      fs.chmodSync(install, 0o755)
      for (const dir of [install, home]) fs.rmSync(dir, { recursive: true, force: true })
    })
    if (asUser.length > 0) {
      fs.chmodSync(home, 0o755)
      fs.chownSync(home, nobody, nobody)
    }
    const validate = () => {
      const [command, ...prefix] = [...asUser, process.execPath]
      return run(
        command!,
        [...prefix, path.join(install, "fleetflow.mjs"), "validate", "-f", "examples/fleet.kdl", "--stage", "dev"],
        install,
        { HOME: home, XDG_CACHE_HOME: path.join(home, "cache") }
      )
    }
    const expected = node(bundle, "validate", "-f", "examples/fleet.kdl", "--stage", "dev")
    assert.strictEqual(expected.code, 0, expected.stderr)
    assert.deepStrictEqual(validate(), expected)
    assert.isFalse(fs.existsSync(path.join(install, "compile-cache")), "nothing is written beside the install")
    const folder = path.join(home, "cache", "fleetflow", "compile-cache")
    assert.strictEqual(fs.statSync(folder).mode & 0o777, 0o700, "a folder only its user may use")
    const [written, ...others] = fs.readdirSync(folder)
    assert.deepStrictEqual(others, [])
    const made = fs.statSync(path.join(folder, written!)).mtimeMs
    assert.deepStrictEqual(validate(), expected)
    assert.strictEqual(fs.statSync(path.join(folder, written!)).mtimeMs, made, "the cache was used, not written again")
  })
})
