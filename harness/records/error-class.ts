/** The harness's small set of client-side outcomes; undici's error codes map onto them. */
export const ERROR_CLASSES = ["none", "refused", "reset", "timeout", "http-5xx", "http-4xx", "unanswered", "other"] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

const BY_CODE: Record<string, ErrorClass> = {
  ECONNREFUSED: "refused",
  ECONNRESET: "reset",
  EPIPE: "reset",
  UND_ERR_SOCKET: "reset",
  UND_ERR_CLOSED: "reset",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
  ETIMEDOUT: "timeout",
  UND_ERR_ABORTED: "unanswered",
  ABORT_ERR: "unanswered",
};

export function classifyError(err: unknown): ErrorClass {
  let e = err as { code?: string; cause?: unknown; name?: string } | undefined;
  for (let depth = 0; e && depth < 4; depth++, e = e.cause as typeof e) {
    if (e.code && BY_CODE[e.code]) return BY_CODE[e.code]!;
    if (e.name === "AbortError") return "unanswered";
  }
  return "other";
}

export function classifyStatus(status: number): ErrorClass {
  if (status >= 500) return "http-5xx";
  if (status >= 400) return "http-4xx";
  return "none";
}
