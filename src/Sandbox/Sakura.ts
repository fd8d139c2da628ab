/**
 * The simulated Sakura Cloud: servers, disks, SSH keys and notes (startup scripts),
 * with 12-digit numeric IDs, zones and tags, refusing what Sakura Cloud refuses.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import type { CloudProviderService, ProviderError } from "../Provider.js"
import type { Inputs } from "../Resource.js"
import {
  type ApplyContext,
  type DestroyContext,
  type Draft,
  fields,
  make as makeSimulation,
  type Runtime
} from "./Simulation.js"
import type { CloudResource, Section } from "./Store.js"

export const zones: ReadonlyArray<string> = ["tk1a", "tk1b", "is1a", "is1b", "is1c", "tk1v"]
export const defaultZone = "is1a"

/** Startup scripts Sakura Cloud offers without registering them. */
export const builtinNotes: ReadonlyArray<string> = ["fleetflow-docker-setup"]

const diskPlans: ReadonlyArray<string> = ["ssd", "hdd"]
const connections: ReadonlyArray<string> = ["virtio", "ide"]

const isPublicKey = (value: string) => /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-|sk-)/.test(value)
// usacloud reads a key file itself, so a path is as good as the key.
const isPath = (value: string) =>
  value.includes("/") || value.startsWith("~") || value.startsWith(".") || value.endsWith(".pub")

const ofType = (section: Section, type: CloudResource["type"]) =>
  section.resources.filter((resource) => resource.type === type)

/** The server a disk is connected to, if any. */
export const serverOf = (section: Section, diskId: string): CloudResource | undefined =>
  ofType(section, "server").find((server) => server.inputs.disk === diskId)

const freeAddress = (section: Section, context: ApplyContext) => {
  const used = new Set(ofType(section, "server").map((server) => server.attributes.ip))
  for (let host = 1; host < 255; host++) {
    const ip = `203.0.113.${host}`
    if (!used.has(ip)) return Effect.succeed(ip)
  }
  return Effect.fail(context.refuse("conflict", "the shared segment has no free address left", { code: 409 }))
}

const checkZone = (zone: string, context: ApplyContext): Effect.Effect<void, ProviderError> =>
  zones.includes(zone)
    ? Effect.void
    : Effect.fail(context.refuse("invalid", `unknown zone "${zone}"`, { hint: `use one of ${zones.join(", ")}` }))

const server = (context: ApplyContext): Effect.Effect<Draft, ProviderError> =>
  Effect.gen(function* () {
    const { existing, request, refuse, section } = context
    const read = fields(request.inputs, refuse)
    const zone = (yield* read.string("zone")) ?? defaultZone
    yield* checkZone(zone, context)
    const core = (yield* read.number("core")) ?? 1
    const memory = (yield* read.number("memory")) ?? 1
    if (!Number.isInteger(core) || !Number.isInteger(memory)) {
      return yield* refuse("invalid", "server plan not found", { hint: "core and memory are whole numbers" })
    }
    const diskId = yield* read.string("disk")
    if (diskId !== undefined) {
      const disk = ofType(section, "disk").find((disk) => disk.id === diskId)
      if (disk === undefined) {
        return yield* refuse("not-found", `target resource not found: query=[disk ${diskId}]`, { code: 404 })
      }
      if (disk.attributes.zone !== zone) {
        return yield* refuse("invalid", `disk ${diskId} is in zone ${disk.attributes.zone}, the server in ${zone}`)
      }
      const holder = serverOf(section, diskId)
      if (holder !== undefined && holder.id !== existing?.id) {
        const message = `disk ${diskId} is already connected to server ${holder.name} (${holder.id})`
        return yield* refuse("conflict", message, { code: 409 })
      }
    }
    for (const key of yield* read.strings("sshKeys")) {
      if (isPublicKey(key) || isPath(key)) continue
      const known = ofType(section, "ssh-key").some((item) => item.id === key || item.name === key)
      if (!known) {
        return yield* refuse("not-found", `ssh key "${key}" is not registered in Sakura Cloud`, {
          code: 404,
          hint: "register it (usacloud ssh-key create) or give the path of a public key file"
        })
      }
    }
    for (const script of yield* read.strings("startupScripts")) {
      const known =
        builtinNotes.includes(script) ||
        ofType(section, "startup-script").some((item) => item.id === script || item.name === script)
      if (!known) {
        return yield* refuse("not-found", `startup script "${script}" is not a note in Sakura Cloud`, {
          code: 404,
          hint: "register it as a note, or give the path of a local script"
        })
      }
    }
    const ip =
      typeof existing?.attributes.ip === "string" ? existing.attributes.ip : yield* freeAddress(section, context)
    const resized =
      existing !== undefined && ((existing.inputs.core ?? 1) !== core || (existing.inputs.memory ?? 1) !== memory)
    const attributes: Inputs = {
      ip,
      status: "up",
      hostname: (yield* read.string("hostname")) ?? request.name,
      zone,
      ...(diskId === undefined ? {} : { disk: diskId })
    }
    return {
      name: request.name,
      inputs: request.inputs,
      attributes,
      tags: [...(yield* read.strings("tags")), ...(resized ? [`@previous-id=${existing.id}`] : [])],
      renew: resized
    }
  })

const disk = (context: ApplyContext): Effect.Effect<Draft, ProviderError> =>
  Effect.gen(function* () {
    const { request, refuse } = context
    const read = fields(request.inputs, refuse)
    const zone = (yield* read.string("zone")) ?? defaultZone
    yield* checkZone(zone, context)
    const size = (yield* read.number("size")) ?? 20
    const plan = (yield* read.string("plan")) ?? "ssd"
    if (!diskPlans.includes(plan)) return yield* refuse("invalid", `unknown disk plan "${plan}" (ssd or hdd)`)
    const connection = (yield* read.string("connection")) ?? "virtio"
    if (!connections.includes(connection)) {
      return yield* refuse("invalid", `unknown disk connection "${connection}" (virtio or ide)`)
    }
    const os = yield* read.string("os")
    const archive = yield* read.string("archive")
    if (os !== undefined && archive !== undefined) {
      return yield* refuse("invalid", "a disk takes either os or archive, not both")
    }
    return {
      name: request.name,
      inputs: request.inputs,
      attributes: { zone, size, plan, connection, status: "available" },
      tags: yield* read.strings("tags")
    }
  })

const sshKey = (context: ApplyContext): Effect.Effect<Draft, ProviderError> =>
  Effect.gen(function* () {
    const { request, refuse } = context
    const read = fields(request.inputs, refuse)
    const publicKey = yield* read.string("publicKey")
    if (publicKey === undefined || publicKey.trim().length === 0) {
      return yield* refuse("invalid", "an ssh key needs publicKey")
    }
    const fingerprint =
      (yield* read.string("fingerprint")) ??
      `SHA256:${createHash("sha256").update(publicKey.trim()).digest("base64").replace(/=+$/, "")}`
    return { name: request.name, inputs: request.inputs, attributes: { fingerprint } }
  })

const note = (context: ApplyContext): Effect.Effect<Draft, ProviderError> =>
  Effect.gen(function* () {
    const { request, refuse } = context
    const read = fields(request.inputs, refuse)
    yield* read.string("content")
    return {
      name: request.name,
      inputs: request.inputs,
      attributes: { class: "shell" },
      tags: yield* read.strings("tags")
    }
  })

const destroy = ({ refuse, resource, section }: DestroyContext): Effect.Effect<void, ProviderError> => {
  if (resource.type !== "disk") return Effect.void
  const holder = serverOf(section, resource.id)
  return holder === undefined
    ? Effect.void
    : Effect.fail(
        refuse("conflict", `disk ${resource.id} is connected to server ${holder.name} (${holder.id})`, {
          code: 409,
          hint: "delete the server first"
        })
      )
}

/** The Sakura half of the sandbox: server, disk, ssh-key and startup-script. */
export const make = (runtime: Runtime): CloudProviderService =>
  makeSimulation(
    {
      cloud: "sakura-cloud",
      name: "sandbox-sakura-cloud",
      handles: ["server", "disk", "ssh-key", "startup-script"],
      apply: (context) => {
        switch (context.request.type) {
          case "server":
            return server(context)
          case "disk":
            return disk(context)
          case "ssh-key":
            return sshKey(context)
          default:
            return note(context)
        }
      },
      destroy,
      settle: (request, runtime) => (request.type === "server" ? runtime.bootTime : Duration.zero)
    },
    runtime
  )
