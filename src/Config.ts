/**
 * Configuration loading: find `fleet.kdl`, parse it (KDL v2 or v1), check it, choose a
 * stage and expand the stage into desired resources. Every problem is a `ConfigError`
 * that names the file, line, column and node path.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as NodePath from "node:path"
import { expand } from "./Config/Desired.js"
import { readConfigText } from "./Config/ConfigText.js"
import { parseLazily } from "./Config/KdlDocument.js"
import type { ResourceSpec } from "./Config/Resources.js"
import {
  type CloudflareSettings,
  decodeProviders,
  decodeProject,
  decodeRetry,
  decodeState,
  type SakuraSettings,
  type StateSettings
} from "./Config/Settings.js"
import { decodeStages, type StageDefinition } from "./Config/Stages.js"
import {
  combineErrors,
  type ConfigError,
  configError,
  didYouMean,
  everyErrorEffect,
  listOf,
  readEnv,
  variableNames
} from "./Declaration.js"
import * as DurationText from "./DurationText.js"
import type { DesiredResource } from "./Resource.js"
import type { RetryPolicy } from "./Retry.js"

export { ConfigError, type ConfigProblem, configError, problemCount, problemsOf } from "./Declaration.js"
export type { CloudflareSettings, SakuraSettings, StateSettings } from "./Config/Settings.js"
export type { ResourceSpec, StageDefinition }

export interface FleetConfig {
  /** Absolute path of the file. */
  readonly file: string
  /** Its folder; `.fleetflow/` goes here. */
  readonly directory: string
  /** The `project` node, else the folder's name. */
  readonly project: string
  readonly kdlVersion: 1 | 2
  readonly providers: {
    readonly sakura?: SakuraSettings | undefined
    readonly cloudflare?: CloudflareSettings | undefined
  }
  /** `defaultPolicy` when the file has no `retry`. */
  readonly retry: RetryPolicy
  /** Where the state lives; the local file when the file has no `state`. */
  readonly state: StateSettings
  /** In declared order; `["default"]` when the file has no `stage`. */
  readonly stages: ReadonlyArray<string>
  /** The decoded resources of each stage, by stage name. */
  readonly definitions: ReadonlyMap<string, StageDefinition>
}

export const configFileName = "fleet.kdl"

/** A duration as the language writes it: "500ms", "1s", "2m", "1h". */
export const parseDuration = (text: string): Option.Option<Duration.Duration> =>
  Option.fromNullable(DurationText.parse(text))

const nowhere = (file: string) => ({ file, line: 0, column: 0, path: "" })

/** `explicit` (from `-f`) if given, else `fleet.kdl` in `start` or the nearest folder above it. */
export const findConfigFile = (
  start: string,
  explicit?: string
): Effect.Effect<string, ConfigError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const isFile = (path: string) =>
      fs.stat(path).pipe(
        Effect.map((info) => info.type === "File"),
        Effect.orElseSucceed(() => false)
      )
    if (explicit !== undefined) {
      const path = NodePath.resolve(start, explicit)
      // Anything that exists is left to `load`, which says what it is when it is not a regular file.
      if (yield* Effect.isSuccess(fs.stat(path))) return path
      return yield* configError(nowhere(path), `config file ${path} not found`, "check the path given with -f/--file")
    }
    let directory = NodePath.resolve(start)
    for (;;) {
      const candidate = NodePath.join(directory, configFileName)
      if (yield* isFile(candidate)) return candidate
      const parent = NodePath.dirname(directory)
      if (parent === directory) break
      directory = parent
    }
    return yield* configError(
      nowhere(NodePath.resolve(start, configFileName)),
      `no ${configFileName} in ${NodePath.resolve(start)} or any folder above it`,
      `create ${configFileName}, or pass the file with -f PATH`
    )
  })

/** Reads, parses and checks a configuration file. */
export const load = (file: string): Effect.Effect<FleetConfig, ConfigError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const path = NodePath.resolve(file)
    const directory = NodePath.dirname(path)
    const text = yield* readConfigText(path)
    const document = yield* parseLazily(path, text)
    const env = yield* readEnv([...variableNames(document.nodes), "CLOUDFLARE_DOMAIN"])
    // Each part is read whatever the others found, so that one run reports every error.
    const project = yield* Effect.either(decodeProject(document.nodes, env, NodePath.basename(directory)))
    const providers = yield* Effect.either(decodeProviders(document.nodes, env))
    const retry = yield* Effect.either(decodeRetry(document.nodes, env))
    const state = yield* Effect.either(decodeState(document.nodes, env))
    const known = Either.getOrUndefined(providers)
    const dnsZone = known?.cloudflare?.zone ?? (env.get("CLOUDFLARE_DOMAIN") || undefined)
    const stages = decodeStages(
      {
        env,
        sakuraZone: known?.sakura?.zone,
        dnsZone: dnsZone?.toLowerCase(),
        providersFailed: known === undefined
      },
      document.nodes,
      path
    )
    const parts = yield* Effect.all([project, providers, retry, state, stages], { mode: "validate" }).pipe(
      Effect.mapError((found) => combineErrors(found.flatMap((error) => Option.toArray(error))))
    )
    const [projectName, providerSettings, retryPolicy, stateSettings, definitions] = parts
    const config: FleetConfig = {
      file: path,
      directory,
      project: projectName,
      kdlVersion: document.version,
      providers: providerSettings,
      retry: retryPolicy,
      state: stateSettings,
      stages: definitions.map((stage) => stage.name),
      definitions: new Map(definitions.map((stage) => [stage.name, stage]))
    }
    return config
  })

const stageVariable = (name: string) =>
  Config.option(Config.string(name)).pipe(
    Effect.map((value) => Option.filter(value, (text) => text.trim() !== "")),
    Effect.orElseSucceed(() => Option.none<string>())
  )

/** `requested` (from -s/--stage), else FLEETFLOW_STAGE, else FLEET_STAGE; a file with one stage needs none. */
export const selectStage = (config: FleetConfig, requested: string | undefined): Effect.Effect<string, ConfigError> =>
  Effect.gen(function* () {
    const fromFleetflow = Option.getOrUndefined(yield* stageVariable("FLEETFLOW_STAGE"))
    const fromFleet = Option.getOrUndefined(yield* stageVariable("FLEET_STAGE"))
    const chosen = requested ?? fromFleetflow ?? fromFleet
    // A name the operator did not type this time is one they may have forgotten setting.
    const source =
      requested !== undefined ? "" : fromFleetflow !== undefined ? " (from FLEETFLOW_STAGE)" : " (from FLEET_STAGE)"
    // Point at the stages the file declares: the closest name when there is one, else the first.
    const stageAt = (name: string | undefined) =>
      (name === undefined ? undefined : config.definitions.get(name)?.at) ??
      config.definitions.get(config.stages[0] ?? "")?.at ??
      nowhere(config.file)
    const at = stageAt(undefined)
    if (chosen === undefined) {
      const only = config.stages[0]
      if (config.stages.length === 1 && only !== undefined) return only
      return yield* configError(
        at,
        `${config.stages.length} stages are declared (${listOf(config.stages)}); choose one`,
        "pass -s/--stage NAME or set FLEETFLOW_STAGE"
      )
    }
    if (config.stages.includes(chosen)) return chosen
    const guess = didYouMean(chosen, config.stages)
    const closest = config.stages.find((stage) => guess?.includes(`\`${stage}\``))
    return yield* configError(
      stageAt(closest),
      `unknown stage \`${chosen}\`${source}`,
      `${guess === undefined ? "" : guess + " "}stages: ${listOf(config.stages)}`
    )
  })

/** The resources each of `stages` asks for; every stage is expanded whatever the others found, so their errors come out together. */
export const desiredByStage = (config: FleetConfig, stages: ReadonlyArray<string>) =>
  everyErrorEffect(stages, (stage) => Effect.map(desiredResources(config, stage), (desired) => ({ stage, desired })))

/** The resources a stage asks for, with their inputs and dependencies. */
export const desiredResources = (
  config: FleetConfig,
  stage: string,
  options?: { readonly scale?: Readonly<Record<string, number>> }
): Effect.Effect<ReadonlyArray<DesiredResource>, ConfigError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const definition = config.definitions.get(stage)
    if (definition === undefined) {
      const guess = didYouMean(stage, config.stages)
      return yield* configError(
        nowhere(config.file),
        `unknown stage \`${stage}\``,
        `${guess === undefined ? "" : guess + " "}stages: ${listOf(config.stages)}`
      )
    }
    const specs: ReadonlyArray<ResourceSpec> = yield* Either.isLeft(definition.resources)
      ? Effect.fail(definition.resources.left)
      : Effect.succeed(definition.resources.right)
    return yield* expand(
      {
        file: config.file,
        directory: config.directory,
        cloudflareZone: config.providers.cloudflare?.zone,
        scale: options?.scale
      },
      specs
    )
  })
