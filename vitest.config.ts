import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Vitest leaves a core free by default, which on a 2-core machine runs the files one at a time,
    // though most of them wait on the processes and simulated clouds they start.
    maxWorkers: 2,
    minWorkers: 1
  }
})
