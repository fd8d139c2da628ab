/**
 * DNS record writes made at the same time, sent as one request per zone through Cloudflare's
 * batch endpoint (`POST /zones/{zone}/dns_records/batch`), each caller getting its own answer.
 *
 * Cloudflare runs a batch as one transaction (deletes, then patches, then puts, then posts, each
 * list in its order) and, on the first entry that fails, applies nothing and answers that entry's
 * error without saying which entry it was (developers.cloudflare.com/dns/manage-dns-records/how-to/
 * batch-record-changes). So a batch refused for any reason but throttling or an outage is held
 * against none of its changes: each is then made by its own single-record call, and succeeds or
 * fails on its own with the answer it always had (an identical record adopted, a record already
 * gone counted as deleted). A change alone in its window makes that call at once. Throttling and
 * outages fail every change of the batch, for the engine to retry each with its policy.
 *
 * Effect's request batching joins the requests of one fiber's `forEach({ batching: true })`, and
 * the engine runs each action in a fiber of its own: the calls are first gathered across fibers
 * for a window, as a data loader does, then resolved together by one batched resolver.
 */
import type { NonEmptyArray, NonEmptyReadonlyArray } from "effect/Array"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Request from "effect/Request"
import * as RequestResolver from "effect/RequestResolver"
import {
  type CloudflareApiService,
  type CloudflareError,
  type DnsRecord,
  isRetryable,
  type RecordChanges,
  type RecordInput
} from "../Api.js"
import { groupBy } from "../../Grouping.js"

type Records = CloudflareApiService["dns"]["records"]

/** Cloudflare's limit of changes in one batch on the Free plan; the other plans allow 3,500. */
const maxChanges = 200

/** Turns of the scheduler without a new call that close a window: the calls ready together arrive within a few. */
const quietTurns = 3

/** Single-record calls at once, as many as the engine's default parallelism runs. */
const singleCalls = 10

type Change =
  | { readonly _tag: "post"; readonly record: RecordInput }
  | { readonly _tag: "patch"; readonly id: string; readonly changes: RecordChanges }
  | { readonly _tag: "delete"; readonly id: string }

/** What a batch did for one change; `Alone`: nothing, the change is for its own single-record call. */
type Outcome =
  | { readonly _tag: "Written"; readonly record: DnsRecord }
  | { readonly _tag: "Deleted" }
  | { readonly _tag: "Alone" }

interface RecordWrite extends Request.Request<Outcome, CloudflareError> {
  readonly _tag: "RecordWrite"
  readonly zoneId: string
  readonly change: Change
}

const RecordWrite = Request.tagged<RecordWrite>("RecordWrite")

const alone: Outcome = { _tag: "Alone" }

const ofKind = <K extends Change["_tag"]>(writes: ReadonlyArray<RecordWrite>, kind: K) =>
  writes.flatMap((write) =>
    write.change._tag === kind ? [{ write, change: write.change as Change & { _tag: K } }] : []
  )

/** One zone's changes in one request; a lone change is left to its own call. */
const send = (records: Records, zoneId: string, writes: NonEmptyReadonlyArray<RecordWrite>) =>
  Effect.gen(function* () {
    if (writes.length === 1) return yield* Request.succeed(writes[0], alone)
    const deletes = ofKind(writes, "delete")
    const patches = ofKind(writes, "patch")
    const posts = ofKind(writes, "post")
    const answer = yield* Effect.either(
      records.batch(zoneId, {
        deletes: deletes.map(({ change }) => ({ id: change.id })),
        patches: patches.map(({ change }) => ({ ...change.changes, id: change.id })),
        posts: posts.map(({ change }) => change.record)
      })
    )
    if (Either.isLeft(answer)) {
      const error = answer.left
      return yield* Effect.forEach(
        writes,
        (write) => (isRetryable(error) ? Request.fail(write, error) : Request.succeed(write, alone)),
        { discard: true }
      )
    }
    const result = answer.right
    // An answer that does not match the changes one for one is not trusted: each change then goes
    // on its own, which finds what the batch did (an identical record adopted, a deleted one gone).
    if (result.patches.length !== patches.length || result.posts.length !== posts.length) {
      return yield* Effect.forEach(writes, (write) => Request.succeed(write, alone), { discard: true })
    }
    yield* Effect.forEach(deletes, ({ write }) => Request.succeed(write, { _tag: "Deleted" }), { discard: true })
    const answered = [...result.patches, ...result.posts]
    const written = [...patches, ...posts].map(({ write }, index) => [write, answered[index]!] as const)
    yield* Effect.forEach(written, ([write, record]) => Request.succeed(write, { _tag: "Written", record }), {
      discard: true
    })
  })

/** The changes of one zone in batches of at most `maxChanges`, one after the other; zones side by side. */
const resolver = (records: Records) =>
  RequestResolver.makeBatched((writes: NonEmptyArray<RecordWrite>) => {
    const zones = groupBy(writes, (write) => write.zoneId)
    return Effect.forEach(
      zones,
      ([zoneId, changes]) =>
        Effect.forEach(
          Array.from({ length: Math.ceil(changes.length / maxChanges) }, (_, index) =>
            changes.slice(index * maxChanges, (index + 1) * maxChanges)
          ),
          (chunk) => send(records, zoneId, chunk as NonEmptyArray<RecordWrite>),
          { discard: true }
        ),
      { concurrency: "unbounded", discard: true }
    )
  })

/** `records`' create, update and delete, with the calls made at the same time gathered into batches. */
export const make = (records: Records): Pick<Records, "create" | "update" | "delete"> => {
  const batched = resolver(records)
  const singles = Effect.unsafeMakeSemaphore(singleCalls)
  let waiting: Array<{ readonly write: RecordWrite; readonly done: Deferred.Deferred<Outcome, CloudflareError> }> = []

  const gather = Effect.gen(function* () {
    let quiet = 0
    while (quiet < quietTurns) {
      const seen = waiting.length
      yield* Effect.yieldNow()
      quiet = waiting.length > seen ? 0 : quiet + 1
    }
  })
  const flush = Effect.suspend(() => {
    const taken = waiting
    waiting = []
    return Effect.forEach(
      taken,
      ({ done, write }) =>
        Effect.request(write, batched).pipe(
          Effect.exit,
          Effect.flatMap((exit) => Deferred.done(done, exit))
        ),
      { batching: true, discard: true }
    )
  }).pipe(Effect.withRequestCaching(false))

  /** The first call of a window gathers the others and sends them all, whatever becomes of its own fiber. */
  const submit = (zoneId: string, change: Change) =>
    Effect.gen(function* () {
      const done = yield* Deferred.make<Outcome, CloudflareError>()
      waiting.push({ write: RecordWrite({ zoneId, change }), done })
      if (waiting.length === 1) yield* Effect.uninterruptible(Effect.zipRight(gather, flush))
      return yield* Deferred.await(done)
    })
  const written = (outcome: Outcome, single: Effect.Effect<DnsRecord, CloudflareError>) =>
    outcome._tag === "Written" ? Effect.succeed(outcome.record) : singles.withPermits(1)(single)

  return {
    create: (zoneId, record) =>
      Effect.flatMap(submit(zoneId, { _tag: "post", record }), (outcome) =>
        written(outcome, records.create(zoneId, record))
      ),
    update: (zoneId, id, changes) =>
      Effect.flatMap(submit(zoneId, { _tag: "patch", id, changes }), (outcome) =>
        written(outcome, records.update(zoneId, id, changes))
      ),
    delete: (zoneId, id) =>
      Effect.flatMap(submit(zoneId, { _tag: "delete", id }), (outcome) =>
        outcome._tag === "Alone" ? singles.withPermits(1)(records.delete(zoneId, id)) : Effect.void
      )
  }
}

/** `api` with its DNS record writes gathered into batches. */
export const withBatches = (api: CloudflareApiService): CloudflareApiService => ({
  ...api,
  dns: { records: { ...api.dns.records, ...make(api.dns.records) } }
})
