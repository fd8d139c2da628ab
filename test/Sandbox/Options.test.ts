import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Sandbox from "../../src/Sandbox.js"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("Sandbox options from the environment", () => {
  it.effect("nothing set: no options", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* Sandbox.optionsFromEnv.pipe(withEnv({})), {})
    })
  )

  it.effect("latency, boot time and faults", () =>
    Effect.gen(function* () {
      const options = yield* Sandbox.optionsFromEnv.pipe(
        withEnv({
          FLEETFLOW_SANDBOX_LATENCY: "200ms",
          FLEETFLOW_SANDBOX_BOOT_TIME: "5s",
          FLEETFLOW_SANDBOX_FAULTS:
            "create:cloudflare:dns:*=permanent,update:*=transient*2, delete:sakura-cloud:server:web=hang"
        })
      )
      assert.isTrue(Duration.equals(options.latency!, Duration.millis(200)))
      assert.isTrue(Duration.equals(options.bootTime!, Duration.seconds(5)))
      assert.deepStrictEqual(options.faults, [
        { operation: "create", key: "cloudflare:dns:*", kind: "permanent" },
        { operation: "update", key: "*", kind: "transient", times: 2 },
        { operation: "delete", key: "sakura-cloud:server:web", kind: "hang" }
      ])
    })
  )

  it.effect("a bad fault spec names the variable and the bad part", () =>
    Effect.gen(function* () {
      for (const [spec, part] of [
        ["create:*=transient,explode:*=hang", "explode"],
        ["create:*=flaky", "flaky"],
        ["create:*=transient*0", "transient*0"],
        ["create=hang", "create=hang"],
        ["read:=hang", "read:=hang"]
      ] as const) {
        const error = yield* Effect.flip(Sandbox.optionsFromEnv.pipe(withEnv({ FLEETFLOW_SANDBOX_FAULTS: spec })))
        assert.strictEqual(error._tag, "SandboxOptionsError")
        assert.strictEqual(error.variable, "FLEETFLOW_SANDBOX_FAULTS")
        assert.include(error.message, "FLEETFLOW_SANDBOX_FAULTS")
        assert.include(error.message, part)
      }
    })
  )

  it.effect("a bad duration names the variable", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Sandbox.optionsFromEnv.pipe(withEnv({ FLEETFLOW_SANDBOX_BOOT_TIME: "fast" })))
      assert.strictEqual(error.variable, "FLEETFLOW_SANDBOX_BOOT_TIME")
      assert.include(error.message, "fast")
      const bare = yield* Effect.flip(Sandbox.optionsFromEnv.pipe(withEnv({ FLEETFLOW_SANDBOX_LATENCY: "200" })))
      assert.strictEqual(bare.variable, "FLEETFLOW_SANDBOX_LATENCY")
    })
  )

  it("fault specs round-trip", () => {
    const spec = "create:cloudflare:dns:*=permanent,update:*=transient*2"
    const rules = Schema.decodeEither(Sandbox.FaultSpec)(spec)
    assert.isTrue(Either.isRight(rules))
    if (Either.isRight(rules)) assert.strictEqual(Schema.encodeSync(Sandbox.FaultSpec)(rules.right), spec)
    assert.strictEqual(Schema.decodeSync(Sandbox.DurationSpec)("0").pipe(Duration.toMillis), 0)
    assert.strictEqual(Schema.decodeSync(Sandbox.DurationSpec)("1.5s").pipe(Duration.toMillis), 1500)
  })
})
