import { readdirSync, realpathSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import { percent, rateUpperBound } from "../records/rate-bound.ts";
import { UsageError } from "../util/errors.ts";
import { readRegular } from "../util/safe-file.ts";

/** A soak of the whole catalog for 20 rounds is about 1 MB; past this it is not one. */
const MAX_SOAK_FILE_BYTES = 64 * 1024 * 1024;

/** One soak-<ms>.json as `drainlab soak` writes it (the fields the table reads). */
const SoakFile = z.object({
  rounds: z.number(),
  cpu_hog: z.boolean(),
  commit: z.string().nullable().optional(),
  outcomes: z.array(
    z.object({
      scenario: z.string(),
      round: z.number(),
      met: z.boolean(),
      detail: z.string(),
      run_id: z.string(),
      failing: z.array(z.string()).optional(),
    }),
  ),
});
type SoakFile = z.infer<typeof SoakFile>;

/** The soak files among `paths`: each a soak-*.json file, or a folder whose soak-*.json files are read. */
export function readSoakFiles(paths: string[]): Array<{ file: string; soak: SoakFile }> {
  const files = paths.flatMap((p) => {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      throw new UsageError(`${p}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or folder" : String(e)}`);
    }
    if (!isDir) return [p];
    const found = readdirSync(p)
      .filter((f) => /^soak-.*\.json$/.test(f))
      .sort()
      .map((f) => join(p, f));
    if (found.length === 0) throw new UsageError(`${p}: holds no soak-*.json file (drainlab soak --out writes them)`);
    return found;
  });
  // a file named twice (itself and through its folder) counts once
  const seen = new Set<string>();
  const unique = files.filter((f) => {
    const real = realpathSync(f);
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
  return unique.map((file) => {
    const text = readRegular(file, "soak file", MAX_SOAK_FILE_BYTES).toString("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${file}: not a soak result (${e instanceof SyntaxError ? "not JSON" : String(e)})`);
    }
    const parsed = SoakFile.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`${file}: not a soak result (${issue.path.join(".") || "the file"}: ${issue.message})`);
    }
    return { file, soak: parsed.data };
  });
}

interface Tally {
  runs: number;
  mismatches: number;
}

function cell(t: Tally | undefined): string {
  if (!t || t.runs === 0) return "-";
  const bound = percent(rateUpperBound(t.mismatches, t.runs));
  return `${t.mismatches}/${t.runs} (< ${bound})`;
}

/**
 * Several soaks in one table: per scenario, mismatches of runs idle and with one core held (each with its
 * 95% upper bound on the mismatch rate), then every mismatch with its file, round and detail. What
 * `drainlab soak-table` prints: the soak table across sessions, machines or commits.
 */
export function renderSoakTable(soaks: Array<{ file: string; soak: SoakFile }>): string {
  const rows = new Map<string, { idle?: Tally; hog?: Tally }>();
  for (const { soak } of soaks) {
    const mode = soak.cpu_hog ? "hog" : "idle";
    for (const o of soak.outcomes) {
      const row = rows.get(o.scenario) ?? {};
      const t = (row[mode] ??= { runs: 0, mismatches: 0 });
      t.runs++;
      if (!o.met) t.mismatches++;
      rows.set(o.scenario, row);
    }
  }
  const commits = [...new Set(soaks.map((s) => s.soak.commit).filter((c): c is string => Boolean(c)))];
  const names = [...rows.keys()].sort();
  const width = Math.max(8, ...names.map((n) => n.length));
  const total = (mode: "idle" | "hog") =>
    [...rows.values()].reduce((t, r) => ({ runs: t.runs + (r[mode]?.runs ?? 0), mismatches: t.mismatches + (r[mode]?.mismatches ?? 0) }), {
      runs: 0,
      mismatches: 0,
    });
  const lines = [
    `soak table   ${soaks.length} soak(s), ${names.length} scenario(s)${commits.length ? `, commit(s) ${commits.map((c) => c.slice(0, 7)).join(", ")}` : ""}`,
    "",
    `${"scenario".padEnd(width)}  ${"idle: mismatches/runs".padEnd(24)}  one core held: mismatches/runs`,
    ...names.map((n) => `${n.padEnd(width)}  ${cell(rows.get(n)!.idle).padEnd(24)}  ${cell(rows.get(n)!.hog)}`),
    `${"all".padEnd(width)}  ${cell(total("idle")).padEnd(24)}  ${cell(total("hog"))}`,
    "",
    "(< x%: the 95% upper bound on the scenario's mismatch rate)",
  ];
  const bad = soaks.flatMap(({ file, soak }) =>
    soak.outcomes
      .filter((o) => !o.met)
      .map((o) => `  ${o.scenario} (${basename(file)} round ${o.round}, ${soak.cpu_hog ? "hog" : "idle"}, ${o.run_id}): ${o.detail}`),
  );
  lines.push("", bad.length === 0 ? "every outcome matched its scenario's expectation" : `${bad.length} mismatch(es):`, ...bad);
  return `${lines.join("\n")}\n`;
}
