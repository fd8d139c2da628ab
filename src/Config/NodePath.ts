/**
 * How a node is named in errors: its path from the top of the file, `stage "dev" > server "creo-dev-01" > plan`.
 */
import { isTokenField, type Scalar } from "../Declaration.js"

/** How a node shows in a path: `server "creo-dev-01"`, `plan`. A token's value never shows. */
export const label = (name: string, args: ReadonlyArray<{ readonly value: Scalar }>): string => {
  const first = args[0]?.value
  return typeof first === "string" && !isTokenField(name) ? `${name} ${JSON.stringify(first)}` : name
}

/** One flat string: every node keeps its path, and a chain of concatenations costs several times its text. */
export const childPath = (parent: string, segment: string): string =>
  parent === "" ? segment : [parent, segment].join(" > ")
