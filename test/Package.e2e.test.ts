/**
 * The package as its users get it, from `npm pack`: small and complete; installed into an Effect app on
 * another effect version, where the README's library program compiles with every library's types checked and
 * its `@effect/vitest` test passes against one copy of effect; and installed globally, where `fleetflow up
 * --sandbox` deploys the example, Workers and Pages through the wrangler the package brings, and `down` removes it.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ChildProcess from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Executable from "../src/Executable.js"
import { inCi, repository, runProgram, workspace } from "./support/Cli.js"

const manifest = JSON.parse(fs.readFileSync(path.join(repository, "package.json"), "utf8")) as {
  readonly name: string
  readonly version: string
  readonly dependencies: Record<string, string>
  readonly peerDependencies: Record<string, string>
  readonly devDependencies: Record<string, string>
}
const library = path.join(repository, "examples/library")
const libraryFiles = ["fleet.kdl", "program.ts", "program.test.ts", "postgres.ts"] as const
const maxPackedBytes = 3 * 1024 * 1024

/** Whether npm's registry answers; CI installs from it, so there its silence is an error. */
const registryReachable = (() => {
  const ping = ChildProcess.spawnSync("npm", ["ping"], { encoding: "utf8", timeout: 30_000 })
  if (ping.status === 0) return true
  if (inCi()) throw new Error(`CI must run the package tests, but npm's registry does not answer: ${ping.stderr}`)
  console.warn(`!! SKIPPING the package tests: npm's registry does not answer (npm ping: ${ping.stderr.trim()})`)
  return false
})()

const succeeded = (what: string, result: { code: number; stdout: string; stderr: string }) =>
  assert.strictEqual(result.code, 0, `${what}:\n${result.stdout}\n${result.stderr}`)

/** An effect the app depends on that is not the one FleetFlow builds with: the newest older one in our range. */
const otherEffect = Effect.gen(function* () {
  const ours = manifest.devDependencies.effect!
  const listed = yield* runProgram(
    "npm",
    ["view", `effect@${manifest.peerDependencies.effect}`, "version", "--json"],
    os.tmpdir()
  )
  succeeded("npm view effect", listed)
  const byVersion = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true })
  const versions = [JSON.parse(listed.stdout) as string | Array<string>]
    .flat()
    .filter((version) => version !== ours)
    .sort(byVersion)
  const older = versions.filter((version) => byVersion(version, ours) < 0)
  const chosen = older.at(-1) ?? versions.at(-1)
  assert.isDefined(chosen, `no effect in ${manifest.peerDependencies.effect} other than ${ours}`)
  return chosen!
})

/** PATH without any folder holding a wrangler: the one the CLI runs can only be the package's own. */
const pathWithoutWrangler = () =>
  (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter(
      (folder) =>
        folder !== "" && !Executable.extensions.some((ext) => fs.existsSync(path.join(folder, `wrangler${ext}`)))
    )
    .join(path.delimiter)

const foldersUp = (folder: string): ReadonlyArray<string> =>
  path.dirname(folder) === folder ? [folder] : [folder, ...foldersUp(path.dirname(folder))]

/** Every installed copy of `name` under `root`'s node_modules, however deep. */
const copiesOf = (root: string, name: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  const visit = (modules: string) => {
    if (!fs.existsSync(modules)) return
    for (const entry of fs.readdirSync(modules)) {
      const packages = entry.startsWith("@")
        ? fs.readdirSync(path.join(modules, entry)).map((scoped) => `${entry}/${scoped}`)
        : [entry]
      for (const installed of packages) {
        const folder = path.join(modules, installed)
        if (installed === name) found.push(path.relative(root, folder))
        visit(path.join(folder, "node_modules"))
      }
    }
  }
  visit(path.join(root, "node_modules"))
  return found
}

describe("the README's library example", () => {
  it("quotes examples/library/ as the package test compiles and runs it", () => {
    const readme = fs.readFileSync(path.join(repository, "README.md"), "utf8")
    for (const file of libraryFiles) {
      const fence = file.endsWith(".kdl") ? "kdl" : "ts"
      assert.include(readme, `\`\`\`${fence}\n${fs.readFileSync(path.join(library, file), "utf8")}\`\`\``, file)
    }
  })
})

describe.skipIf(!registryReachable)("the package, packed and installed", () => {
  interface Packed {
    readonly filename: string
    readonly size: number
    readonly files: ReadonlyArray<{ readonly path: string }>
  }
  let scratch = ""
  let tarball = ""
  let packed: Packed

  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-package-"))
    // The build is npm test's first step; packing must not rebuild dist/ under the other test files' feet.
    const pack = ChildProcess.spawnSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], {
      cwd: repository,
      encoding: "utf8"
    })
    assert.strictEqual(pack.status, 0, pack.stderr)
    packed = (JSON.parse(pack.stdout) as Array<Packed>)[0]!
    tarball = path.join(scratch, packed.filename)
    fs.mkdirSync(path.join(scratch, "unpacked"))
    ChildProcess.execFileSync("tar", ["-xzf", tarball, "-C", path.join(scratch, "unpacked")])
  })
  const unpacked = (file: string) => path.join(scratch, "unpacked", "package", file)
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }))

  it("is under 3 MB, with LICENSE, the examples, and no source map that points at what is not there", () => {
    assert.isBelow(packed.size, maxPackedBytes)
    const files = packed.files.map((file) => file.path)
    assert.includeMembers(files, [
      "LICENSE",
      "README.md",
      "examples/fleet.kdl",
      ...libraryFiles.map((file) => `examples/library/${file}`)
    ])
    for (const file of files.filter((name) => /\.[cm]?js$/.test(name))) {
      const link = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(fs.readFileSync(unpacked(file), "utf8"))
      if (link === null) continue
      const map = unpacked(path.join(path.dirname(file), link[1]!))
      assert.isTrue(fs.existsSync(map), `${file} points at ${link[1]}, which is not packed`)
      const { sources, sourcesContent } = JSON.parse(fs.readFileSync(map, "utf8")) as {
        sources: Array<string>
        sourcesContent?: Array<string | null>
      }
      assert.strictEqual(sourcesContent?.filter((content) => typeof content === "string").length, sources.length, map)
    }
  })

  it("has a library that imports only what the package installs: its dependencies and peer dependencies", () => {
    const installs = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)])
    const imported = new Set<string>()
    for (const { path: file } of packed.files.filter((entry) =>
      /^dist\/(lib\/.*\.js|types\/.*\.d\.ts)$/.test(entry.path)
    )) {
      for (const [, declared, loaded] of fs
        .readFileSync(unpacked(file), "utf8")
        .matchAll(/^(?:import|export)\b[^;"]*?from\s*"([^".][^"]*)"|import\(\s*"([^".][^"]*)"\)/gm)) {
        const specifier = declared ?? loaded!
        const name = specifier
          .split("/")
          .slice(0, specifier.startsWith("@") ? 2 : 1)
          .join("/")
        if (!name.startsWith("node:")) imported.add(name)
      }
    }
    assert.includeMembers([...installs], [...imported])
    assert.include([...imported], "effect")
  })

  it.live(
    "serves an Effect app on another effect: its program (PostgreSQL state included) compiles with skipLibCheck off and its test passes",
    () =>
      Effect.gen(function* () {
        const app = path.join(scratch, "app")
        fs.mkdirSync(app)
        for (const file of libraryFiles) fs.copyFileSync(path.join(library, file), path.join(app, file))
        const effect = yield* otherEffect
        const dev = (name: string) => [name, manifest.devDependencies[name]!]
        fs.writeFileSync(
          path.join(app, "package.json"),
          JSON.stringify({
            name: "shop",
            private: true,
            type: "module",
            // postgres.ts, compiled with the rest, needs the optional peer dependency PostgreSQL takes.
            dependencies: {
              effect,
              [manifest.name]: `file:${tarball}`,
              "@effect/sql-pg": manifest.devDependencies["@effect/sql-pg"]
            },
            devDependencies: Object.fromEntries(["@effect/vitest", "@types/node", "typescript", "vitest"].map(dev))
          })
        )
        fs.writeFileSync(
          path.join(app, "tsconfig.json"),
          JSON.stringify({
            compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", types: ["node"] },
            include: ["*.ts"]
          })
        )
        succeeded("npm install", yield* runProgram("npm", ["install", "--no-audit", "--no-fund"], app))
        assert.deepStrictEqual(copiesOf(app, "effect"), ["node_modules/effect"])
        const installed = JSON.parse(fs.readFileSync(path.join(app, "node_modules/effect/package.json"), "utf8"))
        assert.strictEqual(installed.version, effect)

        const tsc = path.join(app, "node_modules/typescript/bin/tsc")
        succeeded(
          "tsc",
          yield* runProgram(process.execPath, [tsc, "-p", ".", "--strict", "--skipLibCheck", "false", "--noEmit"], app)
        )
        const vitest = path.join(app, "node_modules/vitest/vitest.mjs")
        const tested = yield* runProgram(process.execPath, [vitest, "run"], app, { NO_COLOR: "1" })
        succeeded("vitest", tested)
        assert.match(tested.stdout, /Tests\s+1 passed \(1\)/)
      }),
    240_000
  )

  it.live(
    "installed globally without its dependencies' install scripts, brings the example up on the sandbox, Workers and Pages included, and down again, with or without its bin links",
    () => {
      const folder = workspace()
      return Effect.gen(function* () {
        const prefix = path.join(scratch, "global")
        succeeded(
          "npm install --global",
          yield* runProgram(
            "npm",
            // Without the dependencies' install scripts, as npm 12 installs them unless allowed (README, Install).
            ["install", "--global", "--ignore-scripts", "--prefix", prefix, "--no-audit", "--no-fund", tarball],
            scratch
          )
        )
        const fleetflow = path.join(prefix, "bin", "fleetflow")
        const PATH = pathWithoutWrangler()
        // The launcher runs on the node PATH names; no other wrangler may be found on PATH or above the folder.
        assert.isTrue(
          PATH.split(path.delimiter).some((entry) => fs.existsSync(path.join(entry, "node"))),
          "node on PATH"
        )
        assert.deepStrictEqual(
          foldersUp(folder).filter((entry) => fs.existsSync(path.join(entry, "node_modules/.bin/wrangler"))),
          []
        )
        const env = {
          PATH,
          NO_COLOR: "1",
          FLEETFLOW_SANDBOX: "",
          FLEETFLOW_STAGE: "",
          FLEET_STAGE: "",
          FLEETFLOW_WRANGLER: ""
        }

        const up = yield* runProgram(fleetflow, ["up", "--sandbox", "--stage", "dev", "-y"], folder, env)
        succeeded("fleetflow up", up)
        assert.include(up.stdout, "cloudflare:worker:api-gateway: Creation complete")
        assert.include(up.stdout, "cloudflare:pages:creo-site: Creation complete")
        assert.include(up.stdout, "Apply complete! Resources: 20 added")

        // An install that links no bin (`--no-bin-links`) still finds its wrangler, from FleetFlow's own files.
        const installed = path.join(prefix, "lib", "node_modules", manifest.name, "node_modules")
        fs.rmSync(path.join(installed, ".bin"), { recursive: true })
        assert.isTrue(fs.existsSync(path.join(installed, "wrangler", "bin", "wrangler.js")))
        const down = yield* runProgram(fleetflow, ["down", "--sandbox", "--stage", "dev", "-y"], folder, env)
        succeeded("fleetflow down", down)
        assert.include(down.stdout, "Destroy complete! Resources: 0 added, 0 changed, 20 destroyed.")
      }).pipe(Effect.ensuring(Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true }))))
    },
    240_000
  )
})
