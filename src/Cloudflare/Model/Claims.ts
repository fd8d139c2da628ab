/**
 * The names each Cloudflare type takes in the account, which the cloud gives to one resource at a
 * time: the engine deletes the holder of a name before it creates the next one.
 */
import type { Claim, Inputs, ResourceType } from "../../Resource.js"

const text = (value: Inputs[string] | undefined) => (typeof value === "string" ? value.toLowerCase() : undefined)

/**
 * A CNAME holds its name alone: Cloudflare refuses a CNAME and another record of one name, whichever
 * comes second (code 81053, "An A, AAAA, or CNAME record with that host already exists").
 * Records of other types share the name and hold only their type at it.
 */
const dnsName = (inputs: Inputs): ReadonlyArray<Claim> => {
  const name = text(inputs.name)
  const type = typeof inputs.type === "string" ? inputs.type.toUpperCase() : undefined
  if (name === undefined || type === undefined) return []
  const host = `dns:${name}`
  return type === "CNAME"
    ? [{ name: host, exclusive: true }]
    : [
        { name: host, exclusive: false },
        { name: `${host}/${type}`, exclusive: true }
      ]
}

/** A name unique among the account's resources of one kind. */
const named =
  (kind: (inputs: Inputs) => string) =>
  (inputs: Inputs): ReadonlyArray<Claim> => {
    const name = text(inputs.name)
    return name === undefined ? [] : [{ name: `${kind(inputs)}:${name}`, exclusive: true }]
  }

/** A custom domain is a host name of its zone: the bucket's, and a DNS record's name it cannot share. */
const domainName = (inputs: Inputs): ReadonlyArray<Claim> => {
  const domain = text(inputs.domain)
  return domain === undefined
    ? []
    : [
        { name: `r2-domain:${domain}`, exclusive: true },
        { name: `dns:${domain}`, exclusive: true }
      ]
}

export const claims: Partial<Record<ResourceType, (inputs: Inputs) => ReadonlyArray<Claim>>> = {
  dns: dnsName,
  // Bucket names are unique in an account's jurisdiction.
  r2: named((inputs) => `r2:${text(inputs.jurisdiction) ?? "default"}`),
  "r2-domain": domainName,
  worker: named(() => "worker"),
  pages: named(() => "pages")
}
