import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { repository } from "./support/Cli.js"

const readme = fs.readFileSync(path.join(repository, "README.md"), "utf8")

describe("the README stays true", () => {
  it("quotes the library example exactly as the suite runs it", () => {
    const example = fs.readFileSync(path.join(repository, "test/LibraryExample.test.ts"), "utf8")
    assert.include(readme, "```ts\n" + example + "```")
  })

  it("names only scripts and example files that exist", () => {
    const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(repository, "package.json"), "utf8")).scripts)
    for (const [, name] of readme.matchAll(/npm run ([a-z:]+)/g)) assert.include(scripts, name)
    for (const [, file] of readme.matchAll(/(examples\/[\w./-]+\.kdl)/g)) {
      assert.isTrue(fs.existsSync(path.join(repository, file!)), `${file} exists`)
    }
    const ci = fs.readFileSync(path.join(repository, ".ci/run"), "utf8")
    assert.include(ci, "npm test")
    assert.include(readme, "npm test")
  })
})
