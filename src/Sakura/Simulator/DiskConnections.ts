/**
 * `disk connect-to-server` and `disk disconnect-from-server` (usacloud v1
 * `pkg/commands/iaas/disk/{connect_to,disconnect_from}_server.go`): one disk, selected
 * singly, joins or leaves a server of its zone. Sakura Cloud refuses either while the server
 * runs; neither command prints anything.
 */
import * as Effect from "effect/Effect"
import { stringFlag } from "./Args.js"
import { isUp } from "./Cloud.js"
import { inZones } from "./Context.js"
import type { ServerRecord, SimulatorDocument } from "./Document.js"
import { apiError, notFound } from "./Failure.js"
import type { Handler } from "./Handler.js"
import { confirm, select } from "./Targets.js"
import { required, validationError } from "./Validation.js"

const refuseRunning = (context: Parameters<Handler>[0], server: ServerRecord) =>
  apiError(
    context,
    409,
    `要求された操作を行えません。サーバ[${server.id}]が起動しているためディスクの接続を変更できません。`,
    "conflict"
  )

const withServer = (document: SimulatorDocument, diskId: number, serverId: number): SimulatorDocument => ({
  ...document,
  disks: document.disks.map((disk) =>
    disk.id === diskId
      ? {
          ...disk,
          serverId,
          connectionOrder: serverId === 0 ? 0 : document.disks.filter((other) => other.serverId === serverId).length + 1
        }
      : disk
  )
})

export const diskConnectToServer: Handler = (context, document) =>
  Effect.gen(function* () {
    yield* validationError(required(context, "server-id"))
    const [disk] = yield* select(context, inZones(context, document.disks))
    yield* confirm(context)
    const serverId = stringFlag(context.invocation, "server-id")
    const server = document.servers.find(
      (candidate) => candidate.zone === disk!.zone && String(candidate.id) === serverId
    )
    if (server === undefined) return yield* notFound(context)
    if (isUp(server, context.now)) return yield* refuseRunning(context, server)
    if (disk!.serverId !== 0) {
      return yield* apiError(
        context,
        409,
        `要求された操作を行えません。ディスク[${disk!.id}]は既に接続されています。`,
        "conflict"
      )
    }
    return { values: [], document: withServer(document, disk!.id, server.id) }
  })

export const diskDisconnectFromServer: Handler = (context, document) =>
  Effect.gen(function* () {
    const [disk] = yield* select(context, inZones(context, document.disks))
    yield* confirm(context)
    const server = document.servers.find((candidate) => candidate.id === disk!.serverId)
    if (server === undefined) return { values: [], document }
    if (isUp(server, context.now)) return yield* refuseRunning(context, server)
    return { values: [], document: withServer(document, disk!.id, 0) }
  })
