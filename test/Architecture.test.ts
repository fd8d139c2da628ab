/**
 * The shape of `src/`: no import cycles (type-only and lazy imports included), no file over
 * 450 lines and no function over 100, and the configuration and the providers apart: they meet
 * only in the clouds' models and nodes, over the declaration kit below both.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import ts from "typescript"

const root = Path.resolve(import.meta.dirname, "../src")
const maxFileLines = 450
const maxFunctionLines = 100

const sources = (directory: string): ReadonlyArray<string> =>
  Fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(directory, entry.name)
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith(".ts") ? [path] : []
  })

const files = sources(root).map((path) => {
  const text = Fs.readFileSync(path, "utf8")
  return {
    name: Path.relative(root, path).split(Path.sep).join("/"),
    path,
    text,
    source: ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)
  }
})

/** Every relative module a file names: `import`, `import type`, `export … from` and `import()`. */
const importsOf = (file: (typeof files)[number]): ReadonlyArray<string> => {
  const specifiers: Array<string> = []
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
      if (ts.isStringLiteral(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier.text)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments
      if (argument !== undefined && ts.isStringLiteral(argument)) specifiers.push(argument.text)
    }
    ts.forEachChild(node, visit)
  }
  visit(file.source)
  return specifiers
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => Path.resolve(Path.dirname(file.path), specifier.replace(/\.js$/, ".ts")))
}

/** Strongly connected components with more than one module (or a module importing itself). */
const cycles = (graph: ReadonlyMap<string, ReadonlyArray<string>>): ReadonlyArray<ReadonlyArray<string>> => {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const found: Array<ReadonlyArray<string>> = []
  const connect = (node: string) => {
    index.set(node, next)
    low.set(node, next)
    next++
    stack.push(node)
    onStack.add(node)
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        connect(target)
        low.set(node, Math.min(low.get(node)!, low.get(target)!))
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!))
    }
    if (low.get(node) !== index.get(node)) return
    const component: Array<string> = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== node)
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort())
  }
  for (const node of graph.keys()) if (!index.has(node)) connect(node)
  return found
}

const linesOf = (source: ts.SourceFile, node: ts.Node) =>
  source.getLineAndCharacterOfPosition(node.getEnd()).line -
  source.getLineAndCharacterOfPosition(node.getStart(source)).line +
  1

const functionName = (node: ts.FunctionLikeDeclaration): string => {
  if (node.name !== undefined) return node.name.getText()
  let parent: ts.Node = node.parent
  // `Effect.gen(function* () { … })` and other calls: named after what the call is assigned to.
  while (ts.isCallExpression(parent) || ts.isParenthesizedExpression(parent) || ts.isArrowFunction(parent))
    parent = parent.parent
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    return parent.name.getText()
  return "(anonymous)"
}

/** Function-like nodes longer than the limit, as `file name (lines)`. */
const longFunctions = (file: (typeof files)[number]) => {
  const found: Array<{ readonly id: string; readonly lines: number }> = []
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
      const lines = linesOf(file.source, node)
      if (lines > maxFunctionLines) found.push({ id: `${file.name} ${functionName(node)}`, lines })
    }
    ts.forEachChild(node, visit)
  }
  visit(file.source)
  return found
}

/** Module names relative to `src/`, without `.ts`: `Config/Desired`, `Sakura/Model/Server`. */
const moduleName = (path: string) => Path.relative(root, path).split(Path.sep).join("/").replace(/\.ts$/, "")

const isConfig = (name: string) => name === "Config" || name.startsWith("Config/")
const isCloud = (name: string) => name.startsWith("Sakura/") || name.startsWith("Cloudflare/")
const isKit = (name: string) => name === "Declaration" || name.startsWith("Declaration/")
/** What the configuration may import from a cloud: the façades of its models and of its nodes. */
const isCloudFacade = (name: string) => /^(Sakura|Cloudflare)\/(Model|Nodes)$/.test(name)
const isNodes = (name: string) => /^(Sakura|Cloudflare)\/Nodes(\/.*)?$/.test(name)

/** Whether `from` may not import `to`: the rules that keep the configuration, the kit and the providers apart. */
const crosses = (from: string, to: string) =>
  (isCloud(from) && isConfig(to)) ||
  (isConfig(from) && isCloud(to) && !isCloudFacade(to)) ||
  (isKit(from) && (isConfig(to) || isCloud(to))) ||
  (isCloud(from) && isKit(to) && !isNodes(from))

/** Imports that break those rules, as `from → to`. */
const crossings = files.flatMap((file) => {
  const from = moduleName(file.path)
  return importsOf(file)
    .map((path) => moduleName(path))
    .filter((to) => crosses(from, to))
    .map((to) => `${from} → ${to}`)
})

describe("the shape of src/", () => {
  it("has no import cycle", () => {
    const graph = new Map(files.map((file) => [file.path, importsOf(file)] as const))
    const found = cycles(graph).map((component) =>
      component.map((path) => Path.relative(root, path).split(Path.sep).join("/")).join(" → ")
    )
    assert.deepStrictEqual(found, [], `import cycles:\n${found.join("\n")}`)
  })

  it(`has no file over ${maxFileLines} lines`, () => {
    const over = files.filter((file) => file.text.split("\n").length > maxFileLines).map((file) => file.name)
    assert.deepStrictEqual(over, [], "split these files along their seams, or put a data table in a module of its own")
  })

  it(`has no function over ${maxFunctionLines} lines`, () => {
    const over = files.flatMap((file) => longFunctions(file).map((found) => `${found.id} (${found.lines} lines)`))
    assert.deepStrictEqual(over, [], "split these functions")
  })

  it("keeps the configuration and the providers apart: they share only the clouds' models and nodes", () => {
    assert.deepStrictEqual(
      crossings,
      [],
      "a cloud never imports Config/, and only its Nodes import the kit (Declaration); Config/ imports from a cloud " +
        "only its Model and Nodes; the kit imports neither Config/ nor a cloud"
    )
  })
})
