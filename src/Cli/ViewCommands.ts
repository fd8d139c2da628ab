/**
 * What an operator looks at rather than changes: `fleetflow output` (the addresses, URLs and IDs
 * the state records) and `fleetflow graph` (the stage's dependency graph, as DOT or Mermaid).
 * Neither reaches a cloud nor takes the lock.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Fleet from "../Fleet.js"
import * as Graph from "../Graph.js"
import * as Outputs from "../Outputs.js"
import * as State from "../State.js"
import { common, printJson, terminal } from "./Options.js"
import { desiredOf, openWorkspace, sandboxStateHint, withState } from "./Workspace.js"

/** The outputs of what an `up` created or changed, for its ending. */
export const appliedOutputs = (outcome: Fleet.Applied, stage: string): ReadonlyArray<Outputs.Output> =>
  Outputs.outputsOf(
    outcome.state.resources,
    stage,
    new Set(outcome.result.succeeded.flatMap(({ step }) => (step.operation === "delete" ? [] : [step.key])))
  )

/** The table that ends an `up`, or nothing when it created and changed nothing. */
export const outputsSection = (outputs: ReadonlyArray<Outputs.Output>): string =>
  outputs.length === 0 ? "" : `\n\nOutputs:\n\n${Outputs.table(outputs, { color: terminal.color() })}`

export const output = Command.make("output", common, (options) =>
  Effect.gen(function* () {
    const workspace = yield* openWorkspace(options)
    const stored = yield* withState(
      workspace,
      Effect.flatMap(State.StateStore, (store) => store.read)
    )
    const outputs = Option.match(stored, {
      onNone: () => [],
      onSome: (state) => Outputs.outputsOf(state.resources, workspace.stage)
    })
    if (outputs.length === 0) {
      yield* Effect.logWarning(
        `No outputs: the state holds no resources of stage "${workspace.stage}". Run \`fleetflow up\` to create them.` +
          (yield* sandboxStateHint(workspace))
      )
    }
    if (options.json) return yield* printJson({ stage: workspace.stage, outputs })
    if (outputs.length > 0) yield* Console.log(Outputs.table(outputs, { color: terminal.color() }))
  })
).pipe(
  Command.withDescription(
    "show each resource of the stage's state: its ID, addresses, URLs and names (from the state; no cloud is read). " +
      "--json prints { stage, outputs: [{ key, type, name, id, attributes }] }"
  )
)

const format = Options.choice("format", ["dot", "mermaid"]).pipe(
  Options.withDefault("dot" as const),
  Options.withDescription("Graphviz DOT (render with `dot -Tsvg`; the default) or a Mermaid flowchart")
)

export const graph = Command.make("graph", { ...common, format }, (options) =>
  Effect.gen(function* () {
    const workspace = yield* openWorkspace(options)
    const made = Graph.graphOf(yield* withState(workspace, desiredOf(workspace)))
    if (options.json) return yield* printJson({ stage: workspace.stage, ...made })
    yield* Console.log(
      options.format === "dot" ? Graph.dot(made, `${workspace.config.project} ${workspace.stage}`) : Graph.mermaid(made)
    )
  })
).pipe(
  Command.withDescription(
    "print the stage's dependency graph from the file: each resource, and an arrow to each resource it needs first"
  )
)
