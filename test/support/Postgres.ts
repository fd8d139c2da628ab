/**
 * A throwaway PostgreSQL server for the tests: a cluster in a temporary folder, on a free
 * loopback port, reached over TCP with a password. PostgreSQL refuses to run as root, so as
 * root it runs as `postgres` (the user Debian's package creates), else as `nobody`.
 */
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { inCi } from "./Cli.js"

export interface TestServer {
  /** `postgres://fleetflow:<password>@127.0.0.1:<port>/postgres`. */
  readonly url: string
  readonly password: string
  readonly port: number
  /** Who the server runs as. */
  readonly user: string
  /** Shuts the server down and removes its folder. */
  readonly stop: () => Promise<void>
  /** Shuts the server down and keeps its data, as an outage would. */
  readonly halt: () => Promise<void>
  /** Starts the halted server again on its data and port. */
  readonly resume: () => Promise<void>
}

const binaryFolders = (): ReadonlyArray<string> => {
  const fromPath = (process.env.PATH ?? "").split(NodePath.delimiter).filter((folder) => folder !== "")
  const versioned = (() => {
    try {
      return Fs.readdirSync("/usr/lib/postgresql")
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
        .map((name) => `/usr/lib/postgresql/${name}/bin`)
    } catch {
      return []
    }
  })()
  return [...fromPath, ...versioned, "/usr/local/bin", "/usr/local/pgsql/bin"]
}

/** The folder holding both `initdb` and `postgres`. */
export const findBinaries = (): string | undefined =>
  binaryFolders().find(
    (folder) => Fs.existsSync(NodePath.join(folder, "initdb")) && Fs.existsSync(NodePath.join(folder, "postgres"))
  )

/** The `psql` client, for tests that hold locks or look at the server from another session. */
export const findPsql = (): string | undefined =>
  binaryFolders()
    .map((folder) => NodePath.join(folder, "psql"))
    .find((file) => Fs.existsSync(file))

const account = (name: string): { readonly uid: number; readonly gid: number } | undefined => {
  try {
    const line = Fs.readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((entry) => entry.startsWith(`${name}:`))
    if (line === undefined) return undefined
    const [, , uid, gid] = line.split(":")
    return { uid: Number(uid), gid: Number(gid) }
  } catch {
    return undefined
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

const run = (command: string, args: ReadonlyArray<string>, options: ChildProcess.SpawnOptions) =>
  new Promise<void>((resolve, reject) => {
    const child = ChildProcess.spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout?.on("data", (chunk) => {
      output += String(chunk)
    })
    child.stderr?.on("data", (chunk) => {
      output += String(chunk)
    })
    child.once("error", reject)
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${NodePath.basename(command)} exited with ${code}: ${output}`))
    )
  })

/** Ready once it says so in its log and its port takes a connection. */
const waitUntilReady = async (port: number, server: ChildProcess.ChildProcess, log: () => string) => {
  const deadline = Date.now() + 30_000
  const connects = () =>
    new Promise<boolean>((resolve) => {
      const socket = Net.connect(port, "127.0.0.1")
      socket.once("connect", () => {
        socket.destroy()
        resolve(true)
      })
      socket.once("error", () => resolve(false))
    })
  for (;;) {
    if (server.exitCode !== null) throw new Error(`postgres exited with ${server.exitCode}: ${log()}`)
    if (log().includes("ready to accept connections") && (await connects())) return
    if (Date.now() > deadline) throw new Error(`postgres did not start in 30 s: ${log()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The server on `data`, with what it logged and a promise of its end. */
const launch = (bin: string, data: string, folder: string, port: number, asUser: ChildProcess.SpawnOptions) => {
  const process = ChildProcess.spawn(
    NodePath.join(bin, "postgres"),
    [
      "-D",
      data,
      "-p",
      String(port),
      "-k",
      folder,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off"
    ],
    { ...asUser, stdio: ["ignore", "pipe", "pipe"] }
  )
  let log = ""
  process.stdout?.on("data", (chunk) => {
    log += String(chunk)
  })
  process.stderr?.on("data", (chunk) => {
    log += String(chunk)
  })
  const exited = new Promise<void>((resolve) => process.once("exit", () => resolve()))
  watch(process.pid, folder)
  return { process, exited, log: () => log }
}

/**
 * Ends the server at `pid` and removes `folder` once this test process is gone without stopping it: vitest
 * skips a file's `afterAll` when all its tests are filtered out, and a killed worker runs none.
 */
const watch = (pid: number | undefined, folder: string) => {
  if (pid === undefined) return
  const script =
    'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
    'if kill -0 "$2" 2>/dev/null; then kill -QUIT "$2"; sleep 2; kill -KILL "$2" 2>/dev/null; rm -rf "$3"; fi'
  const watchdog = ChildProcess.spawn("sh", ["-c", script, "watchdog", String(process.pid), String(pid), folder], {
    detached: true,
    stdio: "ignore"
  })
  watchdog.unref()
}

/** Starts a server, or says why none can be started. */
export const start = async (): Promise<TestServer | { readonly unavailable: string }> => {
  const bin = findBinaries()
  if (bin === undefined) {
    return { unavailable: "initdb and postgres were not found (install Debian's `postgresql` package)" }
  }
  const root = process.getuid?.() === 0
  const user = root ? (account("postgres") !== undefined ? "postgres" : "nobody") : Os.userInfo().username
  const ids = root ? account(user) : undefined
  if (root && ids === undefined) return { unavailable: `running as root, and there is no user ${user} to run as` }
  const folder = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "fleetflow-pg-"))
  const data = NodePath.join(folder, "data")
  const password = `pw-${Crypto.randomBytes(12).toString("hex")}`
  const passwordFile = NodePath.join(folder, "password")
  Fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 })
  if (ids !== undefined) {
    Fs.chownSync(folder, ids.uid, ids.gid)
    Fs.chownSync(passwordFile, ids.uid, ids.gid)
  }
  const asUser: ChildProcess.SpawnOptions = {
    cwd: folder,
    env: { ...process.env, LC_ALL: "C", LANG: "C", HOME: folder },
    ...(ids === undefined ? {} : { uid: ids.uid, gid: ids.gid })
  }
  const cleanUp = () => Fs.rmSync(folder, { recursive: true, force: true })
  try {
    await run(
      NodePath.join(bin, "initdb"),
      [
        "-D",
        data,
        "-U",
        "fleetflow",
        `--pwfile=${passwordFile}`,
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync"
      ],
      asUser
    )
  } catch (error) {
    cleanUp()
    return { unavailable: `initdb failed as ${user}: ${error instanceof Error ? error.message : String(error)}` }
  }
  const port = await freePort()
  let server = launch(bin, data, folder, port, asUser)
  const halt = async () => {
    const { process: running, exited } = server
    if (running.exitCode === null && running.signalCode === null) {
      // SIGINT: PostgreSQL's fast shutdown, which ends the sessions.
      running.kill("SIGINT")
      const timer = setTimeout(() => running.kill("SIGKILL"), 10_000)
      await exited
      clearTimeout(timer)
    }
  }
  const stop = async () => {
    await halt()
    cleanUp()
  }
  const resume = async () => {
    await halt()
    server = launch(bin, data, folder, port, asUser)
    await waitUntilReady(port, server.process, server.log)
  }
  const url = `postgres://fleetflow:${password}@127.0.0.1:${port}/postgres`
  try {
    await waitUntilReady(port, server.process, server.log)
  } catch (error) {
    await stop()
    return { unavailable: error instanceof Error ? error.message : String(error) }
  }
  return { url, password, port, user, stop, halt, resume }
}

/**
 * A server for a test file, or `undefined` after a loud warning when none can be started
 * (CI fails instead: it must run these tests). Stopped when the file's tests end.
 */
export const forTests = async (what: string): Promise<TestServer | undefined> => {
  const started = await start()
  if (!("unavailable" in started)) return started
  if (inCi()) throw new Error(`CI must run ${what}, but no PostgreSQL server could be started: ${started.unavailable}`)
  console.warn(
    `\n${"!".repeat(100)}\n!! SKIPPING ${what}: no PostgreSQL server could be started.\n!! ${started.unavailable}\n` +
      `!! .ci/run installs Debian's postgresql; install it (apt-get install postgresql) to run them.\n${"!".repeat(100)}\n`
  )
  return undefined
}
