import { createReadStream, createWriteStream, existsSync, mkdirSync, type WriteStream } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import type { HookRecord } from "../records/drain-record.ts";
import type { LedgerRow } from "../records/ledger-row.ts";
import { RAW_FILES, readNginxLog } from "../records/server-logs.ts";
import type { RecordSource } from "../scenario/attach-schema.ts";
import type { Scenario } from "../scenario/schema.ts";
import { DrainlabError } from "../util/errors.ts";
import { eachLine, MAX_LINE_BYTES, openRegular } from "../util/safe-file.ts";
import { type AttachContext, hookEnv } from "./drain.ts";
import { runHook } from "./hooks.ts";

/** A server-level event (id "-": ledger-active, lifespan) older than this before the run is not this run's. */
const EARLIER_EVENTS_MS = 600_000;
/** The most nodes an attached system's ledgers may name; lines naming more are dropped and counted (each node is an open file). */
export const MAX_ATTACH_NODES = 256;

/** Lines a source held that were not kept, by why; each source with any says so in the notes. */
interface Dropped {
  otherRuns: number;
  older: number;
  tooLong: number;
  pastNodeLimit: number;
}
const noDrops = (): Dropped => ({ otherRuns: 0, older: 0, tooLong: 0, pastNodeLimit: 0 });

/** "nginx: 3 lines not kept: 2 of other runs' requests, 1 longer than 1 MB", or null when nothing was dropped. */
function droppedNote(name: string, d: Dropped): string | null {
  const parts = [
    d.otherRuns && `${d.otherRuns} of other runs' requests`,
    d.older && `${d.older} server event(s) from more than ${EARLIER_EVENTS_MS / 60_000} min before this run's start`,
    d.tooLong && `${d.tooLong} longer than ${MAX_LINE_BYTES / 1024 / 1024} MB (counted unreadable)`,
    d.pastNodeLimit && `${d.pastNodeLimit} naming a node past the first ${MAX_ATTACH_NODES}`,
  ].filter(Boolean);
  const total = d.otherRuns + d.older + d.tooLong + d.pastNodeLimit;
  return total === 0 ? null : `${name}: ${total} line(s) not kept: ${parts.join(", ")}`;
}

export interface Collected {
  /** The record sources' commands, as they ran. */
  hooks: HookRecord[];
  /** The nodes, their names from the answers and ledgers, their upstream addresses as nginx logged them. */
  nodes: Array<{ name: string; address: string }>;
  /** What the collection found worth saying (a source with no line of this run, a node never seen). */
  notes: string[];
  /** raw file name per record, relative to the run folder. */
  files: Record<string, string>;
  /** Lines of this run's records that were cut mid-write (not JSON). */
  unreadable: number;
}

/**
 * After the load: reads nginx's log and the app ledgers from their files or
 * from commands' output (`docker logs`, `kubectl logs --prefix`), keeps the
 * lines of this run (a log prefix before the JSON is dropped), and writes them
 * where a run drainlab started keeps them, so `drainlab judge` reads them alike.
 */
export async function collectRecords(
  scenario: Scenario,
  ctx: AttachContext & { t0: number; t0EpochMs: number },
  rows: LedgerRow[],
): Promise<Collected> {
  const a = scenario.attach!;
  const hooks: HookRecord[] = [];
  const notes: string[] = [];
  const files: Record<string, string> = {};
  const unreadable = { count: 0 };
  const mine = (id: string) => id.startsWith(`${ctx.runId}-`);
  const recent = (t: number) => t * 1000 >= ctx.t0EpochMs - EARLIER_EVENTS_MS;

  const fetch = async (source: RecordSource, name: string): Promise<string | null> => {
    const out = join(ctx.runDir, "raw/attach", `${name}.out`);
    mkdirSync(dirname(out), { recursive: true });
    if ("file" in source) {
      const path = resolve(ctx.cwd, source.file);
      if (!existsSync(path)) {
        notes.push(`${name}: ${source.file} does not exist`);
        return null;
      }
      // opened non-blocking: a FIFO (or anything but a regular file) put there since the load is said, never waited on
      let fd: number;
      try {
        fd = openRegular(path, `${name}: ${source.file}`).fd;
      } catch (err) {
        if (!(err instanceof DrainlabError)) throw err;
        notes.push(err.message);
        return null;
      }
      await pipeline(createReadStream("", { fd }), createWriteStream(out));
      return out;
    }
    const logName = `raw/attach/${name}.log`;
    const r = await runHook({
      step: `records: ${name}`,
      run: source.command,
      timeout_s: source.timeout_s ?? 60,
      cwd: ctx.cwd,
      env: hookEnv(scenario, ctx),
      logPath: join(ctx.runDir, logName),
      logName,
      stdoutPath: out,
      t0: ctx.t0,
    });
    hooks.push(r);
    if (r.exit_code !== 0)
      notes.push(`${name}: \`${source.command}\` ${r.timed_out ? "timed out" : `exited ${r.exit_code}`}: ${r.output_tail}`);
    return out;
  };

  // nginx: this run's rows only, the JSON from the line's first "{"
  if (a.records.nginx_log) {
    const got = await fetch(a.records.nginx_log, "nginx");
    const dropped = noDrops();
    const kept = got
      ? await filterJsonLines(got, join(ctx.runDir, RAW_FILES.nginxAccessLog), ctx.runId, unreadable, dropped, (o) => {
          if (mine(String(o.id ?? ""))) return true;
          if (typeof o.id === "string" && o.id !== "-") dropped.otherRuns++;
          return false;
        })
      : 0;
    files.nginx_access_log = RAW_FILES.nginxAccessLog;
    if (got && kept === 0) notes.push("nginx: no line of this run's requests in nginx's log (is drainlab's log_format in use?)");
    const note = droppedNote("nginx", dropped);
    if (note) notes.push(note);
  }

  // app ledgers: split by the node each line names
  const perNode = new Map<string, WriteStream>();
  let ledgerLines = 0;
  for (const [i, source] of a.records.app_ledger.entries()) {
    const got = await fetch(source, `app-ledger-${i + 1}`);
    if (!got) continue;
    const dropped = noDrops();
    ledgerLines += await eachJsonLine(got, ctx.runId, unreadable, dropped, (o, line) => {
      if (typeof o.event !== "string" || typeof o.node !== "string") return false;
      const id = String(o.id ?? "");
      if (id === "-" ? !recent(Number(o.t)) : !mine(id)) {
        if (id === "-") dropped.older++;
        else dropped.otherRuns++;
        return false;
      }
      let out = perNode.get(o.node);
      if (!out && perNode.size >= MAX_ATTACH_NODES) {
        dropped.pastNodeLimit++;
        return false;
      }
      if (!out) {
        const path = join(ctx.runDir, RAW_FILES.appLedger(o.node));
        mkdirSync(dirname(path), { recursive: true });
        out = createWriteStream(path);
        perNode.set(o.node, out);
      }
      out.write(`${line}\n`);
      return true;
    });
    const note = droppedNote(`app-ledger-${i + 1}`, dropped);
    if (note) notes.push(note);
  }
  await Promise.all([...perNode.values()].map((s) => new Promise((r) => s.end(r))));
  if (a.records.app_ledger.length > 0 && ledgerLines === 0)
    notes.push("app ledger: no line of this run in any source (is the module on PYTHONPATH, DRAINLAB_LEDGER set?)");

  const names = new Set<string>([...(a.nodes ?? []), ...rows.flatMap((r) => (r.node ? [r.node] : [])), ...perNode.keys()]);
  for (const n of names) if (perNode.has(n)) files[`app_ledger_${n}`] = RAW_FILES.appLedger(n);
  const ambiguous: string[] = [];
  const nodes = nodeAddresses(ctx.runDir, rows, a.addresses, [...names], ambiguous);
  if (ambiguous.length > 0)
    notes.push(`nginx's upstream address is no node's own (${ambiguous.join("; ")}): its attempts are matched to nodes by X-Node only`);
  for (const n of a.nodes ?? []) if (!rows.some((r) => r.node === n)) notes.push(`${n}: no answer named it (X-Node)`);
  return { hooks, nodes, notes, files, unreadable: unreadable.count };
}

/**
 * Each node's upstream addresses as nginx wrote them: given in attach.addresses,
 * or learned from the answers (the address of a request's last attempt is the
 * node whose X-Node the client got back).
 */
function nodeAddresses(
  runDir: string,
  rows: LedgerRow[],
  given: Record<string, string>,
  names: string[],
  ambiguous: string[],
): Array<{ name: string; address: string }> {
  const out = new Map<string, string>();
  for (const [name, addr] of Object.entries(given)) out.set(addr, name);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const seen = new Map<string, Set<string>>();
  for (const x of readNginxLog(join(runDir, RAW_FILES.nginxAccessLog)).rows) {
    const node = byId.get(x.id)?.node;
    const last = x.upstreamAddrs.at(-1);
    if (node && last && x.status < 500) seen.set(last, (seen.get(last) ?? new Set()).add(node));
  }
  // an address several nodes answered behind (a Service's cluster IP) names none of them
  for (const [addr, nodes] of seen) {
    if (out.has(addr)) continue;
    if (nodes.size === 1) out.set(addr, [...nodes][0]!);
    else ambiguous.push(`${addr} answered as ${[...nodes].sort().join(", ")}`);
  }
  // a node with no learned address still belongs to the run (its ledger is read by name)
  const listed = [...out.entries()].map(([address, name]) => ({ name, address }));
  for (const n of names) if (!listed.some((l) => l.name === n)) listed.push({ name: n, address: "" });
  return listed;
}

/** Copies the JSON lines (from each line's first "{") that `keep` accepts; unparseable ones that look like records are kept to be counted unreadable. */
async function filterJsonLines(
  from: string,
  to: string,
  runId: string,
  unreadable: { count: number },
  dropped: Dropped,
  keep: (o: Record<string, unknown>) => boolean,
): Promise<number> {
  mkdirSync(dirname(to), { recursive: true });
  const out = createWriteStream(to);
  const kept = await eachJsonLine(from, runId, unreadable, dropped, (o, line) => {
    if (!keep(o)) return false;
    out.write(`${line}\n`);
    return true;
  });
  await new Promise((r) => out.end(r));
  return kept;
}

/**
 * A file's lines, a chunk at a time with a per-line limit (a line past MAX_LINE_BYTES is one unreadable line,
 * never one huge string): each JSON object (after any log prefix) to `use`; returns how many it took.
 */
async function eachJsonLine(
  path: string,
  runId: string,
  unreadable: { count: number },
  dropped: Dropped,
  use: (o: Record<string, unknown>, json: string) => boolean,
): Promise<number> {
  let taken = 0;
  eachLine(
    path,
    "attach record",
    (raw) => {
      const at = raw.indexOf("{");
      if (at < 0) return;
      const json = raw.slice(at).trimEnd();
      try {
        const o = JSON.parse(json) as unknown;
        if (o && typeof o === "object" && !Array.isArray(o) && use(o as Record<string, unknown>, json)) taken++;
      } catch {
        // another program's line with a brace in it is none of ours; one of ours cut mid-write names this run
        if (json.startsWith('{"t":') && json.includes(`"id":"${runId}-`)) unreadable.count++;
      }
    },
    () => {
      dropped.tooLong++;
      unreadable.count++;
    },
  );
  return taken;
}
