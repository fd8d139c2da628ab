#!/usr/bin/env node
// A fake `usacloud` for tests and the sandbox: point FLEETFLOW_USACLOUD at this file.
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const bundle = fileURLToPath(new URL("../dist/usacloud-simulator.mjs", import.meta.url))
if (!existsSync(bundle)) {
  process.stderr.write("the usacloud simulator is not built yet: run `npm run build` (npm install does it for you).\n")
  process.exit(1)
}
await import(bundle)
