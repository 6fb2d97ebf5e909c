/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC, CR,
 * backspace, ...), DEL, C1 controls (0x9b is a one-byte CSI), the Unicode line
 * and paragraph separators, and the bidirectional overrides that reorder what
 * is shown. A scenario or report.json that holds them could recolour, erase or
 * forge lines of drainlab's output (a fake "verdict PASS").
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * `s` with every character a terminal would act on written as a visible escape
 * (`\x1b`, `\r`, `\n`, `\u202e`), so text from a scenario or a report is shown,
 * never obeyed. Newlines are escaped too unless `keepNewlines` (for messages
 * drainlab itself spreads over several lines).
 */
export function printable(s: string, options: { keepNewlines?: boolean } = {}): string {
  return s.replace(UNPRINTABLE, (c) => {
    if (c === "\n" && options.keepNewlines) return c;
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * A log line to stderr, through printable(): the one gate every progress and log line passes (they quote
 * file names, node names, commands' output). Newlines drainlab puts in its own messages are kept.
 */
export function logLine(line: string): void {
  process.stderr.write(`${printable(line, { keepNewlines: true })}\n`);
}

/** At most `max` characters of `s`, saying how long it was when cut (a 20 kB --set value is not repeated in full). */
export function clip(s: string, max = 200): string {
  return s.length <= max ? s : `${s.slice(0, max)}... (${s.length} characters)`;
}

/** For a message: printable and clipped. */
export function shown(s: string, max = 200): string {
  return clip(printable(s), max);
}

/**
 * A value as JSON for a message, but NaN and Infinity as themselves (JSON
 * writes them as null, which hides why a number was refused), strings escaped,
 * and the whole cut at `max` characters; never recurses deeper than the text
 * it may still write, so a deep or self-referencing value is safe.
 */
export function showValue(value: unknown, max = 200): string {
  let out = "";
  const write = (v: unknown, depth: number): boolean => {
    if (out.length > max || depth > max) return false;
    if (typeof v === "number") out += Number.isFinite(v) ? JSON.stringify(v) : String(v);
    else if (typeof v === "string") out += printable(JSON.stringify(v));
    else if (v === null || typeof v === "boolean") out += String(v);
    else if (v === undefined) out += "undefined";
    else if (typeof v === "bigint") out += `${v}`;
    else if (Array.isArray(v)) {
      out += "[";
      for (const [i, item] of v.entries()) {
        if (i > 0) out += ",";
        if (!write(item, depth + 1)) return false;
      }
      out += "]";
    } else if (typeof v === "object") {
      out += "{";
      let first = true;
      for (const [k, item] of Object.entries(v)) {
        out += `${first ? "" : ","}${printable(JSON.stringify(k))}:`;
        first = false;
        if (!write(item, depth + 1)) return false;
      }
      out += "}";
    } else out += `<${typeof v}>`;
    return out.length <= max;
  };
  return write(value, 0) ? out : `${out.slice(0, max)}...`;
}

/**
 * A copy of `value` with printable() applied to every string and key in it,
 * newlines included (each is shown on one line). Deeper than `maxDepth`,
 * values are kept as they are, which also ends a cycle.
 */
export function printableStrings<T>(value: T, maxDepth = 32): T {
  const clean = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return printable(v);
    if (v === null || typeof v !== "object" || depth >= maxDepth) return v;
    if (Array.isArray(v)) return v.map((item) => clean(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) {
      // defineProperty: a "__proto__" key stays a plain key, as JSON.parse made it
      Object.defineProperty(out, printable(k), { value: clean(item, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  return clean(value, 0) as T;
}
