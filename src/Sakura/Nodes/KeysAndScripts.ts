/**
 * What a server is given at creation: SSH keys and startup scripts (names, paths or literals, resolved later with
 * where they were written), and the variables its startup scripts see.
 */
import type * as Either from "effect/Either"
import {
  type ConfigError,
  configError,
  decoding,
  type Env,
  type Field,
  type KdlValue,
  type Located,
  referenceAttributes,
  refuse,
  scalarText,
  stringValue,
  valuesOf
} from "../../Declaration.js"

/** Every value of `ssh-key` or `startup-script` fields, each with where it was written. */
export const locatedStrings = (
  env: Env,
  fields: ReadonlyArray<Field>
): Either.Either<ReadonlyArray<Located<string>>, ConfigError> =>
  decoding((take) => {
    const result: Array<Located<string>> = []
    for (const field of fields) {
      const values = take(valuesOf(env, field))
      if (values.length === 0) return refuse(take, configError(field.at, `\`${field.written}\` needs a value`))
      for (const value of values)
        result.push({ value: take(stringValue(env, value, `\`${field.written}\``)), at: value.at })
    }
    return result
  })

const referenceShape = new RegExp(`^server\\.[^.\\s]+\\.(${referenceAttributes.join("|")})$`)

/**
 * A variable's text. A reference (`server.b.ip`) is refused rather than passed on as its own text: the script's
 * variables are fixed when the server is created, and Sakura Cloud stores them with the server as they are.
 */
const scriptVar = (env: Env, name: string, value: KdlValue) =>
  decoding((take) => {
    const text = take(scalarText(env, value, `\`${name}\``))
    if (typeof value.value === "string" && referenceShape.test(value.value)) {
      return refuse(
        take,
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
  decoding((take) => {
    const vars: Record<string, string> = {}
    const node = field.node
    if (node === undefined) return vars
    for (const child of node.children) {
      const first = child.args[0]
      if (first === undefined) return refuse(take, configError(child.at, `\`${child.name}\` needs a value`))
      vars[child.name] = take(scriptVar(env, child.name, first))
    }
    for (const property of node.props) {
      vars[property.key] = take(scriptVar(env, property.key, property.value))
    }
    return vars
  })
