/**
 * Summarises a V8 CPU profile of the bench bundle: self time by function and by file, with
 * positions in the bundle mapped back to `src/*.ts` through its source map.
 *
 *   node --cpu-prof --cpu-prof-dir=prof dist/bench/Main.mjs --sizes 1600 --stores memory --no-startup
 *   node dist/bench/Profile.mjs prof/*.cpuprofile [--top 30]
 */
import * as Fs from "node:fs"
import { SourceMap } from "node:module"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber: number
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "30" } }
})

const maps = new Map<string, SourceMap | undefined>()
const mapFor = (file: string): SourceMap | undefined => {
  if (!maps.has(file)) {
    const path = `${file}.map`
    maps.set(file, Fs.existsSync(path) ? new SourceMap(JSON.parse(Fs.readFileSync(path, "utf8"))) : undefined)
  }
  return maps.get(file)
}

const cwd = process.cwd()

/** `src/Apply.ts:123` for bundled project code, `node_modules/effect/...js:45` for the rest. */
const locate = (frame: CallFrame): string => {
  if (!frame.url.startsWith("file://")) return frame.url === "" ? "(native)" : frame.url
  const file = fileURLToPath(frame.url)
  const map = /\.[cm]js$/.test(file) ? mapFor(file) : undefined
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber)
  if (entry !== undefined && "originalSource" in entry) {
    const source = entry.originalSource.startsWith("file://")
      ? fileURLToPath(entry.originalSource)
      : NodePath.resolve(NodePath.dirname(file), entry.originalSource)
    return `${NodePath.relative(cwd, source)}:${entry.originalLine + 1}`
  }
  return `${NodePath.relative(cwd, file)}:${frame.lineNumber + 1}`
}

const summarise = (profile: CpuProfile, top: number) => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<number, number>()
  profile.samples.forEach((id, index) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0))
  })
  const total = [...self.values()].reduce((sum, micros) => sum + micros, 0)
  const byFunction = new Map<string, number>()
  const byFile = new Map<string, number>()
  for (const [id, micros] of self) {
    const frame = byId.get(id)!.callFrame
    const where = locate(frame)
    const name = `${frame.functionName || "(anonymous)"}  ${where}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros)
    const file = where.replace(/:\d+$/, "")
    byFile.set(file, (byFile.get(file) ?? 0) + micros)
  }
  const show = (title: string, entries: Map<string, number>) => {
    process.stdout.write(`\n${title}\n`)
    for (const [name, micros] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      const share = ((micros / total) * 100).toFixed(1).padStart(5)
      process.stdout.write(`${(micros / 1000).toFixed(0).padStart(8)} ms ${share}%  ${name}\n`)
    }
  }
  process.stdout.write(`sampled ${(total / 1000).toFixed(0)} ms\n`)
  show("self time by function", byFunction)
  show("self time by file", byFile)
}

const top = Number(values.top)
for (const file of positionals) {
  process.stdout.write(`\n== ${file}\n`)
  summarise(JSON.parse(Fs.readFileSync(file, "utf8")) as CpuProfile, top)
}
