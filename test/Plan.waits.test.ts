import { assert, describe, it } from "@effect/vitest"
import * as CloudflareProvider from "../src/Cloudflare/Provider.js"
import { type Current, type Planned, waits } from "../src/Plan/Waits.js"
import { type Inputs, makeKey } from "../src/Resource.js"

const dns = (name: string, type: string): Inputs => ({ zone: "example.com", name, type, content: "x" })
const key = (name: string, type: string) => makeKey("dns", `${name}/${type}`)

const current = (entries: ReadonlyArray<readonly [string, Current]>) => new Map(entries)

const action = (tag: Planned["_tag"], name: string, type: string, dependsOn: ReadonlyArray<string> = []): Planned => ({
  key: key(name, type),
  _tag: tag,
  type: "dns",
  dependsOn,
  ...(tag === "Delete" ? {} : { inputs: dns(name, type) })
})

describe("the waits between actions", () => {
  it("a record of a name a CNAME frees waits for its delete; an AAAA beside an A does not wait", () => {
    const before = current([
      [key("cn.example.com", "CNAME"), { type: "dns", inputs: dns("cn.example.com", "CNAME"), dependsOn: [] }],
      [key("ip.example.com", "A"), { type: "dns", inputs: dns("ip.example.com", "A"), dependsOn: [] }]
    ])
    const actions = [
      action("Delete", "cn.example.com", "CNAME"),
      action("Create", "cn.example.com", "A"),
      action("Delete", "ip.example.com", "A"),
      action("Create", "ip.example.com", "AAAA")
    ]
    const found = waits(actions, before, CloudflareProvider.claims)
    assert.deepStrictEqual([...found], [[key("cn.example.com", "A"), [key("cn.example.com", "CNAME")]]])
  })

  it("names are compared as DNS compares them, without case", () => {
    const before = current([
      [key("CN.example.com", "CNAME"), { type: "dns", inputs: dns("CN.example.com", "CNAME"), dependsOn: [] }]
    ])
    const actions = [action("Delete", "CN.example.com", "CNAME"), action("Create", "cn.example.com", "TXT")]
    assert.strictEqual(waits(actions, before, CloudflareProvider.claims).size, 1)
  })

  it("a wait that would close a cycle is left out, so the apply cannot deadlock", () => {
    const freed = key("cn.example.com", "CNAME")
    const taker = key("cn.example.com", "A")
    const before = current([[freed, { type: "dns", inputs: dns("cn.example.com", "CNAME"), dependsOn: [] }]])
    // The replaced CNAME's new version depends on the A record that wants its name.
    const actions = [action("Replace", "cn.example.com", "CNAME", [taker]), action("Create", "cn.example.com", "A")]
    assert.strictEqual(waits(actions, before, CloudflareProvider.claims).size, 0)
  })
})
