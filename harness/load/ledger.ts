import { closeSync, openSync, readSync, unlinkSync, write } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import { ERROR_CLASSES, type ErrorClass } from "../records/error-class.ts";
import type { LedgerRow } from "../records/ledger-row.ts";

export type { LedgerRow };

export interface LedgerOptions {
  /**
   * Where finished chunks of rows go during the load, so memory holds only the
   * chunks that still have a request in flight. false: keep every row in memory.
   * Default: a file in the OS temp folder, removed by dispose() or at exit.
   */
  spillDir?: string | false;
  /**
   * A shard's ledger (load/shards.ts): its row `seq` is request `seq * stride + offset` of the whole
   * load, and that number is in its request id, so ids match those of one unsharded ledger. Default 1, 0.
   */
  idStride?: number;
  idOffset?: number;
}

/** A shard's ledger handed to another thread: every row on disk in its spill file (see Ledger.handOff, Ledger.adopt). */
export interface SpilledLedger {
  idPrefix: string;
  methods: string[];
  /** Absent when the ledger had no rows. */
  path?: string;
  length: number;
  nodes: string[];
  idStride: number;
  idOffset: number;
  spilledChunks: number;
}

/** What the checks read of the client ledger: one Ledger, or shards merged (MergedLedger). */
export interface ClientLedger {
  readonly length: number;
  rows(): IterableIterator<LedgerRow>;
  readonly residentRows: number;
  readonly spilledChunks: number;
  dispose(): void;
}

/** Rows per chunk; a power of two so seq -> (chunk, index) is a shift and a mask. */
const CHUNK_SHIFT = 13;
export const CHUNK_ROWS = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_ROWS - 1;
/** intended, sent, end (f64); service (f32); bytes (u32); status (u16); error, node, kind, attempts (u8). */
export const ROW_BYTES = 8 * 3 + 4 + 4 + 2 + 4;
const CHUNK_BYTES = CHUNK_ROWS * ROW_BYTES;
const MAX_FREE_CHUNKS = 4;

/** CHUNK_ROWS rows in one buffer, one typed-array column per field; the same layout on disk. */
class Chunk {
  readonly intended: Float64Array;
  readonly sent: Float64Array;
  readonly end: Float64Array;
  readonly service: Float32Array;
  readonly bytes: Uint32Array;
  readonly status: Uint16Array;
  readonly error: Uint8Array;
  readonly node: Uint8Array;
  readonly kind: Uint8Array;
  readonly attempts: Uint8Array;
  /** Rows begun and not yet finished. */
  open = 0;

  constructor(readonly buf: ArrayBuffer = new ArrayBuffer(CHUNK_BYTES)) {
    const n = CHUNK_ROWS;
    this.intended = new Float64Array(buf, 0, n);
    this.sent = new Float64Array(buf, 8 * n, n);
    this.end = new Float64Array(buf, 16 * n, n);
    this.service = new Float32Array(buf, 24 * n, n);
    this.bytes = new Uint32Array(buf, 28 * n, n);
    this.status = new Uint16Array(buf, 32 * n, n);
    this.error = new Uint8Array(buf, 34 * n, n);
    this.node = new Uint8Array(buf, 35 * n, n);
    this.kind = new Uint8Array(buf, 36 * n, n);
    this.attempts = new Uint8Array(buf, 37 * n, n);
  }
}

let spillCounter = 0;
/** Spill files not yet disposed; removed at exit at the latest (one listener for all ledgers). */
const openSpills = new Set<string>();
let exitHook = false;
function removeSpillsAtExit(): void {
  for (const path of openSpills) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

/**
 * The client ledger: one row per request, stored in columns (typed arrays, 38
 * bytes a row) in chunks of CHUNK_ROWS. A chunk whose requests have all
 * finished is written to a spill file and dropped from memory, so a long run
 * holds only the chunks with requests still in flight. The request id is
 * derived from the sequence number, so no string is kept per row.
 */
export class Ledger implements ClientLedger {
  length = 0;
  /** In memory; null once spilled. */
  private readonly chunks: Array<Chunk | null> = [];
  private readonly nodes: string[] = [];
  private readonly spillDir: string | false;
  private spillPath: string | undefined;
  private fd: number | undefined;
  private writesPending = 0;
  private writeError: Error | undefined;
  private readonly flushWaiters: Array<() => void> = [];
  private cached: { index: number; chunk: Chunk } | undefined;
  /** Spilled chunks whose write has landed, kept for reuse so memory stays flat whatever the GC does. */
  private readonly free: Chunk[] = [];
  /** Chunks written to disk so far. */
  spilledChunks = 0;
  private readonly idStride: number;
  private readonly idOffset: number;

  constructor(
    readonly idPrefix: string,
    readonly methods: string[],
    options: LedgerOptions = {},
  ) {
    this.spillDir = options.spillDir ?? tmpdir();
    this.idStride = options.idStride ?? 1;
    this.idOffset = options.idOffset ?? 0;
  }

  /** The request's number in the whole load (its seq unless this is a shard's ledger). */
  globalSeq(seq: number): number {
    return seq * this.idStride + this.idOffset;
  }

  idOf(seq: number): string {
    return `${this.idPrefix}-${this.globalSeq(seq)}`;
  }

  seqOf(id: string): number | undefined {
    if (!id.startsWith(`${this.idPrefix}-`)) return undefined;
    const n = Number(id.slice(this.idPrefix.length + 1)) - this.idOffset;
    const seq = n / this.idStride;
    return Number.isInteger(seq) && seq >= 0 && seq < this.length ? seq : undefined;
  }

  /**
   * Writes every row still in memory to the spill file and lets go of the file (another thread
   * adopts it: Ledger.adopt). Call once the load is over (no row open); this ledger is empty after.
   */
  async handOff(): Promise<SpilledLedger> {
    if (this.spillDir === false) throw new Error("Ledger: handOff needs a spill folder");
    for (let index = 0; index < this.chunks.length; index++) if (this.chunks[index]) this.spill(index);
    await this.flush();
    const handed: SpilledLedger = {
      idPrefix: this.idPrefix,
      methods: this.methods,
      ...(this.spillPath ? { path: this.spillPath } : {}),
      length: this.length,
      nodes: [...this.nodes],
      idStride: this.idStride,
      idOffset: this.idOffset,
      spilledChunks: this.spilledChunks,
    };
    if (this.fd !== undefined) closeSync(this.fd);
    if (this.spillPath) openSpills.delete(this.spillPath);
    this.fd = undefined;
    this.spillPath = undefined;
    this.length = 0;
    this.chunks.length = 0;
    return handed;
  }

  /**
   * A ledger handed off by another thread (handOff): read-only, its rows read back from the file, which it
   * now owns. keep: the file is a shard process's record (load/shard-output.ts), read and never removed.
   */
  static adopt(h: SpilledLedger, options: { keep?: boolean } = {}): Ledger {
    const ledger = new Ledger(h.idPrefix, h.methods, { idStride: h.idStride, idOffset: h.idOffset });
    ledger.length = h.length;
    ledger.nodes.push(...h.nodes);
    ledger.spilledChunks = h.spilledChunks;
    if (h.path) {
      ledger.fd = openSync(h.path, "r");
      if (options.keep) return ledger.withChunks();
      ledger.spillPath = h.path;
      openSpills.add(h.path);
      if (!exitHook) {
        exitHook = true;
        process.on("exit", removeSpillsAtExit);
      }
    }
    return ledger.withChunks();
  }

  /** An adopted ledger's chunks, every one on disk. */
  private withChunks(): this {
    for (let i = 0; i * CHUNK_ROWS < this.length; i++) this.chunks.push(null);
    return this;
  }

  /** Adds a request when it leaves; returns its sequence number. */
  begin(kind: number, serviceMs: number, intendedMs: number, sentMs: number): number {
    const seq = this.length++;
    const i = seq & CHUNK_MASK;
    if (i === 0) this.chunks.push(this.free.pop() ?? new Chunk());
    const c = this.chunks[this.chunks.length - 1]!;
    c.kind[i] = kind;
    c.service[i] = serviceMs;
    c.intended[i] = intendedMs;
    c.sent[i] = sentMs;
    c.end[i] = Number.NaN;
    c.attempts[i] = 1;
    // a recycled chunk holds an earlier request's answer here
    c.status[i] = 0;
    c.error[i] = 0;
    c.node[i] = 0;
    c.bytes[i] = 0;
    c.open++;
    return seq;
  }

  /** When the request was actually written to a connection (it may wait for one after begin). */
  sent(seq: number, sentMs: number): void {
    this.live(seq).sent[seq & CHUNK_MASK] = sentMs;
  }

  finish(seq: number, endMs: number, status: number, error: ErrorClass, node: string | null, bytes: number): void {
    this.finishAt(seq, endMs, status, ERROR_CLASSES.indexOf(error), node === null ? 0 : this.nodeIndex(node), bytes);
  }

  /** finish() with the error class and node as their indexes (see nodeIndex), for the generator's hot path. */
  finishAt(seq: number, endMs: number, status: number, errorIndex: number, nodeIndex: number, bytes: number): void {
    const c = this.live(seq);
    const i = seq & CHUNK_MASK;
    if (Number.isNaN(c.end[i]!)) c.open--;
    c.end[i] = endMs;
    c.status[i] = status;
    c.error[i] = errorIndex;
    c.node[i] = nodeIndex;
    c.bytes[i] = bytes;
    const index = seq >>> CHUNK_SHIFT;
    if (c.open === 0 && this.length >= (index + 1) * CHUNK_ROWS) this.spill(index);
  }

  retried(seq: number): void {
    this.live(seq).attempts[seq & CHUNK_MASK]! += 1;
  }

  intendedOf(seq: number): number {
    return this.live(seq).intended[seq & CHUNK_MASK]!;
  }

  /** Attempts so far of a request still in flight. */
  attemptsOf(seq: number): number {
    return this.live(seq).attempts[seq & CHUNK_MASK]!;
  }

  /** Whether the row is in memory and not yet finished. */
  isLiveOpen(seq: number): boolean {
    const c = this.chunks[seq >>> CHUNK_SHIFT];
    return c !== undefined && c !== null && seq < this.length && Number.isNaN(c.end[seq & CHUNK_MASK]!);
  }

  /** Finishes every row still open (requests abandoned at the end of a run); returns how many. */
  finishOpen(endMs: number, error: ErrorClass): number {
    let n = 0;
    for (let index = 0; index < this.chunks.length; index++) {
      const c = this.chunks[index];
      if (!c || c.open === 0) continue;
      const last = Math.min(this.length, (index + 1) * CHUNK_ROWS);
      for (let seq = index * CHUNK_ROWS; seq < last; seq++) {
        if (Number.isNaN(c.end[seq & CHUNK_MASK]!)) {
          this.finishAt(seq, endMs, 0, ERROR_CLASSES.indexOf(error), 0, 0);
          n++;
        }
      }
    }
    return n;
  }

  isOpen(seq: number): boolean {
    return Number.isNaN(this.chunk(seq >>> CHUNK_SHIFT).end[seq & CHUNK_MASK]!);
  }

  row(seq: number): LedgerRow {
    if (!(seq >= 0 && seq < this.length)) throw new RangeError(`no row ${seq} in a ledger of ${this.length}`);
    return this.rowOf(this.chunk(seq >>> CHUNK_SHIFT), seq);
  }

  /** Every row in order; spilled chunks are read back one at a time. */
  *rows(): IterableIterator<LedgerRow> {
    for (let index = 0; index < this.chunks.length; index++) {
      const c = this.chunk(index);
      const last = Math.min(this.length, (index + 1) * CHUNK_ROWS);
      for (let seq = index * CHUNK_ROWS; seq < last; seq++) yield this.rowOf(c, seq);
    }
  }

  /** Index (1-based, 0 = none) of a node name, for finishAt. At most 254 distinct nodes; past that: 0. */
  nodeIndex(node: string): number {
    let i = this.nodes.indexOf(node);
    if (i < 0) {
      if (this.nodes.length >= 254) return 0;
      i = this.nodes.push(node) - 1;
    }
    return i + 1;
  }

  /** Rows held in memory now (the rest are on disk). */
  get residentRows(): number {
    let n = 0;
    for (const c of this.chunks) if (c) n += CHUNK_ROWS;
    return n;
  }

  /** Resolves once every spilled chunk is on disk; rows() and row() read them back from then on. */
  async flush(): Promise<void> {
    if (this.writesPending > 0) await new Promise<void>((resolve) => this.flushWaiters.push(resolve));
    if (this.writeError) throw this.writeError;
  }

  /** Closes and removes the spill file; the spilled rows are gone after this. Safe to call twice. */
  dispose(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.spillPath) {
      try {
        unlinkSync(this.spillPath);
      } catch {
        // already gone
      }
      openSpills.delete(this.spillPath);
      this.spillPath = undefined;
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private rowOf(c: Chunk, seq: number): LedgerRow {
    const i = seq & CHUNK_MASK;
    const kind = c.kind[i]!;
    const node = c.node[i]!;
    const row: LedgerRow = {
      seq: this.globalSeq(seq),
      id: this.idOf(seq),
      kind,
      method: this.methods[kind] ?? "?",
      serviceMs: c.service[i]!,
      intendedMs: c.intended[i]!,
      sentMs: c.sent[i]!,
      endMs: c.end[i]!,
      status: c.status[i]!,
      error: ERROR_CLASSES[c.error[i]!]!,
      node: node === 0 ? null : this.nodes[node - 1]!,
      bytes: c.bytes[i]!,
      attempts: c.attempts[i]!,
    };
    if (this.idStride > 1) row.shard = this.idOffset;
    return row;
  }

  /** A chunk that is still in memory (rows that can still change). */
  private live(seq: number): Chunk {
    const c = this.chunks[seq >>> CHUNK_SHIFT];
    if (!c) throw new RangeError(`row ${seq} is ${seq < this.length ? "already on disk" : "not in the ledger"}`);
    return c;
  }

  /** A chunk from memory, or read back from the spill file. */
  private chunk(index: number): Chunk {
    const c = this.chunks[index];
    if (c) return c;
    if (this.cached?.index === index) return this.cached.chunk;
    if (this.writesPending > 0) throw new Error("Ledger: await flush() before reading rows back");
    if (this.fd === undefined) throw new Error("Ledger: the spill file was disposed");
    const read = new Chunk();
    readSync(this.fd, new Uint8Array(read.buf), 0, CHUNK_BYTES, index * CHUNK_BYTES);
    this.cached = { index, chunk: read };
    return read;
  }

  private spill(index: number): void {
    if (this.spillDir === false) return;
    const c = this.chunks[index]!;
    if (this.fd === undefined) {
      this.spillPath = join(
        this.spillDir,
        // the thread too: each load shard's thread counts from 0
        `drainlab-ledger-${process.pid}-${threadId}-${spillCounter++}-${this.idPrefix.replace(/[^\w.-]/g, "_")}.bin`,
      );
      this.fd = openSync(this.spillPath, "w+", 0o600);
      openSpills.add(this.spillPath);
      if (!exitHook) {
        exitHook = true;
        process.on("exit", removeSpillsAtExit);
      }
    }
    this.writesPending++;
    // kept readable as the "cached" chunk until the write lands, then only on disk
    this.cached = { index, chunk: c };
    this.chunks[index] = null;
    this.spilledChunks++;
    write(this.fd, new Uint8Array(c.buf), 0, CHUNK_BYTES, index * CHUNK_BYTES, (err) => {
      if (err) this.writeError ??= err;
      if (this.cached?.chunk === c) this.cached = undefined;
      if (!err && this.free.length < MAX_FREE_CHUNKS) {
        c.open = 0;
        this.free.push(c);
      }
      if (--this.writesPending === 0) for (const resolve of this.flushWaiters.splice(0)) resolve();
    });
  }
}

/**
 * The shards' ledgers as one client ledger, in request-id order: the whole
 * load's request i is row i / N of shard i mod N (load/shards.ts). Each shard
 * reads its spill file one chunk at a time, so the merge holds N chunks.
 */
export class MergedLedger implements ClientLedger {
  constructor(readonly shards: Ledger[]) {}

  get length(): number {
    return this.shards.reduce((n, l) => n + l.length, 0);
  }

  get residentRows(): number {
    return this.shards.reduce((n, l) => n + l.residentRows, 0);
  }

  get spilledChunks(): number {
    return this.shards.reduce((n, l) => n + l.spilledChunks, 0);
  }

  *rows(): IterableIterator<LedgerRow> {
    const longest = Math.max(0, ...this.shards.map((l) => l.length));
    for (let seq = 0; seq < longest; seq++) for (const l of this.shards) if (seq < l.length) yield l.row(seq);
  }

  dispose(): void {
    for (const l of this.shards) l.dispose();
  }
}
