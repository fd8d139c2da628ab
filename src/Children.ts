/**
 * The processes FleetFlow starts (wrangler, usacloud, and what they start in turn) end with it:
 * see `Children/Executor.ts` (each child's group ended with its scope), `Children/Watchdog.ts`
 * (when FleetFlow itself is killed), `Children/Leftovers.ts` (when the watchdog was killed too)
 * and `Children/Environment.ts` (what of FleetFlow's environment they inherit).
 */
export * as ChildEnvironment from "./Children/Environment.js"
export * as Executor from "./Children/Executor.js"
export * as Leftovers from "./Children/Leftovers.js"
export * as Proc from "./Children/Proc.js"
export * as Registry from "./Children/Registry.js"
