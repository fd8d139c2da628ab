/**
 * Writes a folder whose sandbox clouds and state hold `--size` resources of the mix, converged,
 * to profile the CLI on it:
 *
 *   node dist/bench/Converged.mjs --size 10000      # prints the folder
 *   cd <folder> && node --cpu-prof ../path/to/bin/fleetflow.mjs plan --sandbox -f fleet.kdl --stage dev
 */
import { parseArgs } from "node:util"
import * as Cli from "./Cli.js"

const { values } = parseArgs({ options: { size: { type: "string", default: "1000" } } })
const dir = await Cli.convergedSandbox(Number(values.size))
process.stdout.write(`${dir}\n`)
