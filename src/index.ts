/**
 * FleetFlow Cloud as a library: the provider contract, the plan, the state store, the
 * apply engine and the workflows behind the CLI, plus the sandbox cloud and the fakes.
 */
export * as Apply from "./Apply.js"
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
export * as Sandbox from "./Sandbox.js"
export * as Scale from "./Scale.js"
export * as State from "./State.js"
