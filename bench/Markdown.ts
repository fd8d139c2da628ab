/**
 * The JSON lines of `npm run bench` as the Markdown tables of BENCHMARKS.md, one per section:
 *
 *   npm run bench > bench.jsonl && node dist/bench/Markdown.mjs bench.jsonl
 */
import * as Fs from "node:fs"
import type { Line, Ratio } from "./Report.js"

const isRatio = (line: Line): line is Ratio => line.unit === "ratio"

const number = (value: number) => (Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4))))

const shown = (line: Line) =>
  isRatio(line)
    ? `**${number(line.value)}** = ${number(line.numerator.value)} / ${number(line.denominator.value)} ${line.denominator.unit}`
    : `${number(line.value)} ${line.unit}${line.runs === undefined ? "" : ` (median of ${line.runs})`}`

const verdict = (line: Line) => (line.met === undefined ? "" : line.met ? "met" : "**missed**")

const sectionOf = (name: string) => name.split(".")[0] ?? name

const file = process.argv[2]
if (file === undefined) throw new Error("usage: node dist/bench/Markdown.mjs FILE.jsonl")
const lines = Fs.readFileSync(file, "utf8")
  .split("\n")
  .filter((text) => text.startsWith("{"))
  .map((text) => JSON.parse(text) as Line)

const sections = [...new Set(lines.map((line) => sectionOf(line.name)))]
for (const section of sections) {
  process.stdout.write(`\n| ${section} | value | target | |\n|---|---|---|---|\n`)
  for (const line of lines.filter((item) => sectionOf(item.name) === section)) {
    process.stdout.write(`| \`${line.name}\` | ${shown(line)} | ${line.target ?? ""} | ${verdict(line)} |\n`)
  }
}
