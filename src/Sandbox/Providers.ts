/**
 * The one composition behind `--sandbox` and `Fake.layer()`: the real Sakura provider over the
 * usacloud simulator and the real Cloudflare provider over the Cloudflare API simulator, as one
 * provider named "sandbox", with the fault rules acted out at their transports. The sandbox
 * passes file stores and the real wrangler; the fakes pass memory stores and wrangler in process.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type * as CloudflareSimulator from "../Cloudflare/Simulator.js"
import type { WranglerService } from "../Cloudflare/Wrangler.js"
import { type CloudProviderService, combineServices } from "../Provider.js"
import type * as SakuraSimulator from "../Sakura/Simulator.js"
import * as CloudflareApi from "./CloudflareApi.js"
import { type Runtime, withCalls } from "./FaultInjection.js"
import type { SandboxOptions } from "./Options.js"
import * as TransportFaults from "./TransportFaults.js"
import * as Usacloud from "./Usacloud.js"

export interface Clouds {
  readonly usacloud: SakuraSimulator.SimulatorStore
  readonly cloudflare: CloudflareSimulator.CloudflareStore
  /** Deploys Workers and Pages to the simulator in `cloudflare`. */
  readonly wrangler: WranglerService
  /** What the Cloudflare provider writes its generated wrangler configurations with. */
  readonly fs: FileSystem.FileSystem
  readonly faults: Runtime
}

export const make = (clouds: Clouds, options: SandboxOptions = {}): Effect.Effect<CloudProviderService> =>
  Effect.gen(function* () {
    const sakura = yield* Usacloud.provider(clouds.usacloud, clouds.faults, options)
    const wrangler = TransportFaults.wrangler(clouds.wrangler, clouds.faults)
    const cloudflare = yield* CloudflareApi.provider(clouds.cloudflare, wrangler, clouds.fs, clouds.faults, options)
    return {
      ...combineServices([withCalls(sakura, clouds.faults), withCalls(cloudflare, clouds.faults)]),
      name: "sandbox"
    }
  })
