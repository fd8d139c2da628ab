/**
 * Start-up: node commands spawned in turn, round after round, so that each sees the same
 * machine load; the time is the wall time from spawn to exit as the shell would see it.
 */
import { spawnSync } from "node:child_process"

export interface NodeCommand {
  readonly name: string
  /** Arguments to `node`. */
  readonly args: ReadonlyArray<string>
}

const spawnMillis = (command: NodeCommand, cwd: string): number => {
  const started = performance.now()
  const child = spawnSync(process.execPath, command.args, {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" }
  })
  const millis = performance.now() - started
  if (child.status !== 0) {
    throw new Error(
      `node ${command.args.join(" ")} exited with ${child.status}: ${(child.stderr || child.stdout).trim()}`
    )
  }
  return millis
}

/** Every command once to warm the file cache, then `runs` rounds of all of them; the times by name. */
export const measure = (
  commands: ReadonlyArray<NodeCommand>,
  runs: number,
  cwd: string
): ReadonlyMap<string, ReadonlyArray<number>> => {
  for (const command of commands) spawnMillis(command, cwd)
  const times = new Map<string, Array<number>>(commands.map((command) => [command.name, []]))
  for (let run = 0; run < runs; run++) {
    for (const command of commands) times.get(command.name)!.push(spawnMillis(command, cwd))
  }
  return times
}
