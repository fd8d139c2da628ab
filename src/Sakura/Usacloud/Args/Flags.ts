/** How values become usacloud flags: a flag is left out when its value is not given. */

export interface ListFilter {
  /** Names to look for; Sakura Cloud matches them loosely, so compare names again. */
  readonly names?: ReadonlyArray<string> | undefined
  readonly tags?: ReadonlyArray<string> | undefined
}

/** A list flag value as pflag reads it (CSV): quoted only where a value needs it. */
export const csv = (values: ReadonlyArray<string>): string =>
  values.map((value) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value)).join(",")

export const flag = (name: string, value: string | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : [name, value]

export const listFlag = (name: string, values: ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  values === undefined || values.length === 0 ? [] : [name, csv(values)]

/** For updates: `[]` is a change too (it clears the tags). */
export const replaceFlag = (name: string, values: ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  values === undefined ? [] : [name, csv(values)]

export const switchFlag = (name: string, on: boolean | undefined): ReadonlyArray<string> => (on === true ? [name] : [])

export const filterFlags = (filter: ListFilter | undefined) => [
  ...listFlag("--names", filter?.names),
  ...listFlag("--tags", filter?.tags)
]
