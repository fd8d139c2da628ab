/**
 * Runs a CommonJS bundle with V8's code cache kept beside it, as `v8-compile-cache` does for
 * `require`. Node 20 has no compile cache of its own (`module.enableCompileCache` came with 22),
 * and compiling the command line's megabytes of JavaScript, at load and function by function as
 * they first run, is a large part of a command's start-up.
 *
 * The cache is made when the first run ends, so it holds every function that run compiled, not
 * only the top level. V8 checks that a cache fits its version and flags, but knows the source
 * only by its length: the file name carries the bundle's size and time, so a rebuilt bundle never
 * meets an old cache. A cache V8 rejects is made again; one that cannot be read or written (a
 * read-only install) only costs the compilation.
 */
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import * as Vm from "node:vm"

/** FNV-1a, enough to tell Node's option sets apart in a file name. */
const hashOf = (text: string): string => {
  let hash = 0x811c9dc5
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193)
  return (hash >>> 0).toString(16)
}

/**
 * Where the cache of `file` lives: a folder beside it, written with the same rights as the code.
 * Node's options are part of the name, since V8 rejects a cache made under other flags: runs with
 * and without, say, `--cpu-prof` would otherwise replace each other's cache every time.
 */
const cacheFileOf = (file: string, bundle: string): string => {
  const options = hashOf(`${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`)
  return Path.join(
    Path.dirname(file),
    "compile-cache",
    `${Path.basename(file)}-${process.version}-${process.arch}-${options}-${bundle}.bin`
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
    Fs.mkdirSync(folder, { recursive: true })
    Fs.writeFileSync(temporary, script.createCachedData())
    Fs.renameSync(temporary, cacheFile)
  })
  quietly(() => Fs.rmSync(temporary, { force: true }))
  quietly(() => {
    for (const name of Fs.readdirSync(folder)) {
      if (name.startsWith(`${Path.basename(file)}-`) && name.endsWith(".bin") && !name.endsWith(`-${bundle}.bin`)) {
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
