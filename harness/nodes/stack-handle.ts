/**
 * The running stack as the stages that act on it (drain, faults) see it: its
 * nodes and the operations they call. stack/ implements it; drain/ and
 * faults/ import this, never stack/, so the stages stay siblings. Only stack/
 * touches containers: a stage calls the named operations below.
 */

export interface AppNode {
  name: string;
  /** The health monitor's path on the node (the fixture's /health, or system.app.health_path). */
  healthPath: string;
  /** The node's address on the run's network, as nginx sees it. */
  address: string;
  /** http://127.0.0.1:<port>: the node itself, for the health monitor only. */
  directUrl: string;
  /** Host folder with the node's app ledger (bind-mounted to /var/log/drainlab). */
  logDir: string;
}

export interface StackHandle {
  /** Where load and the harness's own requests to nginx go. */
  readonly url: string;
  readonly nodes: AppNode[];
  /** Host folder of nginx's access log and every upstream it was given. */
  readonly nginxLogDir: string;
  node(name: string): AppNode;
  /** Sends `signal` to the node's PID 1 (what `docker kill --signal` does). */
  signal(name: string, signal: string): Promise<void>;
  /** Resolves once the node has exited; called before the signal that stops it, so the exit is never missed. */
  exited(name: string): Promise<void>;
  /** The exit code of a node that has exited. */
  exitCode(name: string): Promise<number>;
  /** Freezes every process of the node (the cgroup freezer), until unpause. */
  pause(name: string): Promise<void>;
  unpause(name: string): Promise<void>;
  /** The node's own log (stdout and stderr), each line with docker's timestamp, from the whole second of `sinceEpochMs` on. */
  logSince(name: string, sinceEpochMs: number): Promise<string>;
  /** Runs a command inside a node, or in nginx when name is "nginx"; returns its exit code and output. */
  execOutput(name: string, command: string[], workingDir?: string): Promise<{ exitCode: number; output: string; stdout: string }>;
  /** Flags a node draining: its health check fails from then on. Returns the step's exit code (0: flagged). */
  markDraining(name: string): Promise<number>;
  /** Rewrites the upstream with `name` marked down (or up again) and runs `nginx -s reload`. Returns the new generation. */
  setDown(name: string, down: boolean, options?: { reload?: boolean }): Promise<number>;
  /** Resolves once the last reload has taken effect. */
  waitForReload(timeoutMs?: number): Promise<void>;
  /** Starts an exited node again (same container, same ledger folder) and learns its address, which may have changed. */
  restart(name: string): Promise<void>;
}
