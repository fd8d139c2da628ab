/**
 * Which wrangler to run: the `binary` setting, else `FLEETFLOW_WRANGLER`, else `wrangler` on
 * PATH, else a project's own `node_modules/.bin/wrangler`, looked for upward from the working
 * directory and from where FleetFlow itself lies (the CLI is one bundled file inside a package),
 * else the wrangler FleetFlow depends on, as Node resolves it from FleetFlow's own files (an
 * install that links no `.bin` still has it).
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as NodeModule from "node:module"
import * as NodePath from "node:path"
import * as NodeUrl from "node:url"
import * as Executable from "../../Executable.js"
import * as Errors from "./Errors.js"

export const variable = "FLEETFLOW_WRANGLER"

/** `node_modules/.bin/wrangler` in `start` and each folder above it. */
const upward = (start: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  let folder = NodePath.resolve(start)
  for (;;) {
    for (const ext of Executable.extensions) found.push(NodePath.join(folder, "node_modules", ".bin", `wrangler${ext}`))
    const parent = NodePath.dirname(folder)
    if (parent === folder) return found
    folder = parent
  }
}

const moduleFolder = (): string | undefined => {
  try {
    return NodePath.dirname(NodeUrl.fileURLToPath(import.meta.url))
  } catch {
    return undefined
  }
}

/** The executable of the wrangler package FleetFlow depends on, where Node would load it from FleetFlow's files. */
const dependency = (): ReadonlyArray<string> => {
  try {
    const manifest = NodeModule.createRequire(import.meta.url).resolve("wrangler/package.json")
    return [NodePath.join(NodePath.dirname(manifest), "bin", "wrangler.js")]
  } catch {
    return []
  }
}

/** Where wrangler would be found without any setting, in order. */
export const defaultCandidates = (): ReadonlyArray<string> => {
  const here = moduleFolder()
  return [
    ...Executable.onPath("wrangler"),
    ...upward(process.cwd()),
    ...(here === undefined ? [] : upward(here)),
    ...dependency()
  ]
}

const named = (source: string, value: string): Effect.Effect<string, Errors.WranglerError> => {
  const lookup = Executable.firstExecutable(Executable.candidates(value))
  return lookup._tag === "Found"
    ? Effect.succeed(lookup.path)
    : Effect.fail(Errors.missingBinary("wrangler", `${source} names ${value}: ${lookup.detail}`))
}

/** Where the binary was named, if it was: the setting, else `FLEETFLOW_WRANGLER`. Read once, with `effect/Config`. */
export interface Choice {
  readonly source: string
  readonly value: string
}

export const choice = (explicit?: string | undefined): Effect.Effect<Choice | undefined> =>
  Effect.gen(function* () {
    if (explicit !== undefined && explicit.trim() !== "")
      return { source: "the binary setting", value: explicit.trim() }
    const fromEnvironment = yield* Config.string(variable).pipe(
      Config.withDefault(""),
      Effect.orElseSucceed(() => "")
    )
    return fromEnvironment.trim() === "" ? undefined : { source: variable, value: fromEnvironment.trim() }
  })

/** The executable to run, or a `missing-binary` error that says how to install wrangler. */
export const find = (chosen: Choice | undefined): Effect.Effect<string, Errors.WranglerError> =>
  Effect.suspend(() => {
    if (chosen !== undefined) return named(chosen.source, chosen.value)
    const lookup = Executable.firstExecutable(defaultCandidates())
    if (lookup._tag === "Found") return Effect.succeed(lookup.path)
    return Effect.fail(
      Errors.missingBinary("wrangler", "no wrangler on PATH nor in node_modules/.bin of the project or of FleetFlow")
    )
  })
