import type { ResolvedImage } from "../env/user-images.ts";
import type { ServerSettings, SignalPath } from "./effective.ts";
import type { EffectiveNginx } from "./user-nginx.ts";

/** What drainlab learned about a user's system, for the run and its report. */
export interface SystemState {
  app_image: ResolvedImage;
  services: Array<{ name: string } & ResolvedImage>;
  /** Every change drainlab made to the user's setup, in plain words. */
  overrides: string[];
  server: ServerSettings | null;
  signal_path: SignalPath | null;
  nginx: EffectiveNginx | null;
  nginx_listen_port: number;
  /** Workers serving per node when the load started, and whether each node's app ledger was active. */
  nodes: Array<{ name: string; workers_ready: number; ledger_active: boolean }>;
  /** Mix entries whose duration was measured on a node before the load (index -> median ms). */
  measured_ms: Record<number, number>;
  notes: string[];
}
