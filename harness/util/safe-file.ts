import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from "node:fs";
import { UsageError } from "./errors.ts";
import { shown } from "./text.ts";

/**
 * Files a scenario or a command names, opened so nothing can hang or fill
 * memory: O_NONBLOCK (a FIFO with no writer would block open() itself, past
 * Ctrl-C and SIGTERM), then fstat on the open descriptor (no race with a swap),
 * and only a regular file under a stated size is read. Every refusal is a
 * UsageError (exit 2) naming the field or flag and the path.
 */

const MB = 1024 * 1024;
/** Size limits, stated in each refusal. */
export const MAX_BYTES = {
  /** A request body: sent with each request, held in memory once. */
  body: 16 * MB,
  /** nginx.conf, its included files, a Dockerfile: configuration, never near this. */
  config: 4 * MB,
} as const;

/** What a stat says the path is, in words, when it is not a regular file. */
export function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  return st.isFile() ? "a file" : "not a regular file";
}

function sizeText(bytes: number): string {
  return bytes >= MB ? `${Math.round(bytes / MB)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} kB` : `${bytes} bytes`;
}

/**
 * Why `path` is not what `kind` asks for (a regular file at most maxBytes, or a folder), or null. Follows
 * symlinks, as reading it would; never opens it, so a FIFO cannot block.
 */
export function pathProblem(path: string, kind: "file" | "folder", maxBytes?: number): string | null {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? `no ${kind} ${shown(path, 500)}` : `cannot read ${shown(path, 500)} (${code ?? String(err)})`;
  }
  if (kind === "folder") return st.isDirectory() ? null : `${shown(path, 500)} is ${kindOf(st)}, not a folder`;
  if (!st.isFile()) return `${shown(path, 500)} is ${kindOf(st)}, not a regular file`;
  if (maxBytes !== undefined && st.size > maxBytes)
    return `${shown(path, 500)} is ${sizeText(st.size)}, larger than the ${sizeText(maxBytes)} limit`;
  return null;
}

/**
 * A descriptor of the regular file at `path`, opened with O_NONBLOCK (which a regular file's reads ignore, so
 * it stays set). `what` names the field or flag. The caller closes it.
 */
export function openRegular(path: string, what: string, maxBytes?: number): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${what}: cannot read ${shown(path, 500)} (${code === "ENOENT" ? "no such file" : (code ?? String(err))})`);
  }
  const st = fstatSync(fd);
  const why = !st.isFile()
    ? `${kindOf(st)}, not a regular file`
    : maxBytes !== undefined && st.size > maxBytes
      ? `${sizeText(st.size)}, larger than the ${sizeText(maxBytes)} limit`
      : null;
  if (why) {
    closeSync(fd);
    throw new UsageError(`${what}: ${shown(path, 500)} is ${why}`);
  }
  return { fd, size: st.size };
}

/** The whole of a regular file under maxBytes (read to its end, so a file that grew past the limit since the stat is refused too). */
export function readRegular(path: string, what: string, maxBytes: number): Buffer {
  const { fd, size } = openRegular(path, what, maxBytes);
  try {
    let buffer = Buffer.alloc(Math.min(size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) throw new UsageError(`${what}: ${shown(path, 500)} is larger than the ${sizeText(maxBytes)} limit`);
        const grown = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(grown);
        buffer = grown;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) throw new UsageError(`${what}: ${shown(path, 500)} is larger than the ${sizeText(maxBytes)} limit`);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** Lines longer than this are one unreadable line: no record line comes near it (a ledger row is ~300 bytes). */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Each line of a regular file, read in chunks (never the whole file as one string): `onLine` gets each line
 * (without its newline), `onTooLong` is called once for each line longer than maxLineBytes, which is skipped.
 */
export function eachLine(
  path: string,
  what: string,
  onLine: (line: string) => void,
  onTooLong: () => void = () => {},
  maxLineBytes = MAX_LINE_BYTES,
): void {
  const { fd } = openRegular(path, what);
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let parts: Buffer[] = [];
    let pending = 0;
    let skipping = false;
    const end = () => {
      if (skipping) onTooLong();
      else if (pending > 0 || parts.length > 0) onLine(Buffer.concat(parts, pending).toString("utf8"));
      parts = [];
      pending = 0;
      skipping = false;
    };
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      let from = 0;
      while (from < n) {
        const nl = chunk.indexOf(10, from);
        const to = nl < 0 || nl >= n ? n : nl;
        if (!skipping) {
          if (pending + (to - from) > maxLineBytes) {
            skipping = true;
            parts = [];
            pending = 0;
          } else if (to > from) {
            parts.push(Buffer.from(chunk.subarray(from, to)));
            pending += to - from;
          }
        }
        if (to === n) break;
        end();
        from = to + 1;
      }
    }
    if (skipping || pending > 0) end();
  } finally {
    closeSync(fd);
  }
}

/** At most the first `maxBytes` of a regular file (init reads sources this way: enough to find what it looks for). */
export function readHead(path: string, what: string, maxBytes: number): Buffer {
  const { fd } = openRegular(path, what);
  try {
    const buffer = Buffer.alloc(maxBytes);
    let length = 0;
    while (length < maxBytes) {
      const n = readSync(fd, buffer, length, maxBytes - length, null);
      if (n === 0) break;
      length += n;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
