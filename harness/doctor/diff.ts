/**
 * A unified diff of two versions of one small text file (a scenario, a gunicorn.conf.py, an nginx.conf, a
 * Dockerfile): longest common subsequence of lines, hunks with three lines of context. The paths are
 * `a/<name>` and `b/<name>`, so the patch applies with `git apply` or `patch -p1` from the file's folder (git apply run in a
 * subfolder of a repository takes the paths as relative to that subfolder).
 */

const CONTEXT = 3;

type Op = { kind: " " | "-" | "+"; line: string };

function lines(text: string): { lines: string[]; finalNewline: boolean } {
  const finalNewline = text.endsWith("\n");
  const body = finalNewline ? text.slice(0, -1) : text;
  return { lines: body === "" ? [] : body.split("\n"), finalNewline };
}

function ops(a: string[], b: string[]): Op[] {
  // the common prefix and suffix first: a fix changes a line or two of a file
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const n = am.length;
  const m = bm.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = am[i] === bm[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const middle: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && am[i] === bm[j]) middle.push({ kind: " ", line: am[i++]! }), j++;
    else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) middle.push({ kind: "-", line: am[i++]! });
    else middle.push({ kind: "+", line: bm[j++]! });
  }
  return [
    ...a.slice(0, pre).map((line) => ({ kind: " " as const, line })),
    ...middle,
    ...a.slice(a.length - suf).map((line) => ({ kind: " " as const, line })),
  ];
}

const NO_NEWLINE = "\0";

/** A file's lines; the last one marked when the file does not end with a newline, so it differs from the same line with one. */
function marked(text: string): string[] {
  const { lines: list, finalNewline } = lines(text);
  if (!finalNewline && list.length > 0) list[list.length - 1] += NO_NEWLINE;
  return list;
}

/** The unified diff of `before` to `after` for the file `name` (a path relative to the folder the patch is applied in); "" when equal. */
export function unifiedDiff(name: string, before: string, after: string): string {
  if (before === after) return "";
  const all = ops(marked(before), marked(after));
  const out = [`--- a/${name}`, `+++ b/${name}`];
  let k = 0;
  while (k < all.length) {
    while (k < all.length && all[k]!.kind === " ") k++;
    if (k >= all.length) break;
    // a hunk: from CONTEXT lines before its first change to CONTEXT after the last change closer than 2*CONTEXT
    const start = Math.max(0, k - CONTEXT);
    let end = k;
    for (let x = k; x < all.length; x++) {
      if (all[x]!.kind !== " ") end = x;
      else if (x - end > 2 * CONTEXT) break;
    }
    const stop = Math.min(all.length, end + CONTEXT + 1);
    let aStart = 0;
    let bStart = 0;
    for (let x = 0; x < start; x++) {
      if (all[x]!.kind !== "+") aStart++;
      if (all[x]!.kind !== "-") bStart++;
    }
    const hunk = all.slice(start, stop);
    const aLen = hunk.filter((o) => o.kind !== "+").length;
    const bLen = hunk.filter((o) => o.kind !== "-").length;
    out.push(`@@ -${aLen ? aStart + 1 : aStart},${aLen} +${bLen ? bStart + 1 : bStart},${bLen} @@`);
    for (const o of hunk) {
      if (o.line.endsWith(NO_NEWLINE)) out.push(`${o.kind}${o.line.slice(0, -1)}`, "\\ No newline at end of file");
      else out.push(`${o.kind}${o.line}`);
    }
    k = stop;
  }
  return `${out.join("\n")}\n`;
}
