#!/usr/bin/env node
// The Cloudflare API simulator on 127.0.0.1: point CLOUDFLARE_API_BASE_URL at the address it prints.
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const bundle = fileURLToPath(new URL("../dist/cloudflare-simulator.mjs", import.meta.url))
if (!existsSync(bundle)) {
  process.stderr.write(
    "the Cloudflare simulator is not built yet: run `npm run build` (npm install does it for you).\n"
  )
  process.exit(1)
}
await import(bundle)
