/**
 * drainlab doctor: a failing run's checks explained from its own records, one diagnosis per cause, each with
 * the setting at fault (file and line) and its fix as a unified diff written to <run-dir>/doctor/fix-N.patch.
 * The user's files are read, never written: everything doctor writes goes in <run-dir>/doctor/.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Report } from "../records/report.ts";
import { readReport } from "../records/report-reader.ts";
import { UsageError } from "../util/errors.ts";
import { unifiedDiff } from "./diff.ts";
import { kubernetesFacts } from "./kubernetes.ts";
import { CannotLocate, locate, type RunContext } from "./locate.ts";
import { examplesOf, findings, idsIn, type RuleInput } from "./rules.ts";
import type { Diagnosis, DoctorResult, Located, Unexplained } from "./types.ts";

export const DOCTOR_DIR = "doctor";

export interface LoadedRun {
  dir: string;
  report: Report;
  nginxErrors: string[];
}

/** The run folder and its report.json; a missing folder, a folder that is not a run, or a corrupt report is a usage error (exit 2). */
export function loadRun(runDir: string): LoadedRun {
  const dir = resolve(runDir);
  if (!existsSync(dir)) throw new UsageError(`${runDir}: no such run folder`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${runDir}: not a folder (give the run folder that holds report.json)`);
  const file = join(dir, "report.json");
  if (!existsSync(file)) {
    if (existsSync(join(dir, "repeat.json")))
      throw new UsageError(`${runDir}: a repeat's folder (repeat.json); give one of its runs' folders, each holds a report.json`);
    throw new UsageError(`${runDir}: not a run folder (no report.json in it)`);
  }
  const report = readReport(file);
  const errorLog = join(dir, "raw", "nginx", "nginx-error.log");
  let nginxErrors: string[] = [];
  try {
    nginxErrors = readFileSync(errorLog, "utf8").split("\n");
  } catch {
    // a run without nginx's error log (attach, or an older run): the rule that reads it finds nothing
  }
  return { dir, report, nginxErrors };
}

/**
 * The repeat this run belongs to, when its failure was intermittent: the run folder sits in a repeat's folder
 * (repeat.json beside it) whose runs neither all passed nor all failed. null: a single run, or a steady outcome.
 */
export function intermittentRepeat(run: LoadedRun): { runs: number; failed: number; file: string } | null {
  const file = join(dirname(run.dir), "repeat.json");
  if (!existsSync(file)) return null;
  let repeat: { runs?: Array<{ verdict?: unknown }> };
  try {
    repeat = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`${file}: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(repeat.runs)) throw new UsageError(`${file}: not a drainlab repeat.json (no runs list)`);
  const failed = repeat.runs.filter((r) => r.verdict !== "pass").length;
  if (failed === 0 || failed === repeat.runs.length) return null;
  return { runs: repeat.runs.length, failed, file };
}

const classOf = (check: string) => check.replace(/^no-/, "").replace(/-requests$/, "");

function context(run: LoadedRun): RunContext {
  const r = run.report;
  const stack = r.attach ? "attach" : (r.parameters as unknown as { system?: unknown }).system ? "system" : "fixture";
  let scenarioFile: string | null = null;
  let scenarioText: string | null = null;
  if (r.scenario.file) {
    const f = isAbsolute(r.scenario.file) ? r.scenario.file : resolve(r.scenario.file);
    try {
      scenarioText = readFileSync(f, "utf8");
      scenarioFile = f;
    } catch {
      // moved or deleted since the run: diagnoses stand, fixes say why there is no patch
    }
  }
  // attach: the drained pod's workload in the user's Kubernetes manifests, when the scenario names them
  const attach = r.parameters.attach;
  const kubernetes = attach
    ? kubernetesFacts(scenarioFile, attach.manifests, "node" in attach.drain ? attach.drain.node : undefined)
    : null;
  return { report: r, runDir: run.dir, scenarioFile, scenarioText, stack, overlay: new Map(), kubernetes };
}

/** The deepest folder holding every file. */
function commonFolder(files: string[]): string {
  let parts = dirname(files[0]!).split(sep);
  for (const f of files.slice(1)) {
    const other = dirname(f).split(sep);
    let i = 0;
    while (i < parts.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(sep) || sep;
}

/** Diagnoses the run; writes nothing. */
export function diagnose(run: LoadedRun): DoctorResult {
  const r = run.report;
  const failing = r.checks.filter((c) => !c.ok);
  const base = context(run);
  const input: RuleInput = { report: r, failing, nginxErrors: run.nginxErrors, kubernetes: base.kubernetes ?? null };
  let found: ReturnType<typeof findings>;
  try {
    found = findings(input);
  } catch (e) {
    throw new UsageError(`${join(run.dir, "report.json")}: lacks a field doctor reads (${(e as Error).message})`);
  }
  const diagnoses: Diagnosis[] = [];
  for (const f of found) {
    const ctx: RunContext = { ...base, overlay: new Map() };
    const located: Located[] = [];
    let failure: string | null = f.no_fix_reason ?? null;
    for (const change of f.changes) {
      try {
        const loc = locate(ctx, change);
        ctx.overlay.set(loc.file, loc.after);
        located.push(loc);
      } catch (e) {
        if (!(e instanceof CannotLocate)) throw e;
        failure = e.message;
        located.length = 0;
        break;
      }
    }
    const settings = located.map((l, i) => ({
      file: l.file,
      line: l.line,
      text: l.was,
      note: `${l.was ?? "(not set)"} -> ${l.now}: ${(f.changes[i] as { why: string }).why}`,
    }));
    let fix: Diagnosis["fix"] = null;
    if (located.length > 0 && failure === null) {
      const files = [...new Set(located.map((l) => l.file))];
      const applyIn = commonFolder(files);
      const patch = files
        .map((file) => {
          const first = located.find((l) => l.file === file)!;
          return unifiedDiff(relative(applyIn, file), first.before, ctx.overlay.get(file)!);
        })
        .join("");
      const n = diagnoses.filter((d) => d.fix).length + 1;
      fix = {
        patch,
        file: join(run.dir, DOCTOR_DIR, `fix-${n}.patch`),
        apply_in: applyIn,
        summary: located.map((l) => `${relative(applyIn, l.file)}:${l.line} ${l.now}`).join("; "),
        verify: located.map((l) => l.verify),
      };
    }
    diagnoses.push({
      rule: f.rule,
      checks: f.checks,
      cause: `${f.cause}.`,
      examples: f.examples,
      settings,
      fix,
      ...(fix ? {} : { no_fix_reason: failure ?? "no setting to change" }),
      shown_by: f.shown_by,
      ...(f.notes.length ? { notes: f.notes } : {}),
    });
  }
  const explained = new Set(diagnoses.flatMap((d) => d.checks));
  const unexplained: Unexplained[] = failing
    .filter((c) => !explained.has(c.name))
    .map((c) => ({
      check: c.name,
      observed: String(c.observed),
      detail: c.detail,
      examples: [...new Set([...examplesOf(input, [c.name], [classOf(c.name)]), ...idsIn(r, c.detail)])].slice(0, 3),
    }));
  const notes: string[] = [];
  if (base.stack === "attach") {
    if (!base.kubernetes)
      notes.push(
        "an attach run: doctor reads the attached system's settings only from the Kubernetes manifests the scenario names in attach.manifests, and it names none",
      );
    else if (!base.kubernetes.site) notes.push(`attach.manifests: ${base.kubernetes.reason}`);
  }
  return {
    run_dir: run.dir,
    run_id: r.run_id,
    scenario: { name: r.scenario.name, file: r.scenario.file },
    verdict: r.verdict,
    stack: base.stack,
    diagnoses,
    unexplained,
    ...(notes.length ? { notes } : {}),
  };
}

const fence = (text: string) => (text.includes("```") ? text.replaceAll("```", "` ` `") : text);

/** doctor.md: pasteable into a pull request. */
export function renderMarkdown(result: DoctorResult): string {
  const out: string[] = [];
  out.push(`## drainlab doctor: ${result.scenario.name} (run ${result.run_id})`, "");
  if (result.verdict === "pass") {
    out.push("The run passed: nothing to diagnose.", "");
    return out.join("\n");
  }
  const fixes = result.diagnoses.filter((d) => d.fix).length;
  out.push(
    `${result.diagnoses.length} diagnosis(es), ${fixes} with a fix; ${result.unexplained.length} failing check(s) no rule explains. Stack: ${result.stack === "fixture" ? "drainlab's fixture (its settings are the scenario's YAML)" : result.stack === "system" ? "the user's own (system:)" : "attached"}.`,
    "",
  );
  for (const note of result.notes ?? []) out.push(`Note: ${note}.`, "");
  for (const [i, d] of result.diagnoses.entries()) {
    out.push(`### ${i + 1}. ${d.rule} (${d.checks.join(", ")})`, "");
    out.push(`**Cause.** ${d.cause}`, "");
    if (d.settings.length) {
      out.push("**Setting at fault.**", "");
      for (const s of d.settings) out.push(`- \`${s.file}:${s.line}\` ${s.note}`);
      out.push("");
    }
    for (const note of d.notes ?? []) out.push(`Note: ${note}.`, "");
    if (d.fix) {
      out.push(
        `**Fix.** \`${d.fix.file}\`, to apply from \`${d.fix.apply_in}\` with \`git apply ${d.fix.file}\` or \`patch -p1 < ${d.fix.file}\`. Never applied by doctor.`,
        "",
        "```diff",
        fence(d.fix.patch).trimEnd(),
        "```",
        "",
      );
    } else out.push(`**No fix.** ${d.no_fix_reason}`, "");
    if (d.verified) {
      out.push(`**Verified: ${d.verified.status}.** ${d.verified.detail}`, "", "| check | before | after |", "| --- | --- | --- |");
      for (const c of d.verified.checks) out.push(`| ${c.name} | ${c.before} | ${c.after} |`);
      out.push("");
    }
    out.push(`Shown by: ${d.shown_by.join(", ")}.`, "");
  }
  if (result.all_fixes) {
    out.push(
      `### Every fix together: ${result.all_fixes.status}`,
      "",
      result.all_fixes.detail,
      "",
      "| check | before | after |",
      "| --- | --- | --- |",
    );
    for (const c of result.all_fixes.checks) out.push(`| ${c.name} | ${c.before} | ${c.after} |`);
    out.push("");
  }
  if (result.unexplained.length) {
    out.push("### No diagnosis", "", "No rule matches these failing checks; doctor does not guess a fix. Their evidence:", "");
    for (const u of result.unexplained)
      out.push(`- **${u.check}** (${u.observed}): ${u.detail}${u.examples.length ? `; example requests: ${u.examples.join(", ")}` : ""}`);
    out.push("");
  }
  return out.join("\n");
}

/** The terminal's text: the same as doctor.md, without the diffs (they are in the patch files). */
export function renderText(result: DoctorResult): string {
  const out: string[] = [];
  out.push(`doctor    ${result.scenario.name} (run ${result.run_id}): ${result.verdict.toUpperCase()}`);
  if (result.verdict === "pass") return `${out[0]}\n          the run passed: nothing to diagnose\n`;
  for (const [i, d] of result.diagnoses.entries()) {
    out.push(`${i + 1}. ${d.rule}  explains ${d.checks.join(", ")}`);
    out.push(`   cause   ${d.cause}`);
    for (const s of d.settings) out.push(`   setting ${s.file}:${s.line}  ${s.note}`);
    if (d.fix) out.push(`   fix     ${d.fix.file}  (cd ${d.fix.apply_in} && git apply ${d.fix.file})`);
    else out.push(`   no fix  ${d.no_fix_reason}`);
    if (d.verified) out.push(`   verify  ${d.verified.status}${d.verified.status === "not run" ? `: ${d.verified.detail}` : ""}`);
  }
  if (result.diagnoses.length === 0) out.push("no diagnosis: no rule matches this run's failing checks");
  for (const note of result.notes ?? []) out.push(`note      ${note}`);
  for (const u of result.unexplained)
    out.push(`no rule   ${u.check} (${u.observed})${u.examples.length ? `  e.g. ${u.examples.join(", ")}` : ""}`);
  // --verify: each explained check before and after, per fix and for every fix together
  const verified = result.diagnoses.flatMap((d, i) => (d.verified ? [{ label: `fix ${i + 1}`, v: d.verified }] : []));
  if (result.all_fixes && verified.length > 1) verified.push({ label: "all", v: result.all_fixes });
  if (verified.length && result.verify_repeat) out.push(`verify    ${result.verify_repeat.runs} runs per fix: ${result.verify_repeat.why}`);
  if (verified.length) {
    const rows = verified.flatMap(({ label, v }) =>
      v.checks.map((c, k) => [k === 0 ? label : "", c.name, c.before, c.after, k === 0 ? v.status : ""]),
    );
    const header = ["verify", "check", "before", "after", ""];
    const width = header.map((h, col) => Math.max(h.length, ...rows.map((r) => r[col]!.length)));
    for (const r of [header, ...rows])
      out.push(
        r
          .map((cell, col) => cell.padEnd(width[col]!))
          .join("  ")
          .trimEnd(),
      );
    for (const { label, v } of verified) if (v.repeat) out.push(`${label.padEnd(width[0]!)}  ${v.repeat.rate}`);
    for (const { label, v } of verified) if (v.run_dir) out.push(`${label.padEnd(width[0]!)}  ${v.run_dir}`);
  }
  if (result.verify_time)
    out.push(
      `verify took ${result.verify_time.verify_s} s for ${result.verify_time.runs} run(s): ${(result.verify_time.verify_s / result.verify_time.original_run_s).toFixed(1)} x the original run (${result.verify_time.original_run_s} s)`,
    );
  return `${out.join("\n")}\n`;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
const HTML_START = "<!-- drainlab doctor -->";
const HTML_END = "<!-- /drainlab doctor -->";

/** The doctor's section for report.html: each diagnosis, its diff and its before/after. */
export function renderHtml(result: DoctorResult): string {
  const parts = [`${HTML_START}<section id="doctor"><h2>doctor</h2>`];
  for (const [i, d] of result.diagnoses.entries()) {
    parts.push(`<h3>${i + 1}. ${esc(d.rule)} (${esc(d.checks.join(", "))})</h3><p>${esc(d.cause)}</p>`);
    if (d.fix)
      parts.push(`<p>${esc(d.fix.file)}, apply in ${esc(d.fix.apply_in)} with <code>patch -p1</code></p><pre>${esc(d.fix.patch)}</pre>`);
    else parts.push(`<p>No fix: ${esc(d.no_fix_reason ?? "")}</p>`);
    if (d.verified)
      parts.push(
        `<p>Verified: ${esc(d.verified.status)}${d.verified.repeat ? `: ${esc(d.verified.repeat.rate)}` : d.verified.status === "not run" ? `: ${esc(d.verified.detail)}` : ""}</p><table><tr><th>check</th><th>before</th><th>after</th></tr>${d.verified.checks.map((c) => `<tr><td>${esc(c.name)}</td><td>${esc(c.before)}</td><td>${esc(c.after)}</td></tr>`).join("")}</table>`,
      );
  }
  if (result.unexplained.length)
    parts.push(
      `<h3>No diagnosis</h3><ul>${result.unexplained.map((u) => `<li>${esc(u.check)} (${esc(u.observed)}): ${esc(u.detail)}</li>`).join("")}</ul>`,
    );
  parts.push(`</section>${HTML_END}`);
  return parts.join("\n");
}

/** Writes doctor.json, doctor.md and the patches in <run-dir>/doctor/, and the doctor's section into report.html. */
export function writeDoctor(result: DoctorResult): string[] {
  const dir = join(result.run_dir, DOCTOR_DIR);
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const d of result.diagnoses) {
    if (!d.fix) continue;
    writeFileSync(d.fix.file, d.fix.patch);
    written.push(d.fix.file);
  }
  // a patched copy's whole text is in its patch already
  writeFileSync(
    join(dir, "doctor.json"),
    `${JSON.stringify(result, (k, v) => (k === "text" && typeof v === "string" && v.length > 200 ? "(see the patch)" : v), 2)}\n`,
  );
  writeFileSync(join(dir, "doctor.md"), renderMarkdown(result));
  written.push(join(dir, "doctor.json"), join(dir, "doctor.md"));
  const html = join(result.run_dir, "report.html");
  if (existsSync(html)) {
    const text = readFileSync(html, "utf8");
    const start = text.indexOf(HTML_START);
    const end = text.indexOf(HTML_END);
    const without = start >= 0 && end > start ? text.slice(0, start) + text.slice(end + HTML_END.length) : text;
    const at = without.lastIndexOf("</body>");
    if (at >= 0) {
      writeFileSync(html, without.slice(0, at) + renderHtml(result) + without.slice(at));
      written.push(html);
    }
  }
  return written;
}
