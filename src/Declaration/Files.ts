/**
 * The files a stage's resources name: paths resolved against the configuration's folder (or
 * the home folder for `~`), read or hashed, with errors that point at the declaration.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { readBoundedText, relativePathHint } from "./BoundedFile.js"
import { configError, type Location } from "./ConfigError.js"
import { contentHash } from "./ContentHash.js"

const home = Effect.gen(function* () {
  const value = yield* Config.option(Config.string("HOME")).pipe(Effect.orElseSucceed(() => Option.none<string>()))
  return Option.getOrElse(value, () => NodeOs.homedir())
})

export const resolvePath = (directory: string, path: string) =>
  Effect.map(home, (homeDirectory) =>
    path === "~" || path.startsWith("~/")
      ? NodePath.join(homeDirectory, path.slice(1))
      : NodePath.resolve(directory, path)
  )

/**
 * How a path is kept in the inputs: relative to the configuration's folder when it is inside
 * it, so moving the checkout (or another CI runner's path) is not a change to apply.
 */
export const portablePath = (directory: string, path: string): string => {
  const relative = NodePath.relative(directory, path)
  if (relative === "") return "."
  if (relative.startsWith("..") || NodePath.isAbsolute(relative)) return path
  return `./${relative.split(NodePath.sep).join("/")}`
}

/** A file's text, refused if it is not a regular file or is over `maxBytes` (see `BoundedFile.limits`). */
export const readText = (path: string, at: Location, what: string, maxBytes: number) =>
  readBoundedText(path, at, what, maxBytes)

export const checkedHash = (path: string, at: Location, what: string) =>
  contentHash(path).pipe(
    Effect.mapError((error) =>
      error._tag === "HashRefused"
        ? configError(at, `cannot hash ${what} ${path}: ${error.reason}`, "point it at the files to publish only")
        : configError(at, `cannot read ${what} ${path}: ${error.message}`, "check the path and its permissions")
    )
  )

export const existingPath = (path: string, at: Location, what: string, kind: "folder" | "file or folder") =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const info = yield* Effect.option(fs.stat(path))
    if (Option.isNone(info)) {
      return yield* configError(at, `${what} ${path} does not exist`, relativePathHint)
    }
    if (kind === "folder" && info.value.type !== "Directory") {
      return yield* configError(at, `${what} ${path} is not a folder`)
    }
  })
