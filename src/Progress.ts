/**
 * What the operator sees while `up` and `down` run. Without a terminal: Terraform's plain lines
 * (`Creating...`, `Still creating... [10s elapsed]`, `Creation complete after 3s [id=…]`). On a
 * terminal: the same permanent lines, plus a live area at the bottom listing the actions that have
 * run for a while, redrawn every second and erased before each permanent line and when the scope
 * closes. The refresh before a plan has its own line, live on a terminal. Time comes from `Clock`, so
 * `TestClock` drives it in tests.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import { printable } from "./Render.js"

/** `adopt`: a create that takes over what its cloud holds already (see `Plan.Existing`). */
export type Verb = "create" | "adopt" | "update" | "replace" | "delete"

export type Outcome =
  | { readonly _tag: "Done"; readonly id?: string | undefined }
  | { readonly _tag: "Failed"; readonly message: string }
  | { readonly _tag: "Retrying"; readonly attempt: number; readonly message: string }

export interface Reporter {
  readonly started: (key: string, verb: Verb) => Effect.Effect<void>
  /** `Retrying` keeps the action running; `Done` and `Failed` end it. */
  readonly finished: (key: string, verb: Verb, outcome: Outcome) => Effect.Effect<void>
}

export interface Options {
  /** Draw the live area (ANSI cursor movement); otherwise plain lines only. */
  readonly tty: boolean
  readonly color: boolean
  /** Receives whole lines, each ending in a newline; on a terminal also the escapes that redraw. */
  readonly write: (text: string) => void
  /** How often a plain-line run repeats `Still creating...` for one action (default 10 s). */
  readonly tickEvery?: Duration.DurationInput | undefined
  /** How long an action runs before it shows in the live area (default 3 s). */
  readonly showAfter?: Duration.DurationInput | undefined
  /** Terminal width; live lines are shortened to fit so that erasing them stays exact. */
  readonly columns?: number | undefined
  /**
   * Given the way to write a note above the live area while there is one (a note written past it
   * would be erased by the next redraw), and `undefined` once the area is gone.
   */
  readonly onLiveArea?: ((writeAbove: ((text: string) => void) | undefined) => void) | undefined
}

const words: Record<Verb, { readonly start: string; readonly done: string; readonly ing: string }> = {
  create: { start: "Creating", done: "Creation complete", ing: "creating" },
  adopt: { start: "Adopting", done: "Adoption complete", ing: "adopting" },
  update: { start: "Modifying", done: "Modifications complete", ing: "modifying" },
  replace: { start: "Replacing", done: "Replacement complete", ing: "replacing" },
  delete: { start: "Destroying", done: "Destruction complete", ing: "destroying" }
}

/** `3s`, `1m05s`, `1h02m03s`. */
export const formatElapsed = (millis: number): string => {
  const total = Math.max(0, Math.floor(millis / 1000))
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const seconds = total % 60
  const two = (n: number) => String(n).padStart(2, "0")
  if (hours > 0) return `${hours}h${two(minutes)}m${two(seconds)}s`
  if (minutes > 0) return `${minutes}m${two(seconds)}s`
  return `${seconds}s`
}

/** A message on its own line(s): control characters spelled out, continuation lines indented. */
const message = (text: string): string =>
  text
    .split("\n")
    .map((line) => printable(line))
    .join("\n  ")

const spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

/** Cursor up one line, erase that line. */
const eraseLine = "\u001b[1A\u001b[2K"
/**
 * The line below the live area, cleared from its start: the terminal echoes a Ctrl-C there (`^C`),
 * which would otherwise stay between the lines.
 */
const eraseCurrent = "\r\u001b[2K"

interface Running {
  readonly verb: Verb
  readonly startedAt: number
  ticker: Fiber.RuntimeFiber<void> | undefined
}

const painter = (options: Options) => (code: string, text: string) =>
  options.color ? `\u001b[${code}m${text}\u001b[0m` : text

/**
 * The output: permanent lines and, on a terminal, the live area of the steps running longer
 * than `showAfter`, redrawn beneath them. Everything here changes inside one `Effect.sync` at a
 * time, so a permanent line and the live area redrawn after it reach the terminal together and
 * in order.
 */
const makeScreen = (options: Options, running: ReadonlyMap<string, Running>) => {
  const showAfter = Duration.toMillis(options.showAfter ?? "3 seconds")
  const paint = painter(options)
  let drawn = 0
  let frame = 0
  let closed = false

  const liveLines = (now: number): ReadonlyArray<string> => {
    const lines: Array<string> = []
    for (const [key, entry] of running) {
      const age = now - entry.startedAt
      if (age < showAfter) continue
      const head = `${spinner[frame % spinner.length]} ${words[entry.verb].ing} `
      const tail = ` … ${formatElapsed(age)}`
      let shown = printable(key)
      const room = options.columns === undefined ? Infinity : options.columns - 1 - head.length - tail.length
      if (shown.length > room) shown = room <= 1 ? "…" : `…${shown.slice(shown.length - room + 1)}`
      lines.push(`${paint("36", head.slice(0, 1))}${head.slice(1)}${shown}${tail}`)
    }
    return lines
  }

  /** Writes `text` (whole lines) and, on a terminal, redraws the live area beneath it. */
  const write = (now: number, text: string) => {
    let out = ""
    if (options.tty) {
      out += eraseCurrent + eraseLine.repeat(drawn)
      drawn = 0
    }
    out += text
    if (options.tty && !closed) {
      const live = liveLines(now)
      out += live.map((entry) => `${entry}\n`).join("")
      drawn = live.length
    }
    if (out !== "") options.write(out)
  }

  /** Writes a permanent line (if any) and, on a terminal, redraws the live area beneath it. */
  const emit = (now: number, line: string | undefined) =>
    Effect.sync(() => write(now, line === undefined ? "" : `${line}\n`))

  if (options.tty) options.onLiveArea?.((text) => write(Date.now(), text.endsWith("\n") ? text : `${text}\n`))

  /** The spinner's next frame, drawn when there is a live area to draw or to clear. */
  const tick = (now: number) =>
    Effect.suspend(() => {
      frame++
      return drawn > 0 || liveLines(now).length > 0 ? emit(now, undefined) : Effect.void
    })

  /** Clears the live area for good: what follows is written below the last permanent line. */
  const close = Effect.sync(() => {
    closed = true
    if (options.tty) options.onLiveArea?.(undefined)
    if (drawn > 0) options.write(eraseCurrent + eraseLine.repeat(drawn))
    drawn = 0
  })

  return { emit, tick, close }
}

export const make = (options: Options): Effect.Effect<Reporter, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const tickEvery = Duration.decode(options.tickEvery ?? "10 seconds")
    const paint = painter(options)
    const running = new Map<string, Running>()
    const { emit, tick, close } = makeScreen(options, running)

    const prefix = (key: string) => paint("1", `${printable(key)}:`)

    const stillRunning = (key: string, verb: Verb, startedAt: number) =>
      Effect.sleep(tickEvery).pipe(
        Effect.zipRight(Clock.currentTimeMillis),
        Effect.flatMap((now) =>
          emit(now, `${prefix(key)} Still ${words[verb].ing}... [${formatElapsed(now - startedAt)} elapsed]`)
        ),
        Effect.forever
      )

    yield* Effect.addFinalizer(() => close)

    if (options.tty) {
      yield* Effect.sleep("1 second").pipe(
        Effect.zipRight(Clock.currentTimeMillis),
        Effect.flatMap((now) => tick(now)),
        Effect.forever,
        Effect.forkScoped
      )
    }

    const stopTicker = (entry: Running | undefined) =>
      entry?.ticker === undefined ? Effect.void : Fiber.interrupt(entry.ticker)

    const started = (key: string, verb: Verb): Effect.Effect<void> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        yield* stopTicker(running.get(key))
        const entry: Running = { verb, startedAt: now, ticker: undefined }
        running.set(key, entry)
        yield* emit(now, `${prefix(key)} ${words[verb].start}...`)
        // Interruptible even when started from an uninterruptible action, so `finished` can stop it.
        if (!options.tty) entry.ticker = yield* Effect.forkIn(Effect.interruptible(stillRunning(key, verb, now)), scope)
      })

    const finished = (key: string, verb: Verb, outcome: Outcome): Effect.Effect<void> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        if (outcome._tag === "Retrying") {
          const retry = paint("33", `Retrying (attempt ${outcome.attempt}):`)
          return yield* emit(now, `${prefix(key)} ${retry} ${message(outcome.message)}`)
        }
        const entry = running.get(key)
        running.delete(key)
        yield* stopTicker(entry)
        const took = formatElapsed(now - (entry?.startedAt ?? now))
        if (outcome._tag === "Failed") {
          const failed = paint("31", `Failed after ${took}:`)
          return yield* emit(now, `${prefix(key)} ${failed} ${message(outcome.message)}`)
        }
        const id = outcome.id === undefined ? "" : ` [id=${printable(outcome.id)}]`
        yield* emit(now, `${prefix(key)} ${words[verb].done} after ${took}${id}`)
      })

    return { started, finished }
  })

/** What the refresh before a plan reports as the clouds answer. */
export interface RefreshReporter {
  /** `total` resources to read, in `batches` reads that each answer at once (one per cloud). */
  readonly started: (total: number, batches: number) => Effect.Effect<void>
  /** One batch answered, for `count` resources. */
  readonly read: (count: number) => Effect.Effect<void>
  readonly finished: Effect.Effect<void>
}

/** `1.4 s`: the refresh takes seconds, and tenths show it moving. */
const seconds = (millis: number) => `${(Math.max(0, millis) / 1000).toFixed(1)} s`

const resources = (count: number) => `${count} resource${count === 1 ? "" : "s"}`

/**
 * The refresh on one line: on a terminal, a live line counting the resources read so far, redrawn as each
 * cloud answers and as the time passes, then replaced by the final line; elsewhere the final line alone. The
 * live line has no newline and is redrawn in place: what else is written meanwhile (a log line, the note of a
 * Ctrl-C) moves it down a line rather than being erased by it.
 */
export const refreshing = (
  options: Pick<Options, "tty" | "write" | "columns"> & { readonly redrawEvery?: Duration.DurationInput }
): Effect.Effect<RefreshReporter, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    let total = 0
    let batches = 0
    let read = 0
    let answered = 0
    let startedAt = 0
    let drawn = false
    let ticker: Fiber.RuntimeFiber<void> | undefined
    const erase = () => (drawn ? eraseCurrent : "")
    const draw = (now: number) =>
      Effect.sync(() => {
        // A cloud answers for all its resources at once: the line says so, rather than seem stuck.
        const clouds = `${answered} of ${batches} cloud${batches === 1 ? "" : "s"} answered`
        const line = `Refreshing state… ${read}/${resources(total)}, ${clouds} (${seconds(now - startedAt)})`
        options.write(`${eraseCurrent}${options.columns === undefined ? line : line.slice(0, options.columns - 1)}`)
        drawn = true
      })
    const stop = Effect.suspend(() => (ticker === undefined ? Effect.void : Fiber.interrupt(ticker)))
    // Interrupted mid-refresh (Ctrl-C), the live line goes with it.
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(
        stop,
        Effect.sync(() => {
          if (drawn) options.write(eraseCurrent)
          drawn = false
        })
      )
    )
    const redraw = Effect.sleep(options.redrawEvery ?? "100 millis").pipe(
      Effect.zipRight(Clock.currentTimeMillis),
      Effect.flatMap((now) => draw(now)),
      Effect.forever
    )
    return {
      started: (count, reads) =>
        Effect.gen(function* () {
          total = count
          batches = reads
          startedAt = yield* Clock.currentTimeMillis
          if (!options.tty) return
          yield* draw(startedAt)
          ticker = yield* Effect.forkIn(redraw, scope)
        }),
      read: (count) =>
        Effect.gen(function* () {
          read += count
          answered++
          if (options.tty) yield* draw(yield* Clock.currentTimeMillis)
        }),
      finished: Effect.gen(function* () {
        yield* stop
        const now = yield* Clock.currentTimeMillis
        options.write(`${erase()}Refreshed ${resources(total)} in ${seconds(now - startedAt)}\n`)
        drawn = false
      })
    }
  })
