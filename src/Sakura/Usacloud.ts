/**
 * FleetFlow's one door to usacloud: typed operations on servers, disks, SSH keys, archives
 * and notes. It builds safe argument vectors (numeric IDs matched exactly, one zone, `-y`,
 * `-o json`), runs them through the `UsacloudTransport`, reads exit code, stdout and stderr
 * together, decodes every output with Schema and retries what is transient.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import * as Retry from "../Retry.js"
import { type Output, UsacloudTransport, type TransportService } from "./Transport.js"
import * as Args from "./Usacloud/Args.js"
import * as Errors from "./Usacloud/Errors.js"
import * as Readers from "./Usacloud/Readers.js"
import * as Schemas from "./Usacloud/Schemas.js"

export { isTransient, type Reason, toProviderError, UsacloudError } from "./Usacloud/Errors.js"
export type {
  ArchiveFilter,
  DiskCreateSpec,
  DiskEdit,
  DiskUpdate,
  ExistingDisk,
  ListFilter,
  NoteCreateSpec,
  NoteRef,
  NoteUpdate,
  ServerCreateSpec,
  ServerDeleteOptions,
  ServerUpdate,
  SshKeyCreateSpec,
  SshKeyUpdate
} from "./Usacloud/Args.js"
export type {
  Archive,
  AuthStatus,
  Disk,
  Interface,
  Note,
  Server,
  ServerDisk,
  SshKey
} from "./Usacloud/Schemas.js"

type Result<A> = Effect.Effect<A, Errors.UsacloudError>

export interface UsacloudService {
  readonly servers: {
    readonly list: (zone: string, filter?: Args.ListFilter) => Result<ReadonlyArray<Schemas.Server>>
    readonly read: (zone: string, id: string) => Result<Schemas.Server>
    /** Waits until the server exists (and is up, unless `bootAfterCreate: false`). */
    readonly create: (zone: string, spec: Args.ServerCreateSpec) => Result<Schemas.Server>
    /** A changed plan gives the server a new ID: use the returned one. */
    readonly update: (zone: string, id: string, changes: Args.ServerUpdate) => Result<Schemas.Server>
    readonly boot: (zone: string, id: string) => Result<void>
    readonly shutdown: (zone: string, id: string, options?: { readonly force?: boolean | undefined }) => Result<void>
    readonly waitUntilReady: (zone: string, id: string) => Result<void>
    readonly waitUntilShutdown: (zone: string, id: string) => Result<void>
    /** A running server is refused (conflict) unless `force`. */
    readonly delete: (zone: string, id: string, options?: Args.ServerDeleteOptions) => Result<void>
  }
  readonly disks: {
    readonly list: (zone: string, filter?: Args.ListFilter) => Result<ReadonlyArray<Schemas.Disk>>
    readonly read: (zone: string, id: string) => Result<Schemas.Disk>
    readonly create: (zone: string, spec: Args.DiskCreateSpec) => Result<Schemas.Disk>
    readonly update: (zone: string, id: string, changes: Args.DiskUpdate) => Result<Schemas.Disk>
    readonly delete: (zone: string, id: string) => Result<void>
  }
  /** SSH keys are global: no zone. */
  readonly sshKeys: {
    readonly list: (filter?: {
      readonly names?: ReadonlyArray<string> | undefined
    }) => Result<ReadonlyArray<Schemas.SshKey>>
    readonly read: (id: string) => Result<Schemas.SshKey>
    readonly create: (spec: Args.SshKeyCreateSpec) => Result<Schemas.SshKey>
    readonly update: (id: string, changes: Args.SshKeyUpdate) => Result<Schemas.SshKey>
    readonly delete: (id: string) => Result<void>
  }
  readonly archives: {
    readonly list: (zone: string, filter?: Args.ArchiveFilter) => Result<ReadonlyArray<Schemas.Archive>>
  }
  /** Notes (startup scripts) are global: no zone. */
  readonly notes: {
    readonly list: (filter?: Args.ListFilter) => Result<ReadonlyArray<Schemas.Note>>
    readonly read: (id: string) => Result<Schemas.Note>
    readonly create: (spec: Args.NoteCreateSpec) => Result<Schemas.Note>
    readonly update: (id: string, changes: Args.NoteUpdate) => Result<Schemas.Note>
    readonly delete: (id: string) => Result<void>
  }
  /** Who usacloud acts as; fails with reason `auth` when it has no working credentials. */
  readonly authStatus: () => Result<Schemas.AuthStatus>
}

export class Usacloud extends Context.Tag("fleetflow/Usacloud")<Usacloud, UsacloudService>() {}

export interface Settings {
  /** The usacloud profile (`--profile`); usacloud's current profile otherwise. */
  readonly profile?: string | undefined
  /** Applied to transient failures only; each attempt runs a new process. */
  readonly retry?: Retry.RetryPolicy | undefined
  /** Reads and quick changes. Default 2 minutes. */
  readonly shortTimeout?: Duration.DurationInput | undefined
  /** Commands that wait on Sakura Cloud: create, update, boot, shutdown, wait, delete. Default 10 minutes. */
  readonly longTimeout?: Duration.DurationInput | undefined
}

export const defaultShortTimeout = Duration.minutes(2)
export const defaultLongTimeout = Duration.minutes(10)

const refusedStatuses: ReadonlyArray<number> = [409, 423, 429, 503]

const shouldRetry = (call: Args.Call, error: Errors.UsacloudError) => {
  if (error.reason !== "transient") return false
  if (call.retry === "any") return true
  const code = Errors.statusCode(error)
  return code !== undefined && refusedStatuses.includes(code)
}

// Arguments can hold a whole script (note content): logs get the start of each.
const shown = (args: ReadonlyArray<string>) =>
  args.map((arg) => (arg.length > 80 ? `${arg.slice(0, 77)}...` : arg)).join(" ")

const logWarnings = (call: Args.Call, output: Output) => {
  const warnings = Errors.warningLines(output.stderr)
  return warnings.length === 0
    ? Effect.void
    : Effect.logDebug(`usacloud ${call.command} warned`).pipe(Effect.annotateLogs("warnings", warnings))
}

/** What every run of one client shares. */
interface Runner {
  readonly transport: TransportService
  readonly policy: Retry.RetryPolicy
  readonly timeouts: Record<Args.Call["duration"], Duration.DurationInput>
}

/** One process; a failed run becomes a UsacloudError. */
const attempt = (runner: Runner, call: Args.Call): Result<Output> =>
  Effect.logDebug(`usacloud ${call.command}`).pipe(
    Effect.zipRight(runner.transport.run(call.args, { timeout: runner.timeouts[call.duration] })),
    Effect.catchTags({
      UsacloudUnavailable: (error) => Effect.fail(Errors.fromUnavailable(call.command, error)),
      UsacloudTimeout: (error) => Effect.fail(Errors.fromTimeout(call.command, error))
    }),
    Effect.tap((output) => logWarnings(call, output)),
    Effect.filterOrFail(
      (output) => output.exitCode === 0,
      (output) => Errors.classify(call.command, output)
    ),
    Effect.annotateLogs("args", shown(call.args))
  )

/** Runs `call`, then `read` on its output, again while the failure is transient. */
const run = <A>(runner: Runner, call: Result<Args.Call>, read: Readers.Reader<A>): Result<A> =>
  Effect.flatMap(call, (checked) =>
    attempt(runner, checked).pipe(
      Effect.flatMap((output) => read(checked, output)),
      Retry.retryTransient(runner.policy, (error: Errors.UsacloudError) => shouldRetry(checked, error)),
      Effect.withSpan(`Usacloud ${checked.command}`)
    )
  )

export const make = (settings: Settings = {}): Effect.Effect<UsacloudService, never, UsacloudTransport> =>
  Effect.gen(function* () {
    const runner: Runner = {
      transport: yield* UsacloudTransport,
      policy: settings.retry ?? Retry.defaultPolicy,
      timeouts: {
        short: settings.shortTimeout ?? defaultShortTimeout,
        long: settings.longTimeout ?? defaultLongTimeout
      }
    }
    const build = Args.make({ profile: settings.profile })
    const exec = <A>(call: Result<Args.Call>, read: Readers.Reader<A>) => run(runner, call, read)
    const { list, nothing, one } = Readers
    const readOne = <A, I>(schema: Schema.Schema<A, I>, call: Result<Args.Call>, id: string) =>
      exec(call, one(schema, id))

    return {
      servers: {
        list: (zone, filter) => exec(build.serverList(zone, filter), list(Schemas.Server, "empty-list")),
        read: (zone, id) => readOne(Schemas.Server, build.serverRead(zone, id), id),
        create: (zone, spec) => exec(build.serverCreate(zone, spec), one(Schemas.Server)),
        update: (zone, id, changes) => exec(build.serverUpdate(zone, id, changes), one(Schemas.Server)),
        boot: (zone, id) => exec(build.serverBoot(zone, id), nothing),
        shutdown: (zone, id, options) => exec(build.serverShutdown(zone, id, options), nothing),
        waitUntilReady: (zone, id) => exec(build.serverWaitUntilReady(zone, id), nothing),
        waitUntilShutdown: (zone, id) => exec(build.serverWaitUntilShutdown(zone, id), nothing),
        delete: (zone, id, options) => exec(build.serverDelete(zone, id, options), nothing)
      },
      disks: {
        list: (zone, filter) => exec(build.diskList(zone, filter), list(Schemas.Disk, "empty-list")),
        read: (zone, id) => readOne(Schemas.Disk, build.diskRead(zone, id), id),
        create: (zone, spec) => exec(build.diskCreate(zone, spec), one(Schemas.Disk)),
        update: (zone, id, changes) => exec(build.diskUpdate(zone, id, changes), one(Schemas.Disk)),
        delete: (zone, id) => exec(build.diskDelete(zone, id), nothing)
      },
      sshKeys: {
        list: (filter) => exec(build.sshKeyList(filter), list(Schemas.SshKey, "empty-list")),
        read: (id) => readOne(Schemas.SshKey, build.sshKeyRead(id), id),
        create: (spec) => exec(build.sshKeyCreate(spec), one(Schemas.SshKey)),
        update: (id, changes) => exec(build.sshKeyUpdate(id, changes), one(Schemas.SshKey)),
        delete: (id) => exec(build.sshKeyDelete(id), nothing)
      },
      archives: {
        list: (zone, filter) => exec(build.archiveList(zone, filter), list(Schemas.Archive, "empty-list"))
      },
      notes: {
        list: (filter) => exec(build.noteList(filter), list(Schemas.Note, "empty-list")),
        read: (id) => readOne(Schemas.Note, build.noteRead(id), id),
        create: (spec) => exec(build.noteCreate(spec), one(Schemas.Note)),
        update: (id, changes) => exec(build.noteUpdate(id, changes), one(Schemas.Note)),
        delete: (id) => exec(build.noteDelete(id), nothing)
      },
      authStatus: () => exec(build.authStatus(), one(Schemas.AuthStatus))
    }
  })

/** The client over whichever `UsacloudTransport` is provided (a real binary or the simulator). */
export const layer = (settings: Settings = {}): Layer.Layer<Usacloud, never, UsacloudTransport> =>
  Layer.effect(Usacloud, make(settings))
