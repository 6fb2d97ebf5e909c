import { z } from "zod";
import { Attach, unnamedHost } from "./attach-schema.ts";
import { FAULT_CHECK_NAMES, Faults } from "./fault-schema.ts";
import { boundedMs, boundedSeconds, Headers, MAX_DURATION_S, Method, pathProblem } from "./http-fields.ts";
import { DEFAULT_ALLOWED, LOSS_CLASS_CHECKS, LOSS_CLASS_TABLE, LOSS_CLASSES, type LossClass } from "./loss-classes.ts";
import { System } from "./system-schema.ts";
import { nodeName } from "./topology.ts";

/**
 * The scenario format. Every default lives here, and the resolved scenario
 * (defaults filled in) is what every report shows under `parameters`.
 * Durations carry their unit in the field name.
 */

const seconds = boundedSeconds();
const durationMs = boundedMs();

/** How long a request's handler sleeps: a constant or uniform between min and max. */
const ServiceTime = z.union([
  durationMs,
  z.strictObject({ min: durationMs, max: durationMs }).refine((r) => r.max >= r.min, {
    message: "max must be >= min",
  }),
]);

/** Methods that may be sent twice with the effect of once (RFC 9110 9.2.2): the client retries only these by default. */
export const IDEMPOTENT_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"];

/** A JSON pointer (RFC 6901): "" (the whole answer) or /-separated keys, ~0 for ~ and ~1 for /. */
const JsonPointer = z
  .string()
  .max(1000)
  .regex(
    /^(\/([^~/]|~[01])*)*$/,
    'a JSON pointer (RFC 6901), e.g. "/data/ids": it starts with /, and ~ is written ~0 (~1 for a / in a key)',
  );

/** A WebSocket message's expected answer: echo, reply, count:N or until:<regex>. */
const WsExpect = z
  .string()
  .max(1000)
  .superRefine((v, ctx) => {
    const why = wsExpectProblem(v);
    if (why) ctx.addIssue({ code: "custom", message: why });
  });

function wsExpectProblem(v: string): string | null {
  if (v === "echo" || v === "reply" || /^count:[1-9][0-9]{0,5}$/.test(v)) return null;
  if (v.startsWith("until:")) {
    const source = v.slice("until:".length);
    if (source === "") return "until: needs a regular expression after the colon, e.g. until:done";
    try {
      new RegExp(source);
      return null;
    } catch (err) {
      return `until:${JSON.stringify(source)} is not a regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, "")})`;
    }
  }
  return `${JSON.stringify(v)}: give echo, reply, count:N (N from 1 to 999999) or until:<regex>`;
}

const RequestKind = z.strictObject({
  weight: z.number().positive().default(1),
  /**
   * request: one request and its answer. The long-lived kinds are sessions on the same schedule:
   * stream (a chunked response), sse (Server-Sent Events; the client reconnects with Last-Event-ID)
   * websocket (messages both ways) and longpoll (each poll held until events are due, the next sent at
   * once with the last id seen as its cursor). The fixture serves them at /stream, /events, /ws and /poll.
   */
  kind: z.enum(["request", "stream", "sse", "websocket", "longpoll"]).optional(),
  /** The fixture serves GET and POST; with `system:`, any method the app serves. */
  method: Method.default("GET"),
  /**
   * Fixture: GET goes to /work (idempotent), POST to /orders (not idempotent), with `?ms=` appended.
   * With `system:`, the path (and query) sent as it is.
   */
  path: z
    .string()
    .startsWith("/")
    .max(2000)
    .superRefine((p, ctx) => {
      const why = pathProblem(p);
      if (why) ctx.addIssue({ code: "custom", message: why });
    })
    .optional(),
  /** Fixture: how long the handler sleeps. With `system:`, drainlab fills it with expected_ms (or the warm-up's measure). */
  ms: ServiceTime.default(0),
  /** Fixture: the size of a POST's JSON body. */
  body_bytes: z.number().int().nonnegative().default(64),
  /** With `system:`: how long the request normally takes; absent, it is measured on a node before the load. */
  expected_ms: durationMs.optional(),
  headers: Headers.optional(),
  /** The request body: a string as it is, anything else as JSON. */
  body: z.unknown().optional(),
  /** The request body read from this file (relative to the scenario file). */
  body_file: z.string().min(1).optional(),
  /** Statuses that count as ok; absent: any status below 400. */
  ok_status: z.array(z.number().int().min(100).max(599)).min(1).optional(),
  /** Whether a client may retry it after a reset; default: by method (GET, HEAD, OPTIONS, PUT, DELETE). */
  idempotent: z.boolean().optional(),
  /** Fixture POST /background: how long its BackgroundTask runs after the response. */
  task_ms: durationMs.optional(),
  /** stream: chunks the fixture sends, one per interval_ms; with system: or attach:, the units (see unit) a complete body has. */
  chunks: z.number().int().min(1).max(100_000).optional(),
  /** sse, longpoll: events of the feed, one per interval_ms; with system: or attach: (sse), the events a complete feed has. */
  events: z.number().int().min(1).max(100_000).optional(),
  /** longpoll: how long the server holds each poll before it answers with the events due by then (default 2000 ms). */
  hold_ms: z.number().positive().max(600_000).optional(),
  /** websocket: messages the client sends, one per interval_ms (default 10; with `send` as a list, its length). */
  messages: z.number().int().min(1).max(100_000).optional(),
  /**
   * websocket: what the client sends, one message per interval_ms: a template whose `{n}` is the message's
   * number (1, 2, ...; `messages` of them), or a list of messages, each a text or `{ text, expect }`. The
   * fixture's preset: "{n}", each echoed.
   */
  send: z
    .union([
      z.string().min(1).max(64_000),
      z
        .array(
          z.union([z.string().min(1).max(64_000), z.strictObject({ text: z.string().min(1).max(64_000), expect: WsExpect.optional() })]),
        )
        .min(1)
        .max(100_000),
    ])
    .optional(),
  /**
   * websocket: the answer each message waits for (a message of `send` may give its own): `echo` (one message
   * equal to it), `reply` (any one message), `count:N` (N messages, e.g. the updates of a subscription) or
   * `until:<regex>` (messages until one matches, e.g. `until:"done":true`). Answers go to the oldest message
   * still waiting. A message sent and never answered when its socket ended abruptly, or after the last
   * reconnect, is lost; after a clean close (1001, 1012) it is sent again on a new socket, its answer counted
   * anew. Default: echo.
   */
  expect: WsExpect.optional(),
  /** websocket: subprotocols offered in Sec-WebSocket-Protocol; the server must pick one of them. */
  subprotocols: z
    .array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "a token (RFC 7230): letters, digits and !#$%&'*+.^_`|~-"))
    .min(1)
    .max(32)
    .optional(),
  /** longpoll: the query parameter that carries the last id seen (absent on the first poll of a user's feed). The fixture's preset: cursor. */
  cursor_param: z
    .string()
    .regex(/^[A-Za-z0-9._~-]+$/, "a query parameter name: letters, digits and . _ ~ -")
    .max(200)
    .optional(),
  /**
   * longpoll: a JSON pointer (RFC 6901) to the answer's list of event ids (numbers, strings, or objects with
   * an `id`). The fixture's preset: /ids.
   */
  ids_path: JsonPointer.optional(),
  /** longpoll: a JSON pointer to the answer's "the feed is over" flag (true ends it). The fixture's preset: /end. */
  end_path: JsonPointer.optional(),
  /** stream, sse, websocket: the pace of chunks, events or messages (default 100 ms). */
  interval_ms: durationMs.optional(),
  /**
   * stream: the body's last bytes when it is complete (one trailing newline after them is allowed); absent: no end
   * marker, the HTTP framing alone says where the body ends. The fixture's preset: "END".
   */
  end_marker: z.string().min(1).max(1000).optional(),
  /** stream: fewer body bytes than this is truncated. */
  min_bytes: z.number().int().nonnegative().optional(),
  /**
   * stream: how units are counted (for `chunks`, the units expected, and their delays): `line` (each line),
   * `ndjson` (each line, which must parse as JSON), `bytes:N` (each N bytes). The fixture's preset: lines
   * starting with "chunk ".
   */
  unit: z
    .union([z.enum(["line", "ndjson"]), z.string().regex(/^bytes:[1-9][0-9]*$/, 'line, ndjson or bytes:N, e.g. "bytes:4096"')])
    .optional(),
  /**
   * sse, longpoll: what event ids mean. opaque (the default with system: or attach:): strings, so only a replayed id (a
   * duplicate, e.g. a resume that starts over) is seen; numeric: integers counting up by one (a skipped one is a
   * lost event); redis-stream: `<ms>-<seq>` ids, each millisecond's entries numbered from 0 (a skipped sequence
   * number is a lost event). The fixture's preset: numeric, from 1.
   */
  id_order: z.enum(["numeric", "redis-stream", "opaque"]).optional(),
  /** sse: the event type (`event:` field) that ends the feed. The fixture's preset: "end". */
  end_event: z.string().min(1).max(200).optional(),
  /** sse: false: the feed ends when the server closes it (no reconnect); true (default): a close is followed by a reconnect with Last-Event-ID. */
  reconnect: z.boolean().optional(),
  /** sse, longpoll: the client reads the feed this long (reconnecting or polling again as needed), then stops: the feed's end. */
  duration_s: z.number().positive().max(3600).optional(),
  /**
   * stream, sse, websocket, longpoll: a session script (an ES module, relative to the scenario file) that plays
   * the session instead of drainlab's client, for what the fields above cannot say. Its default export is an
   * async function given a context: `fetch(path?, init?)` and `ws(path?, protocols?)` bound to the run's URL
   * with the session's X-Request-Id (`<id>`, then `<id>.r<n>`), `unit(id?)`, `expect(n)`, `lost(reason, n?)`,
   * `path`, `signal`. Its record is judged by the kind's checks.
   */
  session: z.string().min(1).optional(),
  /**
   * sse, longpoll, fixture: whether the app resumes from the client's Last-Event-ID or cursor (false: it
   * sends only what is due from the request on, as a node-local subscription does: a control that loses events).
   */
  resume: z.boolean().optional(),
});

export const CheckName = z.enum([
  ...FAULT_CHECK_NAMES,
  ...LOSS_CLASS_CHECKS,
  "drained-node-exited-cleanly",
  "traffic-continued",
  "server-records-complete",
  "p99-during-drain",
  "drain-duration",
  "no-regression-vs-baseline",
  "generator-kept-up",
  "drain-exercised",
  "health-reported-draining",
  "drain-commands-succeeded",
  "no-truncated-streams",
  "no-lost-events",
  "no-duplicate-events",
  "websockets-closed-cleanly",
  "no-lost-background-tasks",
  "shutdown-hooks-ran",
  "workers-recycled",
  "idle-gaps-reached-keepalive",
]);

/** proxy_next_upstream's tokens (nginx 1.26); checked here, since the value is written into nginx.conf. */
const NEXT_UPSTREAM_TOKENS = [
  "error",
  "timeout",
  "denied",
  "invalid_header",
  "http_500",
  "http_502",
  "http_503",
  "http_504",
  "http_403",
  "http_404",
  "http_429",
  "non_idempotent",
];
const PROXY_NEXT_UPSTREAM = new RegExp(`^(off|(${NEXT_UPSTREAM_TOKENS.join("|")})( (${NEXT_UPSTREAM_TOKENS.join("|")}))*)$`);

/**
 * Why a check may not be put out of scope with checks.skip: a loss class is widened with checks.allowed (its
 * count stays visible), and the verdict stands on complete records and on the drain's own commands.
 */
function unskippable(check: string): string | null {
  const lossClass = LOSS_CLASSES.find((c) => LOSS_CLASS_TABLE[c].check === check);
  if (lossClass)
    return `${check} judges a loss class and cannot be skipped: widen it with checks.allowed.${lossClass} (a count, or null for no limit), and its count stays in the report`;
  if (check === "no-duplicate-events")
    return `${check} cannot be skipped: widen it with checks.allowed_duplicate_events (a count, or null for no limit), and its count stays in the report`;
  if (check === "server-records-complete" || check === "drain-commands-succeeded")
    return `${check} cannot be skipped: every other check stands on it`;
  return null;
}

const allowedCount = (c: LossClass) => z.number().int().nonnegative().nullable().default(DEFAULT_ALLOWED[c]);

const ScenarioFields = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(""),
  expect: z
    .strictObject({
      verdict: z.enum(["pass", "fail"]).default("pass"),
      /**
       * A must-fail control: each of these checks must have status `fail` (evidence of a loss; `no-evidence`
       * means the control did not exercise its subject and does not meet the expectation).
       */
      failing_checks: z.array(CheckName).default([]),
      /** A control: each of these checks must pass (what the control must not break). Checks named in neither list are reported, not asserted. */
      passing_checks: z.array(CheckName).default([]),
      /**
       * Runs of this scenario that `drainlab run` makes by default (--repeat overrides): the outcome is stated as
       * a rate with its 95% upper bound, and any run that misses its expectation fails the whole.
       */
      repeat: z.number().int().min(1).max(1000).default(1),
    })
    .superRefine((x, ctx) => {
      const both = x.failing_checks.filter((c) => x.passing_checks.includes(c));
      if (both.length > 0)
        ctx.addIssue({
          code: "custom",
          path: ["passing_checks"],
          message: `${both.join(", ")} cannot be in both failing_checks and passing_checks`,
        });
      if (x.verdict === "pass" && x.failing_checks.length > 0)
        ctx.addIssue({
          code: "custom",
          path: ["failing_checks"],
          message: "a pass scenario names no failing checks (give verdict: fail for a control)",
        });
    })
    .prefault({}),
  /** The user's own stack (app image, gunicorn/uvicorn config, nginx.conf, services); absent: drainlab's fixture. */
  system: System.optional(),
  /** A system drainlab did not start (compose, VMs, Kubernetes): load to its URL, the drain as your own commands. */
  attach: Attach.optional(),
  stack: z
    .strictObject({
      nodes: z.number().int().min(2).max(8).default(2),
      /** gunicorn: a gunicorn master with UvicornWorker workers; uvicorn: `uvicorn --workers N`, its own supervisor (gunicorn.workers and keepalive_s still apply). */
      runtime: z.enum(["gunicorn", "uvicorn"]).default("gunicorn"),
      gunicorn: z
        .strictObject({
          workers: z.number().int().min(1).max(16).default(2),
          graceful_timeout_s: z.number().int().nonnegative().max(MAX_DURATION_S).default(30),
          timeout_s: z.number().int().nonnegative().max(MAX_DURATION_S).default(30),
          keepalive_s: z.number().int().nonnegative().max(MAX_DURATION_S).default(2),
          /** Worker recycling: a worker restarts after this many requests (0: never, gunicorn's default). */
          max_requests: z.number().int().nonnegative().default(0),
          /** gunicorn adds a random 0..jitter to each worker's max_requests, so workers do not all restart at once. */
          max_requests_jitter: z.number().int().nonnegative().default(0),
        })
        .prefault({}),
      uvicorn: z
        .strictObject({
          /** null: uvicorn waits without limit (its own default). */
          timeout_graceful_shutdown_s: seconds.nullable().default(null),
          /** stack.runtime uvicorn: `--limit-max-requests`, a worker exits after this many requests and the supervisor starts another; null: never. */
          limit_max_requests: z.number().int().positive().nullable().default(null),
        })
        .prefault({}),
      nginx: z
        .strictObject({
          worker_processes: z.number().int().min(1).max(8).default(1),
          proxy_read_timeout_s: seconds.default(60),
          proxy_connect_timeout_s: seconds.default(5),
          /** nginx's own default; "off" disables the silent retry on another node. */
          proxy_next_upstream: z
            .string()
            .regex(PROXY_NEXT_UPSTREAM, `"off", or one or more of ${NEXT_UPSTREAM_TOKENS.join(", ")}, separated by spaces`)
            .default("error timeout"),
          /** Idle keepalive connections from nginx to the nodes; 0 = a new connection per request. */
          upstream_keepalive: z.number().int().nonnegative().default(0),
          /** How long nginx keeps an idle upstream connection (the upstream's keepalive_timeout; nginx's default 60 s). */
          upstream_keepalive_timeout_s: seconds.default(60),
          worker_shutdown_timeout_s: seconds.default(10),
          max_fails: z.number().int().nonnegative().default(1),
          fail_timeout_s: seconds.default(10),
        })
        .prefault({}),
    })
    .prefault({}),
  load: z
    .strictObject({
      rate_per_s: z.number().positive().max(20000).default(100),
      duration_s: z.number().positive().max(3600).default(12),
      /**
       * End the load this many seconds after the drain is done (each drained node's exit, its re-add in a
       * rolling drain, and the end of every fault) instead of at duration_s, which then bounds it: the load always outlasts a
       * drain that takes as long as the machine makes it, by a known tail. Absent, or no drain
       * (drain.enabled: false): the load lasts duration_s.
       */
      after_drain_s: z.number().nonnegative().max(3600).nullable().default(null),
      /** Requests sent before this are not counted in latency figures. */
      warmup_s: seconds.default(1),
      /** Client-side limit per request; past it the request is a timeout. */
      timeout_s: z.number().positive().max(MAX_DURATION_S).default(30),
      /**
       * Bursts instead of a constant rate: on_s seconds at rate_per_s, then off_s seconds with nothing
       * sent. The idle phases let connections sit idle as long as a keepalive timeout (absent: constant rate).
       */
      on_off: z.strictObject({ on_s: z.number().positive().max(3600), off_s: z.number().nonnegative().max(3600) }).optional(),
      /** How long after the schedule ends the run waits for stragglers before calling them unanswered. */
      grace_s: seconds.default(5),
      /**
       * After the load, before the stack stops: the running apps get the longest request of the mix plus
       * this to finish (or give up on) what they started, so the teardown never cuts what nginx gave up on.
       */
      apps_idle_margin_ms: durationMs.default(1000),
      /** Upper bound on open connections; high so arrivals never queue unseen. */
      max_connections: z.number().int().positive().default(1024),
      /**
       * Worker threads the load is split over, each with its own connections (max_connections split
       * evenly), pacer and ledger: request i goes to shard i mod N, the ledgers merge into one. auto: one
       * per core but one (left to the stack), at least 1. Default 1: the load in the main thread.
       */
      shards: z.union([z.literal("auto"), z.number().int().positive().max(64)]).default(1),
      /**
       * Where the shards run. threads: worker threads of this process. processes: one `drainlab load-shard`
       * process each on this machine, started from a shard spec (raw/shards/spec-<i>.json) and merged from
       * the ledger folder it writes (raw/shards/shard-<i>/), as shards run on other hosts would be.
       */
      shards_in: z.enum(["threads", "processes"]).default("threads"),
      seed: z.number().int().default(1),
      /**
       * What the client does when a connection to nginx is closed before any
       * response byte (nginx closes idle client keepalive connections on every
       * reload, racing requests already on the wire): retry once with the same
       * X-Request-Id. "all" retries POST too, as browsers do; "idempotent" only
       * GET, as Go's net/http (k6) does; "off" records the reset as a failure.
       * Every retry is counted in the report, and the app ledger shows whether
       * a retried request ran twice, so a retry never hides a loss.
       */
      retry_on_reset: z.enum(["all", "idempotent", "off"]).default("all"),
      mix: z
        .array(RequestKind)
        .min(1)
        .default([{ weight: 1, method: "GET", ms: { min: 10, max: 100 }, body_bytes: 64 }]),
    })
    .prefault({}),
  drain: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Node to drain, 1-based: node-1 ... node-N. */
      target: z.number().int().min(1).default(1),
      at_s: seconds.default(4),
      /** Mark the node down in nginx and reload before SIGTERM; false for controls. */
      remove: z.boolean().default(true),
      /**
       * Flag the node as draining first (its /health then answers 503) and wait for the health monitor to
       * see it before the removal; false: the step is skipped, the monitor never sees it (a control).
       */
      mark_draining: z.boolean().default(true),
      /** Run `nginx -s reload` after rewriting the upstream; false: the operator forgot it (a control). */
      reload: z.boolean().default(true),
      /** Drain every node in turn, starting at target, restarting and re-adding each before the next. */
      rolling: z.boolean().default(false),
      /** How long the controller waits between the health flip and the removal. */
      monitor_interval_ms: z
        .number()
        .int()
        .positive()
        .max(MAX_DURATION_S * 1000)
        .default(250),
      /** Pause after the reload took effect, before SIGTERM, so in-flight nginx workers settle. */
      settle_ms: durationMs.default(500),
      /** Send SIGKILL instead of SIGTERM (a crash, not a drain). */
      signal: z.enum(["SIGTERM", "SIGKILL"]).default("SIGTERM"),
      /** Extra wait on top of the effective graceful limit before SIGKILL. */
      wait_margin_s: seconds.default(2),
      /** Override the stop wait entirely (seconds after SIGTERM until SIGKILL). */
      stop_wait_s: seconds.nullable().default(null),
      /** The stop wait when the graceful limit is unlimited (uvicorn's default, no gunicorn): SIGKILL after this many seconds. */
      unlimited_stop_wait_s: seconds.default(30),
      /** How long the removal waits for the monitor to see the node report draining; health-reported-draining fails past it. */
      detect_timeout_ms: durationMs.default(5000),
      /** Rolling drains: how long a re-add waits for the restarted node to be seen healthy. */
      readd_health_timeout_ms: durationMs.default(30_000),
      /** Rolling drains: pause after a node is back in the upstream before the next node's drain starts. */
      settle_after_readd_ms: durationMs.default(1000),
    })
    .prefault({}),
  /** Faults on the drain's timeline (harness/faults/fault-schema.ts): crashes, freezes, network faults, reload storms. */
  faults: Faults,
  checks: z
    .strictObject({
      /** traffic-continued: longest allowed gap without an ok answer from a node that is not drained. */
      max_gap_ms: durationMs.default(1000),
      /** slow-during-drain: latency minus the request's own work, for requests due inside the drain window. */
      slow_overhead_ms: durationMs.default(1000),
      /** Gate: p99 latency (from intended send) of the requests due while a node drained; null: no gate. */
      p99_during_drain_ms: durationMs.nullable().default(null),
      /** Gate: longest drain, from its start to the node's exit, in seconds; null: no gate. */
      max_drain_s: seconds.nullable().default(null),
      /** With --baseline: how much worse than the baseline still passes. */
      baseline_tolerance: z
        .strictObject({
          p99_pct: z.number().nonnegative().default(20),
          /** Added to the percentage, so tiny baselines do not fail on noise. */
          p99_ms: durationMs.default(50),
          /** Extra requests per loss class. */
          count: z.number().int().nonnegative().default(0),
        })
        .prefault({}),
      /** generator-kept-up: past these the client, not the server, set the pace, and the run is not trustworthy. */
      generator: z
        .strictObject({
          /**
           * Requests written later than intended, p99. Latency counts from the intended time, so this much of
           * it is the client's. 100 ms is a tenth of the 1 s that max_gap_ms and slow_overhead_ms resolve by
           * default. On two cores shared with the stack, with the generator at nice -10, p99 lag was 4-52 ms
           * over 40 runs: 60-110 ms stalls while docker ran an exec or reaped a container, with the
           * generator's own event loop 17-28% busy. 50 ms failed one CI run in about 140.
           */
          max_send_lag_p99_ms: durationMs.default(100),
          /** Share of the schedule's wall time the generator's event loop was busy; near 1 it could not have sent more. */
          max_event_loop_busy: z.number().min(0).max(1).default(0.9),
          /** Share of the intended rate that must have been written (open model). */
          min_rate_share: z.number().min(0).max(1).default(0.99),
        })
        .prefault({}),
      /** How many requests of each loss class a pass allows; null: no limit (rerouted-before-app's default: its cost shows in latency). */
      allowed: z
        .strictObject(
          Object.fromEntries(LOSS_CLASSES.map((c) => [c, allowedCount(c)])) as Record<LossClass, ReturnType<typeof allowedCount>>,
        )
        .prefault({}),
      /**
       * Allowances only idempotent requests (by their mix entry: GET, HEAD, PUT, DELETE, OPTIONS, or
       * `idempotent: true`) can use, on top of checks.allowed: a crash runs a GET twice now and then, which
       * a POST run twice must never hide behind. Per loss class, a count.
       */
      allowed_idempotent: z
        .strictObject(
          Object.fromEntries(LOSS_CLASSES.map((c) => [c, z.number().int().nonnegative().optional()])) as Record<
            LossClass,
            z.ZodOptional<z.ZodNumber>
          >,
        )
        .prefault({}),
      /**
       * no-duplicate-events: events a feed received more than once (an SSE resume that replays what the client
       * had, a long poll answered again with ids it had), over all feeds; null: no limit.
       */
      allowed_duplicate_events: z.number().int().nonnegative().nullable().default(0),
      /**
       * shutdown-hooks-ran: judge whether every worker of a drained node ran the app's lifespan shutdown.
       * Off by default: a scenario whose graceful limit kills workers (most controls) would fail on it too;
       * the report states it as a fact either way.
       */
      require_shutdown_hooks: z.boolean().default(false),
      /**
       * workers-recycled with `system:`: require the load to recycle workers at the user's own max_requests
       * (or --limit-max-requests). Off by default: a limit the user's config merely has is reported as a
       * fact, not judged. A fixture scenario asks by setting stack.gunicorn.max_requests itself.
       */
      require_recycles: z.boolean().default(false),
      /**
       * Checks this scenario puts out of scope, each with the reason (e.g. a one-command attach drain gives
       * no removal time, so misrouting cannot be judged): they are reported as skipped with it, never as a pass.
       */
      skip: z
        .array(z.strictObject({ check: CheckName, reason: z.string().min(1) }))
        .default([])
        .superRefine((list, ctx) =>
          list.forEach((x, i) => {
            const why = unskippable(x.check);
            if (why) ctx.addIssue({ code: "custom", path: [i, "check"], message: why });
          }),
        ),
      /**
       * attach.client_only: a run judged on the client's ledger alone passes only when this is true (or with
       * --accept-client-only); otherwise its server-side checks say no-evidence and the run fails.
       */
      client_only_ok: z.boolean().default(false),
      /** drain-exercised: requests the drained node held when its drain began, or took in before its removal took effect (the signal, without a removal). */
      min_in_flight_at_drain: z.number().int().nonnegative().default(1),
      /**
       * drain-exercised: requests, sessions and background tasks the drained node must hold when its SIGTERM
       * comes; null (default): not required. At 0 in flight the run says nothing about the graceful limit.
       */
      min_in_flight_at_signal: z.number().int().nonnegative().nullable().default(null),
    })
    .prefault({}),
  /** `drainlab matrix`: values per dotted field path; every combination is one cell. `run` ignores it. */
  grid: z
    .record(z.string().regex(/^[\w-]+(\.[\w-]+)*$/), z.array(z.union([z.number(), z.string(), z.boolean(), z.null()])).min(1))
    .optional(),
});

/** Rules across fields: every target names a node of the stack, and uvicorn's own CLI takes whole seconds. */
function crossFieldIssues(s: z.output<typeof ScenarioFields>, ctx: z.core.$RefinementCtx): void {
  if (s.attach) attachIssues(s, ctx);
  const nodes = s.stack.nodes;
  if (!s.attach && s.drain.enabled && s.drain.target > nodes) {
    ctx.addIssue({
      code: "custom",
      path: ["drain", "target"],
      message: `no ${nodeName(s.drain.target)}: the stack has ${nodes} nodes (stack.nodes)`,
    });
  }
  s.faults.forEach((f, i) => {
    if ("target" in f && typeof f.target === "number" && f.target > nodes) {
      ctx.addIssue({
        code: "custom",
        path: ["faults", i, "target"],
        message: `no ${nodeName(f.target)}: the stack has ${nodes} nodes (stack.nodes)`,
      });
    }
  });
  const weights = s.load.mix.reduce((sum, k) => sum + k.weight, 0);
  if (!Number.isFinite(weights))
    ctx.addIssue({
      code: "custom",
      path: ["load", "mix"],
      message: "the weights sum past the largest number: give smaller weights (only their ratios count, e.g. 1 and 3)",
    });
  if (s.drain.enabled && s.drain.at_s >= s.load.duration_s)
    ctx.addIssue({
      code: "custom",
      path: ["drain", "at_s"],
      message: `the drain would start at ${s.drain.at_s} s, at or after the load ends (load.duration_s: ${s.load.duration_s} s), and meet no traffic: give an at_s inside the load, or a longer load`,
    });
  if (s.load.after_drain_s !== null) {
    const issue = (message: string) => ctx.addIssue({ code: "custom", path: ["load", "after_drain_s"], message });
    if (s.load.shards_in === "processes")
      issue("needs the load in this process (load.shards_in: threads): shard processes are not told when the drain ends");
    if (s.attach?.shards) issue("needs the load in this process: shards elsewhere (attach.shards) are not told when the drain ends");
  }
  s.load.mix.forEach((k, i) => {
    const issue = (field: string, message: string) => ctx.addIssue({ code: "custom", path: ["load", "mix", i, field], message });
    if (k.body !== undefined && k.body_file !== undefined) issue("body", "give body or body_file, not both");
    for (const f of ["end_marker", "min_bytes", "unit"] as const)
      if (k[f] !== undefined && k.kind !== "stream") issue(f, `${f} describes a stream (kind: stream)`);
    for (const f of ["end_event", "reconnect"] as const)
      if (k[f] !== undefined && k.kind !== "sse") issue(f, `${f} describes a Server-Sent Events feed (kind: sse)`);
    for (const f of ["id_order", "duration_s"] as const)
      if (k[f] !== undefined && k.kind !== "sse" && k.kind !== "longpoll") issue(f, `${f} describes an event feed (kind: sse or longpoll)`);
    for (const f of ["cursor_param", "ids_path", "end_path"] as const)
      if (k[f] !== undefined && k.kind !== "longpoll") issue(f, `${f} describes a long poll (kind: longpoll)`);
    for (const f of ["send", "expect", "subprotocols"] as const)
      if (k[f] !== undefined && k.kind !== "websocket") issue(f, `${f} describes a WebSocket (kind: websocket)`);
    if (k.kind === "websocket") {
      const why = wsSendProblem(k);
      if (why) issue(why.field, why.message);
    }
    if (k.session !== undefined && (k.kind ?? "request") === "request")
      issue("session", "a session script plays a long-lived kind: give kind: stream, sse, websocket or longpoll");
    if (
      k.kind === "sse" &&
      k.session === undefined &&
      (s.system || s.attach) &&
      k.end_event === undefined &&
      k.reconnect !== false &&
      k.duration_s === undefined
    )
      issue(
        "end_event",
        "a feed of your app needs an end: end_event (the event type that ends it), reconnect: false (the server's close ends it) or duration_s (the client reads it this long)",
      );
    if (s.attach) return; // attachIssues
    if (s.system) {
      if (k.path === undefined) issue("path", "required with system: the path (and query) your app serves");
      // a report's parameters carry the effective work in both (drainlab judge validates them again)
      if (k.ms !== 0 && k.ms !== k.expected_ms)
        issue("ms", "ms is the fixture's sleep; with system: give expected_ms (or leave it out to measure it)");
    } else if ((k.kind ?? "request") === "request") {
      if (!["GET", "POST"].includes(k.method))
        issue("method", "the fixture serves GET (/work) and POST (/orders, /background); other methods need system:");
      if (k.path !== undefined && !FIXTURE_PATHS.includes(k.path))
        issue("path", `the fixture serves ${FIXTURE_PATHS.join(", ")}; other paths need system:`);
      if ((k.task_ms !== undefined) !== (k.path === "/background"))
        issue("task_ms", "POST /background takes task_ms (how long its background task runs), and only it");
    } else {
      if (k.path !== undefined) issue("path", `the fixture serves ${k.kind} at its own path; give a path only with system:`);
      // the fixture echoes each message and answers polls as ?cursor= with {"ids": [...], "end": bool}
      const expects = [k.expect, ...(Array.isArray(k.send) ? k.send.map((m) => (typeof m === "string" ? undefined : m.expect)) : [])];
      if (expects.some((e) => e !== undefined && e !== "echo" && e !== "reply"))
        issue("expect", "the fixture's WebSocket echoes each message: expect echo (or reply); other answers need system: or attach:");
      for (const f of ["cursor_param", "ids_path", "end_path", "subprotocols"] as const)
        if (k[f] !== undefined) issue(f, `${f} describes your app's protocol; the fixture has its own (give it with system: or attach:)`);
    }
  });
  const limit = s.stack.uvicorn.timeout_graceful_shutdown_s;
  if (s.stack.runtime === "uvicorn" && limit !== null && !Number.isInteger(limit)) {
    ctx.addIssue({
      code: "custom",
      path: ["stack", "uvicorn", "timeout_graceful_shutdown_s"],
      message: "uvicorn --timeout-graceful-shutdown takes whole seconds (stack.runtime: uvicorn)",
    });
  }
}

/** attach: what only a stack drainlab starts can do is refused, and the load goes only where the user says. */
function attachIssues(s: z.output<typeof ScenarioFields>, ctx: z.core.$RefinementCtx): void {
  const a = s.attach!;
  const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: "custom", path, message });
  const host = unnamedHost(a);
  if (host !== null)
    issue(["attach", "url"], `${host} is not loopback: name it in attach.hosts to send load there (only to a system that is yours)`);
  if (s.system) issue(["system"], "attach: and system: exclude each other (attach judges a system drainlab did not start)");
  if (s.faults.length > 0) issue(["faults"], "faults need a stack drainlab started; with attach:, put the fault in your drain steps");
  if (s.drain.rolling) issue(["drain", "rolling"], "with attach:, a rolling drain is one drain.command (e.g. kubectl rollout restart)");
  if (!s.drain.enabled) issue(["drain", "enabled"], "attach: runs the drain commands; a run with no drain has nothing to judge here");
  if ("steps" in a.drain) {
    const steps = a.drain.steps;
    const has = (s: string) => steps.some((x) => x.step === s);
    const removal = a.drain.removal;
    const path = ["attach", "drain", "removal"];
    if (removal === undefined && !has("remove"))
      issue(
        path,
        "required when there is no remove step: which step takes the node out of what routes to it (reload, readiness: the mark_draining step, or none), so misrouting can be judged from its end",
      );
    const needs = { remove: "remove", reload: "reload", readiness: "mark_draining" } as const;
    if (removal !== undefined && removal !== "none" && !has(needs[removal]))
      issue(path, `removal: ${removal} needs a ${needs[removal]} step in attach.drain.steps`);
  }
  const node = a.drain.node;
  if (node !== undefined && a.nodes && !a.nodes.includes(node))
    issue(["attach", "drain", "node"], `${node} is not in attach.nodes (${a.nodes.join(", ")})`);
  if (a.shards && typeof s.load.shards !== "number")
    issue(
      ["load", "shards"],
      "with attach.shards, load.shards is how many shards run elsewhere: a number, not auto (this machine's cores)",
    );
  if (a.shards && s.load.shards_in === "processes")
    issue(["load", "shards_in"], "attach.shards runs the shards elsewhere: leave load.shards_in at threads (it is not read)");
  s.load.mix.forEach((k, i) => {
    if (k.path === undefined) issue(["load", "mix", i, "path"], "required with attach: the path (and query) your app serves");
    if (k.ms !== 0 && k.ms !== k.expected_ms) issue(["load", "mix", i, "ms"], "ms is the fixture's sleep; with attach: give expected_ms");
  });
}

export const Scenario = ScenarioFields.superRefine(crossFieldIssues);
/** The scenario's `load` on its own: what a shard spec (load/shard-spec.ts) carries, validated as a scenario's is. */
export const LoadSettings = ScenarioFields.shape.load;

export type Scenario = z.output<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;
export type RequestKind = z.output<typeof RequestKind>;
export type CheckName = z.output<typeof CheckName>;

/** The fixture's request paths (the long-lived kinds have their own). */
const FIXTURE_PATHS = ["/work", "/orders", "/background"];

/** A session kind's shape with its defaults: how many chunks, events or messages, at what pace. */
export function sessionShape(k: RequestKind): { units: number; interval_ms: number; resume: boolean; hold_ms: number } {
  const units =
    k.kind === "stream"
      ? (k.chunks ?? 10)
      : k.kind === "sse" || k.kind === "longpoll"
        ? (k.events ?? 20)
        : k.send !== undefined && Array.isArray(k.send)
          ? k.send.length
          : (k.messages ?? 10);
  return { units, interval_ms: k.interval_ms ?? 100, resume: k.resume ?? true, hold_ms: k.hold_ms ?? 2000 };
}

/** How a stream's units are counted: lines (those starting with `prefix`, when given), NDJSON lines, or fixed-size byte blocks. */
export type StreamUnit = { kind: "line"; prefix: string | null } | { kind: "ndjson" } | { kind: "bytes"; size: number };

/** What makes a stream complete, beyond its HTTP framing and an ok status. */
export interface StreamProtocol {
  endMarker: string | null;
  minBytes: number;
  unit: StreamUnit | null;
  /** Units a complete body has; null: not stated. */
  expectedUnits: number | null;
  /** Unit i is due at start + i * interval (its delay is measured); null: no pace stated. */
  intervalMs: number | null;
}

/**
 * A stream's protocol: what the scenario says, the rest from the fixture's preset (lines "chunk i", then
 * "END", `chunks` of them, one per interval) for drainlab's fixture, or nothing for a user's app, whose body
 * is complete when its framing ended (chunked terminator, content-length) with an ok status.
 */
export function streamProtocol(k: RequestKind, fixture: boolean): StreamProtocol {
  const unit: StreamUnit | null =
    k.unit === undefined
      ? fixture
        ? { kind: "line", prefix: "chunk " }
        : k.chunks !== undefined
          ? { kind: "line", prefix: null }
          : null
      : k.unit === "line"
        ? { kind: "line", prefix: null }
        : k.unit === "ndjson"
          ? { kind: "ndjson" }
          : { kind: "bytes", size: Number(k.unit.slice("bytes:".length)) };
  return {
    endMarker: k.end_marker ?? (fixture ? "END" : null),
    minBytes: k.min_bytes ?? 0,
    unit,
    expectedUnits: k.chunks ?? (fixture ? sessionShape(k).units : null),
    intervalMs: k.interval_ms ?? (fixture ? sessionShape(k).interval_ms : null),
  };
}

export type IdOrder = "numeric" | "redis-stream" | "opaque";

/** What a Server-Sent Events feed's ids mean and what ends it. */
export interface SseProtocol {
  idOrder: IdOrder;
  /** numeric: the id before the feed's first (the fixture's feeds count from 1); null: the first id seen starts the count. */
  firstAfter: number | null;
  endEvent: string | null;
  reconnect: boolean;
  durationMs: number | null;
  /** Events a complete feed has; null: not stated. */
  expectedUnits: number | null;
  /** Event n is due at start + n * interval on the feed's clock (the fixture's); null: no clock. */
  intervalMs: number | null;
}

/** An SSE feed's protocol: the scenario's fields, the rest from the fixture's preset (numeric ids 1..events, `event: end`) or opaque ids for a user's app. */
export function sseProtocol(k: RequestKind, fixture: boolean): SseProtocol {
  const idOrder = k.id_order ?? (fixture ? "numeric" : "opaque");
  return {
    idOrder,
    firstAfter: fixture && idOrder === "numeric" ? 0 : null,
    endEvent: k.end_event ?? (fixture ? "end" : null),
    reconnect: k.reconnect ?? true,
    durationMs: k.duration_s === undefined ? null : k.duration_s * 1000,
    expectedUnits: k.events ?? (fixture ? sessionShape(k).units : null),
    intervalMs: fixture ? sessionShape(k).interval_ms : null,
  };
}

/** One message of a WebSocket session and the answer it waits for. */
export interface WsMessage {
  text: string;
  expect: WsExpectation;
}

export type WsExpectation = { kind: "echo" } | { kind: "reply" } | { kind: "count"; n: number } | { kind: "until"; re: RegExp };

/** Parses an expect value the schema accepted (wsExpectProblem). */
export function wsExpectation(v: string): WsExpectation {
  if (v === "echo" || v === "reply") return { kind: v };
  if (v.startsWith("count:")) return { kind: "count", n: Number(v.slice("count:".length)) };
  return { kind: "until", re: new RegExp(v.slice("until:".length)) };
}

/** What a `send` cannot mean: a template sent more than once without {n}, a list and a different `messages`. */
function wsSendProblem(k: RequestKind): { field: string; message: string } | null {
  const send = k.send;
  if (Array.isArray(send)) {
    if (k.messages !== undefined && k.messages !== send.length)
      return {
        field: "messages",
        message: `send lists ${send.length} message(s) and messages says ${k.messages}: leave messages out with a list`,
      };
    const texts = send.map((m) => (typeof m === "string" ? m : m.text));
    const twice = texts.find((t, i) => texts.indexOf(t) !== i);
    if (twice !== undefined)
      return {
        field: "send",
        message: `${JSON.stringify(twice.slice(0, 80))} is listed twice: the app's ledger tells a message sent again after a close by its text, so each must differ (number them, or use a template with {n})`,
      };
    return null;
  }
  const count = k.messages ?? 10;
  if (send !== undefined && !send.includes("{n}") && count > 1)
    return {
      field: "send",
      message: `${JSON.stringify(send.slice(0, 80))} has no {n}, so its ${count} messages would all be the same text (the app's ledger could not tell one sent again after a close): put {n} where the message's number goes, give a list, or messages: 1`,
    };
  return null;
}

/** A WebSocket session's messages: the scenario's `send` and `expect`, or the fixture's preset ("1", "2", ... each echoed). */
export function wsMessages(k: RequestKind): WsMessage[] {
  const fallback = wsExpectation(k.expect ?? "echo");
  if (Array.isArray(k.send))
    return k.send.map((m) =>
      typeof m === "string"
        ? { text: m, expect: fallback }
        : { text: m.text, expect: m.expect === undefined ? fallback : wsExpectation(m.expect) },
    );
  const template = k.send ?? "{n}";
  const count = k.messages ?? 10;
  return Array.from({ length: count }, (_, i) => ({ text: template.replaceAll("{n}", String(i + 1)), expect: fallback }));
}

/** What a long poll's answers look like and what ends the feed. */
export interface LongpollProtocol {
  cursorParam: string;
  /** The cursor of the first poll; null: the first poll carries none. */
  firstCursor: string | null;
  idsPath: string;
  endPath: string;
  idOrder: IdOrder;
  firstAfter: number | null;
  durationMs: number | null;
  expectedUnits: number | null;
  intervalMs: number | null;
}

/** A long poll's protocol: the scenario's fields, the rest from the fixture's preset (`?cursor=`, `{"ids": [...], "end": bool}`, numeric ids from 1). */
export function longpollProtocol(k: RequestKind, fixture: boolean): LongpollProtocol {
  const idOrder = k.id_order ?? (fixture ? "numeric" : "opaque");
  const shape = sessionShape(k);
  return {
    cursorParam: k.cursor_param ?? "cursor",
    firstCursor: fixture ? "0" : null,
    idsPath: k.ids_path ?? "/ids",
    endPath: k.end_path ?? "/end",
    idOrder,
    firstAfter: fixture && idOrder === "numeric" ? 0 : null,
    durationMs: k.duration_s === undefined ? null : k.duration_s * 1000,
    expectedUnits: k.events ?? (fixture ? shape.units : null),
    intervalMs: fixture ? shape.interval_ms : null,
  };
}

/** Whether the client may send this request again after a reset before any response. */
export function isIdempotent(k: Pick<RequestKind, "method" | "idempotent">): boolean {
  return k.idempotent ?? IDEMPOTENT_METHODS.includes(k.method);
}

/** JSON Schema for editors (yaml-language-server, VS Code). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(Scenario, { io: "input" });
}
