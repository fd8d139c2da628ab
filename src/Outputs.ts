/**
 * What an operator reads of the resources a state holds (`fleetflow output`, the end of `fleetflow up`):
 * each resource's ID and the attributes its cloud's model names as outputs — addresses, URLs, names.
 * Only those attributes: never the inputs, where a startup script's variables or other secrets live.
 */
import * as CloudflareModel from "./Cloudflare/Model.js"
import { columns, printable, type Style } from "./Render.js"
import { type Json, providerOf, type ResourceKey, type ResourceType, type StoredResource } from "./Resource.js"
import * as SakuraModel from "./Sakura/Model.js"

const fieldsOf: Readonly<Record<ResourceType, ReadonlyArray<string>>> = {
  ...SakuraModel.outputFields,
  ...CloudflareModel.outputFields
}

const typeOrder = Object.keys(providerOf) as ReadonlyArray<ResourceType>

/**
 * One resource as `output --json` prints it (the shape is kept stable): `attributes` holds the
 * type's output fields that the state records, in the order the type names them.
 */
export interface Output {
  readonly key: ResourceKey
  readonly type: ResourceType
  readonly name: string
  readonly id: string
  readonly attributes: Readonly<Record<string, Json>>
}

const outputOf = (key: ResourceKey, resource: StoredResource): Output => ({
  key,
  type: resource.type,
  name: resource.name,
  id: resource.id,
  attributes: Object.fromEntries(
    fieldsOf[resource.type].flatMap((field) => {
      const value = resource.attributes[field]
      return value === undefined ? [] : [[field, value] as const]
    })
  )
})

/** The outputs of the resources of `stage` (of `keys` only, when given), by type then name. */
export const outputsOf = (
  resources: Readonly<Record<ResourceKey, StoredResource>>,
  stage: string,
  keys?: ReadonlySet<ResourceKey>
): ReadonlyArray<Output> =>
  Object.entries(resources)
    .filter(([key, resource]) => resource.stage === stage && (keys === undefined || keys.has(key)))
    .map(([key, resource]) => outputOf(key, resource))
    .sort(
      (a, b) =>
        typeOrder.indexOf(a.type) - typeOrder.indexOf(b.type) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    )

const cell = (value: Json | undefined): string => {
  if (value === undefined || value === null) return "-"
  if (Array.isArray(value)) return value.length === 0 ? "-" : value.map((item: Json) => cell(item)).join(", ")
  return printable(typeof value === "object" ? JSON.stringify(value) : String(value))
}

/** `deploymentUrl` → `DEPLOYMENT_URL`. */
const heading = (field: string) => field.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()

/** One table per type: the name, the ID and the type's output fields as columns. */
export const table = (outputs: ReadonlyArray<Output>, style: Style): string =>
  typeOrder
    .flatMap((type) => {
      const ofType = outputs.filter((output) => output.type === type)
      if (ofType.length === 0) return []
      const fields = fieldsOf[type]
      const header = [type.toUpperCase(), "ID", ...fields.map((field) => heading(field))]
      const rows = ofType.map((output) => [
        printable(output.name),
        printable(output.id),
        ...fields.map((field) => cell(output.attributes[field]))
      ])
      return [columns([header, ...rows], style)]
    })
    .join("\n\n")
