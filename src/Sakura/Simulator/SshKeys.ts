/**
 * The SSH key commands (global, not zoned): list, read, create (the public key must parse;
 * its fingerprint is computed), update and delete. Keys have no tags to select them by.
 */
import * as Effect from "effect/Effect"
import { stringFlag } from "./Args.js"
import { fingerprintOf } from "./Cloud.js"
import { readPathOrContent } from "./Context.js"
import { allocateId, type SimulatorDocument } from "./Document.js"
import { apiError } from "./Failure.js"
import { type Handler, unchanged } from "./Handler.js"
import { sshKeyJson } from "./Shapes.js"
import { confirm, filterList, select } from "./Targets.js"
import { descriptionRule, required, validationError } from "./Validation.js"

const labeledKeys = (document: SimulatorDocument) => document.sshKeys.map((key) => ({ ...key, tags: [] }))

export const sshKeyList: Handler = (context, document) =>
  Effect.succeed(
    unchanged(
      document,
      filterList(context, labeledKeys(document)).map((key) => sshKeyJson(key))
    )
  )

export const sshKeyRead: Handler = (context, document) =>
  Effect.gen(function* () {
    const [key] = yield* select(context, labeledKeys(document))
    return unchanged(document, [sshKeyJson(key!)])
  })

export const sshKeyCreate: Handler = (context, document) =>
  Effect.gen(function* () {
    yield* validationError([
      ...required(context, "name"),
      ...descriptionRule(context),
      ...required(context, "public-key")
    ])
    yield* confirm(context)
    const publicKey = readPathOrContent(stringFlag(context.invocation, "public-key")!).trim()
    const fingerprint = fingerprintOf(publicKey)
    if (fingerprint === undefined) {
      return yield* apiError(context, 400, "不適切な要求です。公開鍵の形式が正しくありません。")
    }
    const [id, withId] = allocateId(document)
    const key = {
      id,
      name: stringFlag(context.invocation, "name")!,
      description: stringFlag(context.invocation, "description") ?? "",
      publicKey,
      fingerprint,
      createdAt: context.now
    }
    return { values: [sshKeyJson(key)], document: { ...withId, sshKeys: [...withId.sshKeys, key] } }
  })

export const sshKeyUpdate: Handler = (context, document) =>
  Effect.gen(function* () {
    const invocation = context.invocation
    const targets = yield* select(context, labeledKeys(document))
    yield* validationError(descriptionRule(context))
    yield* confirm(context)
    const ids = new Set(targets.map((key) => key.id))
    const keys = document.sshKeys.map((key) =>
      ids.has(key.id)
        ? {
            ...key,
            name: stringFlag(invocation, "name") ?? key.name,
            description: stringFlag(invocation, "description") ?? key.description
          }
        : key
    )
    return {
      values: keys.filter((key) => ids.has(key.id)).map((key) => sshKeyJson(key)),
      document: { ...document, sshKeys: keys }
    }
  })

export const sshKeyDelete: Handler = (context, document) =>
  Effect.gen(function* () {
    const targets = yield* select(context, labeledKeys(document))
    yield* confirm(context)
    const ids = new Set(targets.map((key) => key.id))
    return { values: [], document: { ...document, sshKeys: document.sshKeys.filter((key) => !ids.has(key.id)) } }
  })
