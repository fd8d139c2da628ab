/**
 * Calls per plan: `fleetflow plan` (the built CLI, a process) of 50 servers with their disks (in
 * two zones), 30 R2 buckets and 100 DNS records that are already up, through the real providers:
 * Sakura Cloud through a `usacloud` that runs the usacloud simulator (each run is one process,
 * recorded in the simulator's store), Cloudflare through the REST API of the Cloudflare simulator
 * served by this process (each request recorded), and a `wrangler` that counts its runs.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import * as CloudflareProvider from "../src/Cloudflare/Provider.js"
import * as CloudflareSimulator from "../src/Cloudflare/Simulator.js"
import * as Config from "../src/Config.js"
import * as Fleet from "../src/Fleet.js"
import { CloudProvider, combineServices } from "../src/Provider.js"
import * as SakuraProvider from "../src/Sakura/Provider.js"
import * as UsacloudSimulator from "../src/Sakura/Simulator.js"
import * as State from "../src/State.js"
import * as Processes from "./Processes.js"

export const servers = 50
export const buckets = 30
export const records = 100
export const sakuraZones: ReadonlyArray<string> = ["tk1a", "is1a"]
export const dnsZone = "example.com"

const kdl = () => {
  const serverBlocks = Array.from({ length: servers }, (_, index) => {
    const zone = sakuraZones[index % sakuraZones.length]
    return `    server "web-${index}" {\n        plan core=1 memory=1\n        disk size=20 os="ubuntu-24.04"\n        zone "${zone}"\n    }`
  })
  const bucketBlocks = Array.from(
    { length: buckets },
    (_, index) => `    r2-bucket "bulk-${index}" { location "apac"; }`
  )
  const recordLines = Array.from(
    { length: records },
    (_, index) => `        record "host-${index}" type="A" value="192.0.2.${index + 1}"`
  )
  return `project "calls"
providers {
    sakura-cloud { zone "tk1a"; }
    cloudflare { account-id "${Processes.account}"; zone "${dnsZone}"; }
}
stage "dev" {
${serverBlocks.join("\n")}
${bucketBlocks.join("\n")}
    dns "${dnsZone}" {
${recordLines.join("\n")}
    }
}
`
}

/**
 * `up` of the file in this process, through the same providers over the same simulators but
 * without a process per usacloud run: 150 processes would only slow the setup down.
 */
const converge = (dir: string, store: string, baseUrl: string) =>
  Effect.gen(function* () {
    const config = yield* Config.load(NodePath.join(dir, "fleet.kdl"))
    const desired = yield* Config.desiredResources(config, "dev")
    const sakura = yield* Effect.provide(
      CloudProvider,
      SakuraProvider.layer().pipe(
        Layer.provide(UsacloudSimulator.layerTransport(yield* UsacloudSimulator.fileStore(store)))
      )
    )
    const cloudflare = yield* Effect.provide(
      CloudProvider,
      CloudflareProvider.layer({
        accountId: Processes.account,
        token: Redacted.make(Processes.token),
        baseUrl
      }).pipe(Layer.provide(FetchHttpClient.layer))
    )
    const started = performance.now()
    const applied = yield* Fleet.up(
      { config, stage: "dev", desired },
      {
        parallelism: 10,
        refresh: true,
        confirm: () => Effect.succeed(true),
        onFailure: () => Effect.succeed("abort" as const)
      }
    ).pipe(
      Effect.provideService(CloudProvider, combineServices([sakura, cloudflare])),
      Effect.provide(State.layerLocal(NodePath.join(dir, ".fleetflow")))
    )
    if (applied.result.succeeded.length !== desired.length) {
      return yield* Effect.dieMessage(`up applied ${applied.result.succeeded.length} of ${desired.length}`)
    }
    return performance.now() - started
  }).pipe(Effect.provide(NodeContext.layer), Logger.withMinimumLogLevel(LogLevel.Warning), Effect.orDie)

export interface CallsResult {
  /** usacloud runs during the plan, by `resource verb@zone`. */
  readonly usacloud: ReadonlyMap<string, number>
  /** HTTP requests during the plan, by `METHOD path` with IDs replaced by `:id`. */
  readonly http: ReadonlyMap<string, number>
  /** wrangler runs during the plan. */
  readonly wrangler: number
  readonly planMillis: number
  /** The `up` in this process that made it all. */
  readonly upMillis: number
  /** The requests of that `up` that wrote DNS records (single-record calls and batches), which made all `records`. */
  readonly upDnsWrites: number
}

const count = (keys: ReadonlyArray<string>): ReadonlyMap<string, number> => {
  const counts = new Map<string, number>()
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1)
  return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

const usacloudCall = (args: ReadonlyArray<string>): string => {
  const zoneAt = args.indexOf("--zone")
  const zone = zoneAt < 0 ? "" : `@${args[zoneAt + 1]}`
  return `${args[0] ?? ""} ${args[1] ?? ""}${zone}`
}

/** `GET /zones/:id/dns_records`: hex IDs and bucket names in paths would make each call its own kind. */
const httpCall = (method: string, path: string): string =>
  `${method} ${path
    .replace(/\/client\/v4/, "")
    .replace(/[0-9a-f]{32}/g, ":id")
    .replace(/(\/r2\/buckets\/)[^/]+/, "$1:name")}`

const lines = (path: string): number =>
  Fs.existsSync(path)
    ? Fs.readFileSync(path, "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "").length
    : 0

export const measure = (): Promise<CallsResult> =>
  Processes.withCloudflareSimulator([dnsZone], async (baseUrl, cloudflare) => {
    const dir = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "fleetflow-bench-calls-"))
    try {
      Fs.writeFileSync(NodePath.join(dir, "fleet.kdl"), kdl())
      const store = NodePath.join(dir, "usacloud.json")
      const wranglerLog = NodePath.join(dir, "wrangler-runs.log")
      const env = {
        FLEETFLOW_USACLOUD: Processes.writeUsacloud(dir),
        [UsacloudSimulator.environment.store]: store,
        [UsacloudSimulator.environment.log]: "1",
        FLEETFLOW_WRANGLER: Processes.writeCountingWrangler(dir, wranglerLog),
        CLOUDFLARE_API_BASE_URL: baseUrl,
        CF_API_TOKEN: Processes.token
      }
      const stage = ["-f", "fleet.kdl", "--stage", "dev"]
      const requests = () => Effect.runPromise(Effect.orDie(CloudflareSimulator.requests(cloudflare)))
      const upMillis = await Effect.runPromise(converge(dir, store, baseUrl))
      const upDnsWrites = (await requests()).filter(
        (request) => request.method !== "GET" && request.path.includes("/dns_records")
      ).length
      const usacloudStore = Effect.runSync(Effect.provide(UsacloudSimulator.fileStore(store), NodeContext.layer))
      const invocations = () => Effect.runPromise(Effect.orDie(UsacloudSimulator.invocations(usacloudStore)))
      const runsBefore = (await invocations()).length
      const requestsBefore = (await requests()).length
      const wranglerBefore = lines(wranglerLog)
      const plan = Processes.expectExit(
        await Processes.fleetflow(["plan", ...stage, "--detailed-exitcode"], dir, env),
        "fleetflow plan of what is up (no changes)"
      )
      const runs = (await invocations()).slice(runsBefore)
      const answered = (await requests()).slice(requestsBefore)
      return {
        usacloud: count(runs.map((args) => usacloudCall(args))),
        http: count(answered.map((request) => httpCall(request.method, request.path))),
        wrangler: lines(wranglerLog) - wranglerBefore,
        planMillis: plan.millis,
        upMillis,
        upDnsWrites
      }
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  })
