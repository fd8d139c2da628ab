/**
 * Which handler runs which command, by its canonical `resource verb` name (aliases are
 * resolved by `Args.parse`); a command usacloud has but the simulator does not is refused.
 */
import * as Archives from "./Archives.js"
import type { Context } from "./Context.js"
import { diskConnectToServer, diskDisconnectFromServer } from "./DiskConnections.js"
import * as Disks from "./Disks.js"
import type { SimulatorDocument } from "./Document.js"
import { fail } from "./Failure.js"
import type { Handler } from "./Handler.js"
import * as Notes from "./Notes.js"
import { serverCreate } from "./ServerCreate.js"
import * as Servers from "./Servers.js"
import * as SshKeys from "./SshKeys.js"

export const handlers: Readonly<Record<string, Handler>> = {
  "server list": Servers.serverList,
  "server read": Servers.serverRead,
  "server create": serverCreate,
  "server update": Servers.serverUpdate,
  "server delete": Servers.serverDelete,
  "server boot": Servers.serverPower("up"),
  "server shutdown": Servers.serverPower("down"),
  "server wait-until-ready": Servers.serverWait(true),
  "server wait-until-shutdown": Servers.serverWait(false),
  "disk list": Disks.diskList,
  "disk read": Disks.diskRead,
  "disk create": Disks.diskCreate,
  "disk update": Disks.diskUpdate,
  "disk delete": Disks.diskDelete,
  "disk connect-to-server": diskConnectToServer,
  "disk disconnect-from-server": diskDisconnectFromServer,
  "ssh-key list": SshKeys.sshKeyList,
  "ssh-key read": SshKeys.sshKeyRead,
  "ssh-key create": SshKeys.sshKeyCreate,
  "ssh-key update": SshKeys.sshKeyUpdate,
  "ssh-key delete": SshKeys.sshKeyDelete,
  "note list": Notes.noteList,
  "note read": Notes.noteRead,
  "note create": Notes.noteCreate,
  "note update": Notes.noteUpdate,
  "note delete": Notes.noteDelete,
  "archive list": Archives.archiveList,
  "archive read": Archives.archiveRead,
  "auth-status read": Archives.authStatusRead
}

export const execute: Handler = (context: Context, document: SimulatorDocument) => {
  const handler = handlers[context.invocation.name]
  return handler === undefined
    ? fail(`usacloud simulator: ${context.invocation.name} is not simulated`)
    : handler(context, document)
}
