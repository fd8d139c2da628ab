/**
 * Seeded mutations for the fuzzer: a small PRNG (mulberry32), text mutators for KDL files and
 * structural mutators for JSON documents (state files, usacloud output, Cloudflare answers).
 * The same seed always gives the same mutations, so any case can be run again on its own.
 */

export interface Rng {
  /** In [0, 1). */
  readonly next: () => number
  /** An integer in [0, max). */
  readonly int: (max: number) => number
  /** An integer in [min, max]. */
  readonly between: (min: number, max: number) => number
  readonly chance: (probability: number) => boolean
  readonly pick: <T>(items: ReadonlyArray<T>) => T
}

/** mulberry32: 32 bits of state, good enough spread for choosing mutations. */
export const rng = (seed: number): Rng => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (max: number) => (max <= 0 ? 0 : Math.floor(next() * max))
  return {
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (probability) => next() < probability,
    pick: <T>(items: ReadonlyArray<T>): T => items[int(items.length)] as T
  }
}

const hashText = (text: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

/** The seed of one case: each case can be replayed without running the ones before it. */
export const caseSeed = (seed: number, target: string, index: number): number => {
  let h = (hashText(target) ^ Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d)
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b)
  return (h ^ (h >>> 16)) >>> 0
}

/** A mutated input and the names of the mutations that made it, for the report of a bad case. */
export interface Mutated {
  readonly text: string
  readonly applied: ReadonlyArray<string>
}

// ---------------------------------------------------------------------------------------------
// Dictionaries
// ---------------------------------------------------------------------------------------------

/** Node and property names of the language (and of upstream FleetFlow's container half). */
export const kdlVocabulary: ReadonlyArray<string> = [
  "project",
  "providers",
  "provider",
  "sakura-cloud",
  "sakura",
  "cloudflare",
  "account-id",
  "account_id",
  "zone",
  "profile",
  "retry",
  "max-attempts",
  "initial-delay",
  "max-delay",
  "multiplier",
  "stage",
  "server",
  "r2-bucket",
  "worker",
  "pages",
  "dns",
  "record",
  "plan",
  "core",
  "memory",
  "disk",
  "disk-size",
  "disk_size",
  "size",
  "os",
  "archive",
  "ssh-key",
  "ssh-keys",
  "ssh_keys",
  "tags",
  "startup-script",
  "init-script-vars",
  "hostname",
  "aliases",
  "dns-aliases",
  "description",
  "deploy-path",
  "ssh-host",
  "ssh-user",
  "deploy-services",
  "scale",
  "min",
  "max",
  "location",
  "jurisdiction",
  "storage-class",
  "cors",
  "allowed-origins",
  "allowed-methods",
  "allowed-headers",
  "expose-headers",
  "max-age",
  "custom-domain",
  "min-tls",
  "source",
  "route",
  "routes",
  "compatibility-date",
  "compatibility-flags",
  "bindings",
  "r2",
  "kv",
  "var",
  "bucket",
  "namespace",
  "directory",
  "production-branch",
  "branch",
  "type",
  "value",
  "content",
  "proxied",
  "ttl",
  "priority",
  "env",
  "service",
  "service-group",
  "volumes",
  "variables",
  "image",
  "token",
  "api-token",
  "-",
  "_"
]

/** Things to drop into a KDL file: syntax, comments, escapes, odd whitespace and unicode. */
const kdlTokens: ReadonlyArray<string> = [
  '"',
  "'",
  "{",
  "}",
  "{}",
  "{ }",
  "=",
  "==",
  "#",
  "#true",
  "#false",
  "#null",
  "#inf",
  "#-inf",
  "#nan",
  "true",
  "false",
  "null",
  "/-",
  "/- ",
  "//",
  "/*",
  "*/",
  "/* unterminated",
  "/* /* nested */ */",
  ";",
  ";;",
  "\\",
  "\\\n",
  "\\ // line continuation\n",
  "\n",
  "\r\n",
  "\r",
  "\t",
  " ",
  "\u0000",
  "\u0007",
  "\u001b[31m",
  "\u007f",
  "\uFEFF",
  "\u200B",
  "\u00A0",
  "\u2028",
  "\u2029",
  "\u0085",
  "\u000C",
  "\u000B",
  "\uD800",
  "\uDFFF",
  "\uFFFF",
  "\uFFFD",
  "😀",
  "é",
  "e\u0301",
  "ｓｅｒｖｅｒ",
  "日本語",
  "\u202E",
  "(",
  ")",
  "(type)",
  "(u8)",
  "(",
  'r"',
  'r#"',
  '#"',
  '"#',
  '"""',
  '"""\n',
  "0x",
  "0b",
  "0o",
  "1_000",
  "-",
  "--",
  "+",
  ".",
  "..",
  "${",
  `\${CF_ACCOUNT_ID}`,
  `\${FLEETFLOW_FUZZ_UNSET}`,
  `\${FLEETFLOW_FUZZ_UNSET:-fallback}`,
  "${X:-",
  "$",
  'env="FLEETFLOW_FUZZ_UNSET"',
  'env="CF_ACCOUNT_ID"',
  "env=",
  "server.creo-dev-01.ip",
  "server.nope.ip",
  "server.creo-vps.hostname",
  "server..ip",
  "server.creo-dev-01.",
  'a="b"',
  "x=1",
  "x=",
  "=1",
  '"\\u{1F600}"',
  '"\\u{110000}"',
  '"\\u{D800}"',
  '"\\q"',
  '"\\',
  "\\u{",
  "𝕊",
  "\u0300"
]

/** Numbers the language reads (sizes, counts, TTLs, priorities) replaced by extreme ones. */
const extremeNumbers: ReadonlyArray<string> = [
  "-1",
  "0",
  "-0",
  "1",
  "1e309",
  "-1e309",
  "1e-400",
  "1e308",
  "9007199254740991",
  "9007199254740992",
  "9007199254740993",
  "18446744073709551616",
  "4294967296",
  "2147483648",
  "-2147483649",
  "99999999999999999999999999999",
  "0.5",
  "1.5",
  "2.0",
  "1e3",
  "1E3",
  "0x10",
  "0xffffffffffffffff",
  "0b101",
  "0o777",
  "1_0",
  "#nan",
  "#inf",
  "#-inf",
  "NaN",
  "Infinity",
  "-Infinity",
  "00",
  "010",
  "1.",
  ".5",
  "-.5",
  "1e",
  "+1",
  "1__0",
  "0x",
  '"4"',
  '"four"',
  "#true",
  "#null"
]

const validKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDthKcjHvN1ZXJ8sXNMc5iWDXnFw3rOjNtvoDxF0jcvr fuzz@example"

/** String contents: paths (all inside the fuzz folder), names, values of each closed set, odd text. */
const interestingStrings: ReadonlyArray<string> = [
  "",
  " ",
  "a",
  "-",
  "A".repeat(300),
  `\${FLEETFLOW_FUZZ_UNSET}`,
  `\${CF_ACCOUNT_ID}`,
  `\${A:-b}`,
  `\${A:-\${B:-c}}`,
  `\${A:-\${B}`,
  "a..b",
  `${"a".repeat(64)}.example.com`,
  "server.web.ip",
  "/dev/zero",
  "${",
  `\${}`,
  `\${1X}`,
  "~",
  "~/",
  "~/.ssh/id_ed25519.pub",
  "~nobody/x",
  ".",
  "./",
  "..",
  "../work",
  "./nope",
  "./keys",
  "./keys/",
  "./keys/deploy.pub",
  "keys/deploy.pub",
  "./scripts/bootstrap.sh",
  "./scripts",
  "bootstrap.sh",
  "./site/dist",
  "./site/dist/index.html",
  "./workers/api-gateway",
  "./workers/api-gateway/index.js",
  "./workers",
  "./fleet.kdl",
  "fleet.kdl",
  "a/../keys/deploy.pub",
  "./keys/deploy.pub\u0000",
  validKey,
  "ssh-ed25519",
  "ssh-ed25519 ",
  "ssh-ed25519 AAAA",
  "ssh-ed25519 !!!!",
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDthKcjHvN1ZXJ8sXNMc5iWDXnFw3rOjNtvoDxF0jcv",
  "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY=",
  "2core-4gb",
  "0core-0gb",
  "99999core-1gb",
  "1core-0.5gb",
  "2core-4gb-extra",
  "core-gb",
  "tk1a",
  "is1a",
  "tk1v",
  "zz9z",
  "TK1A",
  "APAC",
  "apac",
  "OC",
  "eu",
  "fedramp",
  "EU",
  "Standard",
  "InfrequentAccess",
  "A",
  "AAAA",
  "CNAME",
  "TXT",
  "MX",
  "MXX",
  "a",
  "1.2.3.4",
  "256.1.1.1",
  "1.2.3",
  "::1",
  "2001:db8::1",
  "::g",
  "@",
  "*",
  "*.example.com",
  "example.com.",
  "creo-memories.com",
  "api.creo-memories.com/*",
  "other.example/*",
  "-leading-dash",
  "UPPER",
  "with space",
  "with/slash",
  "a..b",
  "\\u{0}",
  "日本語",
  "😀",
  "\u0000",
  "1s",
  "0s",
  "-1s",
  "1e309s",
  "500ms",
  "1h",
  "99999999999h",
  "1.5s",
  "1x",
  "ubuntu-24.04",
  "ubuntu",
  "debian-12",
  "windows",
  "ubuntu2404",
  "Ubuntu Server 24.04.2 LTS 64bit",
  "113600000001",
  "2026-11-01",
  "2026-13-45",
  "nodejs_compat",
  "server.creo-dev-01.ip",
  "server.creo-dev-01.ipv6",
  "server.nope.ip",
  "server.creo-dev-01.nope",
  "fleetflow-docker-setup",
  "main",
  "GET",
  "get",
  "FETCH",
  "https://api.creo-memories.com",
  "1.2",
  "1.4",
  "sakura-cloud",
  "cloudflare",
  "aws",
  "dev",
  "live",
  "default",
  "creo-vps",
  "creo-dev-01",
  "true",
  "null",
  "#true",
  "0123456789abcdef0123456789abcdef"
]

const words: RegExp = /[A-Za-z_][A-Za-z0-9_-]*/g
const numbers: RegExp = /(?<![A-Za-z0-9_.-])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![A-Za-z0-9_])/g
const strings: RegExp = /"(?:[^"\\\n]|\\.)*"/g

const matchesOf = (text: string, pattern: RegExp): ReadonlyArray<RegExpExecArray> => [
  ...text.matchAll(new RegExp(pattern.source, pattern.flags))
]

const splice = (text: string, start: number, end: number, insert: string) =>
  text.slice(0, start) + insert + text.slice(end)

const lines = (text: string) => text.split("\n")

/** A misspelling of `word`: the mistakes people make with field names. */
export const typo = (word: string, random: Rng): string => {
  if (word.length === 0) return "x"
  const i = random.int(word.length)
  switch (random.int(8)) {
    case 0: {
      // Swap two neighbours.
      if (word.length < 2) return word + word
      const j = Math.min(i, word.length - 2)
      return word.slice(0, j) + word[j + 1] + word[j] + word.slice(j + 2)
    }
    case 1:
      return word.slice(0, i) + word.slice(i + 1)
    case 2:
      return word.slice(0, i) + word[i] + word.slice(i)
    case 3:
      return word.slice(0, i) + String.fromCharCode(97 + random.int(26)) + word.slice(i + 1)
    case 4:
      return word.includes("-") ? word.replaceAll("-", "_") : word.replaceAll("_", "-")
    case 5:
      return word.toUpperCase()
    case 6:
      return word + "s"
    default:
      return word[0]!.toUpperCase() + word.slice(1)
  }
}

/** A string literal for `content`, escaped or (sometimes) raw, which breaks the syntax. */
const quote = (content: string, random: Rng) => (random.chance(0.85) ? JSON.stringify(content) : `"${content}"`)

const longText = (random: Rng) => {
  const size = random.pick([256, 4096, 70_000, 150_000])
  const unit = random.pick(["a", "é", "😀", "ab-", " ", "\\n", "{", '"'])
  return unit.repeat(Math.ceil(size / unit.length))
}

// ---------------------------------------------------------------------------------------------
// KDL mutators
// ---------------------------------------------------------------------------------------------

export interface TextMutator {
  readonly name: string
  readonly weight: number
  readonly apply: (text: string, random: Rng, donors: ReadonlyArray<string>) => string
}

/** The lines of a `{ ... }` block starting at line `start`, by counting braces; undefined when unbalanced. */
const blockAt = (all: ReadonlyArray<string>, start: number): number | undefined => {
  let depth = 0
  for (let i = start; i < all.length; i++) {
    for (const char of all[i]!) {
      if (char === "{") depth++
      else if (char === "}") depth--
    }
    if (depth <= 0) return i === start && !all[i]!.includes("{") ? undefined : i
  }
  return undefined
}

/** `change` applied to the lines of a random block (a node with children) of `text`; `text` when it has none. */
const onBlock = (
  text: string,
  random: Rng,
  change: (all: Array<string>, start: number, end: number) => void
): string => {
  const all = lines(text)
  const starts = blockStarts(all)
  if (starts.length === 0) return text
  const start = random.pick(starts)
  const end = blockAt(all, start)
  if (end === undefined) return text
  change(all, start, end)
  return all.join("\n")
}

const blockStarts = (all: ReadonlyArray<string>) =>
  all.flatMap((line, index) => (line.trimEnd().endsWith("{") ? [index] : []))

const replaceMatch = (text: string, pattern: RegExp, random: Rng, replacement: (match: string) => string) => {
  const found = matchesOf(text, pattern)
  if (found.length === 0) return text
  const chosen = random.pick(found)
  return splice(text, chosen.index, chosen.index + chosen[0].length, replacement(chosen[0]))
}

export const kdlMutators: ReadonlyArray<TextMutator> = [
  {
    name: "delete-line",
    weight: 6,
    apply: (text, random) => {
      const all = lines(text)
      all.splice(random.int(all.length), 1)
      return all.join("\n")
    }
  },
  {
    name: "duplicate-line",
    weight: 5,
    apply: (text, random) => {
      const all = lines(text)
      const i = random.int(all.length)
      all.splice(random.int(all.length + 1), 0, all[i] ?? "")
      return all.join("\n")
    }
  },
  {
    name: "swap-lines",
    weight: 4,
    apply: (text, random) => {
      const all = lines(text)
      const i = random.int(all.length)
      const j = random.int(all.length)
      const a = all[i] ?? ""
      all[i] = all[j] ?? ""
      all[j] = a
      return all.join("\n")
    }
  },
  {
    name: "duplicate-block",
    weight: 4,
    apply: (text, random) =>
      onBlock(text, random, (all, start, end) => {
        const block = all.slice(start, end + 1)
        all.splice(random.chance(0.5) ? end + 1 : random.int(all.length + 1), 0, ...block)
      })
  },
  {
    name: "delete-block",
    weight: 3,
    apply: (text, random) =>
      onBlock(text, random, (all, start, end) => {
        all.splice(start, end - start + 1)
      })
  },
  {
    name: "empty-block",
    weight: 2,
    apply: (text, random) =>
      onBlock(text, random, (all, start, end) => {
        all.splice(start + 1, end - start - 1)
      })
  },
  {
    name: "crossover",
    weight: 2,
    apply: (text, random, donors) => {
      if (donors.length === 0) return text
      const donor = lines(random.pick(donors))
      const from = random.int(donor.length)
      const piece = donor.slice(from, from + random.between(1, 8))
      const all = lines(text)
      all.splice(random.int(all.length + 1), 0, ...piece)
      return all.join("\n")
    }
  },
  {
    name: "delete-chars",
    weight: 6,
    apply: (text, random) => {
      const start = random.int(text.length)
      return splice(text, start, start + random.between(1, random.chance(0.8) ? 3 : 40), "")
    }
  },
  {
    name: "insert-token",
    weight: 10,
    apply: (text, random) => {
      const at = random.int(text.length + 1)
      return splice(text, at, at, random.pick(kdlTokens))
    }
  },
  {
    name: "replace-char",
    weight: 6,
    apply: (text, random) => {
      const at = random.int(text.length)
      return splice(text, at, at + 1, random.pick(kdlTokens))
    }
  },
  {
    name: "random-code-point",
    weight: 2,
    apply: (text, random) => {
      const at = random.int(text.length + 1)
      const code = random.chance(0.5) ? random.int(0x80) : random.int(0x110000)
      const char = code >= 0xd800 && code <= 0xdfff ? String.fromCharCode(code) : String.fromCodePoint(code)
      return splice(text, at, at, char)
    }
  },
  {
    name: "extreme-number",
    weight: 7,
    apply: (text, random) => replaceMatch(text, numbers, random, () => random.pick(extremeNumbers))
  },
  {
    name: "replace-string",
    weight: 10,
    apply: (text, random) => replaceMatch(text, strings, random, () => quote(random.pick(interestingStrings), random))
  },
  {
    name: "long-string",
    weight: 2,
    apply: (text, random) => replaceMatch(text, strings, random, () => JSON.stringify(longText(random)))
  },
  {
    name: "string-to-bare",
    weight: 2,
    apply: (text, random) => replaceMatch(text, strings, random, (match) => match.slice(1, -1))
  },
  {
    name: "vocabulary-word",
    weight: 8,
    apply: (text, random) => replaceMatch(text, words, random, () => random.pick(kdlVocabulary))
  },
  {
    name: "typo",
    weight: 6,
    apply: (text, random) => replaceMatch(text, words, random, (word) => typo(word, random))
  },
  {
    name: "slashdash",
    weight: 3,
    apply: (text, random) => replaceMatch(text, /[A-Za-z_{"][^\s]*/g, random, (match) => `/-${match}`)
  },
  {
    name: "property",
    weight: 4,
    apply: (text, random) => {
      const all = lines(text)
      const i = random.int(all.length)
      const key = random.chance(0.7) ? random.pick(kdlVocabulary) : typo(random.pick(kdlVocabulary), random)
      const value = random.chance(0.5) ? random.pick(extremeNumbers) : quote(random.pick(interestingStrings), random)
      all[i] = `${all[i] ?? ""} ${key}=${value}`
      return all.join("\n")
    }
  },
  {
    name: "new-node",
    weight: 4,
    apply: (text, random) => {
      const all = lines(text)
      const name = random.pick(kdlVocabulary)
      const args = Array.from({ length: random.int(3) }, () =>
        random.chance(0.5) ? random.pick(extremeNumbers) : quote(random.pick(interestingStrings), random)
      )
      const children = random.chance(0.3) ? ` { ${random.pick(kdlVocabulary)} ${random.pick(extremeNumbers)} }` : ""
      all.splice(random.int(all.length + 1), 0, `${name} ${args.join(" ")}${children}`)
      return all.join("\n")
    }
  },
  {
    name: "truncate",
    weight: 3,
    apply: (text, random) => text.slice(0, random.int(text.length))
  },
  {
    name: "deep-nesting",
    weight: 1,
    apply: (text, random) => {
      const depth = random.pick([20, 200, 1000, 3000])
      const at = random.int(text.length + 1)
      const balanced = random.chance(0.7)
      const open = "n {\n".repeat(depth)
      const close = balanced ? "}\n".repeat(depth) : ""
      return splice(text, at, at, `\n${open}${close}`)
    }
  },
  {
    name: "many-arguments",
    weight: 1,
    apply: (text, random) => {
      const all = lines(text)
      const i = random.int(all.length)
      const arg = random.chance(0.5) ? "1" : '"x"'
      all[i] = `${all[i] ?? ""} ${`${arg} `.repeat(random.pick([100, 5000]))}`
      return all.join("\n")
    }
  },
  {
    name: "many-nodes",
    weight: 1,
    apply: (text, random) => {
      const all = lines(text)
      const i = random.int(all.length)
      all[i] = `${all[i] ?? ""}\n${`${random.pick(kdlVocabulary)} "x"\n`.repeat(random.pick([100, 2000]))}`
      return all.join("\n")
    }
  },
  {
    name: "line-endings",
    weight: 1,
    apply: (text, random) => text.replaceAll("\n", random.pick(["\r\n", "\r", "\u2028", "\u0085", "\n\n", ";"]))
  },
  {
    name: "indentation",
    weight: 1,
    apply: (text, random) => text.replaceAll("    ", random.pick(["\t", "", "\u00A0", "\u3000", "        "]))
  },
  {
    name: "bom-or-prefix",
    weight: 1,
    apply: (text, random) => random.pick(["\uFEFF", "/-", "}", "{", "#", "\u0000", "/-node\n", "/*"]) + text
  },
  {
    name: "v1-v2-switch",
    weight: 2,
    apply: (text, random) =>
      random.chance(0.5)
        ? text.replaceAll("#true", "true").replaceAll("#false", "false").replaceAll("#null", "null")
        : text.replace(/=\s*"([^"]*)"/, "=#true")
  },
  {
    name: "whole-file",
    weight: 1,
    apply: (_text, random) =>
      random.pick(["", " ", "\n", "// only a comment\n", "/* open", "{", "}", "project", '"', "\u0000", ";"])
  }
]

const totalWeight = (mutators: ReadonlyArray<TextMutator>) => mutators.reduce((sum, m) => sum + m.weight, 0)

const pickWeighted = (mutators: ReadonlyArray<TextMutator>, random: Rng): TextMutator => {
  let roll = random.next() * totalWeight(mutators)
  for (const mutator of mutators) {
    roll -= mutator.weight
    if (roll < 0) return mutator
  }
  return mutators[mutators.length - 1]!
}

/** How many mutations one case stacks: mostly one or two, sometimes many. */
const mutationCount = (random: Rng) =>
  random.chance(0.6) ? 1 : random.chance(0.7) ? random.between(2, 3) : random.between(4, 10)

/** One to ten KDL mutations of `text`; `donors` are other files to splice lines from. */
export const mutateKdl = (text: string, random: Rng, donors: ReadonlyArray<string> = []): Mutated => {
  let current = text
  const applied: Array<string> = []
  const count = mutationCount(random)
  for (let i = 0; i < count; i++) {
    const mutator = pickWeighted(kdlMutators, random)
    current = mutator.apply(current, random, donors)
    applied.push(mutator.name)
  }
  return { text: current, applied }
}

// ---------------------------------------------------------------------------------------------
// JSON mutators
// ---------------------------------------------------------------------------------------------

type JsonValue = null | boolean | number | string | Array<JsonValue> | { [key: string]: JsonValue }

const extremeJsonNumbers: ReadonlyArray<number> = [
  -1,
  0,
  -0,
  1,
  0.5,
  1.5,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e21,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  123456789012
]

const jsonStrings: ReadonlyArray<string> = [
  "",
  " ",
  "x",
  "0",
  "-1",
  "1e309",
  "NaN",
  "null",
  "true",
  "[]",
  "{}",
  "2025-01-01T00:00:00.000Z",
  "not a date",
  "113600000001",
  "192.0.2.10",
  "::1",
  "up",
  "down",
  "migrating",
  "available",
  "failed",
  "sakura-cloud",
  "cloudflare",
  "aws",
  "server",
  "disk",
  "dns",
  "nope",
  "sakura-cloud:server:x",
  "cloudflare:dns:api.example.com/A",
  "x:y:z",
  "::",
  "__proto__",
  "constructor",
  "日本語",
  "😀",
  "\u0000",
  "\uD800",
  "\\",
  '"',
  "\n",
  "A".repeat(300),
  "active",
  "pending",
  "is1a",
  "tk1a"
]

const jsonTokens: ReadonlyArray<string> = [
  "{",
  "}",
  "[",
  "]",
  ",",
  ",,",
  ":",
  '"',
  "\\",
  "\\u",
  "\\uD800",
  "\u0000",
  "NaN",
  "Infinity",
  "-",
  "undefined",
  "//",
  "/*",
  "\uFEFF",
  "null",
  "1e999",
  "0x10",
  "'",
  "\n",
  "\t",
  " "
]

const notJson: ReadonlyArray<string> = [
  "",
  " ",
  "\n",
  "null",
  "[]",
  "{}",
  "0",
  "-1",
  "true",
  '"text"',
  "[null]",
  "[[]]",
  "[{}]",
  '{"a":1}',
  "<html><body>502 Bad Gateway</body></html>",
  "Error: something went wrong\n",
  "\uFEFF[]",
  "[1,2,3",
  "{{{{",
  "\u0000\u0000",
  "[" + "[".repeat(5000) + "]".repeat(5000) + "]",
  "[" + "{}, ".repeat(2000) + "{}]",
  "sakura: command not found"
]

const deepMarker = "@@fuzz-deep:"

/** Replaces each deep marker by that many nested arrays or objects. */
const expandDeep = (text: string) =>
  text.replace(/"@@fuzz-deep:(\d+)([[{])"/g, (_, depth: string, open: string) => {
    const count = Number(depth)
    return open === "[" ? "[".repeat(count) + "1" + "]".repeat(count) : '{"a":'.repeat(count) + "1" + "}".repeat(count)
  })

const deepValue = (depth: number, random: Rng): JsonValue => {
  let value: JsonValue = random.chance(0.5) ? "x" : 1
  for (let i = 0; i < depth; i++) value = random.chance(0.5) ? [value] : { a: value }
  return value
}

const interestingValue = (random: Rng, like: JsonValue): JsonValue => {
  switch (random.int(10)) {
    case 0:
      return null
    case 1:
      return random.chance(0.5)
    case 2:
    case 3:
      return random.pick(extremeJsonNumbers)
    case 4:
    case 5:
      return random.pick(jsonStrings)
    case 6:
      return random.chance(0.5) ? [] : {}
    case 7:
      // The same value as another type: "42" for 42, 42 for "42".
      if (typeof like === "number") return String(like)
      if (typeof like === "string" && like.trim() !== "" && !Number.isNaN(Number(like))) return Number(like)
      return [like]
    case 8: {
      const depth = random.pick([5, 50, 2000, 20_000])
      // Too deep for JSON.stringify: a marker the nested text replaces once the document is printed.
      return depth > 1000 ? `${deepMarker}${depth}${random.chance(0.5) ? "[" : "{"}` : deepValue(depth, random)
    }
    default:
      // An own `__proto__` key, as JSON.parse makes it.
      return random.chance(0.5)
        ? longText(random)
        : (JSON.parse('{"__proto__":{"polluted":true},"constructor":"x"}') as JsonValue)
  }
}

interface Slot {
  readonly parent: Array<JsonValue> | { [key: string]: JsonValue } | undefined
  readonly key: string | number | undefined
  readonly value: JsonValue
}

/** Every place in the document, depth first (the root has no parent). */
const slots = (root: JsonValue): ReadonlyArray<Slot> => {
  const found: Array<Slot> = []
  const visit = (value: JsonValue, parent: Slot["parent"], key: Slot["key"], depth: number) => {
    found.push({ parent, key, value })
    if (depth > 60 || value === null || typeof value !== "object") return
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) visit(item, value, index, depth + 1)
    } else for (const [name, item] of Object.entries(value)) visit(item, value, name, depth + 1)
  }
  visit(root, undefined, undefined, 0)
  return found
}

const setSlot = (slot: Slot, value: JsonValue) => {
  if (slot.parent === undefined || slot.key === undefined) return
  if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = value
  else Object.defineProperty(slot.parent, slot.key, { value, enumerable: true, writable: true, configurable: true })
}

const structuralMutators: ReadonlyArray<{
  readonly name: string
  readonly apply: (root: JsonValue, random: Rng) => JsonValue
}> = [
  {
    name: "json-replace-value",
    apply: (root, random) => {
      const slot = random.pick(slots(root))
      if (slot.parent === undefined) return interestingValue(random, root)
      setSlot(slot, interestingValue(random, slot.value))
      return root
    }
  },
  {
    name: "json-delete",
    apply: (root, random) => {
      const slot = random.pick(slots(root))
      if (slot.parent === undefined || slot.key === undefined) return root
      if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1)
      else delete slot.parent[slot.key as string]
      return root
    }
  },
  {
    name: "json-rename-key",
    apply: (root, random) => {
      const slot = random.pick(slots(root).filter((s) => s.parent !== undefined && !Array.isArray(s.parent)))
      if (slot === undefined || slot.parent === undefined || Array.isArray(slot.parent)) return root
      const key = slot.key as string
      const renamed = random.chance(0.7) ? typo(key, random) : random.pick(jsonStrings)
      delete slot.parent[key]
      Object.defineProperty(slot.parent, renamed, {
        value: slot.value,
        enumerable: true,
        writable: true,
        configurable: true
      })
      return root
    }
  },
  {
    name: "json-add-key",
    apply: (root, random) => {
      const objects = slots(root).filter(
        (s) => s.value !== null && typeof s.value === "object" && !Array.isArray(s.value)
      )
      if (objects.length === 0) return root
      const target = random.pick(objects).value as { [key: string]: JsonValue }
      Object.defineProperty(target, random.pick(jsonStrings), {
        value: interestingValue(random, null),
        enumerable: true,
        writable: true,
        configurable: true
      })
      return root
    }
  },
  {
    name: "json-array",
    apply: (root, random) => {
      const arrays = slots(root).filter((s) => Array.isArray(s.value))
      if (arrays.length === 0) return root
      const array = random.pick(arrays).value as Array<JsonValue>
      switch (random.int(4)) {
        case 0:
          array.length = 0
          break
        case 1:
          if (array.length > 0) array.push(structuredClone(random.pick(array)))
          break
        case 2:
          if (array.length > 0) {
            const item = random.pick(array)
            // Hundreds of copies of a small item; a big one (a 300 KB string) only a few times.
            const copies = (JSON.stringify(item)?.length ?? 0) > 10_000 ? 3 : random.pick([10, 500])
            for (let i = 0; i < copies; i++) array.push(structuredClone(item))
          }
          break
        default:
          array.reverse()
      }
      return root
    }
  },
  {
    name: "json-swap-values",
    apply: (root, random) => {
      const all = slots(root).filter((s) => s.parent !== undefined)
      if (all.length < 2) return root
      const a = random.pick(all)
      const b = random.pick(all)
      // Clone, so a value never ends up inside itself.
      const valueA = structuredClone(a.value)
      setSlot(a, structuredClone(b.value))
      setSlot(b, valueA)
      return root
    }
  }
]

const textMutators: ReadonlyArray<{ readonly name: string; readonly apply: (text: string, random: Rng) => string }> = [
  { name: "text-truncate", apply: (text, random) => text.slice(0, random.int(text.length)) },
  {
    name: "text-delete",
    apply: (text, random) => {
      const start = random.int(text.length)
      return splice(text, start, start + random.between(1, 8), "")
    }
  },
  {
    name: "text-insert",
    apply: (text, random) => {
      const at = random.int(text.length + 1)
      return splice(text, at, at, random.pick(jsonTokens))
    }
  },
  {
    name: "text-replace-char",
    apply: (text, random) => {
      const at = random.int(text.length)
      return splice(text, at, at + 1, random.pick(jsonTokens))
    }
  },
  { name: "text-whole", apply: (_text, random) => random.pick(notJson) },
  {
    name: "text-wrap",
    apply: (text, random) =>
      random.pick(["[", "{", " ", "\uFEFF", "garbage"]) + text + random.pick(["]", "}", "", "\n", "x"])
  }
]

export interface JsonMutationOptions {
  /** How likely the text, rather than the parsed structure, is mutated. Default 0.25. */
  readonly textual?: number
}

/** Mutations of a JSON document: mostly of its structure, sometimes of its text. */
export const mutateJson = (text: string, random: Rng, options: JsonMutationOptions = {}): Mutated => {
  const applied: Array<string> = []
  let current = text
  const count = mutationCount(random)
  for (let i = 0; i < count; i++) {
    let parsed: JsonValue | undefined
    try {
      parsed = JSON.parse(current) as JsonValue
    } catch {
      parsed = undefined
    }
    if (parsed !== undefined && !random.chance(options.textual ?? 0.25)) {
      const mutator = random.pick(structuralMutators)
      const indent = random.pick([0, 2, 4])
      try {
        current = expandDeep(JSON.stringify(mutator.apply(parsed, random), null, indent))
        applied.push(mutator.name)
      } catch {
        // Too deep to print: keep the text as it was.
      }
    } else {
      const mutator = random.pick(textMutators)
      current = mutator.apply(current, random)
      applied.push(mutator.name)
    }
  }
  return { text: current, applied }
}

/** A truncated, printable excerpt of an input for an assertion message. */
export const excerpt = (text: string, limit = 600): string => {
  const shown = text.length > limit ? `${text.slice(0, limit)}… (${text.length} characters in all)` : text
  return JSON.stringify(shown)
}
