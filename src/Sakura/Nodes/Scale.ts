/**
 * How many replicas of a server: `scale min=2 max=4`, or `scale 3` for a fixed count.
 */
import type * as Either from "effect/Either"
import {
  block,
  type ConfigError,
  configError,
  decoding,
  type Env,
  type Field,
  fieldInteger,
  integerValue,
  type Location,
  one,
  refuse
} from "../../Declaration.js"

export interface ScaleSpec {
  readonly min: number
  readonly max: number
  readonly at: Location
}

/** One server per replica: a runaway count (`max=1e15`) would expand into that many servers. */
const maxReplicas = 1000

export const decodeScale = (env: Env, field: Field): Either.Either<ScaleSpec, ConfigError> =>
  decoding((take) => {
    const node = field.node
    if (node === undefined) return refuse(take, configError(field.at, "`scale` takes min= and max="))
    const scale = take(block(node, ["min", "max"], { props: true }))
    const minField = one(scale, "min")
    const maxField = one(scale, "max")
    const single = node.args[0]
    const min =
      minField !== undefined
        ? take(fieldInteger(env, minField, 1))
        : single !== undefined
          ? take(integerValue(env, single, "`scale`", 1))
          : 1
    const max = maxField !== undefined ? take(fieldInteger(env, maxField, 1)) : min
    if (min > max) {
      return refuse(take, configError(field.at, `\`scale\` min (${min}) is greater than max (${max})`))
    }
    if (max > maxReplicas) {
      return refuse(
        take,
        configError(
          (maxField ?? minField)?.prop?.value.at ?? single?.at ?? field.at,
          `\`scale\` allows at most ${maxReplicas} servers, got ${max}`,
          "FleetFlow creates one server per replica: choose a smaller range"
        )
      )
    }
    const spec: ScaleSpec = { min, max, at: field.at }
    return spec
  })
