/**
 * `build-env` in the cloudflare provider block: the user's variables that wrangler and the builds it
 * runs get, by name or by prefix (`build-env "NODE_ENV" "SENTRY_*"`). A name that could pass the
 * state database's secrets is refused before anything runs; `Children/Environment.ts` holds the rules.
 */
import * as Effect from "effect/Effect"
import * as ChildEnvironment from "../Children/Environment.js"
import {
  type ConfigError,
  configError,
  type Env,
  type Field,
  fieldName,
  type KdlNode,
  listOf,
  namesIn,
  stringValue,
  valuesOf
} from "../Declaration.js"

/** A variable's name, a prefix of one with a trailing `*`, or `*` alone. */
const namePattern = /^([A-Za-z_][A-Za-z0-9_]*\*?|\*)$/

/** The variables the `state` block's url reads (`url env="NAME"`, `${NAME}` inside it): secrets of the database. */
export const stateUrlVariables = (nodes: ReadonlyArray<KdlNode>): ReadonlyArray<string> => {
  const names = new Set<string>()
  const read = (text: string) => {
    for (const name of namesIn(text)) names.add(name)
  }
  for (const node of nodes) {
    if (fieldName(node.name) !== "state") continue
    for (const prop of node.props) {
      if (fieldName(prop.key) === "url" && typeof prop.value.value === "string") read(prop.value.value)
    }
    for (const child of node.children) {
      if (fieldName(child.name) !== "url") continue
      for (const arg of child.args) if (typeof arg.value === "string") read(arg.value)
      for (const prop of child.props) {
        if (typeof prop.value.value !== "string") continue
        if (fieldName(prop.key) === "env") names.add(prop.value.value)
        else read(prop.value.value)
      }
    }
  }
  return [...names]
}

const databaseHint = (stateVariables: ReadonlyArray<string>) => {
  const url = stateVariables.length === 0 ? "" : `, ${listOf(stateVariables)} (read by the \`state\` block's url)`
  return (
    `remove it: FleetFlow gives no child libpq's PG* variables, FLEETFLOW_PG_URL${url} or a connection string; ` +
    "a build that needs a database of its own reads its URL from the project's .env, which wrangler loads itself"
  )
}

/** Every name of every `build-env` field, in the order written; `stateVariables` are the state url's. */
export const decodeBuildEnv = (
  env: Env,
  fields: ReadonlyArray<Field>,
  stateVariables: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<string>, ConfigError> =>
  Effect.gen(function* () {
    const names: Array<string> = []
    for (const field of fields) {
      const values = yield* valuesOf(env, field)
      if (values.length === 0) {
        return yield* configError(
          field.at,
          "`build-env` needs the names of the variables to pass",
          `write build-env "NODE_ENV" "SENTRY_*"`
        )
      }
      for (const value of values) {
        const name = yield* stringValue(env, value, "`build-env`")
        if (!namePattern.test(name)) {
          return yield* configError(
            value.at,
            `\`build-env\` takes names of environment variables, got ${JSON.stringify(name)}`,
            `write a name such as "NODE_ENV", or a prefix with a trailing * such as "SENTRY_*"`
          )
        }
        if (ChildEnvironment.couldPassDatabase(name, stateVariables)) {
          return yield* configError(
            value.at,
            `\`build-env\` ${JSON.stringify(name)} could pass the state database's secrets to wrangler and your builds`,
            databaseHint(stateVariables)
          )
        }
        if (!names.includes(name)) names.push(name)
      }
    }
    return names
  })
