import type { Report } from "../records/report.ts";
import { logLine } from "../util/text.ts";
import type { Reporter, RunInfo, RunProgress } from "./reporter.ts";

const toStderr = logLine;

/** Calls every reporter in turn; one reporter's error is logged and the others still run. */
export class Multiplexer implements Reporter {
  readonly name = "multiplexer";

  constructor(
    private readonly reporters: Reporter[],
    private readonly log: (line: string) => void = toStderr,
  ) {}

  async onBegin(info: RunInfo): Promise<void> {
    for (const r of this.reporters) {
      if (r.onBegin) await this.guard(r, "onBegin", () => r.onBegin!(info));
    }
  }

  /** Synchronous on purpose: it is called many times a second from the load loop. */
  onProgress(progress: RunProgress): void {
    for (const r of this.reporters) {
      if (!r.onProgress) continue;
      try {
        r.onProgress(progress);
      } catch (e) {
        this.report(r, "onProgress", e);
      }
    }
  }

  async onEnd(report: Report, runDir: string): Promise<string[]> {
    const written: string[] = [];
    for (const r of this.reporters) {
      if (!r.onEnd) continue;
      const files = await this.guard(r, "onEnd", () => r.onEnd!(report, runDir));
      if (Array.isArray(files)) written.push(...files);
    }
    return written;
  }

  private async guard<T>(r: Reporter, hook: string, call: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (e) {
      this.report(r, hook, e);
      return undefined;
    }
  }

  private report(r: Reporter, hook: string, e: unknown): void {
    try {
      this.log(`drainlab: reporter ${r.name} failed in ${hook}: ${e instanceof Error ? e.message : String(e)}`);
    } catch {
      // a broken log sink must not end the run either
    }
  }
}
