/**
 * The error every configuration problem becomes: where it is, what is wrong, what to do.
 */
import * as Schema from "effect/Schema"

export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  file: Schema.String,
  line: Schema.Number,
  column: Schema.Number,
  /** The node path, e.g. `stage "dev" > server "creo-dev-01" > plan`; "" at top level. */
  path: Schema.String,
  /** What is wrong, e.g. "unknown field `pln`". */
  message: Schema.String,
  /** What to do, e.g. "did you mean `plan`?". */
  suggestion: Schema.optional(Schema.String)
}) {}

/** Where something was written. */
export interface Location {
  readonly file: string
  readonly line: number
  readonly column: number
  readonly path: string
}

export const configError = (at: Location, message: string, suggestion?: string | undefined): ConfigError =>
  new ConfigError({
    file: at.file,
    line: at.line,
    column: at.column,
    path: at.path,
    message,
    ...(suggestion === undefined ? {} : { suggestion })
  })
