/**
 * The Cloudflare API simulator as a server of its own, for trying FleetFlow or wrangler by
 * hand: `cloudflare-simulator --token T [--port N] [--store FILE] [--zone NAME]… [--kv TITLE]…
 * [--faults SPEC] [--latency 200ms] [--log]`. It prints the value for `CLOUDFLARE_API_BASE_URL` and
 * serves until it is stopped (Ctrl-C).
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { parseArgs } from "node:util"
import * as DurationText from "../DurationText.js"
import * as Simulator from "./Simulator.js"

const tokenVariable = "FLEETFLOW_CLOUDFLARE_SIMULATOR_TOKEN"

const usage = `usage: cloudflare-simulator --token TOKEN [--port N] [--store FILE] [--account ID]
                            [--zone NAME]... [--kv TITLE]... [--faults SPEC] [--latency DURATION] [--log]
  --token    the one API token the simulator accepts (or ${tokenVariable})
  --store    a JSON file that keeps the account between runs (default: in memory)
  --zone     a zone the account holds, e.g. example.com (repeatable)
  --kv       a KV namespace the account holds, by title (repeatable)
  --faults   e.g. "POST /accounts/*=503*2,GET /zones*=ratelimit:5*1"
  --log      keep every request in the account (\`requests\`), for tests that count them; it grows with each request`

const refuse = (message: string): never => {
  process.stderr.write(`cloudflare simulator: ${message}\n${usage}\n`)
  process.exit(2)
}

const parsed = (() => {
  try {
    return parseArgs({
      options: {
        token: { type: "string" },
        port: { type: "string" },
        store: { type: "string" },
        account: { type: "string" },
        zone: { type: "string", multiple: true },
        kv: { type: "string", multiple: true },
        faults: { type: "string" },
        latency: { type: "string" },
        log: { type: "boolean" },
        help: { type: "boolean", short: "h" }
      },
      strict: true
    }).values
  } catch (error) {
    return refuse(error instanceof Error ? error.message : String(error))
  }
})()

if (parsed.help === true) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}

const token = parsed.token ?? process.env[tokenVariable] ?? ""
if (token === "") refuse(`--token (or ${tokenVariable}) is required: clients send it as their API token`)
const port = parsed.port === undefined ? 0 : Number(parsed.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) refuse(`--port ${parsed.port} is not a port number`)
const faults = parsed.faults === undefined ? Either.right([]) : Simulator.parseFaults(parsed.faults)
if (Either.isLeft(faults)) refuse(`--faults: ${faults.left}`)
const latency = parsed.latency === undefined ? undefined : DurationText.parse(parsed.latency)
if (parsed.latency !== undefined && latency === undefined) refuse(`--latency ${parsed.latency} is not a duration`)

const options: Simulator.SimulatorOptions = {
  token,
  ...(parsed.account === undefined ? {} : { accountId: parsed.account }),
  zones: parsed.zone ?? [],
  kvNamespaces: parsed.kv ?? [],
  faults: Either.getOrElse(faults, () => []),
  ...(latency === undefined ? {} : { latency: Duration.toMillis(latency) }),
  log: parsed.log === true
}

const program = Effect.gen(function* () {
  const store = yield* parsed.store === undefined ? Simulator.memoryStore() : Simulator.fileStore(parsed.store)
  yield* Simulator.prepare(store, options)
  const baseUrl = yield* Simulator.serve(store, options, { port })
  process.stdout.write(
    `CLOUDFLARE_API_BASE_URL=${baseUrl}\nCLOUDFLARE_ACCOUNT_ID=${options.accountId ?? Simulator.defaultAccountId}\n`
  )
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.catchAll((error) => Effect.sync(() => refuse(error.message))),
  Effect.provide(NodeFileSystem.layer)
)

NodeRuntime.runMain(program, { disableErrorReporting: true, disablePrettyLogger: true })
