import { pathToFileURL } from "node:url";
import type { WebSocket } from "undici";

/**
 * What a session script (a mix entry's `session:` module) gets: the run's URL bound into `fetch` and
 * `ws`, each call one connection of the session with its X-Request-Id (`<id>`, then `<id>.r<n>`), and
 * the calls that record what it saw. Its record goes through the checks of its kind.
 */
export interface SessionContext {
  /** The session's id (X-Request-Id of its first connection). */
  id: string;
  /** http://host:port of the run's entry (nginx). */
  url: string;
  /** The mix entry's path. */
  path: string;
  /** Aborted when the load is over: a session still running then is recorded as unfinished. */
  signal: AbortSignal;
  /** fetch against the run's URL (default path: the entry's), with the entry's headers and the session's request id. */
  fetch(path?: string, init?: RequestInit): Promise<Response>;
  /** A WebSocket to the run's URL (default path: the entry's); its close codes go on the record. */
  ws(path?: string, protocols?: string | string[]): WebSocket;
  /** One unit (chunk, event, message) arrived; with an id, one seen before is a duplicate (returns false). */
  unit(id?: string | number): boolean;
  /** How many units a complete session has. */
  expect(n: number): void;
  /** Units lost (default 1), with why: the session is then not complete. */
  lost(reason: string, n?: number): void;
}

export type SessionScript = (ctx: SessionContext) => Promise<void>;

const loaded = new Map<string, Promise<SessionScript>>();

/** The script's function: its default export (or one named `session`), loaded once per file. */
export function loadSessionScript(file: string): Promise<SessionScript> {
  let script = loaded.get(file);
  if (script === undefined) {
    script = import(pathToFileURL(file).href).then((m: { default?: unknown; session?: unknown }) => {
      const fn = typeof m.default === "function" ? m.default : m.session;
      if (typeof fn !== "function")
        throw new Error(`session script ${file} exports no function (export default async function (ctx) {...})`);
      return fn as SessionScript;
    });
    loaded.set(file, script);
  }
  return script;
}
