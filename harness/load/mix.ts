import { type KindPlan, planOf } from "../scenario/request-plan.ts";
import { type RequestKind, sessionShape } from "../scenario/schema.ts";

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
  method: string;
  path: string;
  serviceMs: number;
  /** Encoded once per kind and shared by every request of that kind. */
  body: Buffer | undefined;
  /** The kind's own headers as undici's flat [name, value, ...] list (x-request-id is added when sent). */
  headers: string[];
  /** Statuses that count as ok; null: any below 400. */
  okStatus: ReadonlySet<number> | null;
  idempotent: boolean;
  /** A long-lived kind (stream, sse, websocket): started as a session, not sent as a request. */
  session: boolean;
}

/** Draws requests from the scenario's weighted mix. */
export class RequestMix {
  private readonly cumulative: number[];
  private readonly plans: KindPlan[];
  /** "/work?ms=N" strings, made once per kind and service time rather than once per request. */
  private readonly paths: Array<Map<number, string>>;

  constructor(
    readonly kinds: RequestKind[],
    private readonly random: () => number,
    /** The fixture's mix: paths get `?ms=`; otherwise each path is sent as written (a user's system). */
    private readonly fixture = true,
  ) {
    let sum = 0;
    this.cumulative = kinds.map((k) => (sum += k.weight));
    this.plans = kinds.map((k) => planOf(k, fixture));
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
      path = this.fixture ? fixturePath(k, serviceMs) : k.path!;
      paths.set(serviceMs, path);
    }
    const plan = this.plans[kind]!;
    return { kind, method: k.method, path, serviceMs, session: (k.kind ?? "request") !== "request", ...plan };
  }

  /** Draws one request and drops it (the random numbers next() would take): a shard skips the others' requests. */
  skip(): void {
    const total = this.cumulative[this.cumulative.length - 1]!;
    const r = this.random() * total;
    let kind = this.cumulative.findIndex((c) => r < c);
    if (kind < 0) kind = this.kinds.length - 1;
    if (typeof this.kinds[kind]!.ms !== "number") this.random();
  }
}

/** Shard `index` of `count` of a mix: the requests i mod count = index of the whole mix's sequence, the same kinds and times. */
export class ShardMix {
  private skipBefore: number;

  constructor(
    private readonly whole: RequestMix,
    index: number,
    private readonly count: number,
  ) {
    this.skipBefore = index;
  }

  next(): PlannedRequest {
    for (let i = 0; i < this.skipBefore; i++) this.whole.skip();
    this.skipBefore = this.count - 1;
    return this.whole.next();
  }
}

/** The fixture's path for a kind: its endpoint with the sleep, stream or feed shape as query. */
function fixturePath(k: RequestKind, serviceMs: number): string {
  const { units, interval_ms, resume, hold_ms } = sessionShape(k);
  switch (k.kind ?? "request") {
    case "stream":
      return `/stream?chunks=${units}&interval_ms=${interval_ms}`;
    case "sse":
      return `/events?events=${units}&interval_ms=${interval_ms}&resume=${resume ? 1 : 0}`;
    case "websocket":
      return "/ws";
    case "longpoll":
      return `/poll?events=${units}&interval_ms=${interval_ms}&hold_ms=${hold_ms}&resume=${resume ? 1 : 0}`;
    default: {
      const path = `${k.path ?? (k.method === "POST" ? "/orders" : "/work")}?ms=${serviceMs}`;
      return k.task_ms === undefined ? path : `${path}&task_ms=${k.task_ms}`;
    }
  }
}

/** The longest service time any request of the mix can ask for. */
export function longestServiceMs(kinds: RequestKind[]): number {
  return Math.max(0, ...kinds.map((k) => (typeof k.ms === "number" ? k.ms : k.ms.max)));
}
