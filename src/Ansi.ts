/**
 * Terminal escape sequences in text FleetFlow did not write itself and prints where no terminal reads them:
 * wrangler colours its stderr even with NO_COLOR, and @effect/cli colours its help and prompts whatever asks for none.
 */

// CSI sequences (colours, cursor moves), OSC sequences (titles, links) and the two-byte ones.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape codes is the point
const sequences = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g

export const strip = (text: string): string => text.replace(sequences, "")

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape codes is the point
const styles = /\x1b\[[0-9;]*m/g

/** Colours and weights only: what moves the cursor or clears a line stays, for a prompt redraws itself with them. */
export const stripStyles = (text: string): string => text.replace(styles, "")

/** The pattern of one colour or weight sequence, for a larger expression that must keep them. */
export const stylePattern = styles.source

/** The colour and weight sequences in `text`, in order: what a rewrite of the text must keep. */
export const stylesIn = (text: string): string => text.match(styles)?.join("") ?? ""
