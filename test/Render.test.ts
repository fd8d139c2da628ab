import { assert, describe, it } from "@effect/vitest"
import { Create, Delete, NoOp, Plan, Replace, summarize, Update, type Action } from "../src/Plan.js"
import { ProviderError } from "../src/Provider.js"
import * as Render from "../src/Render.js"
import { reference } from "../src/Resource.js"

const plain: Render.Style = { color: false }
const colored: Render.Style = { color: true }

const planOf = (actions: ReadonlyArray<Action>) =>
  new Plan({ project: "creo", stage: "dev", serial: 1, actions, summary: summarize(actions) })

const server = { provider: "sakura-cloud", type: "server", dependsOn: [] } as const

const create = new Create({
  ...server,
  key: "sakura-cloud:server:creo-dev-01",
  name: "creo-dev-01",
  inputs: { core: 4, memory: 8, disk: 40 },
  changes: [
    { field: "core", after: 4, forcesReplace: false },
    { field: "memory", after: 8, forcesReplace: false },
    { field: "disk", after: { $unknown: "disk.creo-dev-01.id" }, forcesReplace: false }
  ]
})

const update = new Update({
  ...server,
  key: "sakura-cloud:server:creo-vps",
  name: "creo-vps",
  id: "113700000001",
  inputs: { core: 2, memory: 8, zone: "is1a" },
  changes: [{ field: "memory", before: 4, after: 8, forcesReplace: false }]
})

const replace = new Replace({
  key: "cloudflare:r2:creo-attachments",
  provider: "cloudflare",
  type: "r2",
  name: "creo-attachments",
  dependsOn: [],
  id: "creo-attachments",
  inputs: { location: "WEUR" },
  changes: [{ field: "location", before: "APAC", after: "WEUR", forcesReplace: true }]
})

const remove = new Delete({
  key: "cloudflare:dns:api.example.com/A",
  provider: "cloudflare",
  type: "dns",
  name: "api.example.com/A",
  dependsOn: [],
  id: "rec-1",
  changes: [
    { field: "content", before: "203.0.113.4", forcesReplace: false },
    { field: "ttl", before: 300, forcesReplace: false }
  ]
})

const noop = new NoOp({ ...server, key: "sakura-cloud:server:creo-db", name: "creo-db", id: "2", changes: [] })

describe("Render.value", () => {
  it("quotes strings and shows scalars as JSON", () => {
    assert.strictEqual(Render.value("APAC"), '"APAC"')
    assert.strictEqual(Render.value('say "hi"'), '"say \\"hi\\""')
    assert.strictEqual(Render.value(4), "4")
    assert.strictEqual(Render.value(true), "true")
    assert.strictEqual(Render.value(null), "null")
  })

  it("shows unknown values and references", () => {
    assert.strictEqual(Render.value({ $unknown: "server.creo-dev-01.ip" }), "(known after apply)")
    assert.strictEqual(Render.value(reference("sakura-cloud:server:creo-dev-01", "ip")), "server.creo-dev-01.ip")
    assert.strictEqual(
      Render.value({ targets: [reference("sakura-cloud:server:web", "ip"), { $unknown: "x" }] }),
      "{ targets = [server.web.ip, (known after apply)] }"
    )
  })

  it("keeps short arrays and objects on one line", () => {
    assert.strictEqual(Render.value([80, 443]), "[80, 443]")
    assert.strictEqual(Render.value([]), "[]")
    assert.strictEqual(Render.value({}), "{}")
    assert.strictEqual(
      Render.value({ env: "dev", "cache-control": "no-store", "x.y": 1 }),
      '{ env = "dev", cache-control = "no-store", "x.y" = 1 }'
    )
  })

  it("spreads long arrays and objects over indented lines", () => {
    const origins = ["https://app.example.com", "https://admin.example.com", "https://api.example.com"]
    assert.strictEqual(
      Render.value(origins),
      [
        "[",
        '    "https://app.example.com",',
        '    "https://admin.example.com",',
        '    "https://api.example.com",',
        "]"
      ].join("\n")
    )
    assert.strictEqual(
      Render.value({ origins, maxAge: 3600 }),
      [
        "{",
        "    origins = [",
        '        "https://app.example.com",',
        '        "https://admin.example.com",',
        '        "https://api.example.com",',
        "    ]",
        "    maxAge  = 3600",
        "}"
      ].join("\n")
    )
  })

  it("spells out control characters instead of passing them to the terminal", () => {
    assert.strictEqual(Render.value("a\u001b[2Jb\u009bc"), '"a\\u001b[2Jb\\u009bc"')
    assert.strictEqual(Render.printable("tab\there\u0007"), "tab\there\\u0007")
  })
})

describe("Render.plan", () => {
  it("shows every kind of change, Terraform style", () => {
    const text = Render.plan(planOf([create, noop, update, replace, remove]), plain)
    assert.strictEqual(
      text,
      `FleetFlow will perform the following actions (project "creo", stage "dev"):

  # sakura-cloud:server:creo-dev-01 will be created
  + server "creo-dev-01" {
      + core   = 4
      + memory = 8
      + disk   = (known after apply)
    }

  # sakura-cloud:server:creo-vps will be updated in place
  ~ server "creo-vps" {
      ~ memory = 4 -> 8
        # (2 unchanged attributes hidden)
    }

  # cloudflare:r2:creo-attachments must be replaced
-/+ r2 "creo-attachments" {
      ~ location = "APAC" -> "WEUR" # forces replacement
    }

  # cloudflare:dns:api.example.com/A will be destroyed
  - dns "api.example.com/A" {
      - content = "203.0.113.4"
      - ttl     = 300
    }

Plan: 2 to add, 1 to change, 2 to destroy.`
    )
  })

  it("shows a create with references and multi-line values", () => {
    const record = new Create({
      key: "cloudflare:dns:api.example.com/A",
      provider: "cloudflare",
      type: "dns",
      name: "api.example.com/A",
      dependsOn: ["sakura-cloud:server:web"],
      inputs: {},
      changes: [
        { field: "content", after: { $unknown: "server.web.ip" }, forcesReplace: false },
        { field: "proxied", after: true, forcesReplace: false },
        { field: "comment", after: { $ref: "sakura-cloud:server:web", attribute: "hostname" }, forcesReplace: false },
        {
          field: "tags",
          after: ["managed-by:fleetflow", "project:creo", "stage:dev", "owner:platform-team"],
          forcesReplace: false
        }
      ]
    })
    assert.strictEqual(
      Render.plan(planOf([record]), plain),
      `FleetFlow will perform the following actions (project "creo", stage "dev"):

  # cloudflare:dns:api.example.com/A will be created
  + dns "api.example.com/A" {
      + content = (known after apply)
      + proxied = true
      + comment = server.web.hostname
      + tags    = [
            "managed-by:fleetflow",
            "project:creo",
            "stage:dev",
            "owner:platform-team",
        ]
    }

Plan: 1 to add, 0 to change, 0 to destroy.`
    )
  })

  it("marks added and removed fields of an update, and counts one hidden attribute", () => {
    const change = new Update({
      ...update,
      inputs: { memory: 8, core: 2, tags: ["web"] },
      changes: [
        { field: "tags", after: ["web"], forcesReplace: false },
        { field: "description", before: "old", forcesReplace: false },
        { field: "memory", before: 4, after: { $unknown: "x" }, forcesReplace: false }
      ]
    })
    assert.strictEqual(
      Render.plan(planOf([change]), plain),
      `FleetFlow will perform the following actions (project "creo", stage "dev"):

  # sakura-cloud:server:creo-vps will be updated in place
  ~ server "creo-vps" {
      + tags        = ["web"]
      - description = "old" -> null
      ~ memory      = 4 -> (known after apply)
        # (1 unchanged attribute hidden)
    }

Plan: 0 to add, 1 to change, 0 to destroy.`
    )
  })

  it("says so when nothing changes", () => {
    assert.strictEqual(Render.plan(planOf([noop]), plain), "No changes. Your infrastructure matches the configuration.")
    assert.strictEqual(Render.plan(planOf([]), colored), "No changes. Your infrastructure matches the configuration.")
    assert.strictEqual(
      Render.plan(planOf([noop]), plain, "down"),
      'No changes. The state records nothing to destroy (project "creo", stage "dev").\n' +
        "If the state was lost, `fleetflow state recover` records what the clouds still hold of the stage."
    )
  })

  it("has no escape codes without color", () => {
    const text = Render.plan(planOf([create, update, replace, remove]), plain)
    assert.isFalse(text.includes("\u001b"))
  })

  it("colors signs and bolds resource keys with color", () => {
    const text = Render.plan(planOf([create, update, replace, remove]), colored)
    assert.include(text, "  \u001b[1m# sakura-cloud:server:creo-dev-01\u001b[0m will be created")
    assert.include(text, '\u001b[32m  +\u001b[0m server "creo-dev-01" {')
    assert.include(text, "      \u001b[32m+\u001b[0m core   = 4")
    assert.include(text, "\u001b[33m  ~\u001b[0m server")
    assert.include(text, "      \u001b[33m~\u001b[0m memory = 4 -> 8")
    assert.include(text, '\u001b[31m-\u001b[0m/\u001b[32m+\u001b[0m r2 "creo-attachments" {')
    assert.include(text, '"APAC" -> "WEUR" \u001b[31m# forces replacement\u001b[0m')
    assert.include(text, "\u001b[31m  -\u001b[0m dns")
    assert.include(text, "\u001b[1mPlan:\u001b[0m 2 to add, 1 to change, 2 to destroy.")
    // Stripping the escapes gives back the plain text: color never shifts the alignment.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escapes is the point
    const stripped = text.replace(/\u001b\[[0-9;]*m/g, "")
    assert.strictEqual(stripped, Render.plan(planOf([create, update, replace, remove]), plain))
  })
})

describe("Render.summaryLine", () => {
  it("counts adds, changes and destroys", () => {
    assert.strictEqual(
      Render.summaryLine({ add: 3, change: 1, destroy: 0 }),
      "Plan: 3 to add, 1 to change, 0 to destroy."
    )
  })

  it("says what is adopted and forgotten, planned and done", () => {
    const summary = { add: 1, change: 0, destroy: 2, forget: 1, adopt: 4 }
    assert.strictEqual(
      Render.summaryLine(summary),
      "Plan: 4 to adopt, 1 to add, 0 to change, 2 to destroy, 1 to forget (left in place)."
    )
    assert.strictEqual(
      Render.counts(summary, "done"),
      "4 adopted, 1 added, 0 changed, 2 destroyed, 1 forgotten (left in place)."
    )
  })
})

describe("Render.providerError", () => {
  it("names the operation and key, the code and the hint", () => {
    const error = new ProviderError({
      provider: "sakura-cloud",
      operation: "create",
      key: "sakura-cloud:server:web",
      reason: "invalid",
      message: "server plan not found in zone is1a",
      code: 400,
      hint: "pick a plan listed by `usacloud server-plan list`"
    })
    assert.strictEqual(
      Render.providerError(error),
      "Error: create sakura-cloud:server:web: server plan not found in zone is1a (code 400)\n" +
        "  pick a plan listed by `usacloud server-plan list`"
    )
  })

  it("gives the code once when the message already ends with it, as Cloudflare's errors do", () => {
    const error = new ProviderError({
      provider: "cloudflare",
      operation: "create",
      key: "cloudflare:r2:assets",
      reason: "invalid",
      message: 'r2 bucket create "assets": The bucket name is not valid. (code 10005)',
      code: 10005
    })
    assert.strictEqual(
      Render.providerError(error),
      'Error: create cloudflare:r2:assets: r2 bucket create "assets": The bucket name is not valid. (code 10005)'
    )
  })

  it("names the provider when there is no key, and leaves out what is absent", () => {
    const error = new ProviderError({
      provider: "cloudflare",
      operation: "getState",
      reason: "auth",
      message: "authentication error\ntoken lacks R2 read"
    })
    assert.strictEqual(
      Render.providerError(error),
      "Error: cloudflare getState: authentication error\n  token lacks R2 read"
    )
  })
})

describe("Render.providerError, of several clouds", () => {
  it("gives each problem reported with the error as an error of its own", () => {
    const error = new ProviderError({
      provider: "sakura-cloud",
      operation: "usacloud",
      reason: "failed",
      message: "usacloud could not be run",
      hint: "install usacloud",
      also: [
        { provider: "cloudflare", operation: "token verify", reason: "auth", message: "Invalid API Token", code: 1000 }
      ]
    })
    assert.strictEqual(
      Render.providerError(error),
      "Error: sakura-cloud: usacloud could not be run\n  install usacloud\n\n" +
        "Error: cloudflare token verify: Invalid API Token (code 1000)"
    )
  })
})

describe("Render.columns", () => {
  const rows = [
    ["SERVER", "ID", "IP", ""],
    ["web-01", "100000000008", "153.120.10.4", "(current)"],
    ["db", "9", "-", ""]
  ]

  it("pads each column to its widest cell, two spaces apart, with no trailing spaces", () => {
    assert.strictEqual(
      Render.columns(rows, plain),
      ["SERVER  ID            IP", "web-01  100000000008  153.120.10.4  (current)", "db      9             -"].join(
        "\n"
      )
    )
  })

  it("makes the header bold only when colour is on", () => {
    const [header, ...rest] = Render.columns(rows, colored).split("\n")
    assert.strictEqual(header, "\u001b[1mSERVER  ID            IP\u001b[0m")
    assert.notInclude(rest.join("\n"), "\u001b[")
  })
})

describe("Render.plan of a change inside an object", () => {
  const bucket = { provider: "cloudflare", type: "r2", dependsOn: [] } as const
  const cors = { allowedOrigins: ["https://a.example"], allowedMethods: ["GET", "PUT"], maxAge: 3600 }

  it("shows only the changed field of a nested object, with its path", () => {
    const change = new Update({
      ...bucket,
      key: "cloudflare:r2:files",
      name: "files",
      id: "files",
      inputs: { name: "files", cors: { ...cors, allowedOrigins: ["https://a.example", "https://b.example"] } },
      changes: [
        {
          field: "cors",
          before: cors,
          after: { ...cors, allowedOrigins: ["https://a.example", "https://b.example"] },
          forcesReplace: false
        }
      ]
    })
    assert.strictEqual(
      Render.plan(planOf([change]), plain),
      `FleetFlow will perform the following actions (project "creo", stage "dev"):

  # cloudflare:r2:files will be updated in place
  ~ r2 "files" {
      ~ cors.allowedOrigins = ["https://a.example"] -> ["https://a.example", "https://b.example"]
        # (1 unchanged attribute hidden)
    }

Plan: 0 to add, 1 to change, 0 to destroy.`
    )
  })

  it("goes to any depth, compares arrays of objects by index, and shows what is added or removed", () => {
    const before = {
      bindings: [
        { type: "r2", name: "FILES", bucket: "files" },
        { type: "var", name: "MODE", text: "dev" }
      ],
      limits: { cpu: { ms: 50, burst: true }, memory: 128 }
    }
    const after = {
      bindings: [
        { type: "r2", name: "FILES", bucket: "files" },
        { type: "var", name: "MODE", text: "live" },
        { type: "kv", name: "CACHE", namespace: "cache" }
      ],
      limits: { cpu: { ms: 100 }, memory: 128 }
    }
    const change = new Update({
      key: "cloudflare:worker:api",
      provider: "cloudflare",
      type: "worker",
      name: "api",
      dependsOn: [],
      id: "api",
      inputs: { settings: after },
      changes: [{ field: "settings", before, after, forcesReplace: false }]
    })
    const text = Render.plan(planOf([change]), plain)
    assert.include(
      text,
      `  ~ worker "api" {
      ~ settings.bindings[1].text = "dev" -> "live"
      + settings.bindings[2]      = { type = "kv", name = "CACHE", namespace = "cache" }
      ~ settings.limits.cpu.ms    = 50 -> 100
      - settings.limits.cpu.burst = true -> null
    }`
    )
    assert.notInclude(text, "FILES")
    assert.notInclude(text, "memory")
  })

  it("marks each changed part of a field that forces a replacement", () => {
    const change = new Replace({
      ...bucket,
      key: "cloudflare:r2:files",
      name: "files",
      id: "files",
      inputs: {},
      changes: [
        {
          field: "placement",
          before: { location: "APAC", jurisdiction: "default" },
          after: { location: "WEUR", jurisdiction: "default" },
          forcesReplace: true
        }
      ]
    })
    assert.include(
      Render.plan(planOf([change]), plain),
      `      ~ placement.location = "APAC" -> "WEUR" # forces replacement\n`
    )
  })

  it("shows unknown values and references inside an object as values, and drift by path too", () => {
    const change = new Update({
      ...update,
      inputs: {},
      changes: [
        {
          field: "metadata",
          before: { ip: "192.0.2.1", note: "a" },
          after: { ip: reference("sakura-cloud:server:web", "ip"), note: "a" },
          forcesReplace: false
        }
      ]
    })
    assert.include(Render.plan(planOf([change]), plain), `      ~ metadata.ip = "192.0.2.1" -> server.web.ip\n`)
    const drifted = new Plan({
      project: "creo",
      stage: "dev",
      serial: 1,
      actions: [],
      summary: summarize([]),
      drift: [
        {
          key: "cloudflare:r2:files",
          kind: "changed",
          changes: [{ field: "cors", before: cors, after: { ...cors, maxAge: 60 } }]
        }
      ]
    })
    assert.include(Render.plan(drifted, plain), `      ~ cors.maxAge = 3600 -> 60`)
  })
})

describe("Render.plan of a changed script", () => {
  const lines = (count: number) => Array.from({ length: count }, (_, index) => `echo ${index}`)
  const script = (body: ReadonlyArray<string>) => ["#!/bin/bash", ...body, ""].join("\n")
  const change = (before: string, after: string, field = "content") =>
    new Update({
      key: "sakura-cloud:startup-script:bootstrap",
      provider: "sakura-cloud",
      type: "startup-script",
      name: "bootstrap",
      dependsOn: [],
      id: "113",
      inputs: { content: after, contentHash: "new" },
      changes: [
        { field, before, after, forcesReplace: false },
        { field: "contentHash", before: "old", after: "new", forcesReplace: false }
      ]
    })

  it("shows the lines that changed, with the unchanged ones around them and the rest counted", () => {
    const before = script(lines(12))
    const after = script(lines(12).map((line) => (line === "echo 5" ? "echo five" : line)))
    assert.include(
      Render.plan(planOf([change(before, after)]), plain),
      [
        `      ~ content     = <<-EOT`,
        `            # (4 unchanged lines hidden)`,
        `            echo 3`,
        `            echo 4`,
        `          - echo 5`,
        `          + echo five`,
        `            echo 6`,
        `            echo 7`,
        `            # (4 unchanged lines hidden)`,
        `        EOT`,
        `      ~ contentHash = "old" -> "new"`
      ].join("\n")
    )
  })

  it("colors removed and added lines, and spells out control characters", () => {
    const text = Render.plan(planOf([change(script(["a", "x"]), script(["a", "b\u001b[2J"]))]), colored)
    assert.include(text, `          \u001b[31m-\u001b[0m x\n`)
    assert.include(text, `          \u001b[32m+\u001b[0m b\\e[2J\n`)
  })

  it("shows drift of a script the same way", () => {
    const drifted = new Plan({
      project: "creo",
      stage: "dev",
      serial: 1,
      actions: [],
      summary: summarize([]),
      drift: [
        {
          key: "sakura-cloud:startup-script:bootstrap",
          kind: "changed",
          changes: [{ field: "content", before: script(["a", "b"]), after: script(["a", "c"]) }]
        }
      ]
    })
    assert.include(Render.plan(drifted, plain), `          - b\n          + c\n`)
  })
})
