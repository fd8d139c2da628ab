/**
 * The closed sets of values the language accepts.
 */

export const sakuraZones = ["tk1a", "tk1b", "is1a", "is1b", "is1c", "tk1v"] as const

/** OS names as written → usacloud `--os-type`. */
export const osTypes: Readonly<Record<string, string>> = {
  "ubuntu-24.04": "ubuntu2404",
  "ubuntu-22.04": "ubuntu2204",
  ubuntu: "ubuntu",
  "debian-12": "debian12",
  "debian-11": "debian11",
  debian: "debian",
  "almalinux-9": "almalinux9",
  "almalinux-8": "almalinux8",
  almalinux: "almalinux",
  "rockylinux-9": "rockylinux9",
  "rockylinux-8": "rockylinux8",
  rockylinux: "rockylinux",
  ubuntu2404: "ubuntu2404",
  ubuntu2204: "ubuntu2204",
  debian12: "debian12",
  debian11: "debian11",
  almalinux9: "almalinux9",
  almalinux8: "almalinux8",
  rockylinux9: "rockylinux9",
  rockylinux8: "rockylinux8"
}

export const diskPlans = ["ssd", "hdd"] as const

export const r2Locations = ["APAC", "WNAM", "ENAM", "WEUR", "EEUR", "OC"] as const
export const r2Jurisdictions = ["eu", "fedramp"] as const
export const r2StorageClasses = ["Standard", "InfrequentAccess"] as const
export const minTlsVersions = ["1.0", "1.1", "1.2", "1.3"] as const

export const dnsRecordTypes = ["A", "AAAA", "CNAME", "TXT", "MX"] as const
export type DnsRecordType = (typeof dnsRecordTypes)[number]

export const referenceAttributes = ["ip", "ipv6", "id", "hostname"] as const
