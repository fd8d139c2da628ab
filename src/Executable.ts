/**
 * Finding a program the way a shell would, without running it: a value with a slash is a
 * path, anything else is looked up on PATH (with Windows' extensions there).
 */
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

export const extensions: ReadonlyArray<string> = process.platform === "win32" ? ["", ".exe", ".cmd"] : [""]

export const isExecutable = (path: string): boolean => {
  try {
    NodeFs.accessSync(path, NodeFs.constants.X_OK)
    return NodeFs.statSync(path).isFile()
  } catch {
    return false
  }
}

const isPath = (value: string) => value.includes("/") || value.includes(NodePath.sep)

/** Where `name` would be found on PATH, in order. */
export const onPath = (name: string): ReadonlyArray<string> =>
  (process.env.PATH ?? "")
    .split(NodePath.delimiter)
    .filter((folder) => folder !== "")
    .flatMap((folder) => extensions.map((ext) => NodePath.join(folder, `${name}${ext}`)))

/** Where a program named by a path or a command name could be. */
export const candidates = (value: string): ReadonlyArray<string> =>
  isPath(value) ? [NodePath.resolve(value)] : onPath(value)

export type Lookup =
  | { readonly _tag: "Found"; readonly path: string }
  | { readonly _tag: "Missing"; readonly detail: "permission denied" | "no such file or command" }

/** The first executable among `paths`, or why there is none. */
export const firstExecutable = (paths: ReadonlyArray<string>): Lookup => {
  const found = paths.find(isExecutable)
  if (found !== undefined) return { _tag: "Found", path: found }
  const exists = paths.some((path) => NodeFs.existsSync(path))
  return { _tag: "Missing", detail: exists ? "permission denied" : "no such file or command" }
}
