import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { build } from "esbuild"
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { global, zoned } from "../support/UsacloudArgs.js"

// The executable is bundled into a folder of its own, so the test never touches dist/.
let folder = ""
let bundle = ""

beforeAll(async () => {
  folder = Fs.mkdtempSync(Path.join(Os.tmpdir(), "usacloud-simulator-"))
  bundle = Path.join(folder, "usacloud-simulator.mjs")
  await build({
    entryPoints: ["src/Sakura/simulator-bin.ts"],
    outfile: bundle,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'
    },
    logLevel: "warning"
  })
})

afterAll(() => {
  Fs.rmSync(folder, { recursive: true, force: true })
})

interface Result {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

const usacloud = (args: ReadonlyArray<string>, env: Record<string, string>): Promise<Result> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [bundle, ...args],
      { env: { PATH: process.env.PATH ?? "", ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
        resolve({ exitCode: code, stdout, stderr })
      }
    )
  })

const server = zoned("server", "is1a")

const create = (name: string) =>
  server.create(
    "--name",
    name,
    "--cpu",
    "2",
    "--memory",
    "4",
    "--network-interface-upstream",
    "shared",
    "--disk-os-type",
    "ubuntu2404",
    "--disk-size",
    "40",
    "--boot-after-create"
  )

describe("usacloud simulator executable", () => {
  it("concurrent runs on one store all succeed with distinct IDs and leave valid JSON", async () => {
    const store = Path.join(folder, "concurrent.json")
    const env = { FLEETFLOW_USACLOUD_SIMULATOR_STORE: store, FLEETFLOW_USACLOUD_SIMULATOR_LOG: "1" }
    const results = await Promise.all(["a", "b", "c", "d"].map((name) => usacloud(create(`web-${name}`), env)))
    for (const result of results) assert.strictEqual(result.exitCode, 0, result.stderr)
    const ids = results.map((result) => (JSON.parse(result.stdout) as Array<{ ID: number }>)[0]!.ID)
    assert.strictEqual(new Set(ids).size, 4)
    const document = JSON.parse(Fs.readFileSync(store, "utf8")) as {
      servers: Array<unknown>
      disks: Array<unknown>
      invocations: Array<unknown>
    }
    assert.strictEqual(document.servers.length, 4)
    assert.strictEqual(document.disks.length, 4)
    assert.strictEqual(document.invocations.length, 4)
    assert.isFalse(Fs.existsSync(`${store}.lock`))
    const listed = await usacloud(server.list(), env)
    assert.strictEqual((JSON.parse(listed.stdout) as Array<unknown>).length, 4)
  })

  it("keeps no log of runs unless asked, so a store used for long does not grow with every run", async () => {
    const store = Path.join(folder, "unlogged.json")
    const env = { FLEETFLOW_USACLOUD_SIMULATOR_STORE: store }
    assert.strictEqual((await usacloud(create("web-a"), env)).exitCode, 0)
    const written = Fs.readFileSync(store, "utf8")
    assert.deepStrictEqual(JSON.parse(written).invocations, [])
    for (let index = 0; index < 3; index++) assert.strictEqual((await usacloud(server.list(), env)).exitCode, 0)
    assert.strictEqual(Fs.readFileSync(store, "utf8"), written, "a run that changes nothing writes nothing")
    const bad = await usacloud(server.list(), { ...env, FLEETFLOW_USACLOUD_SIMULATOR_LOG: "yes" })
    assert.strictEqual(bad.exitCode, 2)
    assert.match(bad.stderr, /FLEETFLOW_USACLOUD_SIMULATOR_LOG: "yes" is neither 1/)
  })

  it("breaks a lock left by a process that is gone", async () => {
    const store = Path.join(folder, "stale.json")
    Fs.writeFileSync(
      `${store}.lock`,
      JSON.stringify({ token: "x", pid: 2 ** 22 + 12345, host: Os.hostname(), created: Date.now() })
    )
    const result = await usacloud(global("ssh-key").list(), { FLEETFLOW_USACLOUD_SIMULATOR_STORE: store })
    assert.deepStrictEqual(result, { exitCode: 0, stdout: "", stderr: "" })
  })

  it("reads faults and their counts from the environment and the store", async () => {
    const env = {
      FLEETFLOW_USACLOUD_SIMULATOR_STORE: Path.join(folder, "faults.json"),
      FLEETFLOW_USACLOUD_SIMULATOR_FAULTS: "server list=503*1"
    }
    const first = await usacloud(server.list(), env)
    assert.strictEqual(first.exitCode, 1)
    assert.match(first.stderr, /Status:"503 Service Unavailable"/)
    const second = await usacloud(server.list(), env)
    assert.deepStrictEqual(second, { exitCode: 0, stdout: "", stderr: "" })
  })

  it("refuses to run without a store, or with a store that is not one", async () => {
    const missing = await usacloud(["server", "list", "--zone", "is1a"], {})
    assert.strictEqual(missing.exitCode, 2)
    assert.match(missing.stderr, /FLEETFLOW_USACLOUD_SIMULATOR_STORE is not set/)
    const corrupt = Path.join(folder, "corrupt.json")
    Fs.writeFileSync(corrupt, '{"version": 7}')
    const result = await usacloud(["server", "list", "--zone", "is1a"], { FLEETFLOW_USACLOUD_SIMULATOR_STORE: corrupt })
    assert.strictEqual(result.exitCode, 2)
    assert.match(result.stderr, /is not a usacloud simulator store/)
    const badSpec = await usacloud(["server", "list", "--zone", "is1a"], {
      FLEETFLOW_USACLOUD_SIMULATOR_STORE: corrupt,
      FLEETFLOW_USACLOUD_SIMULATOR_FAULTS: "server list=teapot"
    })
    assert.match(badSpec.stderr, /unknown fault "teapot"/)
  })
})
