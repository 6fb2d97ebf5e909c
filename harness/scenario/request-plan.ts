import { MAX_BYTES, readRegular } from "../util/safe-file.ts";
import { isIdempotent, type RequestKind } from "./schema.ts";

/** What every request of one kind of the mix sends: computed once per kind, by the load and by the measuring of a user's app alike. */
export interface KindPlan {
  body: Buffer | undefined;
  headers: string[];
  okStatus: ReadonlySet<number> | null;
  idempotent: boolean;
}

/** The body a kind sends: the fixture's padded JSON for POST, or the entry's body / body_file. */
function bodyOf(k: RequestKind, fixture: boolean): Buffer | undefined {
  if (k.body_file !== undefined) return readRegular(k.body_file, "load.mix body_file", MAX_BYTES.body);
  if (k.body !== undefined) return Buffer.from(typeof k.body === "string" ? k.body : JSON.stringify(k.body));
  if (fixture && k.method === "POST") return Buffer.from(JSON.stringify({ pad: "x".repeat(Math.max(0, k.body_bytes - 10)) }));
  return undefined;
}

/** A kind's body, headers (flat), ok statuses and idempotency, as the generator sends it. */
export function planOf(k: RequestKind, fixture: boolean): KindPlan {
  const body = bodyOf(k, fixture);
  const headers = Object.entries(k.headers ?? {}).flat();
  const named = new Set(Object.keys(k.headers ?? {}).map((h) => h.toLowerCase()));
  if (body && !named.has("content-type") && (fixture || typeof k.body === "object")) headers.push("content-type", "application/json");
  return { body, headers, okStatus: k.ok_status ? new Set(k.ok_status) : null, idempotent: isIdempotent(k) };
}
