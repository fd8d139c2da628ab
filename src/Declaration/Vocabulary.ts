/**
 * The closed sets of values the language itself defines; the clouds' own sets (zones, OS
 * types, plans, locations, record types) belong to their models (`Sakura/Model.ts`, `Cloudflare/Model.ts`).
 */

export const referenceAttributes = ["ip", "ipv6", "id", "hostname"] as const
