/**
 * A Sakura Cloud SSH key (`ssh-key`): what it is declared with, and which changes need a new one.
 */
import * as Schema from "effect/Schema"
import type { DeclaredInputs, ReplaceFields } from "../../Resource.js"

export const SshKeyInputs = Schema.Struct({
  publicKey: Schema.String.pipe(Schema.nonEmptyString()),
  fingerprint: Schema.optional(Schema.String)
})
export type SshKeyInputs = typeof SshKeyInputs.Type

export const sshKeyReplaceFields: ReplaceFields<SshKeyInputs> = ["publicKey"]

export type DeclaredSshKey = DeclaredInputs<typeof SshKeyInputs.Encoded>
