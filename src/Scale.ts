/**
 * Replica counts of scaled servers: the ranges a stage declares (`scale min=2 max=4`), the
 * count `fleetflow scale` asks for, and the counts the state recorded, checked against the
 * file as it is now. A count outside the range is an error, never clamped.
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import type * as Config from "./Config.js"
import { type ConfigError, configError, didYouMean, listOf, type Location } from "./Declaration.js"
import type { ServerSpec } from "./Sakura/Nodes.js"

/** A server declared with `scale` in a stage, by its base name. */
export interface ScaleRange {
  readonly server: string
  readonly min: number
  readonly max: number
  /** Where its `scale` node is written. */
  readonly at: Location
}

/** The scaled servers of `stage`, in declared order. */
export const rangesOf = (
  config: Config.FleetConfig,
  stage: string
): Either.Either<ReadonlyArray<ScaleRange>, ConfigError> => {
  const definition = config.definitions.get(stage)
  if (definition === undefined) {
    return Either.left(
      configError(
        { file: config.file, line: 0, column: 0, path: "" },
        `unknown stage \`${stage}\``,
        `stages: ${listOf(config.stages)}`
      )
    )
  }
  return Either.map(definition.resources, (specs) =>
    specs.flatMap((spec) =>
      spec.type === "server" && spec.scale !== undefined
        ? [{ server: spec.name, min: spec.scale.min, max: spec.scale.max, at: spec.scale.at }]
        : []
    )
  )
}

/** The servers of `stage` without `scale`, so an error can tell "not scaled" from "unknown". */
const unscaledOf = (config: Config.FleetConfig, stage: string): ReadonlyArray<string> => {
  const resources = config.definitions.get(stage)?.resources
  if (resources === undefined || Either.isLeft(resources)) return []
  return resources.right
    .filter((spec): spec is ServerSpec => spec.type === "server" && spec.scale === undefined)
    .map((spec) => spec.name)
}

/** `fleetflow scale` named a server the stage does not declare with `scale`. */
export class NotScaled extends Data.TaggedError("NotScaled")<{
  readonly stage: string
  readonly server: string
  /** The stage declares a server of that name, without `scale`. */
  readonly declared: boolean
  /** The scaled servers of the stage. */
  readonly scaled: ReadonlyArray<string>
}> {
  override get message() {
    if (this.declared) {
      return (
        `server \`${this.server}\` of stage "${this.stage}" has no \`scale\` range: it is one server\n` +
        "  add `scale min=1 max=N` to it in the file to run several"
      )
    }
    const hint =
      this.scaled.length === 0
        ? `no server of stage "${this.stage}" has a \`scale\` range`
        : `${didYouMean(this.server, this.scaled) ?? ""} scaled servers: ${listOf(this.scaled)}`.trim()
    return `stage "${this.stage}" has no scaled server \`${this.server}\`\n  ${hint}`
  }
}

/** `fleetflow scale` asked for a count outside the server's range. */
export class CountOutOfRange extends Data.TaggedError("CountOutOfRange")<{
  readonly server: string
  readonly count: number
  readonly min: number
  readonly max: number
}> {
  override get message() {
    return (
      `\`${this.server}\` runs from ${this.min} to ${this.max} servers (scale min=${this.min} max=${this.max}); ` +
      `${this.count} is outside that range\n` +
      `  choose a count from ${this.min} to ${this.max}, or change the range in the file`
    )
  }
}

/** The range of `server` when `count` fits it. */
export const checkCount = (
  config: Config.FleetConfig,
  stage: string,
  ranges: ReadonlyArray<ScaleRange>,
  server: string,
  count: number
): Either.Either<ScaleRange, NotScaled | CountOutOfRange> => {
  const range = ranges.find((candidate) => candidate.server === server)
  if (range === undefined) {
    return Either.left(
      new NotScaled({
        stage,
        server,
        declared: unscaledOf(config, stage).includes(server),
        scaled: ranges.map((candidate) => candidate.server)
      })
    )
  }
  if (!Number.isInteger(count) || count < range.min || count > range.max) {
    return Either.left(new CountOutOfRange({ server, count, min: range.min, max: range.max }))
  }
  return Either.right(range)
}

export interface Recorded {
  /** The counts to expand with, for servers the stage still scales. */
  readonly counts: Readonly<Record<string, number>>
  /** Servers the state has a count for that the stage no longer declares with `scale`. */
  readonly ignored: ReadonlyArray<string>
}

/** The nearest count within the range. */
const nearest = (range: ScaleRange, count: number) => Math.min(range.max, Math.max(range.min, Math.round(count)))

/**
 * The counts the state recorded for `stage`, checked against the file's ranges. A count for a
 * server the file no longer scales is ignored (the caller says so); a count outside the range
 * (the file changed since `fleetflow scale`) is an error at the server's `scale` node.
 */
export const checkRecorded = (
  config: Config.FleetConfig,
  stage: string,
  ranges: ReadonlyArray<ScaleRange>,
  recorded: Readonly<Record<string, number>>,
  /** Options the suggested command repeats, such as `--sandbox`. */
  options: ReadonlyArray<string> = []
): Either.Either<Recorded, ConfigError> => {
  const counts: Record<string, number> = {}
  const ignored: Array<string> = []
  const suffix = [...(config.stages.length > 1 ? ["-s", stage] : []), ...options].map((part) => ` ${part}`).join("")
  for (const [server, count] of Object.entries(recorded)) {
    const range = ranges.find((candidate) => candidate.server === server)
    if (range === undefined) {
      ignored.push(server)
      continue
    }
    if (!Number.isInteger(count) || count < range.min || count > range.max) {
      return Either.left(
        configError(
          range.at,
          `the state records ${count} servers of \`${server}\` for stage "${stage}", outside its range ` +
            `${range.min} to ${range.max} (scale min=${range.min} max=${range.max})`,
          `the range changed since the count was recorded: run \`fleetflow scale ${server} ${nearest(range, count)}${suffix}\` ` +
            `(a count from ${range.min} to ${range.max}), or change the range back`
        )
      )
    }
    counts[server] = count
  }
  return Either.right({ counts, ignored })
}
