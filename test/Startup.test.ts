/**
 * Start-up: `fleetflow --version` is answered before the command tree is loaded, and the
 * providers and the KDL v1 grammar are loaded only by the commands that need them. These tests
 * check that the shortcuts change nothing a user sees, and that the built chunks keep that shape.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { bundle, repository } from "./support/Cli.js"

const launcher = path.join(repository, "bin/fleetflow.mjs")

const run = (command: string, args: ReadonlyArray<string>, cwd = repository) => {
  const child = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FLEETFLOW_SANDBOX: "", FLEETFLOW_STAGE: "", FLEET_STAGE: "" }
  })
  return { code: child.status, stdout: child.stdout, stderr: child.stderr }
}

const node = (...args: ReadonlyArray<string>) => run(process.execPath, args)

/** The files `file` imports statically (not through `import()`), and theirs, with `file` itself. */
const staticGraph = (file: string, seen = new Set<string>()): ReadonlySet<string> => {
  if (seen.has(file)) return seen
  seen.add(file)
  const text = fs.readFileSync(file, "utf8")
  for (const [, specifier] of text.matchAll(/(?:\bfrom|\bimport)\s*"(\.{1,2}\/[^"]+)"/g)) {
    staticGraph(path.resolve(path.dirname(file), specifier!), seen)
  }
  return seen
}

/** The files `file` imports with `import()`. */
const dynamicImports = (file: string): ReadonlyArray<string> =>
  [...fs.readFileSync(file, "utf8").matchAll(/\bimport\("(\.{1,2}\/[^"]+)"\)/g)].map(([, specifier]) =>
    path.resolve(path.dirname(file), specifier!)
  )

/** The source files bundled into `files`, from their source maps. */
const sourcesOf = (files: ReadonlySet<string>): ReadonlyArray<string> =>
  [...files].flatMap(
    (file) => (JSON.parse(fs.readFileSync(`${file}.map`, "utf8")) as { sources: Array<string> }).sources
  )

describe("fleetflow --version", () => {
  it("prints the same from the launcher, the bundle, npx and @effect/cli: package.json's version", () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(repository, "package.json"), "utf8")) as {
      version: string
    }
    const expected = { code: 0, stdout: `${version}\n\n`, stderr: "" }
    assert.deepStrictEqual(node(launcher, "--version"), expected, "node bin/fleetflow.mjs --version")
    assert.deepStrictEqual(node(bundle, "--version"), expected, "node dist/fleetflow.mjs --version")
    assert.deepStrictEqual(run("npx", ["--yes=false", "fleetflow", "--version"]), expected, "npx fleetflow --version")
    // With another option the shortcut steps aside and @effect/cli answers: the two must not differ.
    assert.deepStrictEqual(node(bundle, "--log-level", "info", "--version"), expected, "@effect/cli's --version")
  })

  it("loads nothing but the entry and the version", () => {
    const sources = sourcesOf(staticGraph(bundle)).filter((source) => !source.includes("node_modules"))
    assert.deepStrictEqual(sources.map((source) => source.replace(/^(\.\.\/)+/, "")).sort(), [
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

  it("does not load the providers or the KDL v1 grammar", () => {
    const [tree, ...others] = dynamicImports(bundle)
    assert.lengthOf(others, 0, "the entry imports the command tree and nothing else")
    const sources = sourcesOf(staticGraph(tree!))
    assert.include(sources.join("\n"), "src/Cli.ts")
    const needless =
      /src\/(Clouds|Sandbox)\.ts$|src\/Sandbox\/|src\/(Sakura|Cloudflare)\/Provider\.ts$|kdljs-v1|kdljs\/src\/parser\/kdl\.js/
    assert.deepStrictEqual(
      sources.filter((source) => needless.test(source)),
      [],
      "imported with import() when a command needs them"
    )
  })
})
