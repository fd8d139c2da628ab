/**
 * The help as @effect/cli prints it, tidied: in colour too, where every line of the text can start with
 * the codes that end the header above it.
 */
import { assert, describe, it } from "@effect/vitest"
import { tidyHelp } from "../../src/Cli/Help.js"

const bold = "\u001b[1m"
const reset = "\u001b[0m\u001b[39m\u001b[49m"

describe("help", () => {
  it("keeps the colour codes of what it rewrites, so nothing stays bold", () => {
    const printed = [
      `${bold}USAGE`,
      "",
      `${reset}$ show [(-f, --file text)] <KEY>`,
      "",
      `${bold}ARGUMENTS`,
      "",
      `${bold}<KEY>`,
      "",
      `${reset}  A user-defined piece of text.`,
      "",
      "  a key",
      "",
      `${bold}COMMANDS`,
      "",
      `${reset}  - list [(-f, --file text)]        list the keys  `,
      "",
      "  - show [(-f, --file text)] <KEY>  show one  ",
      "",
      `${bold}GLOBAL OPTIONS`
    ].join("\n")
    assert.strictEqual(
      tidyHelp(printed, "fleetflow state show"),
      [
        `${bold}USAGE`,
        "",
        `${reset}$ fleetflow state show [(-f, --file text)] <KEY>`,
        "",
        `${bold}ARGUMENTS`,
        "",
        `${bold}<KEY>`,
        "",
        `${reset}  a key`,
        "",
        `${bold}COMMANDS`,
        "",
        `${reset}  list  list the keys`,
        "  show  show one",
        "",
        "Run `fleetflow state show <command> --help` for a command's arguments and options.",
        "",
        `${bold}GLOBAL OPTIONS`
      ].join("\n")
    )
  })
})
