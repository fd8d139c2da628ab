/** `ssh-key` commands; SSH keys are global, so no `--zone`. */
import * as Effect from "effect/Effect"
import { type Call, type Calls, creating, updating } from "./Call.js"
import { type Check, checkUpdate, name } from "./Checks.js"
import { flag, listFlag } from "./Flags.js"

export interface SshKeyCreateSpec {
  readonly name: string
  /** The key itself, or the path of a public key file that usacloud reads. */
  readonly publicKey: string
  readonly description?: string | undefined
}

const create = (calls: Calls, spec: SshKeyCreateSpec): Check<Call> =>
  Effect.gen(function* () {
    const command = "ssh-key create"
    yield* name(command, spec.name)
    yield* name(command, spec.publicKey, "public key")
    const flags = ["--name", spec.name, ...flag("--description", spec.description), "--public-key", spec.publicKey]
    return calls.plain("ssh-key", "create", creating(flags))
  })

export interface SshKeyUpdate {
  readonly name?: string | undefined
  readonly description?: string | undefined
}

/** Only a key's name and description change: its public key stays (`ssh-key update`). */
const update = (calls: Calls, idValue: string, changes: SshKeyUpdate): Check<Call> =>
  Effect.gen(function* () {
    const command = "ssh-key update"
    yield* checkUpdate(command, changes)
    const flags = [...flag("--name", changes.name), ...flag("--description", changes.description)]
    return yield* calls.global("ssh-key", "update", idValue, updating(flags))
  })

export const make = (calls: Calls) => ({
  sshKeyList: (filter?: { readonly names?: ReadonlyArray<string> | undefined }) =>
    Effect.succeed(calls.plain("ssh-key", "list", { json: true, flags: listFlag("--names", filter?.names) })),
  sshKeyRead: (idValue: string) => calls.global("ssh-key", "read", idValue, { json: true }),
  sshKeyCreate: (spec: SshKeyCreateSpec) => create(calls, spec),
  sshKeyUpdate: (idValue: string, changes: SshKeyUpdate) => update(calls, idValue, changes),
  sshKeyDelete: (idValue: string) => calls.global("ssh-key", "delete", idValue, { confirm: true })
})
