import fc from "fast-check";

/**
 * Arbitraries for the property tests: generated input, seeded with the shapes
 * known to have broken drainlab (alias bombs, unresolved and cyclic aliases,
 * prototype keys, huge indices, control characters, NaN and infinities, empty
 * text, a list at the top, deep nesting) so that fast-check produces them,
 * not only what it would stumble on.
 */

const BOMB = [
  "a: &a [1,1,1,1,1,1,1,1,1]",
  ..."bcdefghi".split("").map((c, i) => `${c}: &${c} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(",")}]`),
].join("\n");

/** Whole scenario texts known to be hostile. */
export const KNOWN_BAD_FILES = [
  "",
  "\n",
  "# only a comment\n",
  "~\n",
  "- a\n- b\n",
  "[]",
  "just text",
  "42",
  ".nan",
  `name: bomb\n${BOMB}\n`,
  "name: *nope\n",
  "name: x\na: &a [*a]\n",
  "name: &n x\nload: *n\n",
  "<<: *a\nname: x\n",
  "name: !foo bar\n",
  "name: !!binary aGk=\n",
  "%YAML 1.1\n---\nname: x\n",
  "%FOO x\n---\nname: x\n",
  "name: x\n---\nname: y\n",
  "name: x\nname: y\n",
  "__proto__: { polluted: 1 }\nname: x\n",
  "name: x\nconstructor: { prototype: { polluted: 1 } }\n",
  "name: x\nload: { __proto__: { polluted: 1 } }\n",
  "name: x\nload: { rate_per_s: .nan }\n",
  "name: x\nload: { rate_per_s: .inf, duration_s: -.inf }\n",
  "name: x\nload: { rate_per_s: 1e400 }\n",
  'name: "a\\nverdict   PASS"\n',
  'name: "\\e[31mred\\e[0m\\r\\x9b\\u202e"\n',
  "name: x\nload: { mix: [{ method: GET, ms: 99999999999999999999 }] }\n",
  `name: x\na: ${"[".repeat(200)}${"]".repeat(200)}\n`,
  `name: x\na: ${"{b: ".repeat(100)}1${"}".repeat(100)}\n`,
  "name: x\n\tload: 1\n",
  "\ufeffname: x\n",
  "name: x\u0000\n",
  "? [a, b]\n: 1\nname: x\n",
  "name: [x\n",
  "name: 'x\n",
  "name: x\ngrid: { __proto__.polluted: [1] }\n",
  "name: x\ngrid: { load.mix.100000000.ms: [1] }\n",
  "name: x\ndrain: { target: 99 }\n",
  "name: x\nstack: { nodes: 1e9 }\n",
];

/** Pieces of YAML syntax and of drainlab's field names, glued at random into near-YAML. */
const FRAGMENTS = [
  "[",
  "]",
  "{",
  "}",
  ":",
  ": ",
  ",",
  " ",
  "  ",
  "\n",
  "\n  ",
  "- ",
  "? ",
  "&a ",
  "&b ",
  "*a",
  "*b",
  "*nope",
  "!foo ",
  "!!str ",
  "!!int ",
  "'",
  '"',
  "\\",
  "#",
  "|",
  ">",
  "---",
  "...",
  "%YAML 1.2",
  "<<: ",
  "\t",
  "\r",
  "\u0000",
  "\u001b[2J",
  "\u0085",
  "\u2028",
  "\u202e",
  "name",
  "load",
  "mix",
  "method",
  "GET",
  "ms",
  "rate_per_s",
  "drain",
  "target",
  "stack",
  "nodes",
  "checks",
  "grid",
  "faults",
  "expect",
  "__proto__",
  "constructor",
  "prototype",
  "0",
  "1",
  "-1",
  "99",
  "100000000",
  "1e400",
  ".nan",
  ".inf",
  "-.inf",
  "null",
  "~",
  "true",
  "x",
];

const nearYaml = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }).map((parts) => parts.join(""));

/** A JS value with hostile keys and leaves, to be written as YAML. */
const hostileKey = fc.oneof(
  fc.constantFrom("name", "load", "mix", "rate_per_s", "drain", "stack", "checks", "__proto__", "constructor", "prototype", "0", ""),
  fc.string({ maxLength: 8 }),
);
const hostileLeaf = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    1e308,
    2 ** 53 + 1,
    null,
    true,
    "",
    "a\nverdict   PASS",
  ),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 20, unit: "binary" }),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileLeaf,
    fc.array(tie("tree"), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie("tree"), { maxKeys: 4 }),
  ),
}));

/** A plausible scenario with one field replaced by something hostile, as YAML text. */
const plausible = fc
  .record({
    name: fc.oneof(fc.string({ maxLength: 20, unit: "binary" }), hostileLeaf),
    load: fc.dictionary(fc.constantFrom("rate_per_s", "duration_s", "mix", "timeout_s", "__proto__"), tree, { maxKeys: 3 }),
    extra: fc.dictionary(hostileKey, tree, { maxKeys: 2 }),
  })
  .map(({ name, load, extra }) => yamlOf({ name, load, ...extra }));

/** JSON is YAML, except for NaN and infinities, which are written as YAML's .nan and .inf. */
export function yamlOf(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? `@@${v}@@` : v))
    .replaceAll('"@@NaN@@"', ".nan")
    .replaceAll('"@@Infinity@@"', ".inf")
    .replaceAll('"@@-Infinity@@"', "-.inf");
}

/** Scenario file texts: known-bad ones, near-YAML, plausible scenarios gone wrong, and any string at all. */
export const scenarioText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN_BAD_FILES) },
  { weight: 3, arbitrary: nearYaml },
  { weight: 3, arbitrary: plausible },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...KNOWN_BAD_FILES), nearYaml).map(([a, b]) => a + b) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200, unit: "binary" }) },
);

/** Field path segments for --set: real fields, list indices (huge ones too), prototype names, control characters. */
const segment = fc.oneof(
  fc.constantFrom("load", "mix", "ms", "method", "rate_per_s", "name", "drain", "target", "stack", "nodes", "grid", "checks", "allowed"),
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"),
  fc.constantFrom("0", "1", "2", "99", "007", "100000000", "4294967295", "99999999999999999999999", "-1", "1e3", "0x10", ""),
  fc.string({ maxLength: 6, unit: "binary" }),
);

/** --set values: YAML scalars and collections, known-bad YAML, near-YAML and any string. */
const setValue = fc.oneof(
  fc.constantFrom('"unclosed', "*nope", "!foo bar", ".nan", ".inf", "-.inf", ".NaN", "", "~", "[1, 2", "{a: 1", "&a [*a]", "a\n---\nb"),
  fc.constantFrom(
    "\u001b[2J",
    "a\nverdict   PASS",
    `${"[".repeat(300)}`,
    "1e400",
    "99999999999999999999",
    "[GET, POST]",
    "{ method: GET, ms: 5 }",
  ),
  nearYaml,
  tree.map(yamlOf),
  fc.string({ maxLength: 40, unit: "binary" }),
);

/** Whole --set arguments, including ones without "=" or with an empty path. */
export const setAssignment: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), setValue).map(([p, v]) => `${p.join(".")}=${v}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: "binary" }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("=1", "a", "a.", ".a=1", "a..b=1", "__proto__=1", "load.mix.100000000.ms=2", "load.mix.99.ms=2"),
  },
);

/** Values parseReport may be handed: anything JSON.parse makes, hostile leaves and prototype keys included. */
export const jsonish: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  tree,
  fc.constantFrom(null, [], {}, "", 0, Number.NaN, Number.POSITIVE_INFINITY, JSON.parse('{"__proto__": {"polluted": 1}}')),
);

/** attach.url forms: each malformed kind the schema names, good ones, and any string. */
const attachUrl = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "127.0.0.1:8080",
    "localhost",
    "ftp://127.0.0.1/",
    "ws://127.0.0.1",
    "http://127.0.0.1:99999",
    "http://127.0.0.1:0",
    "http://127.0.0.1:-1",
    "http://127.0.0.1:8o",
    "http://:80",
    "http://[::1",
    "http://u:p@127.0.0.1",
    "http://127.0.0.1:8080/api?x=1",
    "http://127.0.0.1/#f",
    "http://127.0.0.1:80\u001b[2J",
    "http://127.0.0.1\u202e",
    "http://127.0.0.1:8080",
    "http://127.0.0.1:8080/",
    "https://[::1]:8443",
    "http://api.example.com",
  ),
  fc.string({ maxLength: 40, unit: "binary" }),
  fc.string({ maxLength: 20 }).map((s) => `http://127.0.0.1:${s}`),
  hostileLeaf,
);

/**
 * Paths a scenario may name, relative to the scenario file's folder: the scenario itself (a small regular
 * file), a folder, a FIFO the test makes beside it ("fifo"), devices, missing files and any string.
 */
const scenarioPath = fc.oneof(
  fc.constantFrom("s.yaml", ".", "..", "/", "fifo", "/dev/zero", "/dev/null", "/proc/self/mem", "missing", "", "a\u0000b"),
  fc.string({ maxLength: 20, unit: "binary" }),
  hostileLeaf,
);

const headerName = fc.oneof(
  fc.constantFrom(
    "X-A",
    "Transfer-Encoding",
    "Connection",
    "expect",
    "Host",
    "Content-Length",
    "X-Request-Id",
    "Bad Name",
    "",
    "é",
    "constructor",
    "toString",
    "__proto__",
  ),
  fc.string({ maxLength: 12 }),
);
const headerValue = fc.oneof(
  fc.constantFrom("ok", "a\r\nInjected: 1", "a\nb", "\u0000", "\u202e", "\t x"),
  fc.string({ maxLength: 12, unit: "binary" }),
);

/** One mix entry with HTTP fields that may not be sendable: headers, paths, methods, weights. */
const hostileMixEntry = fc.record(
  {
    path: fc.oneof(
      fc.constantFrom("/x", "/a b", "/100%", "/%zz", "/a#b", '/a"b', "/é", "x", "/ok?q=1"),
      fc.string({ maxLength: 12, unit: "binary" }),
    ),
    method: fc.oneof(
      fc.constantFrom("GET", "POST", "CONNECT", "TRACK", "get", "PATCH", "", "valueOf", "constructor", "__proto__"),
      hostileLeaf,
    ),
    weight: fc.oneof(fc.constantFrom(1, 1e308, 0, -1, Number.POSITIVE_INFINITY, Number.NaN), fc.double()),
    headers: fc.dictionary(headerName, headerValue, { maxKeys: 3 }),
    body_file: scenarioPath,
  },
  { requiredKeys: ["path"] },
);

const durations = fc.oneof(fc.constantFrom(0, 0.5, 4, 11.9, 12, 1e7, 86_400, 86_401, 2 ** 31, Number.POSITIVE_INFINITY, -1), fc.double());

/** An attach: section gone wrong in one or more places, with a mix it requires, as YAML text. */
export const attachScenarioText: fc.Arbitrary<string> = fc
  .record(
    {
      url: attachUrl,
      nodes: fc.oneof(
        fc.array(fc.string({ maxLength: 8, unit: "binary" }), { maxLength: 4 }),
        fc.constant(["..", "client-ledger.jsonl", "nginx"]),
      ),
      drain: fc.oneof(
        fc.record({ command: fc.oneof(fc.constant("true"), hostileLeaf) }),
        fc.record({
          node: fc.constant("n1"),
          steps: fc.constant([{ step: "terminate", run: "true" }]),
          removal: fc.constantFrom("none", "remove", "bogus"),
        }),
      ),
      records: fc.record(
        {
          nginx_log: fc.oneof(
            scenarioPath.map((file) => ({ file })),
            fc.record({ command: fc.constantFrom("cat x", "") }),
          ),
          app_ledger: fc.array(
            scenarioPath.map((file) => ({ file })),
            { maxLength: 2 },
          ),
        },
        { requiredKeys: [] },
      ),
      hosts: fc.array(fc.constantFrom("api.example.com", "", "127.0.0.1"), { maxLength: 2 }),
    },
    { requiredKeys: ["url", "drain"] },
  )
  .chain((attach) =>
    fc
      .record({ mix: fc.array(hostileMixEntry, { minLength: 1, maxLength: 3 }), at_s: durations, duration_s: durations })
      .map(({ mix, at_s, duration_s }) =>
        yamlOf({ name: "attach", attach, load: { duration_s, mix }, drain: { at_s }, checks: { client_only_ok: true } }),
      ),
  );

/** A system: section gone wrong: service names (drainlab's own among them), build paths, nginx files, as YAML text. */
export const systemScenarioText: fc.Arbitrary<string> = fc
  .record({
    app: fc.oneof(
      fc.record({ image: fc.constant("app:1") }),
      fc.record({ build: fc.record({ context: scenarioPath, dockerfile: scenarioPath }, { requiredKeys: [] }) }),
    ),
    nginx: fc.record({
      config: scenarioPath,
      upstream: fc.constantFrom("api", "bad name"),
      files: fc.array(scenarioPath, { maxLength: 2 }),
    }),
    services: fc.array(
      fc.record({
        name: fc.oneof(fc.constantFrom("db", "nginx", "node-1", "node-77", "reaper", "Redis", ""), fc.string({ maxLength: 8 })),
        image: fc.constant("redis:7"),
      }),
      { maxLength: 3 },
    ),
  })
  .chain((system) =>
    fc.array(hostileMixEntry, { minLength: 1, maxLength: 3 }).map((mix) => yamlOf({ name: "system", system, load: { mix } })),
  );
