/**
 * The error every configuration problem becomes: where it is, what is wrong, what to do. Problems that do not
 * depend on each other are all found in one run: the first by position is the error, the others ride along.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

const problemFields = {
  file: Schema.String,
  line: Schema.Number,
  column: Schema.Number,
  /** The node path, e.g. `stage "dev" > server "creo-dev-01" > plan`; "" at top level. */
  path: Schema.String,
  /** What is wrong, e.g. "unknown field `pln`". */
  message: Schema.String,
  /** What to do, e.g. "did you mean `plan`?". */
  suggestion: Schema.optional(Schema.String)
}

/** One problem of a configuration, as listed beside the first. */
export const ConfigProblem = Schema.Struct(problemFields)
export type ConfigProblem = typeof ConfigProblem.Type

export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  ...problemFields,
  /** The other problems found in the same run, by position after this one; at most `listedProblems - 1`. */
  others: Schema.optional(Schema.Array(ConfigProblem)),
  /** How many more problems were found than are listed. */
  unlisted: Schema.optional(Schema.Number)
}) {}

/** Where something was written. */
export interface Location {
  readonly file: string
  readonly line: number
  readonly column: number
  readonly path: string
}

/**
 * A file may have an error on each of ten thousand lines: an error is built without the stack trace nobody reads
 * (the operator reads where in the file) and without checking fields the compiler has checked, which took most
 * of a second for such a file.
 */
const made = (fields: ConstructorParameters<typeof ConfigError>[0]): ConfigError => {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return new ConfigError(fields, true)
  } finally {
    Error.stackTraceLimit = limit
  }
}

export const configError = (at: Location, message: string, suggestion?: string | undefined): ConfigError =>
  made({
    file: at.file,
    line: at.line,
    column: at.column,
    path: at.path,
    message,
    ...(suggestion === undefined ? {} : { suggestion })
  })

/**
 * Errors that depend on the environment rather than on the text (a variable that is not set),
 * so a stage that is not deployed does not need the environment of the others.
 */
const environmental = new WeakSet<ConfigError>()

export const isEnvironmental = (error: ConfigError): boolean => environmental.has(error)

export const markEnvironmental = (error: ConfigError): ConfigError => {
  environmental.add(error)
  return error
}

/** A file with an error on every line lists this many; the rest are counted. */
export const listedProblems = 50

const problemOf = (error: ConfigProblem): ConfigProblem => ({
  file: error.file,
  line: error.line,
  column: error.column,
  path: error.path,
  message: error.message,
  ...(error.suggestion === undefined ? {} : { suggestion: error.suggestion })
})

/** Every problem an error stands for, itself first. */
export const problemsOf = (error: ConfigError): ReadonlyArray<ConfigProblem> => [
  problemOf(error),
  ...(error.others ?? [])
]

/** How many problems an error stands for, the unlisted ones included. */
export const problemCount = (error: ConfigError): number => 1 + (error.others?.length ?? 0) + (error.unlisted ?? 0)

const byPosition = (a: ConfigProblem, b: ConfigProblem) =>
  a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1

/**
 * One error for several (at least one): their problems by position, each once (a template included by two stages
 * fails the same way twice). An error alone is kept as it is; errors that are all the environment's make one.
 */
export const combineErrors = (errors: ReadonlyArray<ConfigError>): ConfigError => {
  if (errors.length === 1) return errors[0]!
  const seen = new Set<string>()
  const problems = errors
    .flatMap(problemsOf)
    .filter((problem) => {
      const key = `${problem.file}\u0000${problem.line}\u0000${problem.column}\u0000${problem.message}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    .sort(byPosition)
  const unlisted = errors.reduce((total, error) => total + (error.unlisted ?? 0), 0)
  const [first, ...others] = problems
  if (others.length === 0 && unlisted === 0) return errors[0]!
  const listed = others.slice(0, listedProblems - 1)
  const dropped = unlisted + others.length - listed.length
  const combined = made({ ...first!, others: listed, ...(dropped === 0 ? {} : { unlisted: dropped }) })
  // Several variables missing are still the environment's doing.
  return errors.every(isEnvironmental) ? markEnvironmental(combined) : combined
}

/**
 * Checks each item, whatever the others found, and fails with all their errors at once; succeeds with every
 * result, in order, when none failed.
 */
export const everyError = <I, A>(
  items: Iterable<I>,
  check: (item: I) => Either.Either<A, ConfigError>
): Either.Either<Array<A>, ConfigError> => {
  const errors: Array<ConfigError> = []
  const results: Array<A> = []
  for (const item of items) {
    const checked = check(item)
    if (Either.isLeft(checked)) errors.push(checked.left)
    else results.push(checked.right)
  }
  return errors.length === 0 ? Either.right(results) : Either.left(combineErrors(errors))
}

/**
 * `everyError` for checks that may need a service (the file system). They are made one at a time, as
 * `Effect.forEach` makes them: a zone of ten thousand records does not hold ten thousand of them at once.
 * A check that answers at once (an `Either`, most expansions) is taken as it is, without a step of the fiber.
 */
export const everyErrorEffect = <I, A, R>(
  items: Iterable<I>,
  check: (item: I) => Effect.Effect<A, ConfigError, R>
): Effect.Effect<Array<A>, ConfigError, R> =>
  Effect.gen(function* () {
    const outcomes: Array<Either.Either<A, ConfigError>> = []
    for (const item of items) {
      const checked = check(item)
      outcomes.push(
        Either.isEither(checked) ? (checked as Either.Either<A, ConfigError>) : yield* Effect.either(checked)
      )
    }
    return yield* everyError(outcomes, (outcome) => outcome)
  })
