/**
 * The archive commands (list, read), over the public archives of each zone and the
 * user's own, and `auth-status`, which reads the account.
 */
import * as Effect from "effect/Effect"
import { stringFlag } from "./Args.js"
import { archivesIn, osTypes } from "./Cloud.js"
import { zonesOf } from "./Context.js"
import { type Handler, unchanged } from "./Handler.js"
import { archiveJson, authStatusJson } from "./Shapes.js"
import { filterList, select } from "./Targets.js"
import { oneOf, validationError } from "./Validation.js"

export const archiveList: Handler = (context, document) =>
  Effect.gen(function* () {
    const invocation = context.invocation
    const osType = stringFlag(invocation, "os-type")
    const scope = stringFlag(invocation, "scope")
    yield* validationError([
      ...oneOf("os-type", osType, Object.keys(osTypes)),
      ...oneOf("scope", scope, ["user", "shared"])
    ])
    const wanted = osType === undefined || osType === "" ? [] : osTypes[osType]!
    const archives = zonesOf(context)
      .flatMap((zone) => archivesIn(document, zone))
      .filter(
        (archive) =>
          (scope === undefined || scope === "" || archive.scope === scope) &&
          (wanted.length === 0 || (archive.scope === "shared" && wanted.every((tag) => archive.tags.includes(tag))))
      )
    return unchanged(
      document,
      filterList(context, archives).map((archive) => archiveJson(archive))
    )
  })

export const archiveRead: Handler = (context, document) =>
  Effect.gen(function* () {
    const archives = zonesOf(context).flatMap((zone) => archivesIn(document, zone))
    const [archive] = yield* select(context, archives)
    return unchanged(document, [archiveJson(archive!)])
  })

export const authStatusRead: Handler = (_context, document) => Effect.succeed(unchanged(document, [authStatusJson]))
