import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import type { ShardProcessMessage } from "../load/shard-processes.ts";
import { checkStart, MAX_SPEC_BYTES, MAX_START_AHEAD_MS, parseShardSpec, shardSpecOf } from "../load/shard-spec.ts";
import { ExitCode, UsageError } from "../util/errors.ts";
import { ensureWritableDir } from "../util/out-dir.ts";
import { readRegular } from "../util/safe-file.ts";
import { shown } from "../util/text.ts";
import type { CommandState } from "./options.ts";
import { collect, err } from "./options.ts";

/** `--index`: a whole number, as Kubernetes puts JOB_COMPLETION_INDEX in the arguments. */
function parseIndex(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,6}$/.test(text)) throw new UsageError(`--index ${shown(text)}: expected a whole number (the shard's index, from 0)`);
  return Number(text);
}

/** The spec's text from stdin (`--spec -`), at most MAX_SPEC_BYTES, waiting at most as long as a start may lie ahead. */
function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(
      () => reject(new UsageError(`--spec -: no spec on stdin within ${MAX_START_AHEAD_MS / 60_000} min`)),
      MAX_START_AHEAD_MS,
    );
    process.stdin.on("data", (d: Buffer) => {
      size += d.length;
      if (size > MAX_SPEC_BYTES) {
        clearTimeout(timer);
        process.stdin.destroy();
        reject(new UsageError(`--spec -: more than ${MAX_SPEC_BYTES / 1024} kB on stdin, not a shard spec`));
      } else parts.push(d);
    });
    process.stdin.once("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(parts).toString("utf8"));
    });
    process.stdin.once("error", (e) => {
      clearTimeout(timer);
      reject(new UsageError(`--spec -: cannot read stdin (${e.message})`));
    });
  });
}

export function register(program: Command, state: CommandState): void {
  program
    .command("load-shard")
    .description("run one shard of a load as this process, from a shard spec; writes its ledger and figures to --out")
    .requiredOption("--spec <file>", "the shard spec (JSON or YAML; `-`: read it from stdin)")
    .option("--index <n>", "which shard this is, from 0 (overrides the spec's shard.index; e.g. $(JOB_COMPLETION_INDEX))")
    .option("--out <dir>", "where its ledger.bin and shard.json go (default: shard-<index>)")
    .action(async (opts: { spec: string; index?: string; out?: string }) => {
      const index = parseIndex(opts.index);
      // a signal before the schedule is known (while loading, or waiting for the spec): nothing was sent, so
      // nothing is written; the process says so and ends (exit 130) instead of dying on the default action
      const early = (sig: string) => {
        err(`\n${sig}: ended before its schedule began; nothing was sent`);
        process.exit(ExitCode.interrupted);
      };
      const earlyDisconnect = () => early("run gone");
      process.once("SIGINT", early).once("SIGTERM", early).once("disconnect", earlyDisconnect);
      const fromStdin = opts.spec === "-";
      let text: string;
      if (fromStdin) {
        // started by a run (load/shard-processes.ts): ready first, then the spec, whose start is then near
        const { prepareLoad } = await import("../load/generator.ts");
        await prepareLoad();
        process.send?.({ type: "loaded" } satisfies ShardProcessMessage);
        text = await readStdin();
      } else text = readRegular(opts.spec, "--spec", MAX_SPEC_BYTES).toString("utf8");
      const source = fromStdin ? "--spec - (stdin)" : opts.spec;
      const spec = parseShardSpec(text, source, index);
      checkStart(spec, source);
      const out = ensureWritableDir("--out", opts.out ?? `shard-${spec.shard.index}`, "the shard folder");
      const { runShardSpec } = await import("../load/shard-process.ts");
      process.off("SIGINT", early).off("SIGTERM", early).off("disconnect", earlyDisconnect);
      const abort = new AbortController();
      const onSignal = (sig: string) => {
        if (abort.signal.aborted) return;
        err(`\n${sig}: ending shard ${spec.shard.index}'s schedule; what it sent is written to ${out}`);
        abort.abort();
      };
      process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
      // the run that started it is gone (its IPC channel closed): nothing is left sending on its behalf
      const onDisconnect = () => onSignal("run gone");
      process.on("disconnect", onDisconnect);
      try {
        const { sent, readyVsStartMs } = await runShardSpec(spec, out, {
          signal: abort.signal,
          ...(process.send
            ? { onProgress: (progress) => process.send?.({ type: "progress", progress } satisfies ShardProcessMessage) }
            : {}),
        });
        const late = readyVsStartMs > 0 ? `; ready ${readyVsStartMs.toFixed(0)} ms after the start (its send lag shows it)` : "";
        process.stdout.write(`shard ${spec.shard.index}/${spec.shard.count} of ${spec.run_id}: ${sent} requests${late}; ${out}\n`);
        state.setExitCode(abort.signal.aborted ? ExitCode.interrupted : ExitCode.pass);
      } finally {
        process.off("SIGINT", onSignal).off("SIGTERM", onSignal).off("disconnect", onDisconnect);
        if (process.connected) process.disconnect();
      }
    });

  program
    .command("shard-spec")
    .description(
      "write the shard spec of a scenario's load, for `drainlab load-shard` on other hosts (one spec for every shard: --index picks)",
    )
    .argument("<scenario>", "scenario YAML file (attach.url is where the load goes, unless --url)")
    .requiredOption("--shards <n>", "how many shards the load is split into")
    .option("--start-in <s>", "the schedule starts this many seconds from now (t0), on this host's clock", "30")
    .option("--url <origin>", "where the load goes (default: the scenario's attach.url)")
    .option("--run-id <id>", "the run id in every request id (default: shards-<t0>)")
    .option("--set <key=value>", "override a scenario field by dotted path (repeatable)", collect, [])
    .option("--out <file>", "write the spec here instead of stdout")
    .action(async (file: string, opts: { shards: string; startIn: string; url?: string; runId?: string; set: string[]; out?: string }) => {
      const count = Number(opts.shards);
      if (!Number.isInteger(count) || count < 1 || count > 1024)
        throw new UsageError(`--shards ${shown(opts.shards)}: a whole number from 1 to 1024`);
      const startIn = Number(opts.startIn);
      // t0 is rounded up to a whole second: a second under the limit keeps the spec one load-shard runs
      if (!Number.isFinite(startIn) || startIn < 0 || startIn * 1000 > MAX_START_AHEAD_MS - 1000)
        throw new UsageError(`--start-in ${shown(opts.startIn)}: seconds from 0 to ${MAX_START_AHEAD_MS / 1000 - 1}`);
      const [{ loadScenario }, { attachedScenario }] = await Promise.all([
        import("../scenario/load-scenario.ts"),
        import("../run/attach-run.ts"),
      ]);
      const loaded = loadScenario(file, opts.set);
      const scenario = loaded.attach ? attachedScenario(loaded) : loaded;
      const url = opts.url ?? scenario.attach?.url;
      if (!url) throw new UsageError(`${shown(file)}: no attach.url and no --url: where does the load go?`);
      const t0EpochMs = Math.ceil(Date.now() / 1000) * 1000 + startIn * 1000;
      const raw = shardSpecOf({
        runId: opts.runId ?? `shards-${new Date(t0EpochMs).toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-")}`,
        url,
        hosts: scenario.attach?.hosts ?? [],
        t0EpochMs,
        count,
        load: scenario.load,
        fixtureMix: !scenario.attach,
        // as a run's own load: a connection opened ahead is served by nginx's old workers after a reload (misrouted)
        spareConnections: 0,
      });
      const text = `${JSON.stringify(raw, null, 2)}\n`;
      // validated as load-shard will read it: a spec this writes is one it runs
      parseShardSpec(text, opts.url ? `--url ${opts.url}` : file, 0);
      if (opts.out) writeFileSync(opts.out, text);
      else process.stdout.write(text);
    });
}
