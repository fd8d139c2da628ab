/**
 * What every store's lock shares: who takes it (`LockInfo`), how a holder is reported, and how
 * a command waits for a lock another one holds.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Crypto from "node:crypto"
import * as Os from "node:os"
import { type CurrentLock, type LockInfo, type LockOptions, type StateError, StateLocked } from "./Store.js"

const defaultPollInterval = Duration.millis(250)

/** Who runs this process, for the lock and the versions a store keeps. */
export const userName = (): string => {
  try {
    return Os.userInfo().username
  } catch {
    // Containers often run under a uid with no passwd entry.
    return process.env.USER ?? process.env.LOGNAME ?? String(process.getuid?.() ?? "unknown")
  }
}

/** A fresh lock for `operation`, held by this process. */
export const makeLockInfo = (operation: string, version: string | undefined): Effect.Effect<LockInfo> =>
  Effect.map(Clock.currentTimeMillis, (now) => ({
    id: Crypto.randomUUID(),
    pid: process.pid,
    host: Os.hostname(),
    user: userName(),
    operation,
    created: new Date(now).toISOString(),
    ...(version === undefined ? {} : { version })
  }))

/** The lock as recorded, without what was told about its holder. */
export const lockInfoOf = (lock: CurrentLock): LockInfo => ({
  id: lock.id,
  pid: lock.pid,
  host: lock.host,
  user: lock.user,
  operation: lock.operation,
  created: lock.created,
  ...(lock.version === undefined ? {} : { version: lock.version })
})

/** The error saying `lock` is held by someone else. */
export const lockedError = (path: string, lock: CurrentLock): StateLocked =>
  new StateLocked({
    path,
    lock: lockInfoOf(lock),
    stale: lock.stale,
    ...(lock.unreadable === undefined ? {} : { unreadable: lock.unreadable })
  })

/** Retries a lock attempt while another live holder has it, until `timeout` passes. */
export const waitForLock = <R>(
  attempt: Effect.Effect<LockInfo, StateLocked | StateError, R>,
  options: LockOptions | undefined
): Effect.Effect<LockInfo, StateLocked | StateError, R> => {
  const timeout = Duration.decode(options?.timeout ?? Duration.zero)
  if (!Duration.greaterThan(timeout, Duration.zero)) return attempt
  return Effect.retry(attempt, {
    schedule: Schedule.spaced(options?.pollInterval ?? defaultPollInterval).pipe(Schedule.upTo(timeout)),
    // A stale lock never clears by itself: say so at once rather than after the timeout.
    while: (error) => error._tag === "StateLocked" && !error.stale
  })
}
