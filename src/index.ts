/**
 * FleetFlow Cloud as a library: the provider contract, the plan, the state store, the
 * apply engine and the workflows behind the CLI, the Sakura Cloud and Cloudflare clients and
 * providers with their simulators, the sandbox cloud and the fakes.
 */
export * as Apply from "./Apply.js"
export * as CloudflareApi from "./Cloudflare/Api.js"
export * as CloudflareProvider from "./Cloudflare/Provider.js"
export * as CloudflareSimulator from "./Cloudflare/Simulator.js"
export * as CloudflareWrangler from "./Cloudflare/Wrangler.js"
export * as Clouds from "./Clouds.js"
export * as Config from "./Config.js"
export * as Fake from "./Fake.js"
export * as Fleet from "./Fleet.js"
export * as Plan from "./Plan.js"
export * as Progress from "./Progress.js"
export * as Provider from "./Provider.js"
export * as Render from "./Render.js"
export * as Report from "./Report.js"
export * as Resource from "./Resource.js"
export * as Retry from "./Retry.js"
export * as SakuraProvider from "./Sakura/Provider.js"
export * as SakuraTransport from "./Sakura/Transport.js"
export * as Usacloud from "./Sakura/Usacloud.js"
export * as UsacloudProcess from "./Sakura/ProcessTransport.js"
export * as UsacloudSimulator from "./Sakura/Simulator.js"
export * as Sandbox from "./Sandbox.js"
export * as Scale from "./Scale.js"
export * as State from "./State.js"
