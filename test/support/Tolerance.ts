/**
 * Whether a client reads a tool's real output tolerantly: a cloud made by applying a fleet
 * through the simulator, the client's answer and `getState`'s observation with one command's
 * output edited, and the check that an unread field, removed, or an unknown one, added, changes
 * neither, while a required one, removed, is named.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import * as NodePath from "node:path"
import * as Config from "../../src/Config.js"
import * as Fleet from "../../src/Fleet.js"
import { CloudProvider } from "../../src/Provider.js"
import type { ResourceKey, StoredResource } from "../../src/Resource.js"
import * as State from "../../src/State.js"
import { folder } from "../fixtures/config/support.js"
import { runOptions } from "./Desired.js"
import { type FieldPath, holds, shown, unreadFields, without } from "./SchemaFields.js"

export const scope = { project: "shop", stage: "dev" }

/** What the fleet in `files` (`fleet.kdl` and what it names) made in stage `dev`, applied through `provider`. */
export const appliedFleet = (files: Record<string, string>, provider: Layer.Layer<CloudProvider>) =>
  Effect.gen(function* () {
    const config = yield* Config.load(NodePath.join(folder(files), "fleet.kdl"))
    const desired = yield* Config.desiredResources(config, "dev")
    yield* Fleet.up({ config, stage: "dev", desired }, runOptions())
    const file = yield* Effect.flatMap(State.StateStore, (state) => state.read)
    return State.resourcesOfStage(Option.getOrThrow(file), "dev")
  }).pipe(Effect.provide(Layer.mergeAll(provider, State.layerMemory(), NodeFileSystem.layer)))

export type Edit = (output: unknown) => unknown

/** What a client decoded from an output, and what `getState` observed with the same output. */
export interface Reading {
  readonly decoded: Exit.Exit<unknown, { readonly reason: string; readonly message: string }>
  readonly observed: Exit.Exit<unknown, unknown>
}

/**
 * Checks one command's output against the schema that reads it: `read` runs the client and
 * `getState` with the output passed through an edit. Each unread field of the real output,
 * removed, and an unknown field added (by `withUnknown`), change neither; each path of
 * `required`, removed, is a failure of reason `failed` that names the field.
 */
export const checkTolerance = (options: {
  readonly name: string
  readonly output: Schema.Schema.Any
  readonly required: ReadonlyArray<FieldPath>
  readonly withUnknown: Edit
  readonly read: (edit: Edit) => Effect.Effect<Reading>
}) =>
  Effect.gen(function* () {
    const { name, read } = options
    let printed: unknown
    const baseline = yield* read((output) => {
      printed = output
      return output
    })
    assert.isDefined(printed, `${name} was run`)
    assert.isTrue(Exit.isSuccess(baseline.decoded), `${name} decodes as printed`)
    assert.isTrue(Exit.isSuccess(baseline.observed), "getState reads the cloud as printed")
    const same = (what: string, edit: Edit) =>
      Effect.gen(function* () {
        const edited = yield* read(edit)
        assert.deepStrictEqual(edited.decoded, baseline.decoded, `${name} ${what}: the client decodes the same`)
        assert.deepStrictEqual(edited.observed, baseline.observed, `${name} ${what}: getState observes the same`)
      })
    for (const path of unreadFields(options.output, printed)) {
      yield* same(`without ${shown(path)}`, (output) => without(output, path))
    }
    yield* same("with an unknown field", options.withUnknown)

    for (const path of options.required) {
      assert.isTrue(holds(printed, path), `the simulator's ${name} prints ${shown(path)}`)
      const edited = yield* read((output) => without(output, path))
      const failure = Exit.isFailure(edited.decoded) ? Cause.failureOption(edited.decoded.cause) : Option.none()
      assert.isTrue(Option.isSome(failure), `${name} without ${shown(path)} fails`)
      if (Option.isSome(failure)) {
        assert.strictEqual(failure.value.reason, "failed")
        assert.include(failure.value.message, `${path.at(-1)}: is missing`, `${name} without ${shown(path)}`)
      }
    }
  })

/** The answer of `call` on the client `make` builds, and `getState` of `resources` from `provider`, over `tools`. */
export const reading = <S, R>(
  tools: Layer.Layer<R>,
  make: Effect.Effect<S, never, R>,
  call: (client: S) => Effect.Effect<unknown, { readonly reason: string; readonly message: string }>,
  provider: Layer.Layer<CloudProvider, never, R>,
  resources: ReadonlyMap<ResourceKey, StoredResource>
): Effect.Effect<Reading> =>
  Effect.gen(function* () {
    const decoded = yield* Effect.exit(Effect.flatMap(make, call).pipe(Effect.provide(tools)))
    const observed = yield* Effect.exit(
      Effect.flatMap(CloudProvider, (service) => service.getState(scope, resources)).pipe(
        Effect.provide(Layer.provide(provider, tools))
      )
    )
    return { decoded, observed }
  })
