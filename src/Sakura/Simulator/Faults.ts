/**
 * Faults the simulated usacloud injects, and their spec language
 * (`FLEETFLOW_USACLOUD_SIMULATOR_FAULTS`):
 *
 * ```
 * spec    := rule ("," rule)*
 * rule    := target ["@" zone] "=" kind ["*" count]
 * target  := "*" | resource | resource " *" | resource " " command     e.g. server create, disk *, ssh-key list
 * kind    := 400 | 401 | 403 | 404 | 409 | 423 | 429 | 500 | 502 | 503 | 504   an API error (exit 1)
 *          | garbage   exit 0, an error line on stderr and truncated JSON on stdout
 *          | config    exit 0, a config loading error on stderr and nothing on stdout
 *          | timeout   usacloud's own `command[...] timed out` error (exit 1)
 *          | hang      never answers (the caller's timeout must stop it)
 * count   := a positive whole number: the rule affects the first `count` matching calls
 * ```
 *
 * Without a count a rule affects every matching call. Commands are named by their canonical
 * names (`boot`, not `power-on`); `@zone` limits a rule to calls with that `--zone`.
 * Example: `server create=503*2,disk delete=401,server list=garbage,* @is1b=hang`.
 * A status is what usacloud reports after its own retries, so `503*2` is two failed runs.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { ruleList } from "../../Simulation/FaultSpec.js"

export const statuses = {
  400: {
    text: "400 Bad Request",
    code: "bad_request",
    message: "不適切な要求です。パラメータの指定誤り、入力規則違反です。"
  },
  401: { text: "401 Unauthorized", code: "unauthorized", message: "ログインが必要です。認証に失敗しました。" },
  403: { text: "403 Forbidden", code: "forbidden", message: "要求された操作は許可されていません。" },
  404: {
    text: "404 Not Found",
    code: "not_found",
    message: "対象が見つかりません。対象が存在しないか、参照権限がありません。"
  },
  409: {
    text: "409 Conflict",
    code: "still_creating",
    message: "要求された操作を行えません。リソースの作成処理中です。しばらくしてから再度お試しください。"
  },
  423: {
    text: "423 Locked",
    code: "busy",
    message: "要求された操作を行えません。対象は他の操作の処理中です。しばらくしてから再度お試しください。"
  },
  429: { text: "429 Too Many Requests", code: "too_many_requests", message: "リクエストが多すぎます。" },
  500: { text: "500 Internal Server Error", code: "internal_server_error", message: "内部エラーが発生しました。" },
  502: { text: "502 Bad Gateway", code: "bad_gateway", message: "ゲートウェイでエラーが発生しました。" },
  503: {
    text: "503 Service Unavailable",
    code: "service_unavailable",
    message: "サービスが利用できません。メンテナンス中、または混雑しています。"
  },
  504: { text: "504 Gateway Timeout", code: "gateway_timeout", message: "ゲートウェイがタイムアウトしました。" }
} as const satisfies Record<number, { readonly text: string; readonly code: string; readonly message: string }>

export type Status = keyof typeof statuses
const statusCodes = Object.keys(statuses).map(Number)

export const FaultKind = Schema.Union(
  Schema.Literal("garbage", "config", "timeout", "hang"),
  Schema.Literal(...(statusCodes as Array<Status>))
)
export type FaultKind = typeof FaultKind.Type

export const SimulatorFault = Schema.Struct({
  /** `*`, `server`, `server *` or `server create`. */
  command: Schema.NonEmptyString,
  zone: Schema.optional(Schema.String),
  kind: FaultKind,
  /** How many matching calls it affects; every one when absent. */
  times: Schema.optional(Schema.Int.pipe(Schema.positive()))
})
export type SimulatorFault = typeof SimulatorFault.Type

/** The rule in spec form. */
export const format = (fault: SimulatorFault): string =>
  `${fault.command}${fault.zone === undefined ? "" : `@${fault.zone}`}=${fault.kind}${fault.times === undefined ? "" : `*${fault.times}`}`

/** Whether `fault` applies to `command` (canonical `resource verb`) run in `zone`. */
export const matches = (fault: SimulatorFault, command: string, zone: string | undefined): boolean => {
  const target = fault.command.trim().replace(/\s+/g, " ")
  const [resource] = command.split(" ")
  const commandMatches = target === "*" || target === command || target === resource || target === `${resource} *`
  return commandMatches && (fault.zone === undefined || fault.zone === zone)
}

/** One rule, or why it is not one; `known` tells whether a target names a command. */
export const parseRule = (spec: string, known: (target: string) => boolean): Either.Either<SimulatorFault, string> => {
  const text = spec.trim()
  const equals = text.lastIndexOf("=")
  if (equals <= 0) return Either.left(`"${text}" is not command=fault (e.g. server create=503*2)`)
  const left = text.slice(0, equals).trim()
  const at = left.lastIndexOf("@")
  const command = (at < 0 ? left : left.slice(0, at)).trim().replace(/\s+/g, " ")
  const zone = at < 0 ? undefined : left.slice(at + 1).trim()
  const [kindText = "", times, ...rest] = text
    .slice(equals + 1)
    .trim()
    .split("*")
  if (command.length === 0) return Either.left(`"${text}": the command is empty (use * for every command)`)
  if (!known(command)) {
    return Either.left(`"${text}": unknown command "${command}" (e.g. server create, disk *, ssh-key, *)`)
  }
  if (zone !== undefined && zone.length === 0) return Either.left(`"${text}": the zone after @ is empty`)
  const kind: FaultKind | undefined = /^\d+$/.test(kindText)
    ? statusCodes.includes(Number(kindText))
      ? (Number(kindText) as Status)
      : undefined
    : (["garbage", "config", "timeout", "hang"] as const).find((name) => name === kindText)
  if (kind === undefined) {
    return Either.left(
      `"${text}": unknown fault "${kindText}" (one of ${statusCodes.join(", ")}, garbage, config, timeout, hang)`
    )
  }
  if (rest.length > 0 || (times !== undefined && !/^[1-9][0-9]*$/.test(times))) {
    return Either.left(`"${text}": the count after * must be a positive whole number`)
  }
  return Either.right({
    command,
    ...(zone === undefined ? {} : { zone }),
    kind,
    ...(times === undefined ? {} : { times: Number(times) })
  })
}

/** A comma-separated list of rules. */
export const makeFaultSpec = (known: (target: string) => boolean) =>
  ruleList(
    SimulatorFault,
    (spec) => parseRule(spec, known),
    (fault) => format(fault)
  )
