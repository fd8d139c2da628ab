/**
 * What a server is given at creation: SSH keys and startup scripts (names, paths or literals, resolved later with
 * where they were written), and the variables its startup scripts see.
 */
import * as Effect from "effect/Effect"
import {
  type ConfigError,
  configError,
  type Env,
  type Field,
  type Located,
  scalarText,
  stringValue,
  valuesOf
} from "../../Declaration.js"

/** Every value of `ssh-key` or `startup-script` fields, each with where it was written. */
export const locatedStrings = (
  env: Env,
  fields: ReadonlyArray<Field>
): Effect.Effect<ReadonlyArray<Located<string>>, ConfigError> =>
  Effect.gen(function* () {
    const result: Array<Located<string>> = []
    for (const field of fields) {
      const values = yield* valuesOf(env, field)
      if (values.length === 0) return yield* configError(field.at, `\`${field.written}\` needs a value`)
      for (const value of values)
        result.push({ value: yield* stringValue(env, value, `\`${field.written}\``), at: value.at })
    }
    return result
  })

/** `init-script-vars { NAME "value" }` or `init-script-vars NAME="value"`. */
export const decodeScriptVars = (env: Env, field: Field): Effect.Effect<Record<string, string>, ConfigError> =>
  Effect.gen(function* () {
    const vars: Record<string, string> = {}
    const node = field.node
    if (node === undefined) return vars
    for (const child of node.children) {
      const first = child.args[0]
      if (first === undefined) return yield* configError(child.at, `\`${child.name}\` needs a value`)
      vars[child.name] = yield* scalarText(env, first, `\`${child.name}\``)
    }
    for (const property of node.props) {
      vars[property.key] = yield* scalarText(env, property.value, `\`${property.key}\``)
    }
    return vars
  })
