export interface Row {
  id: string;
  target: string;
  measured: string;
  goal: string;
  ratio: string;
  /** null: measured and reported, no pass mark (or skipped). */
  met: boolean | null;
  note: string;
}

/** The targets as one plain-text table on stdout (the progress lines went to stderr). */
export function printTable(rows: Row[]): void {
  const head: Row = { id: "#", target: "target", measured: "measured", goal: "goal", ratio: "ratio", met: null, note: "note" };
  const cells = (r: Row) => [
    r.id,
    r.target,
    r.measured,
    r.goal,
    r.ratio,
    r === head ? "met" : r.met === null ? "-" : r.met ? "yes" : "MISSED",
    r.note,
  ];
  const all = [head, ...rows].map(cells);
  const widths = all[0]!.map((_, i) => Math.max(...all.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join("  ");
  const out = [line(all[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)];
  const judged = rows.filter((r) => r.met !== null);
  out.push(
    "",
    `${judged.filter((r) => r.met).length} of ${judged.length} targets met${
      judged.some((r) => !r.met)
        ? `; missed: ${judged
            .filter((r) => !r.met)
            .map((r) => r.id)
            .join(", ")}`
        : ""
    }`,
  );
  process.stdout.write(`\n${out.join("\n")}\n`);
}

/** The README's table lives between two markers; the text around it is the README's own. */
export function replaceBenchTable(readme: string, table: string): string {
  const begin = "<!-- bench:begin -->";
  const end = "<!-- bench:end -->";
  const a = readme.indexOf(begin);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error(`bench: README.md has no ${begin} ... ${end} block to replace`);
  return `${readme.slice(0, a + begin.length)}\n${table}\n${readme.slice(b)}`;
}

/** The targets as the README's markdown table, with the machine and the date it was measured on. */
export function markdownTable(
  rows: Row[],
  results: { started_at?: unknown; node?: unknown; cores?: unknown; cpu?: unknown; background_cores?: unknown },
): string {
  const cell = (s: string) => s.replaceAll("|", "\\|");
  const bg = typeof results.background_cores === "number" ? results.background_cores.toFixed(2) : "?";
  return [
    `Measured ${String(results.started_at ?? "").slice(0, 10)} on ${String(results.cores)} cores${typeof results.cpu === "string" ? ` (${results.cpu})` : ""}, node ${String(results.node)}, ${bg} cores busy with other work at the start (\`bench/baseline.json\`, written by \`npm run bench -- --accept\`):`,
    "",
    "| # | target | measured | goal | ratio | met | note |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.id} | ${cell(r.target)} | ${cell(r.measured)} | ${cell(r.goal)} | ${cell(r.ratio)} | ${r.met === null ? "-" : r.met ? "yes" : "**missed**"} | ${cell(r.note)} |`,
    ),
  ].join("\n");
}
