import type { Command } from "commander";
import { type LintFinding, lintErrors, lintResolved, longestRequest } from "../scenario/lint.ts";
import { loadScenario } from "../scenario/load-scenario.ts";
import { type Resolved, resolveScenario } from "../scenario/resolved.ts";
import { ExitCode } from "../util/errors.ts";
import { printable } from "../util/text.ts";
import type { CommandState } from "./options.ts";
import { collect } from "./options.ts";

/** The chain, the longest request and every finding, as `drainlab lint` prints them; text from the scenario is shown escaped. */
export function renderLint({ scenario, chain: c }: Resolved, file: string, findings: LintFinding[]): string {
  if (scenario.attach) {
    return [
      `drainlab lint ${printable(scenario.name)}  ${printable(file)}`,
      "note      attach: the system's timeouts are its own and drainlab reads none of them, so there is no chain to lint;",
      "          the scenario is valid (schema and paths). Its hooks are code that runs with your rights (README: Attach).",
      "",
      "lint      0 error(s), 0 warning(s)",
      "",
    ].join("\n");
  }
  const longest = longestRequest(scenario.load.mix);
  const errors = lintErrors(findings).length;
  const warnings = findings.length - errors;
  const lines = [
    `drainlab lint ${printable(scenario.name)}  ${printable(file)}`,
    ...(scenario.system
      ? [
          "note      system: your gunicorn/uvicorn and nginx settings are read from the running containers, so this lint",
          "          sees drainlab's defaults for them; `drainlab run` lints the settings it reads (report: lint)",
        ]
      : []),
    `chain     effective graceful limit ${c.effective_graceful_s} s, limited by ${c.limited_by} ` +
      `(uvicorn ${c.uvicorn_graceful_s === null ? "unlimited" : `${c.uvicorn_graceful_s} s`}, gunicorn graceful_timeout ${c.gunicorn_graceful_timeout_s} s); stop wait ${c.stop_wait_s} s`,
    `longest   ${longest ? `${longest.ms} ms (load.mix[${longest.index}] ${longest.kind.method})` : "no request"}; ` +
      `nginx proxy_read_timeout ${scenario.stack.nginx.proxy_read_timeout_s} s, client timeout ${scenario.load.timeout_s} s, grace ${scenario.load.grace_s} s`,
    "",
    ...(findings.length
      ? findings.map((f) => `${f.severity === "error" ? "ERROR  " : "warning"}   ${printable(`${f.code}: ${f.message}`)}`)
      : ["no finding: the timeout chain is consistent with the mix"]),
    "",
    `lint      ${errors} error(s), ${warnings} warning(s)${errors ? "  (exit 1)" : ""}`,
    "",
  ];
  return lines.join("\n");
}

export function register(program: Command, state: CommandState): void {
  program
    .command("lint")
    .description("check the timeout chain against the request mix, without starting anything")
    .argument("<scenario>", "scenario YAML file")
    .option("--set <key=value>", "override a scenario field by dotted path (repeatable)", collect, [])
    .option("--json", "print the findings as JSON: [{severity, code, message, fields}]")
    .addHelpText(
      "after",
      `
Severities: error when the chain contradicts itself or nginx or the client cuts
every request longer than a limit (stop wait < effective graceful limit,
proxy_read_timeout, client timeout or grace <= the longest request); warning
when requests are lost only if a long one is in flight at the SIGTERM or the
reload (graceful limit < longest request, worker_shutdown_timeout, margins).

Exit codes: 0 no error (warnings allowed), 1 at least one error, 2 bad scenario.`,
    )
    .action((file: string, opts: { set: string[]; json?: boolean }) => {
      const resolved = resolveScenario(loadScenario(file, opts.set));
      const findings = lintResolved(resolved);
      process.stdout.write(opts.json ? `${JSON.stringify(findings, null, 2)}\n` : renderLint(resolved, file, findings));
      state.setExitCode(lintErrors(findings).length > 0 ? ExitCode.checkFailed : ExitCode.pass);
    });
}
