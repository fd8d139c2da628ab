/**
 * KDL documents with source positions, parsed synchronously: both kdljs grammars are built when
 * this module is imported. The configuration loader uses `KdlDocument.parseLazily` instead.
 */
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type { ConfigError } from "../Declaration.js"
import { type KdlDocument, parseWith } from "./KdlDocument.js"
import * as KdlV1 from "./KdlV1.js"
import * as KdlV2 from "./KdlV2.js"

export {
  fieldName,
  isTokenField,
  type KdlNode,
  type KdlProperty,
  type KdlValue,
  type Scalar
} from "../Declaration.js"
export { childPath, type KdlDocument, label } from "./KdlDocument.js"

/** Parses KDL v2, else v1; a failure of both points at the error of the likelier version. */
export const parse = (file: string, text: string): Either.Either<KdlDocument, ConfigError> =>
  Effect.runSync(
    Effect.either(parseWith(file, text, { v2: Effect.succeed(KdlV2.parse), v1: Effect.succeed(KdlV1.parse) }))
  )
