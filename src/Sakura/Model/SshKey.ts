/**
 * A Sakura Cloud SSH key (`ssh-key`): what it is declared with, which changes need a new one, and
 * which fields Sakura Cloud cannot report.
 */
import * as Schema from "effect/Schema"
import type { DeclaredInputs, ReplaceFields } from "../../Resource.js"
import type { UnobservedFields } from "./Vocabulary.js"

export const SshKeyInputs = Schema.Struct({
  publicKey: Schema.String.pipe(Schema.nonEmptyString()),
  /** The key's `SHA256:` fingerprint. */
  fingerprint: Schema.optional(Schema.String),
  /** Another name in the cloud than the resource's; unset, the resource's name. */
  name: Schema.optional(Schema.String)
})
export type SshKeyInputs = typeof SshKeyInputs.Type

/** Sakura Cloud changes a key's name in place, never its public key. */
export const sshKeyReplaceFields: ReplaceFields<SshKeyInputs> = ["publicKey", "fingerprint"]

export const sshKeyUnobservedFields: UnobservedFields<SshKeyInputs> = []

export type DeclaredSshKey = DeclaredInputs<typeof SshKeyInputs.Encoded>

/** What `fleetflow output` shows besides the ID: its name in the cloud and fingerprint (attributes, never inputs). */
export const sshKeyOutputFields: ReadonlyArray<string> = ["name", "fingerprint"]
