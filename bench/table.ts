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
