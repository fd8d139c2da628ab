/**
 * How a node's decoder is written: plain code where `take` gives a reader's value, or stops the
 * decoder with the reader's refusal, which `decoding` returns as its `Left`.
 *
 * A file of ten thousand resources runs each decoder thousands of times, mostly before the JIT has
 * compiled it. Written with `Either.gen`, each read made a generator step and three objects, and the
 * plan of such a file spent more time decoding it than reading its state; with `take` a read is a
 * call and a test.
 */
import * as Either from "effect/Either"
import type { ConfigError } from "./ConfigError.js"

/** A reader's value, or the end of the decoder with its refusal. */
export type Take = <A>(result: Either.Either<A, ConfigError>) => A

class Refusal {
  constructor(readonly error: ConfigError) {}
}

const take: Take = (result) => {
  if (Either.isLeft(result)) throw new Refusal(result.left)
  return result.right
}

/** Runs a decoder written with `take`: its value, or the first refusal it took. */
export const decoding = <A>(decoder: (take: Take) => A): Either.Either<A, ConfigError> => {
  try {
    return Either.right(decoder(take))
  } catch (thrown) {
    if (thrown instanceof Refusal) return Either.left(thrown.error)
    throw thrown
  }
}

/** Stops the decoder with `error`. */
export const refuse = (take: Take, error: ConfigError): never => take(Either.left(error))
