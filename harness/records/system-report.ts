/**
 * What drainlab learned about a user's system (harness/stack/system-state.ts
 * has the full shape): the overrides it applied, the signal path it found,
 * and each node's workers and app ledger when the load started.
 */
export interface SystemReport {
  overrides: string[];
  signal_path: { pid1: string; shell_pid1: boolean; server_pid: number | null; note: string } | null;
  nodes: Array<{ name: string; workers_ready: number; ledger_active: boolean }>;
  notes: string[];
}
