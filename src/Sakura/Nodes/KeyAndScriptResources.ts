/**
 * SSH keys and startup scripts a server names: a key or script given by content or path
 * becomes a resource of its own (one per content, shared by the servers that name it), a
 * name of one registered in Sakura Cloud is passed through.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as NodePath from "node:path"
import {
  type Collector,
  type ConfigError,
  configError,
  type ExpandContext,
  limits,
  type Located,
  readText,
  ref,
  resolvePath,
  sha256
} from "../../Declaration.js"
import type { Reference, ResourceKey } from "../../Resource.js"
import { builtinScripts, type DeclaredStartupScript } from "../Model.js"
import type { Declared } from "./Declared.js"
import {
  isKeyShaped,
  keyTypeList,
  looksLikeLiteral,
  looksLikePath,
  type PublicKey,
  parsePublicKey,
  sanitizeName
} from "./PublicKey.js"

/** Resources that several servers may share (same content → one resource). */
export interface Shared {
  readonly byContent: Map<string, ResourceKey>
  readonly names: Set<string>
}

export const makeShared = (): Shared => ({ byContent: new Map(), names: new Set() })

/** A free name for new content: the wanted one, else with a `-<hash6>` suffix. */
const claimName = (shared: Shared, wanted: string, hash: string) => {
  const name = shared.names.has(wanted) ? `${wanted}-${hash.slice(0, 6)}` : wanted
  shared.names.add(name)
  return name
}

/** A key or script as a server's inputs name it: a reference to its resource, or a registered one's name. */
export type Named = string | Reference

/** The resource a server's `value` names, made once per content in `shared`, or the name of a registered one. */
type NamedResource = (
  context: ExpandContext,
  collector: Collector<Declared>,
  shared: Shared,
  value: Located<string>
) => Effect.Effect<Named, ConfigError, FileSystem.FileSystem>

export const sshKeyResource: NamedResource = (context, collector, shared, value) =>
  Effect.gen(function* () {
    let text: string
    let wanted: string | undefined
    let path: string | undefined
    if (looksLikeLiteral(value.value)) text = value.value
    else if (looksLikePath(value.value)) {
      path = yield* resolvePath(context.directory, value.value)
      text = yield* readText(path, value.at, "SSH public key", limits.publicKeyBytes)
      wanted = NodePath.basename(path).replace(/\.pub$/, "")
    } else return value.value
    const parsed = parsePublicKey(text)
    // What a file that is not a key holds is never shown: it may be a secret named by mistake.
    if (typeof parsed === "string" && path !== undefined) {
      return yield* configError(
        value.at,
        `${value.value} is not an SSH public key (${isKeyShaped(text) ? parsed : `it does not start with ${keyTypeList}`})`,
        "give the path of a public key (.pub) file, a public key (ssh-ed25519 AAAA... comment), or the name of a registered key"
      )
    }
    if (typeof parsed === "string") {
      return yield* configError(
        value.at,
        `invalid SSH public key: ${parsed}`,
        "give a public key (ssh-ed25519 AAAA... comment), a path to a .pub file, or the name of a registered key"
      )
    }
    const key: PublicKey = parsed
    const existing = shared.byContent.get(key.identity)
    if (existing !== undefined) return ref(existing, "id")
    const base = wanted || sanitizeName(key.comment) || `key-${key.shortHash}`
    const name = claimName(shared, base, key.shortHash)
    const publicKey = key.comment === "" ? key.identity : `${key.identity} ${key.comment}`
    const resourceKey = yield* collector.add("ssh-key", name, { publicKey, fingerprint: key.fingerprint }, [], value.at)
    shared.byContent.set(key.identity, resourceKey)
    return ref(resourceKey, "id")
  })

export const scriptResource: NamedResource = (context, collector, shared, value) =>
  Effect.gen(function* () {
    const builtin = builtinScripts[value.value]
    let content: string
    let wanted: string
    let inputs: (content: string, hash: string) => DeclaredStartupScript
    if (builtin !== undefined) {
      content = builtin
      wanted = value.value
      inputs = (text, hash) => ({ builtin: value.value, content: text, contentHash: hash })
    } else {
      const fs = yield* FileSystem.FileSystem
      const path = yield* resolvePath(context.directory, value.value)
      const isFile = yield* fs.stat(path).pipe(
        Effect.map((info) => info.type === "File"),
        Effect.orElseSucceed(() => false)
      )
      const isPath = value.value.includes("/") || value.value.endsWith(".sh") || value.value.startsWith("~") || isFile
      if (!isPath) return value.value
      content = yield* readText(path, value.at, "startup script", limits.scriptBytes)
      wanted = NodePath.basename(path).replace(/\.[^.]*$/, "") || "script"
      inputs = (text, hash) => ({ content: text, contentHash: hash })
    }
    const hash = sha256(content)
    const existing = shared.byContent.get(hash)
    if (existing !== undefined) return ref(existing, "id")
    const name = builtin !== undefined ? wanted : claimName(shared, wanted, hash)
    if (builtin !== undefined) shared.names.add(name)
    const key = yield* collector.add("startup-script", name, inputs(content, hash), [], value.at)
    shared.byContent.set(hash, key)
    return ref(key, "id")
  })
