/**
 * The fast path of decoding must give what Schema's decoder gives, on every value: the same
 * value for one that decodes, a failure for one that does not.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as Cloudflare from "../src/Cloudflare/Api/Schemas.js"
import { projectingDecoder, quickDecoder } from "../src/QuickDecode.js"
import { compileProjection } from "../src/QuickDecode/Projection.js"
import * as Usacloud from "../src/Sakura/Usacloud/Schemas.js"
import { StoredResource } from "../src/Resource.js"
import { StateFile } from "../src/State/Document.js"

const Sample = Schema.Struct({
  kind: Schema.Literal("a", "b"),
  count: Schema.NonNegativeInt,
  note: Schema.optional(Schema.String),
  tags: Schema.Array(Schema.String),
  extra: Schema.Record({ key: Schema.String, value: Schema.Union(Schema.Number, Schema.Boolean) })
})

const agrees = <A, I>(schema: Schema.Schema<A, I>, value: unknown) => {
  const quick = quickDecoder(schema)(value)
  const full = Schema.decodeUnknownEither(schema)(value)
  assert.strictEqual(Either.isRight(quick), Either.isRight(full), JSON.stringify(value))
  if (Either.isRight(quick) && Either.isRight(full)) assert.deepStrictEqual(quick.right, full.right)
}

/** A JSON value, as `JSON.parse` makes them. */
const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown

describe("QuickDecode", () => {
  it("decodes what Schema decodes, to the same value, and the value itself", () => {
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(StateFile), (state) => {
        const value = json(state)
        agrees(StateFile, value)
        // Decoding sets a `__proto__` key as the prototype, so only those values are copied.
        if (!JSON.stringify(value).includes('"__proto__"')) {
          assert.strictEqual(Either.getOrThrow(quickDecoder(StateFile)(value)), value)
        }
      }),
      { numRuns: 200 }
    )
  })

  it("fails where Schema fails: wrong types, missing fields, failed checks", () => {
    const valid = { kind: "a", count: 2, tags: ["x"], extra: { n: 1, b: true } }
    agrees(Sample, valid)
    for (const broken of [
      { ...valid, kind: "c" },
      { ...valid, count: -1 },
      { ...valid, count: 1.5 },
      { ...valid, note: 3 },
      { ...valid, tags: ["x", 1] },
      { ...valid, extra: { n: "1" } },
      { kind: "a", count: 2, tags: [] },
      [valid],
      null,
      "text"
    ]) {
      agrees(Sample, broken)
      assert.isTrue(Either.isLeft(quickDecoder(Sample)(broken)), JSON.stringify(broken))
    }
  })

  it("drops a property the schema does not name, as Schema does", () => {
    const value = { kind: "b", count: 0, tags: [], extra: {}, unknown: 1 }
    agrees(Sample, value)
    assert.notProperty(Either.getOrThrow(quickDecoder(Sample)(value)), "unknown")
  })

  it("agrees with Schema on arbitrary JSON and on resources with a field changed", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.jsonValue(), (value) => {
        agrees(StoredResource, value)
        agrees(Sample, value)
      }),
      { numRuns: 300 }
    )
    FastCheck.assert(
      FastCheck.property(
        Arbitrary.make(StoredResource),
        FastCheck.constantFrom(...Object.keys(StoredResource.fields)),
        FastCheck.jsonValue(),
        (resource, field, replacement) => agrees(StoredResource, json({ ...resource, [field]: replacement }))
      ),
      { numRuns: 300 }
    )
  })
})

/** What the providers decode from the clouds' answers, with the options they decode them with. */
const answers: ReadonlyArray<readonly [string, Schema.Schema.AnyNoContext]> = [
  ["usacloud server", Usacloud.Server],
  ["usacloud disk", Usacloud.Disk],
  ["usacloud ssh key", Usacloud.SshKey],
  ["usacloud archive", Usacloud.Archive],
  ["usacloud note", Usacloud.Note],
  ["Cloudflare envelope", Cloudflare.Envelope],
  ["Cloudflare bucket list", Cloudflare.BucketList],
  ["Cloudflare created bucket", Cloudflare.CreatedBucket],
  ["Cloudflare CORS policy", Cloudflare.CorsPolicy],
  ["Cloudflare domain list", Cloudflare.CustomDomainList],
  ["Cloudflare zone", Cloudflare.Zone],
  ["Cloudflare DNS records", Schema.Array(Cloudflare.DnsRecord)],
  ["Cloudflare batch result", Cloudflare.BatchResult],
  ["Cloudflare worker settings", Cloudflare.WorkerSettings],
  ["Cloudflare worker routes", Schema.Array(Cloudflare.WorkerRoute)],
  ["Cloudflare Pages projects", Schema.Array(Cloudflare.PagesProject)]
]

const options = { errors: "all", onExcessProperty: "ignore" } as const

const projects = <A, I>(schema: Schema.Schema<A, I>, value: unknown) => {
  const projected = projectingDecoder(schema, options)(value)
  const full = Schema.decodeUnknownEither(schema)(value, options)
  assert.strictEqual(Either.isRight(projected), Either.isRight(full), JSON.stringify(value))
  if (Either.isRight(projected) && Either.isRight(full)) assert.deepStrictEqual(projected.right, full.right)
}

/** Every object inside `value` with a key no schema names, as a newer API or tool adds them. */
const withExtras = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(withExtras)
    : typeof value === "object" && value !== null
      ? { ...Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withExtras(item)])), Extra_Field: 1 }
      : value

describe("projectingDecoder", () => {
  for (const [name, schema] of answers) {
    it(`decodes a ${name} as Schema does, extra fields and broken ones included`, () => {
      const encode = Schema.encodeEither(schema)
      FastCheck.assert(
        FastCheck.property(Arbitrary.make(schema), FastCheck.jsonValue(), (value, replacement) => {
          const encoded = encode(value)
          if (Either.isLeft(encoded)) return
          const input = encoded.right === undefined ? undefined : json(encoded.right)
          projects(schema, input)
          projects(schema, withExtras(input))
          if (typeof input === "object" && input !== null && !Array.isArray(input)) {
            for (const key of Object.keys(input)) projects(schema, { ...input, [key]: replacement })
          }
        }),
        { numRuns: 100 }
      )
      FastCheck.assert(
        FastCheck.property(FastCheck.jsonValue(), (value) => projects(schema, value)),
        { numRuns: 100 }
      )
    })
  }

  it("builds its values without Schema's decoder for the answers a refresh reads", () => {
    const server = {
      ID: 113600000001,
      Name: "web",
      Description: "",
      Tags: null,
      Availability: "available",
      HostName: "web",
      CPU: 2,
      MemoryMB: 4096,
      InstanceStatus: "up",
      Zone: { Name: "tk1a", ID: 21001 },
      Interfaces: [{ IPAddress: "192.0.2.10", SwitchScope: "shared" }],
      Disks: [{ ID: 113600000002, Name: "web-disk" }]
    }
    for (const [schema, value] of [
      [Schema.Array(Usacloud.Server), [server]],
      [
        Schema.Array(Cloudflare.DnsRecord),
        [{ id: "r1", name: "www.example.com", type: "A", content: "192.0.2.1", proxied: false, ttl: 1 }]
      ]
    ] as const) {
      const decoded = projectingDecoder(schema as Schema.Schema<unknown, unknown>)(json(value))
      assert.isTrue(Either.isRight(decoded))
      assert.deepStrictEqual(
        decoded,
        Schema.decodeUnknownEither(schema as Schema.Schema<unknown, unknown>)(json(value))
      )
    }
    assert.isDefined(compileProjection(Schema.Array(Usacloud.Server).ast))
    assert.isDefined(compileProjection(Schema.Array(Cloudflare.DnsRecord).ast))
    assert.isDefined(compileProjection(Cloudflare.BucketList.ast))
  })
})
