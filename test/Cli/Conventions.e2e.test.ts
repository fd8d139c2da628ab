/**
 * The command line's manners, through the built CLI: no colour where nobody asked for it, the options
 * every command lists accepted before or after the command, a misspelt command or option answered with
 * the one meant, one message and one hint per usage error, and completions that offer each choice.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ChildProcess from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { hasStackTrace, run, start, waitFor, workspace } from "../support/Cli.js"

const esc = "\u001b"
const sandbox = ["--sandbox", "-f", "fleet.kdl", "--stage", "dev"]

describe("command-line conventions", () => {
  it.live("help in a pipe has no escape sequence, whether NO_COLOR is set, empty or absent", () =>
    Effect.gen(function* () {
      const dir = workspace()
      for (const env of [{ NO_COLOR: "1" }, { NO_COLOR: "" }]) {
        for (const args of [["up", "--help"], ["--help"], ["up", "--no-color", "--help"]]) {
          const help = yield* run(args, dir, env)
          assert.strictEqual(help.code, 0, help.stderr)
          assert.include(help.stdout, args[0] === "up" ? "--parallelism integer" : "show what `up` would change")
          assert.notInclude(help.stdout + help.stderr, esc, `${args.join(" ")} with NO_COLOR="${env.NO_COLOR}"`)
        }
      }
    })
  )

  it.live("help names the whole command, lists commands one per line, and says nothing of a value's type", () =>
    Effect.gen(function* () {
      const dir = workspace()
      const show = yield* run(["state", "show", "--help"], dir)
      assert.strictEqual(show.code, 0, show.stderr)
      assert.match(show.stdout, /^\$ fleetflow state show \[/m)
      assert.include(show.stdout, "<KEY>\n\n  a key `fleetflow state list` prints")
      for (const args of [["up", "--help"], ["--help"], ["state", "--help"], ["force-unlock", "--help"]]) {
        const help = yield* run(args, dir)
        assert.notMatch(help.stdout, /user-defined piece of text|A true or false value/, args.join(" "))
      }
      const root = yield* run(["--help"], dir)
      assert.match(
        root.stdout,
        /^ {2}plan {2,}show what `up` would change \(with --destroy, what `down` would destroy\); changes nothing$/m
      )
      assert.match(root.stdout, /^ {2}state show {2,}show one resource the state holds$/m)
      assert.include(root.stdout, "Run `fleetflow <command> --help` for a command's arguments and options.")
      const commands = root.stdout.slice(root.stdout.indexOf("COMMANDS"), root.stdout.indexOf("GLOBAL OPTIONS"))
      assert.notInclude(commands, "--file", "a command's options are in its own help")
      const group = yield* run(["state", "--help"], dir)
      assert.match(group.stdout, /^\$ fleetflow state$/m)
      assert.match(group.stdout, /^ {2}list {2,}list the resource keys the state holds$/m)
    })
  )

  it.live("--log-level, --version and --help are taken after the command as before it", () =>
    Effect.gen(function* () {
      const dir = workspace()
      const after = yield* run(["validate", "-f", "fleet.kdl", "--log-level", "debug"], dir)
      assert.strictEqual(after.code, 0, after.stderr)
      assert.include(after.stdout, "is valid")

      // The sandbox's usacloud calls are logged at debug level: shown only when asked for, wherever it is asked.
      const quiet = yield* run(["plan", ...sandbox], dir)
      assert.strictEqual(quiet.code, 0, quiet.stderr)
      assert.notInclude(quiet.stderr, "usacloud auth-status")
      for (const args of [
        ["plan", ...sandbox, "--log-level", "debug"],
        ["plan", ...sandbox, "--log-level=debug"],
        ["--log-level", "debug", "plan", ...sandbox]
      ]) {
        const debug = yield* run(args, dir)
        assert.strictEqual(debug.code, 0, debug.stderr)
        assert.include(debug.stderr, "usacloud auth-status", args.join(" "))
      }

      const version = yield* run(["plan", "-s", "dev", "--version"], dir)
      assert.strictEqual(version.code, 0, version.stderr)
      assert.match(version.stdout, /^\d+\.\d+\.\d+/)

      const help = yield* run(["plan", "-s", "dev", "--help"], dir)
      assert.strictEqual(help.code, 0, help.stderr)
      assert.include(help.stdout, "--detailed-exitcode", "the help of the command it follows")
    })
  )

  it.live("a misspelt command or option is answered with the one meant, as a usage error", () =>
    Effect.gen(function* () {
      const dir = workspace()
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        [
          ["pln"],
          "Unknown command `pln` for `fleetflow`. Did you mean `plan`?\n  Run `fleetflow --help` for the usage.\n"
        ],
        [
          ["state", "lst"],
          "Unknown command `lst` for `fleetflow state`. Did you mean `list`?\n  Run `fleetflow state --help` for the usage.\n"
        ],
        [
          ["plan", "--stag", "dev"],
          "Unknown option `--stag` for `fleetflow plan`. Did you mean `--stage`?\n  Run `fleetflow plan --help` for the usage.\n"
        ],
        [
          ["plan", "--refresh", "maybe"],
          "--refresh: 'maybe' is not one of true, false\n  Run `fleetflow plan --help` for the usage.\n"
        ]
      ]
      for (const [args, stderr] of cases) {
        const result = yield* run(args, dir)
        assert.strictEqual(result.code, 1, args.join(" "))
        assert.strictEqual(result.stderr, stderr)
        assert.strictEqual(result.stdout, "")
      }
      // What follows the misspelt name may be a secret: the answer names the option, never its value.
      const secret = yield* run(["plan", "--state-ur=postgres://ops:hunter2@db.example/fleet"], dir)
      assert.strictEqual(secret.code, 1)
      assert.include(secret.stderr, "Unknown option `--state-ur` for `fleetflow plan`. Did you mean `--state-url`?")
      assert.notInclude(secret.stderr, "hunter2")

      const far = yield* run(["zzz"], dir)
      assert.strictEqual(far.code, 1)
      assert.include(far.stderr, "The commands are validate, plan, up, down")
    })
  )

  it.live("a usage error names its option, with one message and one hint line, and no stack trace", () =>
    Effect.gen(function* () {
      const dir = workspace()
      const integer = yield* run(["up", ...sandbox, "--parallelism", "x"], dir)
      assert.strictEqual(integer.code, 1)
      assert.strictEqual(
        integer.stderr,
        "--parallelism: 'x' is not an integer\n  Run `fleetflow up --help` for the usage.\n"
      )
      const count = yield* run(["scale", "web", "x", ...sandbox], dir)
      assert.strictEqual(count.code, 1)
      assert.strictEqual(count.stderr, "COUNT: 'x' is not an integer\n  Run `fleetflow scale --help` for the usage.\n")
      const choice = yield* run(["up", ...sandbox, "--on-failure=later"], dir)
      assert.strictEqual(choice.code, 1)
      assert.include(choice.stderr, "--on-failure: 'later' is not one of abort, rollback, continue\n")

      // Errors @effect/cli reports itself get the same tidy ending.
      for (const args of [
        ["plan", "--stage"],
        ["scale", "web", "x"]
      ]) {
        const result = yield* run(args, dir)
        assert.strictEqual(result.code, 1, args.join(" "))
        const lines = result.stderr.trimEnd().split("\n")
        assert.strictEqual(lines.length, 2, result.stderr)
        assert.strictEqual(lines[1], `  Run \`fleetflow ${args[0]} --help\` for the usage.`)
        assert.isFalse(hasStackTrace(result.stderr), result.stderr)
      }
    })
  )

  it.live("--wizard without a terminal to ask on is a usage error, not a wait for answers that cannot come", () =>
    Effect.gen(function* () {
      const dir = workspace()
      for (const args of [["--wizard"], ["plan", "--wizard"]]) {
        // Standard input here is a pipe that stays open: the wizard would wait on it for ever.
        const refused = yield* run(args, dir)
        assert.strictEqual(refused.code, 1, args.join(" "))
        assert.strictEqual(
          refused.stderr,
          "--wizard asks its questions on a terminal, and standard input is not one.\n" +
            `  Run \`${["fleetflow", ...args.slice(0, -1)].join(" ")} --help\` for the usage.\n`
        )
      }
    })
  )

  it.live("a command that runs no actions, stopped, says it stopped and nothing of a lock or of actions", () =>
    Effect.gen(function* () {
      const dir = workspace()
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        fs.rmSync(path.join(dir, ".fleetflow"), { recursive: true, force: true })
        const slow = yield* start(["plan", ...sandbox], dir, { FLEETFLOW_SANDBOX_LATENCY: "10s" })
        // The simulated account is seeded as the refresh starts.
        const seeded = path.join(dir, ".fleetflow", "sandbox", "cloudflare-api.json")
        yield* waitFor(() => fs.existsSync(seeded), "the refresh")
        yield* slow.process.kill(signal)
        yield* slow.process.exitCode
        const { stderr } = slow.output()
        assert.include(stderr, "Stopped.", signal)
        assert.notMatch(stderr, /lock|actions?\b|recorded/, signal)
      }
    }).pipe(Effect.scoped)
  )

  it.live("`fleetflow` alone, or a group alone, prints the help and exits 1", () =>
    Effect.gen(function* () {
      const dir = workspace()
      const bare = yield* run([], dir)
      assert.strictEqual(bare.code, 1)
      assert.include(bare.stdout, "COMMANDS")
      assert.match(bare.stdout, /^ {2}plan {2,}show what/m)
      const group = yield* run(["state"], dir)
      assert.strictEqual(group.code, 1)
      assert.match(group.stdout, /^ {2}list {2,}list the resource keys/m)
    })
  )

  it.live("bash completions offer each choice, and complete nested and dashed commands' options", () =>
    Effect.gen(function* () {
      const dir = workspace()
      const script = yield* run(["--completions", "bash"], dir)
      assert.strictEqual(script.code, 0, script.stderr)
      const file = path.join(dir, "fleetflow.bash")
      fs.writeFileSync(file, script.stdout)
      // As bash calls it on TAB: the command's name first, the words typed so far in COMP_WORDS.
      const complete = (...words: ReadonlyArray<string>) =>
        ChildProcess.execFileSync(
          "bash",
          [
            "-c",
            `source "$0"; COMP_WORDS=(${words.map((word) => `'${word}'`).join(" ")}); COMP_CWORD=${words.length - 1}; ` +
              `_fleetflow_bash_completions fleetflow; printf '%s\\n' "\${COMPREPLY[@]}"`,
            file
          ],
          { encoding: "utf8" }
        )
          .split("\n")
          .filter((word) => word !== "")
      assert.deepStrictEqual(complete("fleetflow", "up", "--on-failure", ""), ["abort", "rollback", "continue"])
      assert.deepStrictEqual(complete("fleetflow", "plan", "--refresh", ""), ["true", "false"])
      assert.include(complete("fleetflow", "state", "list", "--st"), "--stage")
      assert.include(complete("fleetflow", "force-unlock", "--y"), "--yes")

      const zsh = yield* run(["--completions", "zsh"], dir)
      assert.include(zsh.stdout, ":CHOICE:(abort rollback continue)")
      const fish = yield* run(["--completions", "fish"], dir)
      assert.include(fish.stdout, `-a "{abort'',rollback'',continue''}"`)
    })
  )
})
