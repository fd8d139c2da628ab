/**
 * How a plan and its errors read to a person: Terraform's layout with FleetFlow's resource keys.
 * Everything here is a pure function from data to text; writing it out is the caller's job.
 */
import { type DiffLine, lineDiff } from "./LineDiff.js"
import {
  type Action,
  adoptedOf,
  changesOf,
  type Drift,
  type Existing,
  type FieldChange,
  isUnknown,
  type Plan,
  type Summary
} from "./Plan.js"
import { type ProviderError, type ProviderProblem, problemsOf } from "./Provider.js"
import { equalJson, isReference, showReference } from "./Resource.js"

/** Color only on a terminal and when NO_COLOR is unset: the caller decides. */
export interface Style {
  readonly color: boolean
}

const green = "32"
const yellow = "33"
const red = "31"
const bold = "1"

const paint = (style: Style, code: string, text: string): string =>
  style.color ? `\u001b[${code}m${text}\u001b[0m` : text

const escapes: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f", "\u001b": "\\e" }

/**
 * The text with control characters spelled out (`\n`, `\e`, `\u0007`), so that nothing read
 * from a config file or a cloud can move the cursor or recolor the terminal. Tabs stay.
 */
export const printable = (text: string): string => {
  let out = ""
  for (const char of text) {
    const code = char.codePointAt(0)!
    if (char === "\t" || !(code < 0x20 || (code >= 0x7f && code < 0xa0))) out += char
    else out += escapes[char] ?? `\\u${code.toString(16).padStart(4, "0")}`
  }
  return out
}

const quote = (text: string): string => printable(JSON.stringify(text))

/** A script or other text: three lines or more, which the plan does not show whole. */
const severalLines = (text: string): boolean => text.split("\n", 3).length === 3

/** A text of several lines: its first line and its size, not the whole of it. */
const multiLine = (text: string): string | undefined => {
  if (!severalLines(text)) return undefined
  const lines = text.split("\n")
  const first = lines[0]!.length > 40 ? `${lines[0]!.slice(0, 40)}…` : lines[0]!
  return `${quote(first)} … (${lines.length} lines)`
}

const compactLimit = 60
const indentUnit = "    "
const identifier = /^[A-Za-z_][A-Za-z0-9_-]*$/

const showKey = (key: string): string => (identifier.test(key) ? key : quote(key))

const indent = (text: string): string =>
  text
    .split("\n")
    .map((line) => indentUnit + line)
    .join("\n")

type Shape =
  | { readonly _tag: "Scalar"; readonly text: string }
  | { readonly _tag: "Array"; readonly items: ReadonlyArray<unknown> }
  | { readonly _tag: "Object"; readonly entries: ReadonlyArray<readonly [string, unknown]> }

const shapeOf = (v: unknown, ancestors: ReadonlyArray<object>): Shape => {
  if (v === null || v === undefined) return { _tag: "Scalar", text: "null" }
  if (typeof v === "string") return { _tag: "Scalar", text: multiLine(v) ?? quote(v) }
  if (typeof v !== "object") return { _tag: "Scalar", text: printable(String(v)) }
  if (ancestors.includes(v)) return { _tag: "Scalar", text: "(circular)" }
  if (isUnknown(v)) return { _tag: "Scalar", text: "(known after apply)" }
  if (isReference(v)) return { _tag: "Scalar", text: printable(showReference(v)) }
  if (Array.isArray(v)) return { _tag: "Array", items: v }
  const toJSON = (v as { readonly toJSON?: unknown }).toJSON
  if (typeof toJSON === "function") return shapeOf(toJSON.call(v), [...ancestors, v])
  return { _tag: "Object", entries: Object.entries(v) }
}

const compact = (v: unknown, ancestors: ReadonlyArray<object>): string => {
  const shape = shapeOf(v, ancestors)
  const inner = [...ancestors, v as object]
  switch (shape._tag) {
    case "Scalar":
      return shape.text
    case "Array":
      return `[${shape.items.map((item) => compact(item, inner)).join(", ")}]`
    case "Object":
      return shape.entries.length === 0
        ? "{}"
        : `{ ${shape.entries.map(([key, item]) => `${showKey(key)} = ${compact(item, inner)}`).join(", ")} }`
  }
}

const render = (v: unknown, ancestors: ReadonlyArray<object>): string => {
  const short = compact(v, ancestors)
  if (short.length <= compactLimit) return short
  const shape = shapeOf(v, ancestors)
  const inner = [...ancestors, v as object]
  switch (shape._tag) {
    case "Scalar":
      return shape.text
    case "Array":
      return `[\n${shape.items.map((item) => `${indent(render(item, inner))},`).join("\n")}\n]`
    case "Object": {
      const keys = shape.entries.map(([key]) => showKey(key))
      const width = Math.max(...keys.map((key) => key.length))
      const lines = shape.entries.map(
        ([, item], index) => `${indent(`${keys[index]!.padEnd(width)} = ${render(item, inner)}`)}`
      )
      return `{\n${lines.join("\n")}\n}`
    }
  }
}

/**
 * One JSON value as the plan shows it: strings quoted, `(known after apply)` for a value known only
 * after apply, a reference as `server.creo-dev-01.ip`, arrays and objects on one line while that
 * line fits in 60 characters, else one item per line, indented by four.
 */
export const value = (v: unknown): string => render(v, [])

/** Rows padded into columns two spaces apart; the first row is the header, bold on a terminal. */
export const columns = (rows: ReadonlyArray<ReadonlyArray<string>>, style: Style): string => {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows
    .map((row, index) => {
      const line = row
        .map((text, column) => text.padEnd(widths[column]!))
        .join("  ")
        .trimEnd()
      return index === 0 ? paint(style, bold, line) : line
    })
    .join("\n")
}

const countWords = {
  planned: { adopt: "to adopt", add: "to add", change: "to change", destroy: "to destroy", forget: "to forget" },
  done: { adopt: "adopted", add: "added", change: "changed", destroy: "destroyed", forget: "forgotten" }
} as const

/**
 * `N to add, N to change, N to destroy.` (`planned`) or `N added, N changed, N destroyed.` (`done`),
 * with what is adopted and forgotten when there is any.
 */
export const counts = (summary: Summary, tense: keyof typeof countWords = "planned"): string => {
  const words = countWords[tense]
  return `${summary.adopt === undefined ? "" : `${summary.adopt} ${words.adopt}, `}${summary.add} ${words.add}, ${
    summary.change
  } ${words.change}, ${summary.destroy} ${words.destroy}${
    summary.forget === undefined ? "" : `, ${summary.forget} ${words.forget} (left in place)`
  }.`
}

export const summaryLine = (summary: Summary): string => `Plan: ${counts(summary)}`

type Sign = "+" | "~" | "-"

const signColor: Record<Sign, string> = { "+": green, "~": yellow, "-": red }

interface Row {
  readonly sign: Sign
  readonly field: string
  readonly text: string
  readonly forcesReplace: boolean
  /** A changed text of several lines, as the lines it differs by (`text` opens it). */
  readonly diff?: ReadonlyArray<DiffLine>
}

const rowOf = (change: FieldChange): Row => {
  const base = { field: printable(change.field), forcesReplace: change.forcesReplace }
  if (change.before === undefined) return { ...base, sign: "+", text: value(change.after) }
  if (change.after === undefined) return { ...base, sign: "-", text: `${value(change.before)} -> null` }
  return { ...base, sign: "~", text: `${value(change.before)} -> ${value(change.after)}` }
}

/** An object or array whose parts can be compared one by one: not a reference, nor a value known after apply. */
const nested = (v: unknown): v is Readonly<Record<string, unknown>> | ReadonlyArray<unknown> =>
  typeof v === "object" && v !== null && !isUnknown(v) && !isReference(v)

/**
 * The parts of a changed object or array that differ, each on its row with its path (`cors.allowedOrigins`,
 * `bindings[1].name`), at any depth: a one-line change in a large object shows as that line. Arrays are compared
 * by index when they hold objects; a list of strings or numbers is shown whole, as it reads best.
 */
const partRows = (path: string, before: unknown, after: unknown, forcesReplace: boolean): ReadonlyArray<Row> => {
  const row = (change: { readonly before?: unknown; readonly after?: unknown }) =>
    rowOf({ field: path, forcesReplace, ...change } as FieldChange)
  if (before === undefined) return [row({ after })]
  if (after === undefined) return [row({ before })]
  if (equalJson(before, after)) return []
  if (typeof before === "string" && typeof after === "string" && (severalLines(before) || severalLines(after))) {
    return [{ sign: "~", field: path, text: "<<-EOT", forcesReplace, diff: lineDiff(before, after) }]
  }
  const bothArrays = Array.isArray(before) && Array.isArray(after)
  const bothObjects = nested(before) && nested(after) && !Array.isArray(before) && !Array.isArray(after)
  if (bothArrays && [...before, ...after].some((item) => nested(item))) {
    return Array.from({ length: Math.max(before.length, after.length) }, (_, index) =>
      partRows(`${path}[${index}]`, before[index], after[index], forcesReplace)
    ).flat()
  }
  if (!bothObjects) return [row({ before, after })]
  const objectBefore = before as Readonly<Record<string, unknown>>
  const objectAfter = after as Readonly<Record<string, unknown>>
  const keys = [...new Set([...Object.keys(objectBefore), ...Object.keys(objectAfter)])]
  return keys.flatMap((key) => partRows(`${path}.${showKey(key)}`, objectBefore[key], objectAfter[key], forcesReplace))
}

/** A changed field as rows: itself, or the parts of it that changed when it is an object or an array of them. */
const changeRows = (change: FieldChange): ReadonlyArray<Row> =>
  change.before === undefined || change.after === undefined
    ? [rowOf(change)]
    : partRows(printable(change.field), change.before, change.after, change.forcesReplace)

const rowsOf = (action: Action): ReadonlyArray<Row> => {
  switch (action._tag) {
    case "Create": {
      const changes: ReadonlyArray<FieldChange> =
        action.changes.length > 0
          ? action.changes
          : Object.entries(action.inputs).map(([field, after]) => ({ field, after, forcesReplace: false }))
      return changes.map((change) => ({
        sign: "+",
        field: printable(change.field),
        text: value(change.after),
        forcesReplace: false
      }))
    }
    case "Delete":
      return action.changes.map((change) => ({
        sign: "-",
        field: printable(change.field),
        text: value(change.before),
        forcesReplace: false
      }))
    case "Update":
    case "Replace":
      return action.changes.flatMap((change) => changeRows(change))
    case "NoOp":
      return []
  }
}

const headings: Record<Exclude<Action["_tag"], "NoOp">, { readonly verb: string; readonly sign: string }> = {
  Create: { verb: "will be created", sign: "  +" },
  Update: { verb: "will be updated in place", sign: "  ~" },
  Replace: { verb: "must be replaced", sign: "-/+" },
  Delete: { verb: "will be destroyed", sign: "  -" }
}

/** Column where a field name starts; continuation lines of a multi-line value start here. */
const fieldIndent = " ".repeat(8)

const diffLine = (line: DiffLine, style: Style): string => {
  switch (line._tag) {
    case "Hidden":
      return `${fieldIndent}    # (${line.count} unchanged line${line.count === 1 ? "" : "s"} hidden)`
    case "Same":
      return `${fieldIndent}    ${printable(line.text)}`.trimEnd()
    case "Removed":
      return `${fieldIndent}  ${paint(style, red, "-")} ${printable(line.text)}`
    case "Added":
      return `${fieldIndent}  ${paint(style, green, "+")} ${printable(line.text)}`
  }
}

/** A row as the plan prints it: sign, field padded to `width`, value, and a changed text's lines. */
const rowLines = (row: Row, width: number, style: Style, note = ""): ReadonlyArray<string> => {
  const [first = "", ...rest] = row.text.split("\n")
  return [
    `      ${paint(style, signColor[row.sign], row.sign)} ${row.field.padEnd(width)} = ${first}${note}`,
    ...rest.map((line) => fieldIndent + line),
    ...(row.diff === undefined ? [] : [...row.diff.map((line) => diffLine(line, style)), `${fieldIndent}EOT`])
  ]
}

/** Why an action waits for another, as the plan says it. */
const waitNote = (waited: Action | undefined, key: string): string =>
  waited?._tag === "Delete" || waited?._tag === "Replace"
    ? `after ${printable(key)} is destroyed: the cloud gives their name to one at a time`
    : `after ${printable(key)} is updated to stop using it`

/** What the plan says of an action whose resource exists already (see `Existing`) or that leaves its resource be. */
const specialHeading = (action: Action, adopted: ReadonlyMap<string, string>) => {
  const id = adopted.get(action.key)
  if (action._tag === "Create" && id !== undefined) {
    return { verb: `will be adopted: it exists (id ${printable(id)}) as the file declares it`, sign: "  +" }
  }
  if (action._tag === "Delete" && action.keep === true) {
    return { verb: "will be forgotten and left in place: FleetFlow used it but did not make it", sign: "  -" }
  }
  return undefined
}

const block = (
  action: Exclude<Action, { readonly _tag: "NoOp" }>,
  style: Style,
  byKey: ReadonlyMap<string, Action>,
  adopted: ReadonlyMap<string, string>
): string => {
  const heading = specialHeading(action, adopted) ?? headings[action._tag]
  const sign =
    action._tag === "Replace"
      ? `${paint(style, red, "-")}/${paint(style, green, "+")}`
      : paint(style, signColor[heading.sign.trim() as Sign], heading.sign)
  const rows = rowsOf(action)
  const width = Math.max(0, ...rows.map((row) => row.field.length))
  const lines = [
    `  ${paint(style, bold, `# ${printable(action.key)}`)} ${heading.verb}`,
    ...(action.waitsFor ?? []).map((key) => `  # (${waitNote(byKey.get(key), key)})`),
    `${sign} ${printable(action.type)} ${quote(action.name)} {`
  ]
  for (const row of rows) {
    lines.push(...rowLines(row, width, style, row.forcesReplace ? ` ${paint(style, red, "# forces replacement")}` : ""))
  }
  if (action._tag === "Update" || action._tag === "Replace") {
    const changed = new Set(action.changes.map((change) => change.field))
    const hidden = Object.keys(action.inputs).filter((field) => !changed.has(field)).length
    if (hidden > 0) lines.push(`${fieldIndent}# (${hidden} unchanged attribute${hidden === 1 ? "" : "s"} hidden)`)
  }
  lines.push("    }")
  return lines.join("\n")
}

/** A heading and the rows of fields that differ, in the same form as an action's. */
const differenceBlock = (heading: string, changes: Drift["changes"], style: Style): string => {
  const rows = changes.flatMap((change) => changeRows({ ...change, forcesReplace: false }))
  const width = Math.max(0, ...rows.map((row) => row.field.length))
  const lines = [heading]
  for (const row of rows) lines.push(...rowLines(row, width, style))
  return lines.join("\n")
}

/** What changed outside FleetFlow: from the state's value to the cloud's. */
const driftBlock = (drift: Drift, style: Style): string => {
  const key = paint(style, bold, `# ${printable(drift.key)}`)
  if (drift.kind === "deleted") return `  ${key} has been deleted`
  return differenceBlock(`  ${key} has changed`, drift.changes, style)
}

/** A resource to create that exists already and differs: from the cloud's value to the file's. */
const existingBlock = (existing: Existing, style: Style): string => {
  const key = paint(style, bold, `# ${printable(existing.key)}`)
  const id = `(id ${printable(existing.id)})`
  return differenceBlock(
    `  ${key} exists ${id} and differs from the file: ${paint(style, red, "up changes nothing")} until it is imported (\`fleetflow import ${printable(existing.key)} ${printable(existing.id)}\`) or removed`,
    existing.changes,
    style
  )
}

/** What the creates would meet that differs from the file; what they adopt is said by their actions. */
const existingSection = (plan: Plan, style: Style): ReadonlyArray<string> => {
  const differing = plan.existing.filter((existing) => existing.resolution === "refuse")
  return differing.length === 0
    ? []
    : [
        "Note: resources this plan creates exist already, outside the state, and differ from the file:",
        ...differing.map((existing) => existingBlock(existing, style))
      ]
}

const driftSection = (plan: Plan, style: Style): ReadonlyArray<string> =>
  plan.drift.length === 0
    ? []
    : [
        "Note: the refresh found changes made outside FleetFlow since the last apply:",
        ...plan.drift.map((drift) => driftBlock(drift, style)),
        "What follows brings them back to the configuration."
      ]

/** What nothing to do means: for `up`, that the clouds match the file; for `down`, that nothing is left to remove. */
const noChanges = (plan: Plan, command: "up" | "down") =>
  command === "up"
    ? "No changes. Your infrastructure matches the configuration."
    : `No changes. The state records nothing to destroy (project ${quote(plan.project)}, stage ${quote(plan.stage)}).\n` +
      "If the state was lost, `fleetflow state recover` records what the clouds still hold of the stage."

/**
 * The plan as Terraform would print it: what changed outside FleetFlow, one block per action
 * in the order given (NoOps left out), then the summary. `command` is what the plan is for. The
 * text has no trailing newline.
 */
export const plan = (plan: Plan, style: Style, command: "up" | "down" = "up"): string => {
  const actions = changesOf(plan) as ReadonlyArray<Exclude<Action, { readonly _tag: "NoOp" }>>
  const drift = [...driftSection(plan, style), ...existingSection(plan, style)]
  if (actions.length === 0) return [...drift, noChanges(plan, command)].join("\n\n")
  const summary = summaryLine(plan.summary)
  const byKey = new Map(plan.actions.map((action) => [action.key, action]))
  const adopted = adoptedOf(plan)
  return [
    ...drift,
    `FleetFlow will perform the following actions (project ${quote(plan.project)}, stage ${quote(plan.stage)}):`,
    ...actions.map((action) => block(action, style, byKey, adopted)),
    style.color ? paint(style, bold, "Plan:") + summary.slice("Plan:".length) : summary
  ].join("\n\n")
}

/** ` (code <code>)` to follow an error's message, unless the message says it already (Cloudflare's do). */
export const codeSuffix = (error: Pick<ProviderError, "message" | "code">): string =>
  error.code === undefined || error.message.includes(`(code ${error.code})`)
    ? ""
    : ` (code ${printable(String(error.code))})`

/** Each problem of the error as `Error: <operation> <key>: <message> (code <code>)`, then its hint indented by two. */
export const providerError = (error: ProviderError): string => problemsOf(error).map(providerProblem).join("\n\n")

const providerProblem = (error: ProviderProblem): string => {
  const code = codeSuffix(error)
  const [first = "", ...rest] = error.message.split("\n").map((line) => printable(line))
  const operation = error.operation.startsWith(`${error.provider} `)
    ? error.operation.slice(error.provider.length + 1)
    : error.operation
  // Clients that start their messages with what they were doing need not be repeated.
  const subject = first.startsWith(`${operation}`)
    ? (error.key ?? error.provider)
    : error.key === undefined
      ? `${error.provider} ${error.operation}`
      : `${error.operation} ${error.key}`
  const hint =
    error.hint === undefined || error.hint === "" ? [] : error.hint.split("\n").map((line) => printable(line))
  return [`Error: ${printable(subject)}: ${first}${code}`, ...[...rest, ...hint].map((line) => `  ${line}`)].join("\n")
}
