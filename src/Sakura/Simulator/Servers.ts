/**
 * The server commands but `create` (see `ServerCreate.ts`): list, read, update (a new plan
 * gives the server a new ID; its NIC may move between the shared segment and nowhere), delete,
 * boot, shutdown, and waiting for either.
 */
import * as Effect from "effect/Effect"
import { boolFlag, hasFlag, intFlag, listFlag, stringFlag } from "./Args.js"
import { isUp, macAddressOf, planExists, readyAt, serverState, sharedAddress } from "./Cloud.js"
import { type Context, inZones, readPathOrContent } from "./Context.js"
import { allocateId, type ServerRecord, type SimulatorDocument } from "./Document.js"
import { apiError, type Failure, fail, goJsonError, goQuote } from "./Failure.js"
import type { Handler } from "./Handler.js"
import { serverJson } from "./Shapes.js"
import { confirm, select, zonedReads } from "./Targets.js"
import { checkTagCharacters, descriptionRule, oneOf, tagRules, validationError } from "./Validation.js"

const reads = zonedReads(
  (document) => document.servers,
  (document, server, now) => serverJson(document, server, now)
)

export const serverList = reads.list

export const serverRead = reads.read

const previousIdTag = "@previous-id"

export const serverUpdate: Handler = (context, document) =>
  Effect.gen(function* () {
    const targets = yield* select(context, inZones(context, document.servers))
    const invocation = context.invocation
    const tags = listFlag(invocation, "tags")
    yield* validationError([
      ...descriptionRule(context),
      ...tagRules("tags", tags),
      ...oneOf("commitment", stringFlag(invocation, "commitment"), ["standard", "dedicatedcpu"]),
      ...oneOf("interface-driver", stringFlag(invocation, "interface-driver"), ["virtio", "e1000"])
    ])
    if (hasFlag(invocation, "disks")) return yield* fail("usacloud simulator: --disks is not simulated")
    const upstream = yield* upstreamOf(context)
    yield* confirm(context)
    yield* checkTagCharacters(context, tags ?? [])
    let current = document
    let until = context.now
    const updated: Array<ServerRecord> = []
    for (const target of targets) {
      const cpu = intFlag(invocation, "cpu") ?? target.cpu
      const memoryMB = (intFlag(invocation, "memory") ?? target.memoryMB / 1024) * 1024
      const commitment = stringFlag(invocation, "commitment") ?? target.commitment
      const planChanged = cpu !== target.cpu || memoryMB !== target.memoryMB || commitment !== target.commitment
      const rewired = upstream !== undefined && upstreamNow(target) !== upstream
      if (planChanged && !planExists(cpu, memoryMB / 1024)) return yield* fail("server plan not found")
      const running = isUp(target, context.now)
      if ((planChanged || rewired) && running && boolFlag(invocation, "no-wait")) {
        return yield* fail("NoWait option is not available due to the need to shut down")
      }
      if (serverState(target, context.now).availability === "migrating") {
        return yield* apiError(context, 409)
      }
      let desiredTags = tags ?? target.tags
      let server: ServerRecord = {
        ...target,
        name: stringFlag(invocation, "name") ?? target.name,
        description: stringFlag(invocation, "description") ?? target.description,
        modifiedAt: context.now
      }
      if (planChanged) {
        // Sakura gives a server a new ID when its plan changes; usacloud keeps the old one in a tag.
        if (desiredTags.length <= 10) {
          desiredTags = [
            ...desiredTags.filter((tag) => !tag.startsWith(previousIdTag)),
            `${previousIdTag}=${target.id}`
          ]
          desiredTags = [...desiredTags].sort()
        }
        const [newId, withId] = allocateId(current)
        current = {
          ...withId,
          disks: withId.disks.map((disk) => (disk.serverId === target.id ? { ...disk, serverId: newId } : disk))
        }
        server = {
          ...server,
          id: newId,
          cpu,
          memoryMB,
          commitment,
          power: "down",
          powerAt: context.now,
          powerBefore: "down"
        }
        if (running) {
          server = { ...server, power: "up", powerBefore: "down", powerAt: context.now + context.bootTimeMillis }
          until = Math.max(until, server.powerAt)
        }
      }
      if (rewired) {
        // usacloud shuts a running server down for it and boots it again.
        const [withNic, nics] = rewire(current, server, upstream)
        current = withNic
        server = { ...server, interfaces: nics }
        if (running && !planChanged) {
          server = { ...server, power: "up", powerBefore: "down", powerAt: context.now + context.bootTimeMillis }
          until = Math.max(until, server.powerAt)
        }
      }
      server = { ...server, tags: desiredTags }
      current = {
        ...current,
        servers: current.servers.map((candidate) => (candidate.id === target.id ? server : candidate))
      }
      updated.push(server)
    }
    return { values: updated.map((server) => serverJson(current, server, context.now)), document: current, until }
  })

type Upstream = ServerRecord["interfaces"][number]["upstream"]

/** `--network-interfaces` (iaas-service-go `server.NetworkInterface`): the first NIC's upstream, shared or disconnected. */
const upstreamOf = (context: Context): Effect.Effect<Upstream | undefined, Failure> =>
  Effect.gen(function* () {
    const raw = stringFlag(context.invocation, "network-interfaces")
    if (raw === undefined || raw === "") return undefined
    let nics: unknown
    try {
      nics = JSON.parse(readPathOrContent(raw))
    } catch {
      return yield* fail(goJsonError(raw))
    }
    const first: unknown = Array.isArray(nics) ? nics[0] : undefined
    const value = typeof first === "object" && first !== null ? (first as { Upstream?: unknown }).Upstream : undefined
    if (value === undefined || value === "" || value === "disconnected") return "disconnected"
    if (value === "shared") return "shared"
    return yield* fail("usacloud simulator: --network-interfaces with a switch is not simulated")
  })

const upstreamNow = (server: ServerRecord): Upstream | "none" => server.interfaces[0]?.upstream ?? "none"

/** The server's first NIC on `upstream` (made when it has none); a NIC joining the shared segment gets a new address. */
const rewire = (
  document: SimulatorDocument,
  server: ServerRecord,
  upstream: Upstream
): readonly [SimulatorDocument, ServerRecord["interfaces"]] => {
  let current = document
  let nic = server.interfaces[0]
  if (nic === undefined) {
    const [nicId, withNic] = allocateId(current)
    current = withNic
    nic = { id: nicId, macAddress: macAddressOf(nicId), ipAddress: "", upstream: "disconnected" }
  }
  let ipAddress = ""
  if (upstream === "shared") {
    ipAddress = sharedAddress(server.zone, current.nextAddress).ip
    current = { ...current, nextAddress: current.nextAddress + 1 }
  }
  return [current, [{ ...nic, upstream, ipAddress }, ...server.interfaces.slice(1)]]
}

export const serverDelete: Handler = (context, document) =>
  Effect.gen(function* () {
    const targets = yield* select(context, inZones(context, document.servers))
    yield* confirm(context)
    const force = boolFlag(context.invocation, "force")
    const withDisks = boolFlag(context.invocation, "with-disks")
    let current = document
    const errors: Array<string> = []
    for (const target of targets) {
      // With --force, usacloud shuts a running server down (forced) and waits for it before the delete
      // (iaas-service-go, server/delete_service.go); a shutdown here takes no time.
      if (!force && isUp(target, context.now)) {
        errors.push(`target ${target.zone}:${goQuote(String(target.id))} has not yet shut down`)
        continue
      }
      current = {
        ...current,
        servers: current.servers.filter((server) => server.id !== target.id),
        disks: withDisks
          ? current.disks.filter((disk) => disk.serverId !== target.id)
          : current.disks.map((disk) => (disk.serverId === target.id ? { ...disk, serverId: 0 } : disk))
      }
    }
    // The servers that could be deleted are gone all the same.
    return { values: [], document: current, ...(errors.length > 0 ? { error: errors.join("\n") } : {}) }
  })

const replaceServer = (document: SimulatorDocument, server: ServerRecord): SimulatorDocument => ({
  ...document,
  servers: document.servers.map((candidate) => (candidate.id === server.id ? server : candidate))
})

/** `server boot` (`up`) and `server shutdown` (`down`). */
export const serverPower =
  (power: "up" | "down"): Handler =>
  (context, document) =>
    Effect.gen(function* () {
      const targets = yield* select(context, inZones(context, document.servers))
      yield* confirm(context)
      let current = document
      let until = context.now
      for (const target of targets) {
        const state = serverState(target, context.now)
        if (state.availability === "migrating") return yield* apiError(context, 409)
        if (target.power === power) {
          if (power === "up") until = Math.max(until, target.powerAt)
          continue
        }
        const powerAt = power === "up" ? context.now + context.bootTimeMillis : context.now
        const powerBefore = state.instanceStatus === "up" ? "up" : "down"
        current = replaceServer(current, { ...target, power, powerAt, powerBefore })
        until = Math.max(until, powerAt)
      }
      return { values: [], document: current, until: boolFlag(context.invocation, "no-wait") ? context.now : until }
    })

const timeoutSeconds = (context: Context) => {
  const seconds = intFlag(context.invocation, "process-timeout-sec") ?? 0
  return seconds > 0 ? seconds : 2 * 60 * 60
}

const timedOut = (context: Context) =>
  `command[${context.invocation.spec.resource}/${context.invocation.spec.verb}] timed out: context deadline exceeded`

/** `server wait-until-ready` (`ready`) and `server wait-until-shutdown`: usacloud polls until then, or times out. */
export const serverWait =
  (ready: boolean): Handler =>
  (context, document) =>
    Effect.gen(function* () {
      const targets = yield* select(context, inZones(context, document.servers))
      const now = context.now
      const times = targets.map((server) =>
        ready ? readyAt(server) : server.power === "down" ? Math.max(server.powerAt, server.availableAt) : undefined
      )
      const deadline = now + timeoutSeconds(context) * 1000
      if (times.some((time) => time === undefined || time > deadline)) {
        return { values: [], document, until: deadline, failAfterWait: timedOut(context) }
      }
      return { values: [], document, until: Math.max(now, ...(times as Array<number>)) }
    })
