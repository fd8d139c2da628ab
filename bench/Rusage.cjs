// Loaded with `node --require` by the benchmarks: writes this process's own CPU time and peak RSS
// to FLEETFLOW_BENCH_RUSAGE as it exits (children and other processes excluded).
const fs = require("node:fs")
const report = process.env.FLEETFLOW_BENCH_RUSAGE
if (report !== undefined && report !== "") {
  process.on("exit", () => {
    const { userCPUTime, systemCPUTime, maxRSS } = process.resourceUsage()
    fs.writeFileSync(report, JSON.stringify({ userCPUTime, systemCPUTime, maxRSS }))
  })
}
