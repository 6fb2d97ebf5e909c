/**
 * A parser of nginx configuration syntax (the subset crossplane reads, without lua blocks): words, quoted
 * strings, comments, ";", "{" and "}". It keeps where each directive sits in the text, so a user's file can be
 * edited by insertions at parsed offsets and everything else left byte for byte as they wrote it.
 */
import { UsageError } from "../util/errors.ts";

/** One directive. Offsets are indices into the parsed string (bytes, for the ASCII nginx configs are written in). */
export interface Directive {
  name: string;
  /** The arguments as nginx reads them: quotes removed, escapes resolved. */
  args: string[];
  /** 1-based line of the name. */
  line: number;
  /** Offset of the name. */
  start: number;
  /** Offset just after the ";" or the block's closing "}". */
  end: number;
  block?: Directive[];
  /** Offset just after "{". */
  blockOpen?: number;
  /** Offset of the closing "}". */
  blockClose?: number;
}

/** A configuration nginx itself would refuse to read; the message reads like nginx's own ("nginx.conf:12: unexpected "}""). */
export class NginxSyntaxError extends UsageError {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}

interface Token {
  value: string;
  /** A quoted ";" or "{" is an argument, not syntax. */
  quoted: boolean;
  line: number;
  start: number;
  end: number;
}

// nginx resolves these escapes in every token, quoted or not; any other backslash stays (regexes need "\.")
const ESCAPES: Record<string, string> = { '"': '"', "'": "'", "\\": "\\", t: "\t", r: "\r", n: "\n" };
const unescapeToken = (raw: string): string => raw.replace(/\\(["'\\trn])/g, (_, c: string) => ESCAPES[c]!);

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  // skips a backslash and the character it escapes, which may be a newline
  const skipEscape = () => {
    if (text[i + 1] === "\n") line++;
    i += 2;
  };
  while (i < text.length) {
    const ch = text[i]!;
    const start = i;
    const startLine = line;
    if (ch === "\n") line++;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "#") {
      // a comment only where a token could start: "a#b" is one word, as nginx reads it
      while (i < text.length && text[i] !== "\n") i++;
    } else if (ch === ";" || ch === "{" || ch === "}") {
      tokens.push({ value: ch, quoted: false, line, start, end: ++i });
    } else if (ch === '"' || ch === "'") {
      for (i++; text[i] !== ch; ) {
        if (i >= text.length) throw new NginxSyntaxError(file, startLine, "unterminated quoted string");
        if (text[i] === "\\") skipEscape();
        else if (text[i++] === "\n") line++;
      }
      i++;
      // nginx wants a separator after a closing quote; ")" ends `if ($a = "b")`
      const next = text[i];
      if (next !== undefined && !/[\s;{)]/.test(next)) throw new NginxSyntaxError(file, line, `unexpected "${next}"`);
      tokens.push({ value: unescapeToken(text.slice(start + 1, i - 1)), quoted: true, line: startLine, start, end: i });
    } else {
      // a word runs to whitespace, ";", "{" or "}", except the braces of a "${name}" variable
      let inVariable = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === "\\") skipEscape();
        else if (c === "$" && text[i + 1] === "{") (inVariable = true), (i += 2);
        else if (c === "}" && inVariable) (inVariable = false), i++;
        else if (/[\s;{}]/.test(c)) break;
        else i++;
      }
      tokens.push({ value: unescapeToken(text.slice(start, i)), quoted: false, line: startLine, start, end: i });
    }
  }
  return tokens;
}

/**
 * How deep blocks may nest. A real configuration nests a handful (http, server, location, if, limit_except); the
 * limit keeps a hostile file from overflowing the stack of this parser and of every walk over its tree.
 */
export const MAX_NGINX_DEPTH = 50;

/** Parses an nginx configuration into its directives; throws NginxSyntaxError where nginx would refuse it. */
export function parseNginx(text: string, file = "nginx.conf"): Directive[] {
  const tokens = tokenize(text, file);
  const lastLine = text.split("\n").length;
  let pos = 0;
  const fail = (line: number, detail: string): never => {
    throw new NginxSyntaxError(file, line, detail);
  };

  // reads directives up to the "}" closing `open`, or to the end of the text at the top level
  function parseBlock(open?: Token, depth = 0): { directives: Directive[]; close?: Token } {
    if (depth > MAX_NGINX_DEPTH)
      fail(open!.line, `blocks nested deeper than ${MAX_NGINX_DEPTH} levels (drainlab's limit; a configuration nests a handful)`);
    const directives: Directive[] = [];
    let words: Token[] = [];
    while (pos < tokens.length) {
      const tok = tokens[pos++]!;
      if (tok.quoted || !";{}".includes(tok.value)) {
        words.push(tok);
        continue;
      }
      if (tok.value === "}") {
        if (words.length > 0 || !open) fail(tok.line, 'unexpected "}"');
        return { directives, close: tok };
      }
      const [name, ...args] = words;
      if (!name) return fail(tok.line, `unexpected "${tok.value}"`);
      const d: Directive = { name: name.value, args: args.map((a) => a.value), line: name.line, start: name.start, end: tok.end };
      if (tok.value === "{") {
        const { directives: block, close } = parseBlock(tok, depth + 1);
        Object.assign(d, { block, blockOpen: tok.end, blockClose: close!.start, end: close!.end });
      }
      directives.push(d);
      words = [];
    }
    if (words.length > 0) fail(lastLine, 'unexpected end of file, expecting ";" or "}"');
    if (open) fail(lastLine, 'unexpected end of file, expecting "}"');
    return { directives };
  }
  return parseBlock().directives;
}

/** Visits every directive depth first, with its enclosing directives from the outermost in. */
export function walk(tree: Directive[], visit: (d: Directive, parents: Directive[]) => void, parents: Directive[] = []): void {
  for (const d of tree) {
    visit(d, parents);
    if (d.block) walk(d.block, visit, [...parents, d]);
  }
}
