/**
 * The DNS records of a stage side by side, wherever each is declared (a `dns` zone, a server's `dns` block):
 * Cloudflare refuses a CNAME that shares its name with an A or AAAA record (error 81053, "An A, AAAA, or
 * CNAME record with that host already exists"), so such a stage would fail half-way through `up`.
 */
import * as Effect from "effect/Effect"
import { type ConfigError, combineErrors, configError, type Location } from "../../Declaration.js"
import { groupBy } from "../../Grouping.js"
import type { DesiredResource } from "../../Resource.js"

const addressTypes: ReadonlyArray<unknown> = ["A", "AAAA"]

const where = (resource: DesiredResource, file: string): Location =>
  resource.source ?? { file, line: 1, column: 1, path: "" }

/** Every CNAME of `resources` that shares its name, in its zone, with an A or AAAA record. */
export const checkRecordNames = (
  resources: ReadonlyArray<DesiredResource>,
  file: string
): Effect.Effect<void, ConfigError> => {
  const records = resources.filter((resource) => resource.type === "dns")
  const byName = groupBy(records, (record) => `${record.inputs.zone}\n${String(record.inputs.name).toLowerCase()}`)
  const clashes: Array<ConfigError> = []
  for (const group of byName.values()) {
    const address = group.find((record) => addressTypes.includes(record.inputs.type))
    const alias = group.find((record) => record.inputs.type === "CNAME")
    if (address === undefined || alias === undefined) continue
    const at = where(alias, file)
    const other = where(address, file)
    const same = other.line === at.line && other.column === at.column && other.file === at.file
    const elsewhere = `is declared at line ${other.line}${other.path === "" ? "" : `, ${other.path}`}`
    clashes.push(
      configError(
        at,
        `\`${alias.inputs.name}\` is declared as a CNAME and as an ${address.inputs.type} record: Cloudflare refuses a CNAME beside an A or AAAA record of the same name`,
        `give the alias another name, or keep one of the two (the ${address.inputs.type} record ${same ? "comes from the same block" : elsewhere})`
      )
    )
  }
  return clashes.length === 0 ? Effect.void : Effect.fail(combineErrors(clashes))
}
