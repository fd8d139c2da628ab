/**
 * The stage the fault suite provisions: 23 resources over both clouds (four servers with their
 * disks, two SSH keys, two startup scripts, two R2 buckets with CORS and a custom domain each,
 * seven DNS records, four of them pointing at servers), and a second version of the same file
 * that updates, replaces, creates and deletes some of them.
 *
 * No Worker and no Pages project: those deploy through the real wrangler (about a second a
 * deploy and a child process each), which would make every kill case slow without adding a kill
 * point the engine does not already reach through R2 and DNS.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Config from "../../src/Config.js"
import { repository } from "../support/Cli.js"

export const project = "faults"
export const stage = "dev"
export const zone = "faults.example"
export const sandbox = ["--sandbox", "-f", "fleet.kdl", "--stage", stage] as const

const literalKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIp3bRIORsFVVDDs0q34IDerUh6yOL40bHgrjAZPqFpy ops@faults"

/** The first version: everything is created. */
export const v1 = `project "${project}"

providers {
    sakura-cloud {
        zone "tk1a"
    }
    cloudflare {
        zone "${zone}"
    }
}

// Short waits: the suite kills runs between retries, it does not need to wait long for them.
retry max-attempts=3 initial-delay="50ms" max-delay="200ms" multiplier=2.0

stage "${stage}" {
    server "web-01" {
        plan core=2 memory=4
        disk size=40 os="ubuntu-24.04"
        ssh-key "./keys/deploy.pub"
        startup-script "fleetflow-docker-setup"
        tags "web"
        dns {
            hostname "web1"
            aliases "www"
        }
    }
    server "web-02" {
        plan core=2 memory=4
        disk size=40 os="ubuntu-24.04"
        ssh-key "./keys/deploy.pub"
        startup-script "fleetflow-docker-setup"
        tags "web"
        dns {
            hostname "web2"
        }
    }
    server "api-01" {
        plan core=4 memory=8
        disk size=100 os="ubuntu-24.04"
        ssh-key "${literalKey}"
        startup-script "./scripts/bootstrap.sh"
        init-script-vars {
            ROLE "api"
        }
    }
    server "batch-01" {
        plan "2core-4gb"
        disk size=40 os="debian-12"
        zone "is1a"
        ssh-key "./keys/deploy.pub"
        dns {
            hostname "jobs"
        }
    }
    r2-bucket "faults-assets" {
        location "APAC"
        cors {
            allowed-origins "https://web1.${zone}"
            allowed-methods "GET" "PUT"
            max-age 3600
        }
        custom-domain "assets.${zone}"
    }
    r2-bucket "faults-uploads" {
        location "WNAM"
        cors {
            allowed-origins "https://api.${zone}"
            allowed-methods "GET" "POST"
            max-age 600
        }
        custom-domain "uploads.${zone}"
    }
    dns "${zone}" {
        record "api" type="A" value=server.api-01.ip
        record "files" type="CNAME" value="faults-uploads.r2.cloudflarestorage.com"
        record "mail" type="TXT" value="v=spf1 -all" ttl=300
    }
}
`

/**
 * The second version, applied over the first: in-place updates on both clouds (a server's memory,
 * which gives it a new ID as Sakura does, its tags, a bucket's CORS, a record's value and TTL), a
 * disk size that replaces the disk and its server (and so updates the record pointing at it),
 * two creations and a deletion.
 */
export const v2 = v1
  .replace('server "web-02" {\n        plan core=2 memory=4', 'server "web-02" {\n        plan core=2 memory=8')
  .replace(
    '        startup-script "./scripts/bootstrap.sh"',
    '        tags "api"\n        startup-script "./scripts/bootstrap.sh"'
  )
  .replace(
    'allowed-methods "GET" "PUT"\n            max-age 3600',
    'allowed-methods "GET" "PUT" "DELETE"\n            max-age 7200'
  )
  .replace('disk size=40 os="debian-12"', 'disk size=60 os="debian-12"')
  .replace('        record "files" type="CNAME" value="faults-uploads.r2.cloudflarestorage.com"\n', "")
  .replace(
    'record "mail" type="TXT" value="v=spf1 -all" ttl=300',
    `record "mail" type="TXT" value="v=spf1 include:${zone} -all" ttl=600\n        record "status" type="TXT" value="ok"`
  )
  .replace(`    dns "${zone}" {`, `    r2-bucket "faults-logs" {\n        location "WEUR"\n    }\n    dns "${zone}" {`)

export type Version = "v1" | "v2"

/** The file of `version`, its state in `schema` of the database `FLEETFLOW_PG_URL` names when given. */
export const text = (version: Version, schema?: string): string =>
  `${version === "v1" ? v1 : v2}${
    schema === undefined
      ? ""
      : `\nstate {\n    backend "postgres"\n    url env="FLEETFLOW_PG_URL"\n    schema "${schema}"\n}\n`
  }`

/**
 * Values the second version sets, as the simulated clouds must hold them once it is applied:
 * `type`, the name the cloud knows the resource by, a field of its inputs and the value.
 * A converged run whose cloud holds another value lost an update.
 */
export interface Expectation {
  readonly key: string
  readonly field: string
  readonly value: unknown
}

export const expectations: Record<Version, ReadonlyArray<Expectation>> = {
  v1: [
    { key: "sakura-cloud:server:web-02", field: "memory", value: 4 },
    { key: "sakura-cloud:disk:batch-01", field: "size", value: 40 },
    { key: "cloudflare:dns:mail.faults.example/TXT", field: "ttl", value: 300 },
    { key: "cloudflare:dns:mail.faults.example/TXT", field: "content", value: "v=spf1 -all" }
  ],
  v2: [
    { key: "sakura-cloud:server:web-02", field: "memory", value: 8 },
    { key: "sakura-cloud:server:api-01", field: "tags", value: ["api"] },
    { key: "sakura-cloud:disk:batch-01", field: "size", value: 60 },
    {
      key: "cloudflare:r2:faults-assets",
      field: "cors",
      value: {
        allowedOrigins: [`https://web1.${zone}`],
        allowedMethods: ["GET", "PUT", "DELETE"],
        allowedHeaders: [],
        exposeHeaders: [],
        maxAge: 7200
      }
    },
    { key: "cloudflare:dns:mail.faults.example/TXT", field: "ttl", value: 600 },
    { key: "cloudflare:dns:mail.faults.example/TXT", field: "content", value: `v=spf1 include:${zone} -all` },
    { key: "cloudflare:dns:status.faults.example/TXT", field: "content", value: "ok" }
  ]
}

/** Writes `version` of the stage, with its key file and script, into a new temporary folder. */
export const folder = (version: Version, schema?: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-faults-"))
  fs.cpSync(path.join(repository, "examples", "keys"), path.join(dir, "keys"), { recursive: true })
  fs.mkdirSync(path.join(dir, "scripts"))
  fs.writeFileSync(path.join(dir, "scripts", "bootstrap.sh"), '#!/bin/sh\necho "role=$ROLE"\n')
  write(dir, version, schema)
  return dir
}

export const write = (dir: string, version: Version, schema?: string): void =>
  fs.writeFileSync(path.join(dir, "fleet.kdl"), text(version, schema))

/** A copy of `dir`, its `.fleetflow/` (state and simulated clouds) included. */
export const copy = (dir: string): string => {
  const target = fs.mkdtempSync(path.join(os.tmpdir(), "fleetflow-faults-"))
  fs.cpSync(dir, target, { recursive: true })
  return target
}

/** The keys `version` declares, as the configuration loader computes them. */
export const desiredKeys = (dir: string) =>
  Effect.gen(function* () {
    const config = yield* Config.load(path.join(dir, "fleet.kdl"))
    const desired = yield* Config.desiredResources(config, stage)
    return desired.map((resource) => resource.key).sort()
  }).pipe(Effect.provide(NodeContext.layer))
