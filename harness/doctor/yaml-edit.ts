/**
 * Sets one value in a scenario YAML as text edits at the parser's offsets, so every other byte (comments, flow
 * maps, order) stays as the user wrote it: the value replaced where the key is, else the key added to the
 * nearest map that exists (`{ a: 1 }` gains `, b: 2`; a block map gains a line at its indentation).
 */
import { type Document, isMap, isScalar, isSeq, type Node, parseAllDocuments, parseDocument, type YAMLMap } from "yaml";

export type YamlValue = string | number | boolean | null | Record<string, unknown>;

/** The value as YAML flow text: numbers and booleans bare, strings quoted when they need it. */
export function yamlText(value: YamlValue): string {
  if (value === null) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string")
    return /^[A-Za-z0-9_./-]+$/.test(value) && !/^(true|false|null|yes|no|on|off|~|[\d.]+)$/i.test(value) ? value : JSON.stringify(value);
  return `{ ${Object.entries(value)
    .map(([k, v]) => `${k}: ${yamlText(v as YamlValue)}`)
    .join(", ")} }`;
}

/** The 1-based line of an offset. */
export function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length;
}

export interface YamlEdit {
  text: string;
  /** 1-based line of the value (as it was, or where it is added). */
  line: number;
  /** The value's text before the edit; null when the key was added. */
  was: string | null;
}

/**
 * The document `index` of a YAML stream (a Kubernetes manifest holds several, `---` apart); its nodes' ranges
 * are offsets in the whole text. Index 0 of a one-document file is the same as parseDocument.
 */
export function documentAt(text: string, index: number): Document {
  const docs = parseAllDocuments(text, { keepSourceTokens: true });
  if (index === 0 && (!Array.isArray(docs) || docs.length <= 1)) return parseDocument(text, { keepSourceTokens: true });
  const doc = Array.isArray(docs) ? docs[index] : undefined;
  if (!doc) throw new Error(`no YAML document ${index + 1} in the file`);
  return doc;
}

/** Sets `path` to `value` in the YAML `text` (in its document `docIndex`); throws when the path crosses something that is not a map or list. */
export function setYamlValue(text: string, path: (string | number)[], value: YamlValue, docIndex = 0): YamlEdit {
  const doc = documentAt(text, docIndex);
  const existing = doc.getIn(path, true) as Node | undefined;
  if (existing?.range && (isScalar(existing) || typeof value === "object")) {
    const [start, end] = existing.range;
    return { text: text.slice(0, start) + yamlText(value) + text.slice(end), line: lineOf(text, start), was: text.slice(start, end) };
  }
  // the deepest ancestor that exists, and what is missing below it
  let depth = path.length - 1;
  let parent: Node | undefined;
  for (; depth >= 0; depth--) {
    parent = (depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)) as Node | undefined;
    if (parent && isMap(parent)) break;
    if (parent && (isSeq(parent) || isScalar(parent))) throw new Error(`${path.slice(0, depth).join(".")} is not a map`);
  }
  if (!parent || !isMap(parent) || !parent.range) throw new Error(`no map to add ${path.join(".")} to`);
  const key = String(path[depth]);
  let inner: YamlValue = value;
  for (let i = path.length - 1; i > depth; i--) inner = { [String(path[i])]: inner };
  const map = parent as YAMLMap;
  if (map.flow) {
    // `{ a: 1 }`: the new pair before the closing brace
    const close = text.lastIndexOf("}", map.range![1] - 1);
    const before = text.slice(0, close).replace(/\s*$/, "");
    const sep = map.items.length ? ", " : " ";
    const at = before.length;
    return { text: `${before}${sep}${key}: ${yamlText(inner)} ${text.slice(close)}`, line: lineOf(text, at), was: null };
  }
  // a block map: a new line after its last pair, at its first key's indentation
  const first = map.items[0]?.key as Node | undefined;
  const last = map.items[map.items.length - 1];
  const lastValue = (last?.value ?? last?.key) as Node | undefined;
  if (!first?.range || !lastValue?.range) throw new Error(`cannot place ${path.join(".")} in its map`);
  const lineStart = text.lastIndexOf("\n", first.range[0] - 1) + 1;
  // a map that is a list item (`- name: api`) starts after the dash: its keys' column, in spaces
  const indent = text.slice(lineStart, first.range[0]).replace(/[^\t]/g, " ");
  // after the line holding the end of the last value (its trailing comment included)
  let at = text.indexOf("\n", lastValue.range[1] > 0 ? lastValue.range[1] - 1 : 0);
  if (at === -1) at = text.length;
  const nl = at === text.length && !text.endsWith("\n") ? "\n" : "";
  const added = `${nl}${indent}${key}: ${yamlText(inner)}\n`;
  const insertAt = at === text.length ? text.length : at + 1;
  return { text: text.slice(0, insertAt) + added + text.slice(insertAt), line: lineOf(text, insertAt) + (nl ? 1 : 0), was: null };
}

/** The value at `path` and its 1-based line, or null when the file does not set it. */
export function yamlValueAt(text: string, path: (string | number)[]): { value: unknown; line: number; text: string } | null {
  const doc = parseDocument(text, { keepSourceTokens: true });
  const node = doc.getIn(path, true) as Node | undefined;
  if (!node?.range) return null;
  return { value: doc.getIn(path), line: lineOf(text, node.range[0]), text: text.slice(node.range[0], node.range[1]) };
}
