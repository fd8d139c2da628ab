/**
 * A kind of resource node (`server`, `r2-bucket`, …): how its KDL node is decoded into a spec, how the spec is
 * checked against the rest of its stage, and how it expands into desired resources. Each cloud lists its kinds
 * in its `Nodes.ts`; the configuration reaches the other kinds of a stage only through a `StageView`.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type { Collector, ExpandContext } from "./Collector.js"
import type { ConfigError, Location } from "./ConfigError.js"
import type { DesiredResource } from "../Resource.js"
import type { KdlNode } from "./KdlNode.js"
import type { DecodeContext } from "./ResourceFields.js"

/** What every decoded resource node is: its kind's spec type, its name and where it is declared. */
export interface Spec {
  readonly type: string
  readonly name: string
  readonly at: Location
}

/** A declaration as the other declarations of its stage see it: its name, and the resources' names it stands for. */
export interface Entry {
  readonly name: string
  readonly names: ReadonlyArray<string>
}

/** The declarations of a stage of one spec type (`server`, `r2`), in declared order. */
export type StageView = (type: string) => ReadonlyArray<Entry>

/** The stage's declarations of one kind, ready to expand: what they stand for, and the expansion of each. */
export interface Expansion<S extends Spec, Declared> {
  readonly entries: ReadonlyArray<Entry>
  expand(
    spec: S,
    collector: Collector<Declared>,
    stage: StageView
  ): Effect.Effect<void, ConfigError, FileSystem.FileSystem>
}

export interface NodeKind<S extends Spec, Declared> {
  /** The KDL node's name. */
  readonly node: string
  /** The `type` of its specs. */
  readonly type: S["type"]
  /** Other spellings of its fields that a stage's override replaces too: alias → canonical. */
  readonly aliases: Readonly<Record<string, string>>
  decode(context: DecodeContext, node: KdlNode): Either.Either<S, ConfigError>
  /** The names its resources may take whatever count is asked for: what a reference may name. Its name if absent. */
  names?(spec: S): ReadonlyArray<string>
  /** Checks a spec against the other declarations of its stage, once every one is decoded. */
  settle?(spec: S, stage: StageView): Either.Either<S, ConfigError>
  /** Starts expanding the stage's specs of this kind, all of them at once: they may share resources. */
  expansion(context: ExpandContext, specs: ReadonlyArray<S>): Effect.Effect<Expansion<S, Declared>, ConfigError>
}

/** Checks what a whole stage declares, across its node kinds, once every resource is expanded. */
export type StageCheck = (resources: ReadonlyArray<DesiredResource>, file: string) => Effect.Effect<void, ConfigError>

/** The expansion of specs that each stand for their own name and share nothing. */
export const eachAlone =
  <S extends Spec, Declared>(
    expand: (
      context: ExpandContext,
      spec: S,
      collector: Collector<Declared>,
      stage: StageView
    ) => Effect.Effect<void, ConfigError, FileSystem.FileSystem>
  ) =>
  (context: ExpandContext, specs: ReadonlyArray<S>): Effect.Effect<Expansion<S, Declared>, ConfigError> =>
    Effect.succeed({
      entries: specs.map((spec) => ({ name: spec.name, names: [spec.name] })),
      expand: (spec, collector, stage) => expand(context, spec, collector, stage)
    })
