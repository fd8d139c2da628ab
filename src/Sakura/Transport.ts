/**
 * How a usacloud invocation reaches a usacloud: the real binary through a process, or the
 * simulator in process. The `Usacloud` client builds the arguments and reads the output;
 * a transport only runs them, so tests and the sandbox swap it without touching the client.
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/** What one run of usacloud printed, read together. */
export interface Output {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  /** Extra environment for this run (e.g. `SAKURACLOUD_PROFILE`); never logged. */
  readonly env?: Readonly<Record<string, string>> | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

/** The binary could not be started at all. */
export class UsacloudUnavailable extends Schema.TaggedError<UsacloudUnavailable>()("UsacloudUnavailable", {
  binary: Schema.String,
  detail: Schema.String,
  /** What to do about it, where installing usacloud is not the answer (the simulator's file). */
  hint: Schema.optional(Schema.String)
}) {
  override get message() {
    return `usacloud could not be run (${this.binary}: ${this.detail}).\n  ${
      this.hint ??
      "Install usacloud (https://docs.usacloud.jp/usacloud/installation/), run `usacloud config` once, " +
        "or point FLEETFLOW_USACLOUD at the binary."
    }`
  }
}

/** The run did not finish within its timeout; it was stopped. */
export class UsacloudTimeout extends Schema.TaggedError<UsacloudTimeout>()("UsacloudTimeout", {
  args: Schema.Array(Schema.String),
  timeoutMillis: Schema.Number
}) {
  override get message() {
    return `usacloud ${this.args.slice(0, 2).join(" ")} did not answer within ${this.timeoutMillis} ms`
  }
}

export interface TransportService {
  readonly run: (
    args: ReadonlyArray<string>,
    options?: RunOptions
  ) => Effect.Effect<Output, UsacloudUnavailable | UsacloudTimeout>
}

export class UsacloudTransport extends Context.Tag("fleetflow/UsacloudTransport")<
  UsacloudTransport,
  TransportService
>() {}
