import { Composer, type CST, type Document, isScalar, LineCounter, Parser, visit } from "yaml";
import { shown } from "./text.ts";

/** Deeper than this, collections nest in no scenario; yaml's composer recurses per level, and V8 can die of it. */
export const MAX_YAML_DEPTH = 64;
/** yaml's own guard against alias bombs (`b: [*a, *a, ...]` nine levels deep): alias expansions per anchor. */
export const MAX_ALIAS_COUNT = 100;
/** Values (scalars, lists, mappings) after aliases are expanded; a scenario has a few hundred. */
export const MAX_YAML_NODES = 100_000;

/** Why a YAML text was refused; the caller puts the file or the --set in front of the message. */
export class YamlTextError extends Error {}

/**
 * Parses one YAML document into plain values, refusing everything that would
 * otherwise surface later as a crash, a hang or a silent surprise: syntax
 * errors, warnings (an unknown `!tag` would drop to its bare text), several
 * documents, collections nested deeper than MAX_YAML_DEPTH (checked on the
 * token tree before anything recurses), unresolved aliases, alias bombs and
 * results of more than MAX_YAML_NODES values.
 */
export function parseYaml(text: string): unknown {
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const depth = tokenDepth(tokens);
  if (depth > MAX_YAML_DEPTH) throw new YamlTextError(`not valid YAML: collections nested ${depth} deep (at most ${MAX_YAML_DEPTH})`);
  // yaml's own duplicate-key check compares every key with every other (100,000 keys: a minute and a half)
  const docs: Document.Parsed[] = [...new Composer({ logLevel: "silent", uniqueKeys: false }).compose(tokens, true, text.length)];
  const doc = docs[0];
  if (!doc) return null;
  const problem = doc.errors[0] ?? doc.warnings[0] ?? duplicateKey(doc);
  if (problem) {
    const pos = lines.linePos(problem.pos[0]);
    const where = lines.lineStarts.length > 1 ? `line ${pos.line}, column ${pos.col}` : `column ${pos.col}`;
    throw new YamlTextError(`not valid YAML at ${where}: ${problem.code} (${firstLine(problem.message)})`);
  }
  if (docs.length > 1) throw new YamlTextError("not valid YAML: more than one document (---); give one");
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // yaml throws a ReferenceError for an unresolved alias and for an alias bomb
    const message = firstLine(e instanceof Error ? e.message : String(e));
    throw new YamlTextError(
      /Excessive alias count/.test(message)
        ? `not valid YAML: aliases expand too far (an alias bomb; at most ${MAX_ALIAS_COUNT} expansions per anchor)`
        : `not valid YAML: ${message}`,
    );
  }
  const nodes = countValues(value, MAX_YAML_NODES);
  if (nodes > MAX_YAML_NODES) throw new YamlTextError(`too large: more than ${MAX_YAML_NODES} values once aliases are expanded`);
  return value;
}

/** The first key given twice in a mapping (`a: 1` then `a: 2`), as yaml itself would report it. */
function duplicateKey(doc: Document.Parsed): { code: string; message: string; pos: [number, number] } | undefined {
  let found: { code: string; message: string; pos: [number, number] } | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        if (!isScalar(key)) continue;
        if (seen.has(key.value)) {
          found = { code: "DUPLICATE_KEY", message: `Map keys must be unique (${String(key.value)})`, pos: [key.range?.[0] ?? 0, 0] };
          return visit.BREAK;
        }
        seen.add(key.value);
      }
    },
  });
  return found;
}

/** The first line of yaml's message, escaped and clipped: it may quote the text, an alias name with ESC in it say. */
function firstLine(message: string): string {
  return shown((message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, ""));
}

/** The deepest nesting of collections in a token tree, without recursion (the tree may be 100,000 deep). */
function tokenDepth(tokens: CST.Token[]): number {
  let max = 0;
  const stack: Array<[CST.Token, number]> = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (token.type === "document") {
      if (token.value) stack.push([token.value, depth]);
    } else if (token.type === "block-map" || token.type === "block-seq" || token.type === "flow-collection") {
      const inner = depth + 1;
      if (inner > max) max = inner;
      if (max > MAX_YAML_DEPTH) return max;
      for (const item of token.items as CST.CollectionItem[]) {
        if (item.key) stack.push([item.key, inner]);
        if (item.value) stack.push([item.value, inner]);
      }
    }
  }
  return max;
}

/**
 * Values in `value`, each shared (aliased) one counted as often as it is
 * reached; stops counting past `limit`. An alias inside the collection it
 * names (`a: &a [*a]`) makes a cycle, which is refused, not counted forever.
 */
function countValues(value: unknown, limit: number): number {
  let count = 0;
  const open = new Set<object>();
  const stack: Array<{ v: unknown; leave?: true }> = [{ v: value }];
  while (stack.length > 0 && count <= limit) {
    const { v, leave } = stack.pop()!;
    if (leave) {
      open.delete(v as object);
      continue;
    }
    count++;
    if (v === null || typeof v !== "object") continue;
    if (open.has(v)) throw new YamlTextError("not valid YAML: an alias refers to the collection that holds it (a cycle)");
    open.add(v);
    stack.push({ v, leave: true });
    for (const item of Array.isArray(v) ? v : Object.values(v)) stack.push({ v: item });
  }
  return count;
}
