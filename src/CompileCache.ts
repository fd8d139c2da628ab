/**
 * Runs a CommonJS bundle with V8's code cache kept beside it, as `v8-compile-cache` does for
 * `require`. Node 20 has no compile cache of its own (`module.enableCompileCache` came with 22),
 * and compiling the command line's megabytes of JavaScript, at load and function by function as
 * they first run, is a large part of a command's start-up.
 *
 * The cache is made when the first run ends, so it holds every function that run compiled, not
 * only the top level. V8 checks that a cache fits its version and flags, but knows the source
 * only by its length: the file name carries the bundle's size and time, so a rebuilt bundle never
 * meets an old cache. A cache V8 rejects is made again; one that cannot be read or written only
 * costs the compilation.
 */
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Vm from "node:vm"

/** FNV-1a, enough to tell Node's option sets apart in a file name. */
const hashOf = (text: string): string => {
  let hash = 0x811c9dc5
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193)
  return (hash >>> 0).toString(16)
}

const writable = (path: string): boolean => {
  try {
    Fs.accessSync(path, Fs.constants.W_OK)
    return true
  } catch {
    return false
  }
}

/** This user's cache folder: `%LOCALAPPDATA%` on Windows, else `$XDG_CACHE_HOME` or `~/.cache`. */
const userCacheHome = (): string => {
  if (process.platform === "win32") return process.env.LOCALAPPDATA ?? Path.join(Os.homedir(), "AppData", "Local")
  const xdg = process.env.XDG_CACHE_HOME
  return xdg !== undefined && Path.isAbsolute(xdg) ? xdg : Path.join(Os.homedir(), ".cache")
}

/**
 * The folder of `file`'s caches: beside it, written with the same rights as the code, where this
 * process may write. An install it may not change (a global one made by root, a read-only image)
 * keeps them in this user's cache folder instead, which other users cannot write to: V8 would run
 * a cache planted there for any code of the same length.
 */
const cacheFolderOf = (file: string): string => {
  const beside = Path.join(Path.dirname(file), "compile-cache")
  return writable(Fs.existsSync(beside) ? beside : Path.dirname(file))
    ? beside
    : Path.join(userCacheHome(), "fleetflow", "compile-cache")
}

/**
 * The start of the names of `file`'s caches: its name, and its path's hash, since a user's cache
 * folder holds those of every install and each drops only its own old ones.
 */
const cachePrefixOf = (file: string): string => `${Path.basename(file)}-${hashOf(file)}-`

/**
 * Where the cache of `file` lives. Node's options are part of the name, since V8 rejects a cache
 * made under other flags: runs with and without, say, `--cpu-prof` would otherwise replace each
 * other's cache every time.
 */
const cacheFileOf = (file: string, bundle: string): string => {
  const options = hashOf(`${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`)
  return Path.join(
    cacheFolderOf(file),
    `${cachePrefixOf(file)}${process.version}-${process.arch}-${options}-${bundle}.bin`
  )
}

const readCache = (cacheFile: string): Buffer | undefined => {
  try {
    return Fs.readFileSync(cacheFile)
  } catch {
    return undefined
  }
}

/** Runs `action`; a cache that cannot be kept must never fail the command. */
const quietly = (action: () => void): void => {
  try {
    action()
  } catch {
    // Without a cache the next run compiles again, as Node does on its own.
  }
}

/** Writes the cache atomically (parallel first runs each write a whole one) and drops those of other builds. */
const writeCache = (file: string, cacheFile: string, bundle: string, script: Vm.Script): void => {
  const folder = Path.dirname(cacheFile)
  const temporary = `${cacheFile}.${process.pid}.tmp`
  quietly(() => {
    Fs.mkdirSync(folder, { recursive: true, mode: 0o700 })
    Fs.writeFileSync(temporary, script.createCachedData())
    Fs.renameSync(temporary, cacheFile)
  })
  quietly(() => Fs.rmSync(temporary, { force: true }))
  quietly(() => {
    for (const name of Fs.readdirSync(folder)) {
      if (name.startsWith(cachePrefixOf(file)) && name.endsWith(".bin") && !name.endsWith(`-${bundle}.bin`)) {
        Fs.rmSync(Path.join(folder, name), { force: true })
      }
    }
  })
}

/**
 * Runs `file`, a CommonJS module in ASCII (the build checks it), as `require` would, compiled from its code
 * cache when there is one.
 */
export const run = (file: string): void => {
  // Latin-1, the same as UTF-8 for ASCII, is decoded faster and gives V8 its one-byte string at once.
  const source = Fs.readFileSync(file, "latin1")
  const stat = Fs.statSync(file)
  const bundle = `${stat.size}-${Math.trunc(stat.mtimeMs)}`
  const cacheFile = cacheFileOf(file, bundle)
  const cachedData = readCache(cacheFile)
  // Node's own module wrapper, on the first line so that positions in the bundle stay as they are.
  const script = new Vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData })
  })
  if (cachedData === undefined || script.cachedDataRejected === true) {
    process.once("exit", () => writeCache(file, cacheFile, bundle, script))
  }
  const module = { exports: {} }
  script.runInThisContext()(module.exports, createRequire(file), module, file, Path.dirname(file))
}
