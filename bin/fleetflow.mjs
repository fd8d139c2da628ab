#!/usr/bin/env node
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const bundle = fileURLToPath(new URL("../dist/fleetflow.mjs", import.meta.url))
if (!existsSync(bundle)) {
  process.stderr.write("fleetflow is not built yet: run `npm run build` (npm install does it for you).\n")
  process.exit(1)
}
await import(bundle)
