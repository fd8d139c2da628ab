/**
 * What a command prints on success: nothing for commands without `--output-type`, the IDs
 * with `--quiet`, usacloud's JSON, or its table of ID, name and zone.
 */
import { boolFlag, stringFlag } from "./Args.js"
import { renderJson } from "./Shapes.js"
import { type Context, envValue } from "./Context.js"

export interface Output {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

const printable = (context: Context) => context.invocation.spec.flags["output-type"] !== undefined

export const print = (context: Context, values: ReadonlyArray<Record<string, unknown>>, warnings: string): Output => {
  if (!printable(context)) return { exitCode: 0, stdout: "", stderr: warnings }
  const type = stringFlag(context.invocation, "output-type") ?? envValue(context.env, "DEFAULT_OUTPUT_TYPE") ?? "table"
  if (boolFlag(context.invocation, "quiet")) {
    return { exitCode: 0, stdout: values.map((value) => `${String(value.ID ?? "")}\n`).join(""), stderr: warnings }
  }
  if (type === "json") return { exitCode: 0, stdout: renderJson(values), stderr: warnings }
  if (values.length === 0) return { exitCode: 0, stdout: "", stderr: warnings }
  const rows = values.map((value) => [
    String(value.ID ?? value.AccountID ?? ""),
    String(value.Name ?? value.AccountName ?? ""),
    typeof value.Zone === "string" ? value.Zone : ((value.Zone as { Name?: string } | undefined)?.Name ?? "")
  ])
  const header = ["ID", "Name", "Zone"]
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
  const line = (cells: ReadonlyArray<string>) => `| ${cells.map((cell, at) => cell.padEnd(widths[at]!)).join(" | ")} |`
  const rule = `+${widths.map((width) => "-".repeat(width + 2)).join("+")}+`
  return {
    exitCode: 0,
    stdout: [rule, line(header), rule, ...rows.map(line), rule].join("\n") + "\n",
    stderr: warnings
  }
}
