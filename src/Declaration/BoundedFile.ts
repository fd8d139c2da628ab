/**
 * Files read whole into memory (the configuration, SSH keys, startup scripts): only regular files, checked with
 * `stat` before they are opened, read with a cap so a device or a file that grows cannot be read without end, and
 * decoded as strict UTF-8. Errors say what and where, never what the file holds.
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { isUtf8 } from "node:buffer"
import { type ConfigError, configError, type Location } from "./ConfigError.js"

/** The limits on what the configuration makes FleetFlow read. */
export const limits = {
  /**
   * The configuration file. A fleet of hundreds of servers is a few tens of KB, but a zone of ten thousand DNS
   * records is a megabyte, and twice that leaves it room. Plain KDL v2 (`Config/PlainKdl.ts`), what such a file
   * is, costs `validate` some 120 MB at peak for 1 MB and 140 MB for 2 MB; a file only the grammars read costs
   * about 330 MB and 5 s at 2 MB. A larger file is refused before it is read.
   */
  configBytes: 2 * 1024 * 1024,
  /** `{ }` blocks inside one another; a configuration needs five or six. */
  nesting: 64,
  /** An OpenSSH public key file (an RSA 16384-bit key is under 3 KB). */
  publicKeyBytes: 16 * 1024,
  /** A startup script sent to Sakura Cloud as a note. */
  scriptBytes: 256 * 1024,
  /** Files of a worker's source or a Pages folder, hashed to see changes (Pages' own limit). */
  hashedFiles: 20_000,
  /** One file of those (Pages' own limit per file). */
  hashedFileBytes: 25 * 1024 * 1024
} as const

export const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0
    ? `${bytes / (1024 * 1024)} MiB`
    : bytes >= 1024 && bytes % 1024 === 0
      ? `${bytes / 1024} KiB`
      : `${bytes} bytes`

const kinds: Readonly<Record<string, string>> = {
  Directory: "a folder",
  FIFO: "a named pipe (FIFO)",
  CharacterDevice: "a device",
  BlockDevice: "a device",
  Socket: "a socket",
  SymbolicLink: "a symbolic link"
}

/** Where the first byte that is not UTF-8 is, or `undefined` when all of them are. */
export const invalidUtf8Offset = (bytes: Uint8Array): number | undefined => {
  if (isUtf8(bytes)) return undefined
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i]!
    if (lead < 0x80) {
      i++
      continue
    }
    const length =
      lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0
    if (length === 0 || i + length > bytes.length) return i
    const second = bytes[i + 1]!
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    const outOfRange =
      (lead === 0xe0 && second < 0xa0) ||
      (lead === 0xed && second > 0x9f) ||
      (lead === 0xf0 && second < 0x90) ||
      (lead === 0xf4 && second > 0x8f)
    if (outOfRange) return i
    for (let k = 1; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i
    i += length
  }
  return i
}

/** Line and column (in characters) of a byte offset of valid UTF-8 text before it. */
const positionOf = (bytes: Uint8Array, offset: number) => {
  const before = new TextDecoder("utf-8").decode(bytes.subarray(0, offset))
  const lines = before.split(/\r\n|\r|\n/)
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 }
}

/** Strict UTF-8 text; a byte that is not is refused at its line and column in `file`. */
export const decodeUtf8 = (bytes: Uint8Array, at: Location, what: string): Effect.Effect<string, ConfigError> => {
  const offset = invalidUtf8Offset(bytes)
  if (offset === undefined) return Effect.succeed(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes))
  const position = positionOf(bytes, offset)
  return Effect.fail(
    configError(
      { ...at, ...position },
      `${what} is not valid UTF-8: byte ${offset + 1} (0x${bytes[offset]!.toString(16).padStart(2, "0")}) at line ${position.line}, column ${position.column}`,
      "save the file as UTF-8"
    )
  )
}

/**
 * Reads `path` in chunks of 64 KiB, each given to `onChunk`, until its end or `maxBytes` (a chunk may end past
 * it): memory stays one chunk whatever the file is, and a file that grows or never ends is read no further.
 */
export const readChunks = (
  fs: FileSystem.FileSystem,
  path: string,
  maxBytes: number,
  onChunk: (chunk: Uint8Array) => void
): Effect.Effect<number, PlatformError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const file = yield* fs.open(path, { flag: "r" })
      let total = 0
      while (total < maxBytes) {
        const chunk = yield* file.readAlloc(Math.min(64 * 1024, maxBytes - total))
        if (Option.isNone(chunk) || chunk.value.length === 0) break
        onChunk(chunk.value)
        total += chunk.value.length
      }
      return total
    })
  )

/** What to do about a path the file names that cannot be used. */
export const relativePathHint = "check the path (relative paths start from the folder of the config file)"

/** Checks that `path` is a regular file of at most `maxBytes`, then reads at most that many bytes of it. */
export const readBounded = (
  path: string,
  at: Location,
  what: string,
  maxBytes: number,
  hint = relativePathHint
): Effect.Effect<Uint8Array, ConfigError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const cannotRead = (reason: string) => configError(at, `cannot read ${what} ${path}: ${reason}`, hint)
    const info = yield* fs
      .stat(path)
      .pipe(
        Effect.mapError((error) =>
          cannotRead(error._tag === "SystemError" && error.reason === "NotFound" ? "no such file" : error.message)
        )
      )
    if (info.type !== "File") {
      return yield* configError(
        at,
        `${what} ${path} is not a regular file (it is ${kinds[info.type] ?? "not a file"})`,
        hint
      )
    }
    const tooLarge = configError(
      at,
      `${what} ${path} is larger than the limit of ${formatBytes(maxBytes)}`,
      `${hint}; FleetFlow reads no ${what} over ${formatBytes(maxBytes)}`
    )
    if (Number(info.size) > maxBytes) return yield* tooLarge
    // The file may have changed since `stat`: read no more than the limit allows, whatever it is now.
    const chunks: Array<Uint8Array> = []
    yield* readChunks(fs, path, maxBytes + 1, (chunk) => chunks.push(chunk)).pipe(
      Effect.mapError((error) => cannotRead(error.message))
    )
    const bytes = Buffer.concat(chunks)
    if (bytes.length > maxBytes) return yield* tooLarge
    return bytes
  })

/** `readBounded`, as strict UTF-8 text. */
export const readBoundedText = (
  path: string,
  at: Location,
  what: string,
  maxBytes: number
): Effect.Effect<string, ConfigError, FileSystem.FileSystem> =>
  Effect.flatMap(readBounded(path, at, what, maxBytes), (bytes) =>
    decodeUtf8(bytes, { ...at, file: path }, `${what} ${path}`)
  )
