// The long fuzz campaign: test/Fuzz.test.ts with many cases per target and a new seed each run.
//
//   npm run fuzz                                   20,000 cases per target, a random seed
//   npm run fuzz -- --cases 100000 --seed 42       more cases, a chosen seed
//   npm run fuzz -- --targets kdl,state --jobs 1   some targets, one process
//   npm run fuzz -- --seed 42 --targets kdl --case 1234   one case again
//
// Bad inputs are written to --out (default: fleetflow-fuzz-<seed> in the temp folder); the exit code is 1 when
// any case was bad.
import { spawn } from "node:child_process"
import { randomInt } from "node:crypto"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"

const allTargets = ["kdl", "state", "usacloud", "cloudflare"]

const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "20000" },
    seed: { type: "string" },
    targets: { type: "string", default: allTargets.join(",") },
    case: { type: "string" },
    out: { type: "string" },
    jobs: { type: "string", default: "2" },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false }
  }
})

if (values.help) {
  console.log(
    "usage: npm run fuzz -- [--cases N] [--seed S] [--targets kdl,state,usacloud,cloudflare] [--case I] [--out DIR] [--jobs J] [--verbose]"
  )
  process.exit(0)
}

const targets = values.targets.split(",").map((name) => name.trim())
const unknown = targets.filter((name) => !allTargets.includes(name))
if (unknown.length > 0) {
  console.error(`unknown target(s): ${unknown.join(", ")}; the targets are ${allTargets.join(", ")}`)
  process.exit(2)
}
const seed = values.seed ?? String(randomInt(1, 2 ** 31))
const out = resolve(values.out ?? join(tmpdir(), `fleetflow-fuzz-${seed}`))
const jobs = Math.max(1, Math.min(targets.length, Number.parseInt(values.jobs, 10) || 1))
// Each process takes every jobs-th target: two processes use both cores of a small machine.
const groups = Array.from({ length: jobs }, (_, job) => targets.filter((_, index) => index % jobs === job))

console.log(
  `fuzz: seed ${seed}, ${values.case === undefined ? `${values.cases} cases per target` : `case ${values.case}`}, ` +
    `targets ${targets.join(", ")}, ${jobs} process(es); bad inputs go to ${out}`
)

const run = (group) =>
  new Promise((done) => {
    const child = spawn(process.execPath, ["node_modules/vitest/vitest.mjs", "run", "test/Fuzz.test.ts"], {
      stdio: "inherit",
      env: {
        ...process.env,
        FLEETFLOW_FUZZ_SEED: seed,
        FLEETFLOW_FUZZ_CASES: values.cases,
        FLEETFLOW_FUZZ_TARGETS: group.join(","),
        FLEETFLOW_FUZZ_OUT: out,
        ...(values.case === undefined ? {} : { FLEETFLOW_FUZZ_CASE: values.case }),
        ...(values.verbose ? { FLEETFLOW_FUZZ_VERBOSE: "1" } : {})
      }
    })
    child.on("exit", (code, signal) => done(code ?? (signal === null ? 1 : 128)))
  })

const codes = await Promise.all(groups.map((group) => run(group)))
const failed = codes.some((code) => code !== 0)
console.log(
  failed ? `fuzz: bad cases found (seed ${seed}); see the report above and ${out}` : `fuzz: no bad case (seed ${seed})`
)
process.exit(failed ? 1 : 0)
