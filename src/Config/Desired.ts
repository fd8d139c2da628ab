/**
 * A stage's specs expanded into desired resources: one per server, disk, SSH key, startup
 * script, bucket, custom domain, worker, Pages project and DNS record, with the JSON
 * inputs the providers read and the dependencies the engine orders by.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import {
  type DesiredResource,
  type Inputs,
  type Json,
  makeKey,
  providerOf,
  type ResourceKey,
  type ResourceType,
  reference,
  type SourceSpan
} from "../Resource.js"
import { builtinScripts } from "../Sakura/BuiltinScripts.js"
import { type ConfigError, configError, type Location } from "./ConfigError.js"
import { contentHash, sha256 } from "./ContentHash.js"
import {
  type DnsZoneSpec,
  type Located,
  optional,
  type PagesSpec,
  type R2Spec,
  type ResourceSpec,
  type ServerSpec,
  type WorkerSpec
} from "./Resources.js"
import { looksLikeLiteral, looksLikePath, type PublicKey, parsePublicKey, sanitizeName } from "./SshKey.js"
import { replicaName } from "./Stages.js"
import { didYouMean, listOf } from "./Suggest.js"

export interface ExpandContext {
  readonly file: string
  readonly directory: string
  readonly cloudflareZone?: string | undefined
  readonly scale?: Readonly<Record<string, number>> | undefined
}

/** `reference` as a JSON value of the inputs. */
const ref = (key: ResourceKey, attribute: string): Json => ({ ...reference(key, attribute) })

const span = (at: Location): SourceSpan => ({ file: at.file, line: at.line, column: at.column, path: at.path })

/** Collects resources in declaration order and refuses a key declared twice. */
class Collector {
  readonly resources: Array<DesiredResource> = []
  private readonly seen = new Map<ResourceKey, Location>()

  add(type: ResourceType, name: string, inputs: Inputs, dependsOn: ReadonlyArray<ResourceKey>, at: Location) {
    const key = makeKey(type, name)
    const previous = this.seen.get(key)
    if (previous !== undefined) {
      return Effect.fail(
        configError(
          at,
          `duplicate resource \`${key}\` in this stage`,
          `it is already declared at line ${previous.line}`
        )
      )
    }
    this.seen.set(key, at)
    this.resources.push({
      key,
      provider: providerOf[type],
      type,
      name,
      inputs,
      dependsOn: [...new Set(dependsOn)],
      source: span(at)
    })
    return Effect.succeed(key)
  }
}

/** Resources that several servers may share (same content → one resource). */
interface Shared {
  readonly byContent: Map<string, ResourceKey>
  readonly names: Set<string>
}

const makeShared = (): Shared => ({ byContent: new Map(), names: new Set() })

/** A free name for new content: the wanted one, else with a `-<hash6>` suffix. */
const claimName = (shared: Shared, wanted: string, hash: string) => {
  const name = shared.names.has(wanted) ? `${wanted}-${hash.slice(0, 6)}` : wanted
  shared.names.add(name)
  return name
}

const home = Effect.gen(function* () {
  const value = yield* Config.option(Config.string("HOME")).pipe(Effect.orElseSucceed(() => Option.none<string>()))
  return Option.getOrElse(value, () => NodeOs.homedir())
})

const resolvePath = (directory: string, path: string) =>
  Effect.map(home, (homeDirectory) =>
    path === "~" || path.startsWith("~/")
      ? NodePath.join(homeDirectory, path.slice(1))
      : NodePath.resolve(directory, path)
  )

/**
 * How a path is kept in the inputs: relative to the configuration's folder when it is inside
 * it, so moving the checkout (or another CI runner's path) is not a change to apply.
 */
const portablePath = (directory: string, path: string): string => {
  const relative = NodePath.relative(directory, path)
  if (relative === "") return "."
  if (relative.startsWith("..") || NodePath.isAbsolute(relative)) return path
  return `./${relative.split(NodePath.sep).join("/")}`
}

const readText = (path: string, at: Location, what: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    return yield* fs
      .readFileString(path)
      .pipe(
        Effect.mapError((error) =>
          configError(
            at,
            `cannot read ${what} ${path}: ${error._tag === "SystemError" && error.reason === "NotFound" ? "no such file" : error.message}`,
            "check the path (relative paths start from the folder of the config file)"
          )
        )
      )
  })

const checkedHash = (path: string, at: Location, what: string) =>
  contentHash(path).pipe(
    Effect.mapError((error) =>
      configError(at, `cannot read ${what} ${path}: ${error.message}`, "check the path and its permissions")
    )
  )

const existingPath = (path: string, at: Location, what: string, kind: "folder" | "file or folder") =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const info = yield* Effect.option(fs.stat(path))
    if (Option.isNone(info)) {
      return yield* configError(
        at,
        `${what} ${path} does not exist`,
        "check the path (relative to the config file's folder)"
      )
    }
    if (kind === "folder" && info.value.type !== "Directory") {
      return yield* configError(at, `${what} ${path} is not a folder`)
    }
  })

const sshKeyResource = (
  context: ExpandContext,
  collector: Collector,
  shared: Shared,
  value: Located<string>
): Effect.Effect<Json, ConfigError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    let text: string
    let wanted: string | undefined
    if (looksLikeLiteral(value.value)) text = value.value
    else if (looksLikePath(value.value)) {
      const path = yield* resolvePath(context.directory, value.value)
      text = yield* readText(path, value.at, "SSH public key")
      wanted = NodePath.basename(path).replace(/\.pub$/, "")
    } else return value.value
    const parsed = parsePublicKey(text)
    if (typeof parsed === "string") {
      return yield* configError(
        value.at,
        `invalid SSH public key: ${parsed}`,
        "give a public key (ssh-ed25519 AAAA... comment), a path to a .pub file, or the name of a registered key"
      )
    }
    const key: PublicKey = parsed
    const existing = shared.byContent.get(key.identity)
    if (existing !== undefined) return ref(existing, "id")
    const base = wanted || sanitizeName(key.comment) || `key-${key.shortHash}`
    const name = claimName(shared, base, key.shortHash)
    const publicKey = key.comment === "" ? key.identity : `${key.identity} ${key.comment}`
    const resourceKey = yield* collector.add("ssh-key", name, { publicKey, fingerprint: key.fingerprint }, [], value.at)
    shared.byContent.set(key.identity, resourceKey)
    return ref(resourceKey, "id")
  })

const scriptResource = (
  context: ExpandContext,
  collector: Collector,
  shared: Shared,
  value: Located<string>
): Effect.Effect<Json, ConfigError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const builtin = builtinScripts[value.value]
    let content: string
    let wanted: string
    let inputs: (content: string, hash: string) => Inputs
    if (builtin !== undefined) {
      content = builtin
      wanted = value.value
      inputs = (text, hash) => ({ builtin: value.value, content: text, contentHash: hash })
    } else {
      const fs = yield* FileSystem.FileSystem
      const path = yield* resolvePath(context.directory, value.value)
      const isFile = yield* fs.stat(path).pipe(
        Effect.map((info) => info.type === "File"),
        Effect.orElseSucceed(() => false)
      )
      const isPath = value.value.includes("/") || value.value.endsWith(".sh") || value.value.startsWith("~") || isFile
      if (!isPath) return value.value
      content = yield* readText(path, value.at, "startup script")
      wanted = NodePath.basename(path).replace(/\.[^.]*$/, "") || "script"
      inputs = (text, hash) => ({ content: text, contentHash: hash })
    }
    const hash = sha256(content)
    const existing = shared.byContent.get(hash)
    if (existing !== undefined) return ref(existing, "id")
    const name = builtin !== undefined ? wanted : claimName(shared, wanted, hash)
    if (builtin !== undefined) shared.names.add(name)
    const key = yield* collector.add("startup-script", name, inputs(content, hash), [], value.at)
    shared.byContent.set(hash, key)
    return ref(key, "id")
  })

/** How many replicas each scaled server gets, checked against its range. */
const replicaCount = (server: ServerSpec, requested: number | undefined) =>
  Effect.gen(function* () {
    const scale = server.scale
    if (scale === undefined) return undefined
    const count = requested ?? scale.min
    if (!Number.isInteger(count) || count < scale.min || count > scale.max) {
      return yield* configError(
        scale.at,
        `scale of \`${server.name}\` must be between ${scale.min} and ${scale.max}, got ${count}`,
        `choose a count from ${scale.min} to ${scale.max}, or change the range`
      )
    }
    return count
  })

interface ServerNames {
  /** The names each declared server expands to. */
  readonly replicas: ReadonlyMap<string, ReadonlyArray<string>>
}

const expandServer = (
  context: ExpandContext,
  collector: Collector,
  keys: Shared,
  scripts: Shared,
  server: ServerSpec,
  names: ReadonlyArray<string>
) =>
  Effect.gen(function* () {
    const sshKeys: Array<Json> = []
    for (const value of server.sshKeys) sshKeys.push(yield* sshKeyResource(context, collector, keys, value))
    const startupScripts: Array<Json> = []
    for (const value of server.startupScripts)
      startupScripts.push(yield* scriptResource(context, collector, scripts, value))
    const shared = [...sshKeys, ...startupScripts].flatMap((item) =>
      typeof item === "object" && item !== null && "$ref" in item ? [String(item.$ref)] : []
    )
    const scaled = server.scale !== undefined
    const metadata = server.metadata
    const hasMetadata = Object.keys(metadata).length > 0
    for (const [index, name] of names.entries()) {
      const disk = server.disk
      const diskKey = yield* collector.add(
        "disk",
        name,
        {
          zone: server.zone,
          size: disk.size,
          plan: disk.plan,
          connection: "virtio",
          ...optional("os", disk.os),
          ...optional("archive", disk.archive)
        },
        [],
        disk.at
      )
      const hostname =
        server.dns === undefined
          ? undefined
          : scaled
            ? replicaName(server.dns.hostname, index + 1)
            : server.dns.hostname
      const serverKey = yield* collector.add(
        "server",
        name,
        {
          zone: server.zone,
          core: server.core,
          memory: server.memory,
          commitment: "standard",
          disk: ref(diskKey, "id"),
          sshKeys,
          startupScripts,
          tags: [...server.tags],
          ...optional("description", server.description),
          ...optional("hostname", hostname),
          ...optional("startupScriptVars", server.startupScriptVars),
          ...optional("metadata", hasMetadata ? (metadata as Inputs) : undefined)
        },
        [diskKey, ...shared],
        server.at
      )
      // A scaled server's records point at its first replica: one name, one stable address.
      if (server.dns !== undefined && index === 0) {
        const dns = server.dns
        const fqdn = qualifyHost(dns.hostname, dns.zone)
        const aKey = yield* collector.add(
          "dns",
          `${fqdn}/A`,
          { zone: dns.zone, name: fqdn, type: "A", content: ref(serverKey, "ip"), proxied: false, ttl: 1 },
          [serverKey],
          dns.at
        )
        for (const alias of dns.aliases) {
          const aliasFqdn = qualifyHost(alias, dns.zone)
          yield* collector.add(
            "dns",
            `${aliasFqdn}/CNAME`,
            { zone: dns.zone, name: aliasFqdn, type: "CNAME", content: fqdn, proxied: false, ttl: 1 },
            [aKey],
            dns.at
          )
        }
      }
    }
  })

const qualifyHost = (host: string, zone: string) => {
  const lower = host.toLowerCase().replace(/\.$/, "")
  return lower === zone || lower.endsWith("." + zone) ? lower : `${lower}.${zone}`
}

/** The zone of a custom domain: the given one, the cloudflare zone if it contains the host, else the last two labels. */
const domainZone = (host: string, given: string | undefined, cloudflareZone: string | undefined) => {
  if (given !== undefined) return given
  if (cloudflareZone !== undefined && (host === cloudflareZone || host.endsWith("." + cloudflareZone))) {
    return cloudflareZone
  }
  return host.split(".").slice(-2).join(".")
}

const expandR2 = (context: ExpandContext, collector: Collector, bucket: R2Spec) =>
  Effect.gen(function* () {
    const cors = bucket.cors
    const bucketKey = yield* collector.add(
      "r2",
      bucket.name,
      {
        name: bucket.name,
        ...optional("location", bucket.location),
        ...optional("jurisdiction", bucket.jurisdiction),
        ...optional("storageClass", bucket.storageClass),
        ...optional(
          "cors",
          cors === undefined
            ? undefined
            : {
                allowedOrigins: [...cors.allowedOrigins],
                allowedMethods: [...cors.allowedMethods],
                allowedHeaders: [...cors.allowedHeaders],
                exposeHeaders: [...cors.exposeHeaders],
                ...optional("maxAge", cors.maxAge)
              }
        )
      },
      [],
      bucket.at
    )
    for (const domain of bucket.customDomains) {
      yield* collector.add(
        "r2-domain",
        domain.host,
        {
          bucket: bucket.name,
          domain: domain.host,
          zone: domainZone(domain.host, domain.zone, context.cloudflareZone),
          minTls: domain.minTls,
          // R2 calls about a bucket in a jurisdiction must name it.
          ...optional("jurisdiction", bucket.jurisdiction)
        },
        [bucketKey],
        domain.at
      )
    }
  })

const expandWorker = (context: ExpandContext, collector: Collector, worker: WorkerSpec, buckets: ReadonlySet<string>) =>
  Effect.gen(function* () {
    const source = yield* resolvePath(context.directory, worker.source.value)
    yield* existingPath(source, worker.source.at, "worker source", "file or folder")
    const sourceHash = yield* checkedHash(source, worker.source.at, "worker source")
    const dependsOn = worker.bindings.flatMap((binding) =>
      binding.type === "r2" && buckets.has(binding.bucket) ? [makeKey("r2", binding.bucket)] : []
    )
    yield* collector.add(
      "worker",
      worker.name,
      {
        name: worker.name,
        source: portablePath(context.directory, source),
        sourceHash,
        routes: worker.routes.map((route) => ({ pattern: route.pattern, ...optional("zone", route.zone) })),
        ...optional("compatibilityDate", worker.compatibilityDate),
        compatibilityFlags: [...worker.compatibilityFlags],
        bindings: worker.bindings.map((binding) => ({ ...binding }))
      },
      dependsOn,
      worker.at
    )
  })

const expandPages = (context: ExpandContext, collector: Collector, pages: PagesSpec) =>
  Effect.gen(function* () {
    const directory = yield* resolvePath(context.directory, pages.directory.value)
    yield* existingPath(directory, pages.directory.at, "Pages directory", "folder")
    const directoryHash = yield* checkedHash(directory, pages.directory.at, "Pages directory")
    yield* collector.add(
      "pages",
      pages.name,
      {
        name: pages.name,
        directory: portablePath(context.directory, directory),
        directoryHash,
        productionBranch: pages.productionBranch,
        ...optional("branch", pages.branch)
      },
      [],
      pages.at
    )
  })

const expandDns = (collector: Collector, zone: DnsZoneSpec, servers: ServerNames) =>
  Effect.gen(function* () {
    for (const record of zone.records) {
      let content: Json
      const dependsOn: Array<ResourceKey> = []
      if (typeof record.content === "string") content = record.content
      else {
        const { server, attribute } = record.content
        // A scaled server's base name means its first replica, as for its own records.
        const target = servers.replicas.get(server)?.[0] ?? server
        const known = new Set([...servers.replicas.values()].flat())
        if (!known.has(target)) {
          return yield* configError(
            record.at,
            `dangling reference \`server.${server}.${attribute}\`: no server \`${server}\` in this stage`,
            didYouMean(server, known) ?? (known.size === 0 ? "this stage has no servers" : `servers: ${listOf(known)}`)
          )
        }
        const key = makeKey("server", target)
        content = ref(key, attribute)
        dependsOn.push(key)
      }
      yield* collector.add(
        "dns",
        `${record.fqdn}/${record.type}`,
        {
          zone: zone.name,
          name: record.fqdn,
          type: record.type,
          content,
          proxied: record.proxied,
          ttl: record.ttl,
          ...optional("priority", record.priority)
        },
        dependsOn,
        record.at
      )
    }
  })

export const expand = (
  context: ExpandContext,
  specs: ReadonlyArray<ResourceSpec>
): Effect.Effect<ReadonlyArray<DesiredResource>, ConfigError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const collector = new Collector()
    const servers = specs.filter((spec): spec is ServerSpec => spec.type === "server")
    const requested = context.scale ?? {}
    const scaledNames = servers.filter((server) => server.scale !== undefined).map((server) => server.name)
    for (const name of Object.keys(requested)) {
      if (!scaledNames.includes(name)) {
        const server = servers.find((candidate) => candidate.name === name)
        return yield* configError(
          server?.at ?? { file: context.file, line: 0, column: 0, path: "" },
          server === undefined
            ? `no server \`${name}\` to scale in this stage`
            : `server \`${name}\` has no \`scale\` range`,
          server === undefined
            ? (didYouMean(name, scaledNames) ??
                (scaledNames.length === 0
                  ? "no server of this stage has a scale range"
                  : `scaled servers: ${listOf(scaledNames)}`))
            : "add scale min=1 max=N to the server"
        )
      }
    }
    const replicas = new Map<string, ReadonlyArray<string>>()
    for (const server of servers) {
      const count = yield* replicaCount(server, requested[server.name])
      replicas.set(
        server.name,
        count === undefined ? [server.name] : Array.from({ length: count }, (_, i) => replicaName(server.name, i + 1))
      )
    }
    const buckets = new Set(specs.flatMap((spec) => (spec.type === "r2" ? [spec.name] : [])))
    const keys = makeShared()
    const scripts = makeShared()
    for (const spec of specs) {
      switch (spec.type) {
        case "server":
          yield* expandServer(context, collector, keys, scripts, spec, replicas.get(spec.name) ?? [spec.name])
          break
        case "r2":
          yield* expandR2(context, collector, spec)
          break
        case "worker":
          yield* expandWorker(context, collector, spec, buckets)
          break
        case "pages":
          yield* expandPages(context, collector, spec)
          break
        case "dns":
          yield* expandDns(collector, spec, { replicas })
          break
      }
    }
    return collector.resources
  })
