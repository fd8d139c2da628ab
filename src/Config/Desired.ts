/**
 * A stage's specs expanded into desired resources, each by the kind of its node: one per server, disk, SSH key,
 * startup script, bucket, custom domain, worker, Pages project and DNS record, with the inputs the providers read,
 * each built as its model declares it, and the dependencies the engine orders by.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type * as CloudflareModel from "../Cloudflare/Model.js"
import {
  Collector,
  type ConfigError,
  type Entry,
  everyErrorEffect,
  type ExpandContext,
  type Expansion
} from "../Declaration.js"
import type { DesiredResource } from "../Resource.js"
import type * as SakuraNodes from "../Sakura/Nodes.js"
import { kinds, type ResourceSpec, stageChecks, stageView } from "./Resources.js"

type Holds<Check extends true> = Check

/**
 * The DNS records a server declares are Cloudflare's, field for field: a record Cloudflare's model would not
 * take, or a field it lacks, does not compile.
 */
export type HostRecordsAreCloudflareRecords = Holds<
  [SakuraNodes.HostRecord, keyof SakuraNodes.HostRecord] extends [
    CloudflareModel.Declared["dns"],
    keyof CloudflareModel.Declared["dns"]
  ]
    ? true
    : false
>

export const expand = (
  context: ExpandContext,
  specs: ReadonlyArray<ResourceSpec>
): Effect.Effect<ReadonlyArray<DesiredResource>, ConfigError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    // Every kind starts before any resource is expanded: a server's `--scale` count is checked first.
    const started = yield* everyErrorEffect(kinds, (kind) =>
      Effect.map(
        kind.expansion(
          context,
          specs.filter((spec) => spec.type === kind.type)
        ),
        (expansion) => [kind.type, expansion] as const
      )
    )
    const expansions = new Map<string, Expansion<ResourceSpec, never>>(started)
    const stage = stageView(
      [...expansions].flatMap(([type, expansion]) => expansion.entries.map((entry): [string, Entry] => [type, entry]))
    )
    // Each kind adds to it as its own cloud's models declare: none is checked here.
    const collector = new Collector<never>()
    // Each spec is expanded whatever the others found, and what did expand is checked across the stage:
    // every error of the stage comes out in one run.
    const steps = [
      everyErrorEffect(specs, (spec) => expansions.get(spec.type)!.expand(spec, collector, stage)),
      Effect.suspend(() => everyErrorEffect(stageChecks, (check) => check(collector.resources, context.file)))
    ]
    yield* everyErrorEffect(steps, (step) => step)
    return collector.resources
  })
