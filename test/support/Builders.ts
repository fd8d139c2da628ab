/**
 * Small values the provider tests build again and again: a quick retry policy, a create request,
 * a stored resource and an SSH public key.
 */
import * as Duration from "effect/Duration"
import { generateKeyPairSync } from "node:crypto"
import type { ApplyRequest, Scope } from "../../src/Provider.js"
import { type Inputs, makeKey, providerOf, type ResourceType, type StoredResource } from "../../src/Resource.js"
import type * as Retry from "../../src/Retry.js"

/** Retries that take milliseconds, for reads that fail on purpose. */
export const fastRetry: Retry.RetryPolicy = {
  maxAttempts: 3,
  initialDelay: Duration.millis(1),
  maxDelay: Duration.millis(5),
  multiplier: 2
}

/** What `provider.apply` receives to create `type` `name` with `inputs`. */
export const createRequest = (scope: Scope, type: ResourceType, name: string, inputs: Inputs = {}): ApplyRequest => ({
  ...scope,
  operation: "create",
  key: makeKey(type, name),
  type,
  name,
  inputs
})

/** A state record of `type` `name` in the stage `dev`, its ID its name unless `fields` say otherwise. */
export const storedResource = (
  type: ResourceType,
  name: string,
  fields: Partial<StoredResource> = {}
): StoredResource => ({
  provider: providerOf[type],
  type,
  name,
  stage: "dev",
  id: name,
  attributes: {},
  inputs: {},
  dependsOn: [],
  created_at: "",
  updated_at: "",
  ...fields
})

/** A fresh ed25519 public key in OpenSSH form. */
export const sshPublicKey = (comment: string): string => {
  const der = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "der" })
  const string = (bytes: Buffer) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(bytes.length)
    return Buffer.concat([length, bytes])
  }
  const blob = Buffer.concat([string(Buffer.from("ssh-ed25519")), string(der.subarray(der.length - 32))])
  return `ssh-ed25519 ${blob.toString("base64")} ${comment}`
}
