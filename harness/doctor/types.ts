/** What `drainlab doctor` says about a failing run: one diagnosis per cause, each with the checks it explains. */

/** One setting to change, named by the scenario field it maps to (`stack.gunicorn.graceful_timeout_s`), or a Dockerfile's CMD. */
export type Change =
  | { kind: "field"; field: string; value: string | number | boolean | null; why: string }
  | { kind: "exec-form-cmd"; why: string };

/** Where a setting lives in a file of the user's (or the scenario's own YAML), and the file's text after the change. */
export interface Located {
  /** Absolute path. */
  file: string;
  line: number;
  /** The setting as the file has it now ("graceful_timeout = 1"), or null when the file does not set it. */
  was: string | null;
  /** The setting after the fix. */
  now: string;
  before: string;
  after: string;
  /** How `doctor --verify` applies it to drainlab's copy: --set overrides, or a patched copy of a file drainlab reads. */
  verify: { sets: string[] } | { copy: { field: string; file: string; text: string } } | { none: string };
}

export interface Diagnosis {
  /** The rule that matched, e.g. graceful-limit-shorter-than-work. */
  rule: string;
  /** The failing checks this cause explains. */
  checks: string[];
  /** One sentence naming example requests. */
  cause: string;
  examples: string[];
  /** The settings at fault, each with its file and line (empty when the cause is code, not a setting). */
  settings: Array<{ file: string; line: number; text: string | null; note: string }>;
  /** The fix as a unified diff, when there is one; `fix` null says why there is none. */
  fix: {
    patch: string;
    /** <run-dir>/doctor/fix-N.patch */
    file: string;
    /** The folder the patch applies in, with `patch -p1` or `git apply`. */
    apply_in: string;
    summary: string;
    verify: Located["verify"][];
  } | null;
  no_fix_reason?: string;
  /** What else the fix implies (the stop wait that follows a graceful limit, another way to fix it). */
  notes?: string[];
  /** Catalog scenarios and examples that show this cause. */
  shown_by: string[];
  /** Filled by --verify. */
  verified?: VerifyOutcome;
}

export interface VerifyOutcome {
  status: "confirmed" | "not confirmed" | "not run";
  run_dir: string | null;
  /** Each explained check: before and after. */
  checks: Array<{ name: string; before: string; after: string }>;
  /** --repeat N: how many of the N runs passed every check the fix explains, and the rate sentence (rate-bound.ts). */
  repeat?: { asked: number; runs: number; passed: number; rate: string };
  detail: string;
}

export interface Unexplained {
  check: string;
  observed: string;
  detail: string;
  examples: string[];
}

export interface DoctorResult {
  run_dir: string;
  run_id: string;
  scenario: { name: string; file: string | null };
  verdict: string;
  /** Whether the stack is drainlab's fixture or the user's own (`system:`). */
  stack: "fixture" | "system" | "attach";
  diagnoses: Diagnosis[];
  /** Failing checks no rule explains: shown with their example requests, never guessed at. */
  unexplained: Unexplained[];
  /** What doctor could not read (an attach run with no attach.manifests). */
  notes?: string[];
  /** Filled by --verify: every fix together. */
  all_fixes?: VerifyOutcome;
  /** Filled by --verify: its wall time against the original run's. */
  verify_time?: { original_run_s: number; verify_s: number; runs: number };
  /** Filled by --verify: the runs per fix (1, or N of --repeat / of the intermittent failure's repeat) and why. */
  verify_repeat?: { runs: number; why: string };
}
