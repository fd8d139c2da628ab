/**
 * SHA-256 of a file or a folder (sorted relative paths and contents), so a change in a
 * worker's source or a Pages folder shows as a change of its inputs.
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import * as NodePath from "node:path"

const skipped = new Set(["node_modules", ".wrangler", ".git"])

const listFiles = (
  fs: FileSystem.FileSystem,
  root: string,
  relative: string
): Effect.Effect<ReadonlyArray<string>, PlatformError> =>
  Effect.gen(function* () {
    const entries = (yield* fs.readDirectory(NodePath.join(root, relative))).sort()
    const files: Array<string> = []
    for (const entry of entries) {
      if (skipped.has(entry)) continue
      const path = relative === "" ? entry : `${relative}/${entry}`
      const info = yield* fs.stat(NodePath.join(root, path))
      if (info.type === "Directory") files.push(...(yield* listFiles(fs, root, path)))
      else if (info.type === "File") files.push(path)
    }
    return files
  })

export const contentHash = (path: string): Effect.Effect<string, PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(path)
    const hash = createHash("sha256")
    if (info.type !== "Directory") {
      hash.update(yield* fs.readFile(path))
      return hash.digest("hex")
    }
    const files = [...(yield* listFiles(fs, path, ""))].sort()
    for (const file of files) {
      const content = yield* fs.readFile(NodePath.join(path, file))
      hash.update(`${file}\u0000${content.length}\u0000`)
      hash.update(content)
    }
    return hash.digest("hex")
  })

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex")
