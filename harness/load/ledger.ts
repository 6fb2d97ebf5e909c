import { ERROR_CLASSES, type ErrorClass } from "./error-class.ts";

/** One request as the client saw it. Times are ms since the run's t0 (NaN: did not happen). */
export interface LedgerRow {
  seq: number;
  id: string;
  kind: number;
  method: string;
  serviceMs: number;
  intendedMs: number;
  sentMs: number;
  endMs: number;
  status: number;
  error: ErrorClass;
  node: string | null;
  bytes: number;
  /** 1, or 2 when the client retried after a reused connection was reset before any response. */
  attempts: number;
}

const INITIAL_CAPACITY = 1024;

/**
 * The client ledger: one row per request, stored in columns (typed arrays) so
 * a million requests cost tens of MB, not hundreds. The request id is derived
 * from the sequence number, so no string is kept per row.
 */
export class Ledger {
  length = 0;
  private intended = new Float64Array(INITIAL_CAPACITY);
  private sent = new Float64Array(INITIAL_CAPACITY);
  private end = new Float64Array(INITIAL_CAPACITY);
  private service = new Float32Array(INITIAL_CAPACITY);
  private statusCol = new Uint16Array(INITIAL_CAPACITY);
  private errorCol = new Uint8Array(INITIAL_CAPACITY);
  private nodeCol = new Uint8Array(INITIAL_CAPACITY);
  private kindCol = new Uint8Array(INITIAL_CAPACITY);
  private bytesCol = new Uint32Array(INITIAL_CAPACITY);
  private attemptsCol = new Uint8Array(INITIAL_CAPACITY);
  private readonly nodes: string[] = [];

  constructor(
    readonly idPrefix: string,
    readonly methods: string[],
  ) {}

  idOf(seq: number): string {
    return `${this.idPrefix}-${seq}`;
  }

  seqOf(id: string): number | undefined {
    if (!id.startsWith(`${this.idPrefix}-`)) return undefined;
    const seq = Number(id.slice(this.idPrefix.length + 1));
    return Number.isInteger(seq) && seq >= 0 && seq < this.length ? seq : undefined;
  }

  /** Adds a request when it leaves; returns its sequence number. */
  begin(kind: number, serviceMs: number, intendedMs: number, sentMs: number): number {
    if (this.length === this.intended.length) this.grow();
    const seq = this.length++;
    this.kindCol[seq] = kind;
    this.service[seq] = serviceMs;
    this.intended[seq] = intendedMs;
    this.sent[seq] = sentMs;
    this.end[seq] = Number.NaN;
    this.attemptsCol[seq] = 1;
    return seq;
  }

  finish(seq: number, endMs: number, status: number, error: ErrorClass, node: string | null, bytes: number): void {
    this.end[seq] = endMs;
    this.statusCol[seq] = status;
    this.errorCol[seq] = ERROR_CLASSES.indexOf(error);
    this.nodeCol[seq] = node === null ? 0 : this.nodeIndex(node);
    this.bytesCol[seq] = bytes;
  }

  retried(seq: number): void {
    this.attemptsCol[seq]! += 1;
  }

  isOpen(seq: number): boolean {
    return Number.isNaN(this.end[seq]!);
  }

  row(seq: number): LedgerRow {
    const kind = this.kindCol[seq]!;
    const node = this.nodeCol[seq]!;
    return {
      seq,
      id: this.idOf(seq),
      kind,
      method: this.methods[kind] ?? "?",
      serviceMs: this.service[seq]!,
      intendedMs: this.intended[seq]!,
      sentMs: this.sent[seq]!,
      endMs: this.end[seq]!,
      status: this.statusCol[seq]!,
      error: ERROR_CLASSES[this.errorCol[seq]!]!,
      node: node === 0 ? null : this.nodes[node - 1]!,
      bytes: this.bytesCol[seq]!,
      attempts: this.attemptsCol[seq]!,
    };
  }

  *rows(): IterableIterator<LedgerRow> {
    for (let seq = 0; seq < this.length; seq++) yield this.row(seq);
  }

  private nodeIndex(node: string): number {
    let i = this.nodes.indexOf(node);
    if (i < 0) {
      if (this.nodes.length >= 254) return 0;
      i = this.nodes.push(node) - 1;
    }
    return i + 1;
  }

  private grow(): void {
    const size = this.intended.length * 2;
    const grow = <T extends Float64Array | Float32Array | Uint16Array | Uint8Array | Uint32Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(size);
      b.set(a);
      return b;
    };
    this.intended = grow(this.intended, Float64Array);
    this.sent = grow(this.sent, Float64Array);
    this.end = grow(this.end, Float64Array);
    this.service = grow(this.service, Float32Array);
    this.statusCol = grow(this.statusCol, Uint16Array);
    this.errorCol = grow(this.errorCol, Uint8Array);
    this.nodeCol = grow(this.nodeCol, Uint8Array);
    this.kindCol = grow(this.kindCol, Uint8Array);
    this.bytesCol = grow(this.bytesCol, Uint32Array);
    this.attemptsCol = grow(this.attemptsCol, Uint8Array);
  }
}
