/**
 * How the text @effect/cli prints itself (help, version, usage errors, prompts) reaches the terminal: it
 * colours its help and prompts whatever the output is, and ends each usage error with a blank line of its own.
 */
import * as Terminal from "@effect/platform/Terminal"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ansi from "../Ansi.js"
import { tidyHelp } from "./Help.js"

const mapStrings = (args: ReadonlyArray<unknown>, f: (text: string) => string) =>
  args.map((arg) => (typeof arg === "string" ? f(arg) : arg))

/**
 * Runs the effect with a Console that drops escape sequences when colour is off and trims errors' trailing lines;
 * with `help` (the command asked for it, e.g. `fleetflow plan`), what it prints is that command's help, tidied.
 */
export const tidy =
  (options: { readonly color: boolean; readonly help?: string | undefined }) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Console.consoleWith((console) => {
      const { help } = options
      const shown = (text: string) => (help === undefined ? text : tidyHelp(text, help))
      const out = (text: string) => shown(options.color ? text : Ansi.strip(text))
      const err = (text: string) => out(text).replace(/\n+$/, "")
      return Console.withConsole(effect, {
        ...console,
        log: (...args) => console.log(...mapStrings(args, out)),
        error: (...args) => console.error(...mapStrings(args, err)),
        unsafe: {
          ...console.unsafe,
          log: (...args) => console.unsafe.log(...mapStrings(args, out)),
          error: (...args) => console.unsafe.error(...mapStrings(args, err))
        }
      })
    })

/** The terminal prompts draw on, without their colours. */
export const terminalWithoutColor = Layer.effect(
  Terminal.Terminal,
  Effect.map(Terminal.Terminal, (terminal) => ({
    ...terminal,
    display: (text: string) => terminal.display(Ansi.stripStyles(text))
  }))
)
