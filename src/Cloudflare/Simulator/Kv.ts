/**
 * KV namespaces under `/accounts/{account}/storage/kv/namespaces`: list (by page, ordered by
 * `id` or `title`), create (`{title}`), get, rename (`PUT {title}`) and delete. Keys and values
 * are not simulated.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { CloudflareDocument, KvNamespace } from "./Document.js"
import {
  allocateId,
  answer,
  type ApiFailure,
  type Call,
  decodeBody,
  fail,
  type Handler,
  pageOf,
  paginate,
  replaceIn
} from "./Envelope.js"

export const codes = {
  /** A body or parameter KV does not accept. */
  invalid: 10001,
  /** A namespace ID that is not 32 hex digits. */
  invalidId: 10011,
  noSuchNamespace: 10013,
  titleTaken: 10014
} as const

export const namespaceView = (namespace: KvNamespace) => ({
  id: namespace.id,
  title: namespace.title,
  supports_url_encoding: true
})

const Title = Schema.Struct({ title: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(512)) })

export const listNamespaces: Handler = (call, document) =>
  Effect.gen(function* () {
    const { page, perPage } = yield* pageOf(call, 20, 1000, codes.invalid)
    const order = call.query.get("order") ?? "id"
    const direction = call.query.get("direction") ?? "asc"
    if (order !== "id" && order !== "title") return yield* fail(400, codes.invalid, "order must be id or title")
    if (direction !== "asc" && direction !== "desc")
      return yield* fail(400, codes.invalid, "direction must be asc or desc")
    const sign = direction === "asc" ? 1 : -1
    const namespaces = document.kvNamespaces
      .filter((namespace) => namespace.accountId === call.params.account)
      .sort((a, b) => (a[order] < b[order] ? -sign : a[order] > b[order] ? sign : 0))
    const { items, info } = paginate(namespaces, page, perPage)
    return yield* answer(
      items.map((namespace) => namespaceView(namespace)),
      document,
      info
    )
  })

export const createNamespace: Handler = (call, document) =>
  Effect.gen(function* () {
    const account = call.params.account ?? ""
    const { title } = yield* decodeBody(call, Title, codes.invalid)
    if (document.kvNamespaces.some((namespace) => namespace.accountId === account && namespace.title === title)) {
      return yield* fail(400, codes.titleTaken, "a namespace with this account ID and title already exists")
    }
    const [id, next] = allocateId(document, "kv")
    const namespace: KvNamespace = { id, accountId: account, title, createdOn: call.now }
    return yield* answer(namespaceView(namespace), { ...next, kvNamespaces: [...next.kvNamespaces, namespace] })
  })

/** The namespace the path names. */
export const findNamespace = (call: Call, document: CloudflareDocument): Effect.Effect<KvNamespace, ApiFailure> =>
  Effect.gen(function* () {
    const id = call.params.namespace ?? ""
    if (!/^[0-9a-f]{32}$/.test(id)) return yield* fail(400, codes.invalidId, "namespace ID is invalid")
    const namespace = document.kvNamespaces.find((item) => item.accountId === call.params.account && item.id === id)
    if (namespace === undefined) return yield* fail(404, codes.noSuchNamespace, "namespace not found")
    return namespace
  })

export const getNamespace: Handler = (call, document) =>
  Effect.flatMap(findNamespace(call, document), (namespace) => answer(namespaceView(namespace), document))

export const renameNamespace: Handler = (call, document) =>
  Effect.gen(function* () {
    const namespace = yield* findNamespace(call, document)
    const { title } = yield* decodeBody(call, Title, codes.invalid)
    const taken = document.kvNamespaces.some(
      (item) => item !== namespace && item.accountId === namespace.accountId && item.title === title
    )
    if (taken) return yield* fail(400, codes.titleTaken, "a namespace with this account ID and title already exists")
    const next = { ...namespace, title }
    return yield* answer(namespaceView(next), replaceIn(document, "kvNamespaces", namespace, next))
  })

export const deleteNamespace: Handler = (call, document) =>
  Effect.gen(function* () {
    const namespace = yield* findNamespace(call, document)
    return yield* answer({}, { ...document, kvNamespaces: document.kvNamespaces.filter((item) => item !== namespace) })
  })
