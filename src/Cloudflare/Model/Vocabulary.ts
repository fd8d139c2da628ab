/**
 * The closed sets of values Cloudflare accepts for the resources FleetFlow declares.
 */

export const r2Locations = ["APAC", "WNAM", "ENAM", "WEUR", "EEUR", "OC"] as const
export const r2Jurisdictions = ["eu", "fedramp"] as const
export const r2StorageClasses = ["Standard", "InfrequentAccess"] as const
export const minTlsVersions = ["1.0", "1.1", "1.2", "1.3"] as const

export const dnsRecordTypes = ["A", "AAAA", "CNAME", "TXT", "MX"] as const
export type DnsRecordType = (typeof dnsRecordTypes)[number]
