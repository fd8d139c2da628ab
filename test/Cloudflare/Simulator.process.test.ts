import { afterAll, assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { repository } from "../support/Cli.js"

const executable = Path.join(repository, "dist", "cloudflare-simulator.mjs")
const folder = Fs.mkdtempSync(Path.join(Os.tmpdir(), "cloudflare-simulator-"))
const token = "simulator-process-token"
const started: Array<ChildProcess> = []

afterAll(() => {
  for (const child of started) child.kill("SIGKILL")
  Fs.rmSync(folder, { recursive: true, force: true })
})

/** Starts the executable on `store` and answers with the base URL it printed. */
const serve = (store: string, ...flags: ReadonlyArray<string>): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [executable, "--token", token, "--store", store, ...flags], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    started.push(child)
    let printed = ""
    child.stdout.on("data", (chunk: Buffer) => {
      printed += chunk.toString()
      const found = /CLOUDFLARE_API_BASE_URL=(\S+)/.exec(printed)
      if (found !== null) resolve(found[1]!)
    })
    child.on("exit", (code) => reject(new Error(`the simulator exited with ${code} before it served`)))
  })

const verify = (baseUrl: string) =>
  fetch(`${baseUrl}/user/tokens/verify`, { headers: { authorization: `Bearer ${token}` } }).then((response) => {
    assert.strictEqual(response.status, 200)
  })

const requestsIn = (store: string): ReadonlyArray<unknown> =>
  (JSON.parse(Fs.readFileSync(store, "utf8")) as { requests: ReadonlyArray<unknown> }).requests

describe("Cloudflare API simulator executable", () => {
  it("keeps no log of requests in its store unless asked, so a store used for long does not grow", async () => {
    const quiet = Path.join(folder, "quiet.json")
    const quietUrl = await serve(quiet)
    for (let index = 0; index < 3; index++) await verify(quietUrl)
    assert.deepStrictEqual(requestsIn(quiet), [])

    const logged = Path.join(folder, "logged.json")
    const loggedUrl = await serve(logged, "--log")
    for (let index = 0; index < 3; index++) await verify(loggedUrl)
    assert.lengthOf(requestsIn(logged), 3)
  })
})
