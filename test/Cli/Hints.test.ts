import { assert, describe, it } from "@effect/vitest"
import * as Hints from "../../src/Cli/Hints.js"

describe("hints carry the flags of the command that gave them", () => {
  it("finds the file, the stage and the sandbox however they were written", () => {
    assert.deepStrictEqual(Hints.flagsOf(["up", "--sandbox", "-f", "infra/fleet.kdl", "-s", "live", "--yes"]), [
      "--sandbox",
      "--file infra/fleet.kdl",
      "--stage live"
    ])
    assert.deepStrictEqual(Hints.flagsOf(["plan", "--file=my fleet.kdl", "--stage=dev"]), [
      "--file 'my fleet.kdl'",
      "--stage dev"
    ])
    assert.deepStrictEqual(Hints.flagsOf(["plan"]), [])
  })

  it("carries the state's database, its password masked: without it a hint would act on the file's store", () => {
    assert.deepStrictEqual(
      Hints.flagsOf(["up", "--state-url", "postgres://ops:s3cr3t@db.internal:5432/infra?sslpassword=x", "-s", "live"]),
      ["--stage live", "--state-url 'postgres://ops:***@db.internal:5432/infra?sslpassword=***'"]
    )
    assert.deepStrictEqual(Hints.flagsOf(["plan", "--state-url=postgres://ops@db.internal/infra"]), [
      "--state-url postgres://ops@db.internal/infra"
    ])
    assert.include(
      Hints.withFlags(
        "run `fleetflow force-unlock 4b44e990`",
        Hints.flagsOf(["up", "--state-url", "postgres://ops:s3cr3t@db/infra"])
      ),
      "`fleetflow force-unlock 4b44e990 --state-url 'postgres://ops:***@db/infra'`"
    )
  })

  it("adds what each `fleetflow …` command misses, and leaves usage hints alone", () => {
    const flags = ["--sandbox", "--file infra.kdl", "--stage live"]
    assert.strictEqual(
      Hints.withFlags("run `fleetflow force-unlock 42` if it is gone; then `fleetflow plan -s live`", flags),
      "run `fleetflow force-unlock 42 --sandbox --file infra.kdl --stage live` if it is gone; " +
        "then `fleetflow plan -s live --sandbox --file infra.kdl`"
    )
    assert.strictEqual(
      Hints.withFlags("Run `fleetflow --help` or `fleetflow <command> --help` for the usage.", flags),
      "Run `fleetflow --help` or `fleetflow <command> --help` for the usage."
    )
    assert.strictEqual(Hints.withFlags("run `fleetflow plan`", []), "run `fleetflow plan`")
    assert.strictEqual(
      Hints.withFlags("When PostgreSQL is back, run `fleetflow up` again.", ["--sandbox"], "down"),
      "When PostgreSQL is back, run `fleetflow down --sandbox` again."
    )
  })
})
