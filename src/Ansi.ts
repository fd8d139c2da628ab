/**
 * Terminal escape sequences in text FleetFlow did not write itself and prints where no terminal reads them:
 * wrangler colours its stderr even with NO_COLOR, and @effect/cli colours its help whatever the output is.
 */

// CSI sequences (colours, cursor moves), OSC sequences (titles, links) and the two-byte ones.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape codes is the point
const sequences = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g

export const strip = (text: string): string => text.replace(sequences, "")
