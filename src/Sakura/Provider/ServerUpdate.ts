/**
 * A server's update, as steps that each read where the server is first: shut it down when a
 * step needs it down, write its host name into its disk, reconnect its NIC, change its plan
 * (Sakura gives it a new ID, tagged `@previous-id=<old>`), set its name, tags and description,
 * then boot it. A step already done is skipped, so a retry or the next `up` after a stopped run
 * carries on from the step it reached instead of starting again.
 */
import * as Effect from "effect/Effect"
import type { ApplyRequest, ProviderError } from "../../Provider.js"
import type { Observed, ResourceKey } from "../../Resource.js"
import { ServerInputs, type ServerInputs as Inputs } from "../Model.js"
import type { Server, ServerUpdate, UsacloudService } from "../Usacloud.js"
import { checkTags, type Clients, decodeInputs, invalid, orFail, ownerOf } from "./Common.js"
import type { Listed } from "./Listed.js"
import { ownershipTags, previousIdPrefix } from "./Ownership.js"
import { bootAndRead, find, hostNameOf, networkOf, observe } from "./Servers.js"

const decode = decodeInputs(ServerInputs, "server")

/** What the server should be, as usacloud reports a server. */
interface Wanted {
  readonly inputs: Inputs
  readonly name: string
  readonly hostName: string
  readonly network: "shared" | "disconnected"
  readonly tags: ReadonlyArray<string>
  readonly description: string
}

const wantedOf = (request: ApplyRequest, inputs: Inputs): Wanted => ({
  inputs,
  name: inputs.name ?? request.name,
  hostName: hostNameOf(inputs, request.name),
  network: inputs.network ?? "shared",
  tags: [...ownershipTags(ownerOf(request, request.name)), ...inputs.tags],
  description: inputs.description ?? ""
})

const samePlan = (server: Server, inputs: Inputs) =>
  server.cpu === inputs.core &&
  server.memoryMB === inputs.memory * 1024 &&
  (server.commitment === "" ? "standard" : server.commitment) === inputs.commitment

const sameTags = (server: Server, wanted: ReadonlyArray<string>) => {
  const actual = server.tags.filter((tag) => !tag.startsWith(previousIdPrefix))
  return actual.length === wanted.length && wanted.every((tag) => actual.includes(tag))
}

const sameLabels = (server: Server, wanted: Wanted) =>
  server.name === wanted.name && server.description === wanted.description && sameTags(server, wanted.tags)

/** Whether what is left to do needs the server down: a new plan, host name or NIC, or the file says down. */
const needsDown = (server: Server, wanted: Wanted) =>
  wanted.inputs.status === "down" ||
  !samePlan(server, wanted.inputs) ||
  server.hostName !== wanted.hostName ||
  networkOf(server) !== wanted.network

const isDown = (server: Server) => server.instanceStatus === "down"

/** The steps after the shutdown, each skipped when the server read shows it done. */
const change = (usacloud: UsacloudService, key: ResourceKey, zone: string, start: Server, wanted: Wanted) =>
  Effect.gen(function* () {
    let server = start
    const disk = server.disks[0]?.id
    if (server.hostName !== wanted.hostName && disk !== undefined) {
      // The host name lives in the disk: Sakura Cloud writes it there (the server must be down).
      yield* orFail(key)(usacloud.disks.update(zone, disk, { edit: { hostName: wanted.hostName } }))
    }
    if (networkOf(server) !== wanted.network) {
      server = yield* orFail(key)(usacloud.servers.update(zone, server.id, { network: wanted.network }))
    }
    const labels: ServerUpdate = { name: wanted.name, tags: wanted.tags, description: wanted.description }
    if (!samePlan(server, wanted.inputs)) {
      const { core, memory, commitment } = wanted.inputs
      server = yield* orFail(key)(
        usacloud.servers.update(zone, server.id, { cpu: core, memory, commitment, ...labels })
      )
    } else if (!sameLabels(server, wanted)) {
      server = yield* orFail(key)(usacloud.servers.update(zone, server.id, labels))
    }
    return server
  })

export const update = (
  clients: Clients,
  listed: Listed,
  request: ApplyRequest
): Effect.Effect<Observed, ProviderError> =>
  Effect.gen(function* () {
    const { key } = request
    const inputs = yield* decode("update", key, request.inputs)
    yield* checkTags("update", key, inputs.tags, 1)
    const id = request.current?.id
    if (id === undefined) return yield* invalid("update", key, "the state holds no ID for this server")
    const usacloud = clients.write
    const zone = inputs.zone
    const wanted = wantedOf(request, inputs)
    // Where an earlier attempt left it: after a plan change, under its new ID.
    let server = yield* orFail(key)(find(usacloud, listed, zone, id))
    if (needsDown(server, wanted) && !isDown(server)) {
      // usacloud waits until the server is down.
      yield* orFail(key)(usacloud.servers.shutdown(zone, server.id))
      server = { ...server, instanceStatus: "down" }
    }
    server = yield* change(usacloud, key, zone, server, wanted)
    // SSH keys and startup scripts are written into the disk before the first boot; changing
    // them later takes a new disk (Sakura Cloud keeps no record of them to compare with).
    const settled = inputs.status === "down" ? server : yield* bootAndRead(usacloud, key, zone, server)
    return observe(settled, { name: request.name, inputs: request.inputs })
  })
