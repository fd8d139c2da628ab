/**
 * The configuration file's text: a regular file of at most `limits.configBytes`, strict UTF-8. Checked before
 * any KDL reader sees it, whose memory grows with the text (tens of bytes per byte for plain KDL v2, a few
 * hundred for the grammars).
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import { type ConfigError, decodeUtf8, limits, readBounded } from "../Declaration.js"

export const readConfigText = (path: string): Effect.Effect<string, ConfigError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const at = { file: path, line: 1, column: 1, path: "" }
    const bytes = yield* readBounded(path, at, "config file", limits.configBytes, "check the path given with -f/--file")
    return yield* decodeUtf8(bytes, at, `config file ${path}`)
  })
