/**
 * What a server is given at creation: SSH keys and startup scripts (names, paths or literals, resolved later with
 * where they were written), and the variables its startup scripts see.
 */
import * as Either from "effect/Either"
import {
  type ConfigError,
  configError,
  type Env,
  type Field,
  type KdlValue,
  type Located,
  referenceAttributes,
  scalarText,
  stringValue,
  valuesOf
} from "../../Declaration.js"

/** Every value of `ssh-key` or `startup-script` fields, each with where it was written. */
export const locatedStrings = (
  env: Env,
  fields: ReadonlyArray<Field>
): Either.Either<ReadonlyArray<Located<string>>, ConfigError> =>
  Either.gen(function* () {
    const result: Array<Located<string>> = []
    for (const field of fields) {
      const values = yield* valuesOf(env, field)
      if (values.length === 0) return yield* Either.left(configError(field.at, `\`${field.written}\` needs a value`))
      for (const value of values)
        result.push({ value: yield* stringValue(env, value, `\`${field.written}\``), at: value.at })
    }
    return result
  })

const referenceShape = new RegExp(`^server\\.[^.\\s]+\\.(${referenceAttributes.join("|")})$`)

/**
 * A variable's text. A reference (`server.b.ip`) is refused rather than passed on as its own text: the script's
 * variables are fixed when the server is created, and Sakura Cloud stores them with the server as they are.
 */
const scriptVar = (env: Env, name: string, value: KdlValue) =>
  Either.gen(function* () {
    const text = yield* scalarText(env, value, `\`${name}\``)
    if (typeof value.value === "string" && referenceShape.test(value.value)) {
      return yield* Either.left(
        configError(
          value.at,
          `\`${name}\`: a startup script variable cannot take a reference (\`${value.value}\`); it would be passed as that text`,
          "write the value itself, or have the script find it (a DNS name of that server, for example)"
        )
      )
    }
    return text
  })

/** `init-script-vars { NAME "value" }` or `init-script-vars NAME="value"`. */
export const decodeScriptVars = (env: Env, field: Field): Either.Either<Record<string, string>, ConfigError> =>
  Either.gen(function* () {
    const vars: Record<string, string> = {}
    const node = field.node
    if (node === undefined) return vars
    for (const child of node.children) {
      const first = child.args[0]
      if (first === undefined) return yield* Either.left(configError(child.at, `\`${child.name}\` needs a value`))
      vars[child.name] = yield* scriptVar(env, child.name, first)
    }
    for (const property of node.props) {
      vars[property.key] = yield* scriptVar(env, property.key, property.value)
    }
    return vars
  })
