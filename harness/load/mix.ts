import type { RequestKind } from "../scenario/schema.ts";

/** Small seeded PRNG (mulberry32): the same seed gives the same request mix, run after run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlannedRequest {
  kind: number;
  method: "GET" | "POST";
  path: string;
  serviceMs: number;
  /** Encoded once per kind and shared by every request of that kind. */
  body: Buffer | undefined;
}

/** Draws requests from the scenario's weighted mix. */
export class RequestMix {
  private readonly cumulative: number[];
  private readonly bodies: Array<Buffer | undefined>;
  /** "/work?ms=N" strings, made once per kind and service time rather than once per request. */
  private readonly paths: Array<Map<number, string>>;

  constructor(
    readonly kinds: RequestKind[],
    private readonly random: () => number,
  ) {
    let sum = 0;
    this.cumulative = kinds.map((k) => (sum += k.weight));
    this.bodies = kinds.map((k) =>
      k.method === "POST" ? Buffer.from(JSON.stringify({ pad: "x".repeat(Math.max(0, k.body_bytes - 10)) })) : undefined,
    );
    this.paths = kinds.map(() => new Map());
  }

  next(): PlannedRequest {
    const total = this.cumulative[this.cumulative.length - 1]!;
    const r = this.random() * total;
    let kind = this.cumulative.findIndex((c) => r < c);
    if (kind < 0) kind = this.kinds.length - 1;
    const k = this.kinds[kind]!;
    const serviceMs = typeof k.ms === "number" ? k.ms : Math.round(k.ms.min + this.random() * (k.ms.max - k.ms.min));
    const paths = this.paths[kind]!;
    let path = paths.get(serviceMs);
    if (path === undefined) {
      path = `${k.path ?? (k.method === "POST" ? "/orders" : "/work")}?ms=${serviceMs}`;
      paths.set(serviceMs, path);
    }
    return { kind, method: k.method, path, serviceMs, body: this.bodies[kind] };
  }
}

/** The longest service time any request of the mix can ask for. */
export function longestServiceMs(kinds: RequestKind[]): number {
  return Math.max(0, ...kinds.map((k) => (typeof k.ms === "number" ? k.ms : k.ms.max)));
}
