/**
 * SHA-256 of a file or a folder (sorted relative paths and contents), so a change in a
 * worker's source or a Pages folder shows as a change of its inputs. Only regular files are
 * read, in chunks and each at most `limits.hashedFileBytes`, at most `limits.hashedFiles` of them.
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { createHash, type Hash } from "node:crypto"
import * as NodePath from "node:path"
import { formatBytes, limits, readChunks } from "./BoundedFile.js"

const skipped = new Set(["node_modules", ".wrangler", ".git"])

/** A folder or file that is not hashed: over a limit, or not a regular file. */
export class HashRefused extends Data.TaggedError("HashRefused")<{ readonly reason: string }> {}

const listFiles = (
  fs: FileSystem.FileSystem,
  root: string,
  relative: string,
  found: Array<string>
): Effect.Effect<void, PlatformError | HashRefused> =>
  Effect.gen(function* () {
    // A symbolic link to a folder above would otherwise be followed until the path is too long.
    if (relative.split("/").length > limits.nesting) {
      return yield* new HashRefused({
        reason: `its folders go more than ${limits.nesting} deep (a link to a folder above?)`
      })
    }
    const entries = (yield* fs.readDirectory(NodePath.join(root, relative))).sort()
    for (const entry of entries) {
      if (skipped.has(entry)) continue
      const path = relative === "" ? entry : `${relative}/${entry}`
      const info = yield* fs.stat(NodePath.join(root, path))
      if (info.type === "Directory") yield* listFiles(fs, root, path, found)
      else if (info.type === "File") {
        if (found.length >= limits.hashedFiles) {
          return yield* new HashRefused({ reason: `it has more than ${limits.hashedFiles} files` })
        }
        found.push(path)
      }
    }
  })

const hashFile = (fs: FileSystem.FileSystem, path: string, hash: Hash, label: string) =>
  Effect.gen(function* () {
    const name = label === "" ? "it" : label
    const info = yield* fs.stat(path)
    if (info.type !== "File") return yield* new HashRefused({ reason: `${name} is not a regular file` })
    if (Number(info.size) > limits.hashedFileBytes) {
      return yield* new HashRefused({ reason: `${name} is larger than ${formatBytes(limits.hashedFileBytes)}` })
    }
    if (label !== "") hash.update(`${label}\u0000${info.size}\u0000`)
    const read = yield* readChunks(fs, path, limits.hashedFileBytes + 1, (chunk) => hash.update(chunk))
    if (read > limits.hashedFileBytes) {
      return yield* new HashRefused({ reason: `${name} grew past ${formatBytes(limits.hashedFileBytes)}` })
    }
  })

export const contentHash = (path: string): Effect.Effect<string, PlatformError | HashRefused, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(path)
    const hash = createHash("sha256")
    if (info.type !== "Directory") {
      yield* hashFile(fs, path, hash, "")
      return hash.digest("hex")
    }
    const files: Array<string> = []
    yield* listFiles(fs, path, "", files)
    for (const file of files.sort()) yield* hashFile(fs, NodePath.join(path, file), hash, file)
    return hash.digest("hex")
  })

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex")
