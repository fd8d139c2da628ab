/**
 * OpenSSH public keys: what counts as a path or a literal, validation, fingerprint and name.
 */
import { createHash } from "node:crypto"

export interface PublicKey {
  readonly type: string
  /** The base64 key blob. */
  readonly blob: string
  readonly comment: string
  /** `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string
  /** `type blob`, the identity of the key whatever its comment. */
  readonly identity: string
  /** The first 8 hex digits of the blob's SHA-256, for generated names. */
  readonly shortHash: string
}

const keyTypes =
  /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/

/** The key types, as an error lists them. */
export const keyTypeList = "ssh-ed25519, ssh-rsa, ecdsa-sha2-…"

/** Whether the first line of a file starts with a known key type: only then may its reason be shown. */
export const isKeyShaped = (text: string): boolean => keyTypes.test(text.trimStart().slice(0, 64).split(/\s/)[0] ?? "")

export const looksLikeLiteral = (value: string): boolean => {
  const first = value.trim().split(/\s+/)[0] ?? ""
  return keyTypes.test(first) || (/^(ssh-|ecdsa-|sk-)/.test(first) && value.trim().includes(" "))
}

export const looksLikePath = (value: string): boolean =>
  value.includes("/") || value.startsWith("~") || value.startsWith(".") || value.endsWith(".pub")

/** Parses `type base64 [comment]`; a reason string when it is not a valid key. */
export const parsePublicKey = (text: string): PublicKey | string => {
  const line = text
    .split(/\r?\n/)
    .map((candidate) => candidate.trim())
    .find((candidate) => candidate !== "" && !candidate.startsWith("#"))
  if (line === undefined) return "the key is empty"
  const [type = "", blob = "", ...rest] = line.split(/\s+/)
  if (!keyTypes.test(type)) return `unknown key type \`${type}\``
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) return "the key data is not valid base64"
  const bytes = Buffer.from(blob, "base64")
  if (bytes.length < 4) return "the key data is too short"
  const length = bytes.readUInt32BE(0)
  const embedded = bytes.subarray(4, 4 + length).toString("latin1")
  if (length > bytes.length - 4 || embedded !== type) {
    return `the key data is for \`${embedded.replace(/[^\x20-\x7e]/g, "?")}\`, not \`${type}\``
  }
  const digest = createHash("sha256").update(bytes).digest()
  return {
    type,
    blob,
    comment: rest.join(" "),
    fingerprint: "SHA256:" + digest.toString("base64").replace(/=+$/, ""),
    identity: `${type} ${blob}`,
    shortHash: digest.toString("hex").slice(0, 8)
  }
}

/** A resource name from free text: lowercase letters, digits and `-`. */
export const sanitizeName = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "")
